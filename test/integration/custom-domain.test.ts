import { randomUUID } from 'node:crypto';
import {
  ApiGatewayV2Client,
  CreateApiCommand,
  CreateApiMappingCommand,
  CreateDomainNameCommand,
  type DomainNameConfiguration,
} from '@aws-sdk/client-apigatewayv2';
import { checkCustomDomain } from '../../ops/doctor/custom-domain-check';
import { TEST_REGION } from './support/local-aws';
import { type MotoServer, startMotoServer } from './support/moto-server';
import { synthesizeStackModel } from './support/stack-model';

/**
 * `aws.custom-domain` over API Gateway v2's wire protocol (moto): GetDomainName and GetApiMappings as the
 * doctor sends them, against a domain created with the properties of the synthesized template. moto keeps
 * a domain's configuration as it was sent, where AWS adds the status and the regional target; the test
 * sends those two as AWS would set them. DNS is out of reach here, as it is for the doctor.
 */

jest.setTimeout(60_000);

const CERTIFICATE = `arn:aws:acm:${TEST_REGION}:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666`;

let moto: MotoServer;
let client: ApiGatewayV2Client;

beforeAll(async () => {
  moto = await startMotoServer();
  client = new ApiGatewayV2Client({ endpoint: moto.endpoint, region: TEST_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
});

afterAll(async () => {
  client?.destroy();
  await moto?.stop();
});

/** The domain as the stack declares it, created in moto, with this stack's API mapped at its root (unless `mapTo` says otherwise). */
async function deployDomain({ mapTo = 'this', key = '' }: { mapTo?: 'this' | 'other'; key?: string } = {}) {
  const domainName = `signups-${randomUUID().slice(0, 8)}.example.com`;
  const model = synthesizeStackModel({ customDomain: { domainName, certificateArn: CERTIFICATE } });
  const declared = Object.values(model.resources).find((resource) => resource.Type === 'AWS::ApiGatewayV2::DomainName')!.Properties as {
    DomainName: string;
    DomainNameConfigurations: DomainNameConfiguration[];
  };
  const target = `d-${randomUUID().slice(0, 10)}.execute-api.${TEST_REGION}.amazonaws.com`;
  const configurations = declared.DomainNameConfigurations.map((configuration) => ({
    ...configuration,
    DomainNameStatus: 'AVAILABLE' as const,
    ApiGatewayDomainName: target,
  }));
  await client.send(new CreateDomainNameCommand({ DomainName: declared.DomainName, DomainNameConfigurations: configurations }));
  const api = await client.send(new CreateApiCommand({ Name: 'signup-sync ingest API', ProtocolType: 'HTTP' }));
  const other = await client.send(new CreateApiCommand({ Name: 'someone else', ProtocolType: 'HTTP' }));
  await client.send(
    new CreateApiMappingCommand({ DomainName: domainName, ApiId: mapTo === 'this' ? api.ApiId! : other.ApiId!, Stage: '$default', ApiMappingKey: key }),
  );
  return { setting: { domainName, certificateArn: CERTIFICATE }, outputs: { CustomDomainName: domainName, CustomDomainTarget: target, ApiId: api.ApiId! } };
}

describe('aws.custom-domain against moto', () => {
  it("passes for the stack's domain with its API mapped at the root, saying DNS is not checked", async () => {
    const { setting, outputs } = await deployDomain();

    const result = await checkCustomDomain(client, setting, outputs);

    expect(result).toMatchObject({ status: 'pass', summary: expect.stringContaining('not checked here: DNS') });
  });

  it('fails when the root maps another API, or the API sits under a path key', async () => {
    const other = await deployDomain({ mapTo: 'other' });
    const keyed = await deployDomain({ key: 'v1' });

    expect(await checkCustomDomain(client, other.setting, other.outputs)).toMatchObject({ status: 'fail', summary: expect.stringContaining('not this stack') });
    expect(await checkCustomDomain(client, keyed.setting, keyed.outputs)).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('maps no API at its root'),
    });
  });

  it('fails when API Gateway has no such domain', async () => {
    const missing = 'missing.example.com';
    const result = await checkCustomDomain(client, { domainName: missing, certificateArn: CERTIFICATE }, { CustomDomainName: missing });

    expect(result).toMatchObject({ status: 'fail', summary: expect.stringContaining(`API Gateway has no readable domain ${missing}`) });
  });
});
