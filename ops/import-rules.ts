import { existsSync } from 'node:fs';
import { ingestSettingsEnvironment } from '../shared/deployment/stack-config';
import { attributeFieldsOf } from '../shared/ingest/attribute-limit';
import type { SignupRules } from '../shared/ingest/check-signups';
import { DEFAULT_NAMELESS_POLICY, namelessPolicySchema } from '../shared/signup/nameless-policy';
import { DEFAULT_CDK_JSON, readDeploymentSettings } from './doctor/settings';
import { CliError } from './errors';
import type { IngestSetup } from './unmappable-redrive';

/**
 * The rules the CSV import checks rows with: the deployment's, so that a dry run refuses exactly the rows
 * the ingest would refuse (docs/operations.md, "Import"). The import is not a configured source, so the
 * global nameless policy applies (NAMELESS_POLICY), with the attribute fields (CUSTOM_ATTRIBUTE_FIELDS).
 * Read, in this order, from: `--cdk-json <file>` when given; the target's ingest configuration (a deployed
 * stack's ingest function, as `dlq redrive` reads it, or a running local mode); this repository's cdk.json.
 */

export type ImportRules = Readonly<{ rules: SignupRules; from: string }>;

/** The ingest's configuration (its environment's values) as the import's rules, checked as its cold start checks them. */
export function rulesOfSetup(setup: IngestSetup): SignupRules {
  const parsed = setup.namelessPolicy === undefined ? undefined : namelessPolicySchema.safeParse(setup.namelessPolicy);
  if (parsed && !parsed.success) throw new CliError("The ingest's NAMELESS_POLICY is not one its cold start accepts");
  return { nameless: parsed?.data ?? DEFAULT_NAMELESS_POLICY, attributeFields: new Set(setup.customAttributeFields ?? []) };
}

/** The settings of a cdk.json (`context.signupSync`), as the stack gives them to the ingest. */
export function rulesOfCdkJson(file: string): SignupRules {
  const settings = readDeploymentSettings(file);
  return rulesOfSetup({
    sources: [],
    namelessPolicy: JSON.parse(ingestSettingsEnvironment(settings).NAMELESS_POLICY ?? '{}') as unknown,
    customAttributeFields: attributeFieldsOf(settings.customFieldMap),
  });
}

export async function resolveImportRules(
  options: Readonly<{ cdkJson?: string; target?: Readonly<{ description: string; ingestSetup?: () => Promise<IngestSetup> }> }>,
): Promise<ImportRules> {
  if (options.cdkJson !== undefined) return { rules: rulesOfCdkJson(options.cdkJson), from: options.cdkJson };
  if (options.target?.ingestSetup) {
    let setup: IngestSetup;
    try {
      setup = await options.target.ingestSetup();
    } catch (error) {
      throw new CliError(
        `Cannot read the ingest's configuration of ${options.target.description} (${error instanceof Error ? error.message : String(error)}); pass --cdk-json <file> to check rows with that file's settings instead`,
        { cause: error },
      );
    }
    return { rules: rulesOfSetup(setup), from: `the ingest of ${options.target.description}` };
  }
  if (existsSync(DEFAULT_CDK_JSON)) return { rules: rulesOfCdkJson(DEFAULT_CDK_JSON), from: 'cdk.json' };
  return { rules: { nameless: DEFAULT_NAMELESS_POLICY }, from: "the ingest's default: no cdk.json found" };
}
