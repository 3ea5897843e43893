import { type App, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { SignupSyncStack } from './signup-sync-stack';

/**
 * cdk-nag (v3 API: Validations and acknowledge(); v2's NagSuppressions is gone): the AwsSolutions
 * pack runs on every `cdk synth`, and any finding
 * not acknowledged here fails the synth. Each acknowledgement sits on the narrowest construct it is
 * about, names one rule (or one finding of it), and says why the finding is accepted rather than fixed.
 * test/infra/cdk-nag.test.ts fails on a new finding and on an acknowledgement that no longer matches one.
 */

export type NagAcknowledgement = Readonly<{ scope: IConstruct; id: string; reason: string }>;

/** What this stack accepts, and why. */
export function nagAcknowledgements(stack: SignupSyncStack): NagAcknowledgement[] {
  const functions = [stack.ingress.function, stack.sync.function];
  return [
    ...functions.flatMap((fn) => [
      {
        scope: fn,
        id: 'AwsSolutions-L1',
        reason:
          'nodejs22.x is chosen deliberately: it is the runtime the local toolchain, the esbuild target (node22) and the tests are verified on. ' +
          'It is an AWS-supported LTS runtime; moving to Node 24 is a separate, tested change.',
      },
      {
        // The function's own role (infra/constructs/node-function.ts), where the tracing grant lands.
        scope: fn.role ?? fn,
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'The only wildcard is the one active X-Ray tracing adds: xray:PutTraceSegments and xray:PutTelemetryRecords, which support no ' +
          'resource-level permissions (AWS X-Ray IAM reference). Every data-plane grant stays on a single resource ARN.',
      },
      // `encryption: customer-managed` only: sending to a KMS-encrypted queue.
      ...(stack.encryption.key
        ? ['AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]'].map((id) => ({
            scope: fn.role ?? fn,
            id,
            reason:
              "aws-cdk-lib's grant for sending to a queue encrypted with a customer-managed key (Queue.grantSendMessages -> Key.grantEncrypt): " +
              "SQS asks KMS for data keys (kms:GenerateDataKey*) with the sender's permissions. The statement's resource is the stack's one key ARN, " +
              'so the wildcard covers only the variants of those two KMS actions on that key.',
          }))
        : []),
    ]),
    {
      scope: stack.ingress.api,
      id: 'AwsSolutions-APIG4',
      reason:
        'The senders are webhooks and web forms that cannot sign IAM (SigV4) requests or obtain Cognito/JWT tokens, so an API Gateway authorizer ' +
        'cannot authenticate them. Routes authenticate in the ingest Lambda on the raw request instead: per-source HMAC signatures (constant-time, ' +
        'with timestamp tolerance) or per-source bearer/URL tokens (shared/sources/auth.ts); the stage is throttled.',
    },
    {
      scope: stack.deliveryLedger.table,
      id: 'AwsSolutions-DDB3',
      reason:
        'The delivery ledger holds only hashed delivery keys that expire after deliveryRetentionHours (72 h by default). Restoring it would ' +
        'serve no one: a ledger lost or empty means at worst a retried delivery is enqueued again, which the sync answers as an existing customer.',
    },
    {
      scope: stack.sync.logHashKey,
      id: 'AwsSolutions-SMG4',
      reason:
        'A random key for the keyed hash that stands for emails in the logs. Rotating it gains nothing (it is never sent anywhere) and would only ' +
        'break the correlation of one customer across log lines written before and after the rotation.',
    },
    ...(stack.sync.tokenSecret instanceof Secret
      ? [
          {
            scope: stack.sync.tokenSecret,
            id: 'AwsSolutions-SMG4',
            reason:
              'The secret holds a BigCommerce store API-account token. BigCommerce has no API to issue or revoke such tokens, so a rotation Lambda ' +
              'cannot rotate it: an operator creates a new API account in the store control panel and puts the token as a new secret version. ' +
              'The sync re-reads the secret after TOKEN_CACHE_TTL_SECONDS and immediately on a 401, so rotation needs no deploy.',
          },
        ]
      : []),
    ...(stack.ingress.sourcesSecret instanceof Secret
      ? [
          {
            scope: stack.ingress.sourcesSecret,
            id: 'AwsSolutions-SMG4',
            reason:
              'The secret holds the webhook signing secrets and URL tokens of the signup sources (and the generated POST /signups key). Each sender ' +
              '(Typeform, Kit, HubSpot, Mailchimp, ...) issues or stores its copy in its own dashboard, so a rotation Lambda cannot change both sides: ' +
              'an operator rotates at the sender, then puts the new value in the secret. The ingest re-reads it after SOURCES_SECRET_CACHE_TTL_SECONDS.',
          },
        ]
      : []),
  ];
}

/** Records the acknowledgements on their constructs; returns them (the nag test checks each is still needed). */
export function acknowledgeNagFindings(stack: SignupSyncStack): NagAcknowledgement[] {
  const acknowledgements = nagAcknowledgements(stack);
  for (const { scope, id, reason } of acknowledgements) Validations.of(scope).acknowledge({ id, reason });
  return acknowledgements;
}

/** Registers the AwsSolutions checks on the app: `cdk synth` fails on any unacknowledged finding. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: false }));
}
