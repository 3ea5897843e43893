import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import cdkJson from '../../../cdk.json';
import { runDoctor } from '../../../ops/doctor';
import { readDeploymentSettings, stackRegionInCdkJson } from '../../../ops/doctor/settings';
import { CliError } from '../../../ops/errors';
import { resolveTarget } from '../../../ops/targets';
import { StackConfigError } from '../../../shared/deployment/stack-config';
import { DEFAULT_STACK_NAME, deploymentForStack, deploymentForStore, parseDeployments } from '../../../shared/deployment/stores';

/**
 * Several stores in one cdk.json: how the settings resolve per store (shared/deployment/stores.ts), and how
 * the CLI picks a store's settings by stack name (doctor's --cdk-json) and its region (--stack without --region).
 * test/infra/stores.test.ts synthesizes the stacks.
 */

const CERTIFICATE = 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666';
const { storeHash: _placeholder, ...SHARED } = cdkJson.context.signupSync;
const STORES = {
  ...SHARED,
  customerGroupId: 4,
  stores: {
    eu: { storeHash: 'eustore1', region: 'eu-west-1', customDomain: { domainName: 'signups.example.eu', certificateArn: CERTIFICATE } },
    us: { storeHash: 'usstore1', maxConcurrency: 3, customerGroupId: 0 },
  },
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'signup-stores-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const writeCdkJson = (name: string, signupSync: unknown) => {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify({ ...cdkJson, context: { ...cdkJson.context, signupSync } }));
  return file;
};

describe('store settings (signupSync.stores)', () => {
  it("merges each store's overrides over the shared settings, key by key, and names its stack", () => {
    const [eu, us] = parseDeployments(STORES);

    expect(eu).toMatchObject({
      stackName: 'SignupSync-eu',
      store: 'eu',
      config: { storeHash: 'eustore1', region: 'eu-west-1', customerGroupId: 4, maxConcurrency: 2 },
    });
    expect(us).toMatchObject({ stackName: 'SignupSync-us', store: 'us', config: { storeHash: 'usstore1', customerGroupId: 0, maxConcurrency: 3 } });
    expect(us!.config.customDomain).toBeUndefined();
  });

  it('replaces a list rather than merging it: a store with its own sources has only those', () => {
    const shared = [{ id: 'newsletter', kind: 'mailchimp', routeToken: 'k7q2m9x4w1c8v5b3n6z0' }];
    const own = [{ id: 'partner', kind: 'standard-webhooks', routeToken: 'k7q2m9x4w1c8v5b3n6z0' }];
    const [eu, us] = parseDeployments({ ...SHARED, sources: shared, stores: { eu: { storeHash: 'a1', sources: own }, us: { storeHash: 'b1' } } });

    expect(eu!.config.sources).toEqual(own);
    expect(us!.config.sources).toEqual(shared);
  });

  it('reads the settings given on the command line as JSON (cdk deploy -c signupSync=…)', () => {
    expect(parseDeployments(JSON.stringify(STORES)).map((deployment) => deployment.stackName)).toEqual(['SignupSync-eu', 'SignupSync-us']);
  });

  it('keeps the single-store form: one SignupSync stack, no store name', () => {
    expect(parseDeployments({ ...SHARED, storeHash: 'abc123' })).toEqual([
      { stackName: DEFAULT_STACK_NAME, config: expect.objectContaining({ storeHash: 'abc123' }) },
    ]);
  });

  it.each([
    ['no store', { ...SHARED, stores: {} }, 'signupSync.stores: must be an object of store name -> settings, with at least one store'],
    ['a list', { ...SHARED, stores: [] }, 'signupSync.stores: must be an object'],
    [
      'a bad store name',
      { ...SHARED, stores: { 'eu west': { storeHash: 'a1' } } },
      'signupSync.stores.eu west: a store name must be letters, digits and hyphens',
    ],
    ['a store that is not an object', { ...SHARED, stores: { eu: 'a1' } }, 'signupSync.stores.eu: must be an object of settings'],
    [
      'a bad stack name',
      { ...SHARED, stores: { eu: { storeHash: 'a1', stackName: '1stack' } } },
      'signupSync.stores.eu.stackName: must be a CloudFormation stack name',
    ],
    [
      'two stores on one stack',
      { ...SHARED, stores: { eu: { storeHash: 'a1', stackName: 'Shop' }, us: { storeHash: 'b1', stackName: 'Shop' } } },
      "signupSync.stores.us: stack Shop is store eu's already",
    ],
    ['nested stores', { ...SHARED, stores: { eu: { storeHash: 'a1', stores: {} } } }, 'signupSync.stores.eu.stores: stores do not nest'],
    [
      "an override's bad value, pointed at the override",
      { ...SHARED, stores: { eu: { storeHash: 'a b' } } },
      'signupSync.stores.eu.storeHash: must be your BigCommerce store hash',
    ],
    ['a missing store hash', { ...SHARED, stores: { eu: {} } }, 'signupSync.storeHash: Invalid input: expected string, received undefined (store eu)'],
    [
      "a certificate outside the store's region",
      { ...SHARED, stores: { us: { storeHash: 'b1', region: 'us-east-1', customDomain: { domainName: 'signups.example.com', certificateArn: CERTIFICATE } } } },
      'signupSync.stores.us.customDomain.certificateArn: the certificate is in eu-west-1 but the stack deploys to us-east-1',
    ],
  ])('refuses %s, naming where it is written', (_name, settings, message) => {
    expect(() => parseDeployments(settings)).toThrow(StackConfigError);
    expect(() => parseDeployments(settings)).toThrow(message);
  });

  it('names every store problem at once', () => {
    const settings = { ...SHARED, stores: { eu: { storeHash: 'a b' }, us: { storeHash: 'b1', maxConcurrency: 1 } } };
    expect(() => parseDeployments(settings)).toThrow(/stores\.eu\.storeHash[\s\S]*stores\.us\.maxConcurrency/);
  });

  it("picks a stack's settings by its name (the CLI's --stack), and asks for one when there are several", () => {
    expect(deploymentForStack(STORES, 'SignupSync-us').config.storeHash).toBe('usstore1');
    expect(() => deploymentForStack(STORES, undefined)).toThrow('cdk.json describes 2 stores (stacks SignupSync-eu, SignupSync-us): name one with --stack');
    expect(() => deploymentForStack(STORES, 'SignupSync')).toThrow(
      'cdk.json has no store deployed as stack SignupSync (its stacks: SignupSync-eu, SignupSync-us)',
    );
    // The single-store form describes whatever stack it was deployed as.
    expect(deploymentForStack({ ...SHARED, storeHash: 'abc123' }, 'AnyName').config.storeHash).toBe('abc123');
    expect(deploymentForStack({ ...SHARED, stores: { eu: { storeHash: 'a1' } } }, undefined).stackName).toBe('SignupSync-eu');
  });

  it('gives local mode the store LOCAL_STORE names, by default the first', () => {
    expect(deploymentForStore(STORES, undefined).store).toBe('eu');
    expect(deploymentForStore(STORES, 'us').config.storeHash).toBe('usstore1');
    expect(() => deploymentForStore(STORES, 'apac')).toThrow('cdk.json has no store apac (its stores: eu, us)');
    expect(() => deploymentForStore({ ...SHARED, storeHash: 'abc123' }, 'eu')).toThrow("LOCAL_STORE is eu, but cdk.json's signupSync has no stores");
  });
});

describe('the CLI with several stores', () => {
  it("reads the named stack's merged settings from --cdk-json, with a CLI error naming the stacks otherwise", () => {
    const file = writeCdkJson('stores.cdk.json', STORES);

    expect(readDeploymentSettings(file, 'SignupSync-eu')).toMatchObject({
      storeHash: 'eustore1',
      customerGroupId: 4,
      customDomain: { domainName: 'signups.example.eu' },
    });
    expect(readDeploymentSettings(file, 'SignupSync-us')).toMatchObject({ storeHash: 'usstore1', customerGroupId: 0, maxConcurrency: 3 });
    expect(() => readDeploymentSettings(file, undefined)).toThrow(CliError);
    expect(() => readDeploymentSettings(file, undefined)).toThrow('name one with --stack');
  });

  it("looks a store's stack up in the region cdk.json pins it to, unless --region says otherwise", async () => {
    const file = writeCdkJson('regions.cdk.json', STORES);
    const asked: (string | undefined)[] = [];
    const deps = {
      env: {},
      stackRegion: (stack: string) => stackRegionInCdkJson(stack, file),
      stackOutputs: async (_stack: string, region: string | undefined) => {
        asked.push(region);
        return {};
      },
    };

    await resolveTarget({ stack: 'SignupSync-eu' }, deps);
    await resolveTarget({ stack: 'SignupSync-eu', region: 'eu-central-1' }, deps);
    await resolveTarget({ stack: 'SignupSync-us' }, deps);

    expect(asked).toEqual(['eu-west-1', 'eu-central-1', undefined]);
    expect(stackRegionInCdkJson('SignupSync-eu', path.join(dir, 'missing.json'))).toBeUndefined();
  });

  it("runs doctor with the settings of the store whose outputs it is given (the outputs file's one stack)", async () => {
    // Arrange: every AWS call fails (nothing is deployed); what matters is which store's settings are used.
    const offline = new Error('not deployed');
    const mocks = [
      mockClient(SQSClient).onAnyCommand().rejects(offline),
      mockClient(LambdaClient).onAnyCommand().rejects(offline),
      mockClient(SecretsManagerClient).onAnyCommand().rejects(offline),
      mockClient(SNSClient).onAnyCommand().rejects(offline),
      mockClient(CloudWatchClient).onAnyCommand().rejects(offline),
      mockClient(DynamoDBClient).onAnyCommand().rejects(offline),
      mockClient(ApiGatewayV2Client).onAnyCommand().rejects(offline),
    ];
    const cdkJsonPath = writeCdkJson('doctor.cdk.json', STORES);
    const outputs = (stack: string) => {
      const file = path.join(dir, `${stack}.outputs.json`);
      writeFileSync(
        file,
        JSON.stringify({ [stack]: { SignupQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q', ApiUrl: 'https://signups.example.eu' } }),
      );
      return file;
    };
    const run = async (stack: string) => {
      const out: string[] = [];
      await runDoctor({ outputsFile: outputs(stack), cdkJson: cdkJsonPath, json: true }, { out: (text) => out.push(text), err: () => undefined, env: {} });
      return JSON.parse(out.join('\n')) as { bigCommerce: { storeHash?: string }; checks: { id: string; status: string; summary: string }[] };
    };

    try {
      // Act
      const eu = await run('SignupSync-eu');
      const us = await run('SignupSync-us');

      // Assert: eu's store hash and custom domain, us's store hash and no domain.
      expect(eu.bigCommerce.storeHash).toBe('eustore1');
      expect(eu.checks.find((check) => check.id === 'aws.custom-domain')).toMatchObject({
        status: 'fail',
        summary: expect.stringContaining('cdk.json sets customDomain signups.example.eu'),
      });
      expect(us.bigCommerce.storeHash).toBe('usstore1');
      expect(us.checks.find((check) => check.id === 'aws.custom-domain')).toMatchObject({ status: 'skipped' });
    } finally {
      for (const mock of mocks) mock.restore();
    }
  });
});
