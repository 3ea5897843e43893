import { type App, Tags } from 'aws-cdk-lib';
import { customDomainRegionProblem, StackConfigError } from '../shared/deployment/stack-config';
import { parseDeployments } from '../shared/deployment/stores';
import { acknowledgeNagFindings } from './cdk-nag';
import { SignupSyncStack } from './signup-sync-stack';

export type SignupSyncAppOptions = Readonly<{
  /** The region and account `cdk deploy` uses for a stack without a `region` setting (CDK_DEFAULT_REGION / CDK_DEFAULT_ACCOUNT). */
  defaultRegion?: string | undefined;
  defaultAccount?: string | undefined;
}>;

const DESCRIPTION = 'signup-sync: signups -> SQS -> BigCommerce customers';

/**
 * One stack per store the `signupSync` settings describe (shared/deployment/stores.ts): `SignupSync` for
 * the single-store form, `SignupSync-<store>` for each entry of `stores`. A store with a `region` gets a
 * stack pinned to it; the others deploy where `cdk deploy` points (env-agnostic, so `cdk synth` needs no
 * credentials). cdk-nag's acknowledgements are recorded on each stack.
 */
export function addSignupSyncStacks(app: App, rawSettings: unknown, options: SignupSyncAppOptions = {}): SignupSyncStack[] {
  const deployments = parseDeployments(rawSettings);
  // A stack without a region of its own deploys to the CLI's; only then can its certificate be compared.
  const problems = deployments.flatMap(({ config }) => customDomainRegionProblem(config, config.region ?? options.defaultRegion) ?? []);
  if (problems.length > 0) throw new StackConfigError(`Invalid signup-sync configuration in cdk.json context:\n  ${problems.join('\n  ')}`);
  return deployments.map(({ stackName, store, config }) => {
    const stack = new SignupSyncStack(app, stackName, {
      config,
      description: store === undefined ? DESCRIPTION : `${DESCRIPTION} (store ${store})`,
      ...(config.region ? { env: { region: config.region, ...(options.defaultAccount ? { account: options.defaultAccount } : {}) } } : {}),
    });
    // Cost allocation and `aws resourcegroupstaggingapi` per store.
    if (store !== undefined) Tags.of(stack).add('signup-sync:store', store);
    acknowledgeNagFindings(stack);
    return stack;
  });
}
