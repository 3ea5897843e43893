import { App, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import cdkJson from '../../cdk.json';
import { acknowledgeNagFindings, nagAcknowledgements } from '../../infra/cdk-nag';
import { SignupSyncStack } from '../../infra/signup-sync-stack';
import { parseStackConfig } from '../../shared/deployment/stack-config';

/**
 * The stack as `cdk synth` builds it (cdk.json context and feature flags: a bare `new App()` ignores cdk.json). Nag checks
 * the construct tree, not the bundles, so esbuild is skipped (the CDK's own `bundling-stacks` switch).
 */
function buildStack(configOverrides: Record<string, unknown> = {}) {
  const { signupSync, ...flags } = cdkJson.context;
  const app = new App({ context: { ...flags, 'aws:cdk:bundling-stacks': [] } });
  const stack = new SignupSyncStack(app, 'SignupSync', { config: parseStackConfig({ ...signupSync, ...configOverrides }) });
  return { app, stack };
}

/** One line per finding, readable in a failure message: `rule @ construct path`. */
function findings(report: PolicyValidationPluginReport): string[] {
  return report.violations.flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} @ ${resource.constructPath}`)).sort();
}

/** The same checks `cdk synth` runs through infra/app.ts (Validations plugin), invoked directly. */
function runNag(configOverrides: Record<string, unknown>, { acknowledge }: { acknowledge: boolean }) {
  const { app, stack } = buildStack(configOverrides);
  const acknowledgements = acknowledge ? acknowledgeNagFindings(stack) : nagAcknowledgements(stack);
  const report = new AwsSolutionsChecks(app, { verbose: false }).validateScope(stack);
  return { report, acknowledgements };
}

// The stack's shapes that change which resources exist: secrets created by the stack or imported (by
// name or ARN), the update conflict policy, and the customer-managed key.
const configurations: [string, Record<string, unknown>][] = [
  ['cdk.json defaults (secret created by the stack)', {}],
  ['secret imported by name', { tokenSecretName: 'signup-sync/bigcommerce-token' }],
  ['secret imported by ARN', { tokenSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:signup-sync/bigcommerce-token-AbCdEf' }],
  ['both secrets imported', { tokenSecretName: 'signup-sync/bigcommerce-token', sourcesSecretName: 'signup-sync/sources' }],
  ['update conflict policy, longer timeout', { conflictPolicy: 'update', syncTimeoutSeconds: 60, maxReceiveCount: 3 }],
  ['customer-managed encryption', { encryption: 'customer-managed' }],
  [
    'customer-managed encryption, both secrets imported',
    { encryption: 'customer-managed', tokenSecretName: 'signup-sync/t', sourcesSecretName: 'signup-sync/s' },
  ],
  [
    'custom domain, region pinned',
    {
      region: 'eu-west-1',
      customDomain: {
        domainName: 'signups.example.com',
        certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666',
      },
    },
  ],
];

describe('cdk-nag AwsSolutions', () => {
  it.each(configurations)('has no unacknowledged finding: %s', (_name, overrides) => {
    // Arrange / Act
    const { report } = runNag(overrides, { acknowledge: true });

    // Assert
    expect(findings(report)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it.each(configurations)('acknowledges only findings that exist, on the construct they are about: %s', (_name, overrides) => {
    // Arrange / Act: the raw findings, before any acknowledgement.
    const { report, acknowledgements } = runNag(overrides, { acknowledge: false });

    // Assert: every acknowledgement still matches a real finding under its construct (none is stale or
    // broader than needed), and every finding is covered by one.
    const raw = report.violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => ({
        rule: violation.ruleName,
        path: resource.constructPath ?? `(logical id ${resource.resourceLogicalId ?? '?'})`,
      })),
    );
    const under = (path: string, scopePath: string) => path === scopePath || path.startsWith(`${scopePath}/`);
    const stale = acknowledgements.filter((ack) => !raw.some((finding) => finding.rule === ack.id && under(finding.path, ack.scope.node.path)));
    const uncovered = raw.filter((finding) => !acknowledgements.some((ack) => finding.rule === ack.id && under(finding.path, ack.scope.node.path)));
    expect(stale.map((ack) => `${ack.id} @ ${ack.scope.node.path}`)).toEqual([]);
    expect(uncovered.map((finding) => `${finding.rule} @ ${finding.path}`)).toEqual([]);
    expect(raw.length).toBeGreaterThan(0);
  });

  it('gives every acknowledgement a reason a reviewer can check', () => {
    // Arrange
    const { stack } = buildStack();

    // Act
    const acknowledgements = nagAcknowledgements(stack);

    // Assert
    expect(acknowledgements.map((ack) => ack.id).sort()).toEqual(
      [
        'AwsSolutions-APIG4',
        // The delivery ledger needs no point-in-time recovery (infra/constructs/delivery-ledger.ts).
        'AwsSolutions-DDB3',
        // X-Ray's two actions, which take no resource ARN (one per function).
        'AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions-L1',
        'AwsSolutions-L1',
        // The BigCommerce token secret, the sources secret (infra/constructs/signup-ingress.ts) and the log-hash key.
        'AwsSolutions-SMG4',
        'AwsSolutions-SMG4',
        'AwsSolutions-SMG4',
      ].sort(),
    );
    for (const ack of acknowledgements) expect(ack.reason.length).toBeGreaterThan(100);
  });
});
