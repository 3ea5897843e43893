import { App, type Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import cdkJson from '../../cdk.json';
import { addSignupSyncStacks } from '../../infra/signup-sync-app';
import { StackConfigError } from '../../shared/deployment/stack-config';
import storesVariant from './stores-variant.json';

/** The app as `cdk synth` builds it (cdk.json's feature flags), bundling skipped: these tests read the templates' settings. */
function buildApp(settings: unknown) {
  const { signupSync: _ignored, ...flags } = cdkJson.context;
  const app = new App({ context: { ...flags, 'aws:cdk:bundling-stacks': [] } });
  return { app, stacks: addSignupSyncStacks(app, settings) };
}

const { storeHash: _placeholder, ...sharedSettings } = cdkJson.context.signupSync;

const syncVariables = (stack: Stack): Record<string, unknown> => {
  const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
  const sync = Object.values(functions).find(
    (fn) => (fn as { Properties: { Environment?: { Variables: Record<string, unknown> } } }).Properties.Environment?.Variables['BIGCOMMERCE_STORE_HASH'],
  );
  return (sync as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables;
};

describe('several stores from one repository (signupSync.stores)', () => {
  it('synthesizes one stack per store, named SignupSync-<store>, each with the shared settings and its own overrides', () => {
    // Arrange: the variant `npm run check:template` also lints (test/infra/check-template.sh).
    const { stacks } = buildApp({ ...sharedSettings, ...storesVariant });

    // Assert
    expect(stacks.map((stack) => stack.stackName)).toEqual(['SignupSync-eu', 'SignupSync-us']);
    const eu = stacks[0]!;
    const us = stacks[1]!;
    expect(syncVariables(eu)).toMatchObject({ BIGCOMMERCE_STORE_HASH: 'eustore1', SYNC_MAX_CONCURRENCY: '2', CONFLICT_POLICY: 'skip' });
    expect(syncVariables(us)).toMatchObject({ BIGCOMMERCE_STORE_HASH: 'usstore1', SYNC_MAX_CONCURRENCY: '3', CONFLICT_POLICY: 'skip' });
    // Each store has its own queues, secrets and API: nothing is shared between the stacks.
    for (const stack of stacks) {
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::SQS::Queue', 2);
      template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
      template.resourceCountIs('AWS::SecretsManager::Secret', 3);
    }
    // Only the eu store has a custom domain.
    Template.fromStack(eu).resourceCountIs('AWS::ApiGatewayV2::DomainName', 1);
    Template.fromStack(us).resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
  });

  it("pins a store with `region` to it, leaves the others where `cdk deploy` points, and tags each store's resources", () => {
    const { stacks } = buildApp({ ...sharedSettings, ...storesVariant });
    const eu = stacks[0]!;
    const us = stacks[1]!;

    expect(eu.region).toBe('eu-west-1');
    expect(Token.isUnresolved(us.region)).toBe(true);
    expect(eu.templateOptions.description).toContain('(store eu)');
    const queues = Template.fromStack(us).findResources('AWS::SQS::Queue');
    for (const queue of Object.values(queues))
      expect((queue as { Properties: { Tags: unknown } }).Properties.Tags).toEqual([{ Key: 'signup-sync:store', Value: 'us' }]);
  });

  it('keeps the single-store form as it was: one stack SignupSync, untagged', () => {
    const { stacks } = buildApp({ ...cdkJson.context.signupSync, storeHash: 'abc123' });

    expect(stacks.map((stack) => stack.stackName)).toEqual(['SignupSync']);
    expect(stacks[0]!.templateOptions.description).toBe('signup-sync: signups -> SQS -> BigCommerce customers');
    const queues = Template.fromStack(stacks[0]!).findResources('AWS::SQS::Queue');
    for (const queue of Object.values(queues)) expect((queue as { Properties: { Tags?: unknown } }).Properties.Tags).toBeUndefined();
  });

  it('lets a store keep an existing stack by naming it (stackName), so adding a second store re-creates nothing', () => {
    const { stacks } = buildApp({ ...sharedSettings, stores: { eu: { storeHash: 'eustore1', stackName: 'SignupSync' }, us: { storeHash: 'usstore1' } } });

    expect(stacks.map((stack) => stack.stackName)).toEqual(['SignupSync', 'SignupSync-us']);
  });

  it('acknowledges the cdk-nag findings on every store stack, so each is clean', () => {
    const { app, stacks } = buildApp({ ...sharedSettings, ...storesVariant });
    const checks = new AwsSolutionsChecks(app, { verbose: false });

    for (const stack of stacks) expect(checks.validateScope(stack).violations).toEqual([]);
  });

  it("refuses a store's bad setting at synth, naming the store and where the setting is written", () => {
    const settings = { ...sharedSettings, maxConcurrency: 1, stores: { eu: { storeHash: 'eu store' }, us: { storeHash: 'usstore1' } } };

    expect(() => buildApp(settings)).toThrow(StackConfigError);
    expect(() => buildApp(settings)).toThrow('signupSync.stores.eu.storeHash: must be your BigCommerce store hash');
    expect(() => buildApp(settings)).toThrow('signupSync.maxConcurrency: Too small: expected number to be >=2 (store us)');
  });
});
