import { ApiGatewayV2Client, GetApiMappingsCommand, GetDomainNameCommand, NotFoundException } from '@aws-sdk/client-apigatewayv2';
import { mockClient } from 'aws-sdk-client-mock';
import { checkCustomDomain } from '../../../ops/doctor/custom-domain-check';

/**
 * `aws.custom-domain` against API Gateway's answers, including those moto does not produce (a status,
 * a certificate awaiting re-import). test/integration/custom-domain.test.ts runs it over moto's wire protocol.
 */

const apiGateway = mockClient(ApiGatewayV2Client);
const client = new ApiGatewayV2Client({ region: 'eu-west-1' });

const DOMAIN = 'signups.example.com';
const CERTIFICATE = 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666';
const TARGET = 'd-abc123.execute-api.eu-west-1.amazonaws.com';
const SETTING = { domainName: DOMAIN, certificateArn: CERTIFICATE };
const OUTPUTS = { CustomDomainName: DOMAIN, CustomDomainTarget: TARGET, ApiId: 'api123' };

const healthy = {
  ApiGatewayDomainName: TARGET,
  CertificateArn: CERTIFICATE,
  DomainNameStatus: 'AVAILABLE' as const,
  EndpointType: 'REGIONAL' as const,
  SecurityPolicy: 'TLS_1_2' as const,
};

beforeEach(() => {
  apiGateway.reset();
  apiGateway.on(GetDomainNameCommand).resolves({ DomainName: DOMAIN, DomainNameConfigurations: [healthy] });
  apiGateway.on(GetApiMappingsCommand).resolves({ Items: [{ ApiId: 'api123', ApiMappingId: 'm1', ApiMappingKey: '', Stage: '$default' }] });
});

afterAll(() => client.destroy());

describe('aws.custom-domain', () => {
  it("passes when the domain is AVAILABLE, regional, TLS 1.2, on the configured certificate, mapping this stack's API at its root, and says what it did not check", async () => {
    const result = await checkCustomDomain(client, SETTING, OUTPUTS);

    expect(result).toMatchObject({ id: 'aws.custom-domain', status: 'pass' });
    expect(result.summary).toContain(`not checked here: DNS (${DOMAIN} must be a CNAME of, or a Route 53 alias to, ${TARGET}`);
    expect(result.summary).toContain("the certificate's expiry");
    expect(apiGateway.commandCalls(GetDomainNameCommand)[0]!.args[0].input).toEqual({ DomainName: DOMAIN });
    expect(apiGateway.commandCalls(GetApiMappingsCommand)[0]!.args[0].input).toEqual({ DomainName: DOMAIN });
  });

  it('follows NextToken through the mappings', async () => {
    apiGateway
      .on(GetApiMappingsCommand)
      .resolvesOnce({ Items: [{ ApiId: 'other', ApiMappingId: 'm0', ApiMappingKey: 'v1', Stage: 'prod' }], NextToken: 'next' })
      .resolves({ Items: [{ ApiId: 'api123', ApiMappingId: 'm1', Stage: '$default' }] });

    expect(await checkCustomDomain(client, SETTING, OUTPUTS)).toMatchObject({ status: 'pass' });
    expect(apiGateway.commandCalls(GetApiMappingsCommand)[1]!.args[0].input).toEqual({ DomainName: DOMAIN, NextToken: 'next' });
  });

  it('is skipped without a custom domain, and says what that means for senders', async () => {
    expect(await checkCustomDomain(client, undefined, {})).toMatchObject({ status: 'skipped', summary: expect.stringContaining('execute-api URL') });
    expect(apiGateway.calls()).toHaveLength(0);
  });

  it('fails when cdk.json sets a domain the stack was not deployed with, or another one', async () => {
    expect(await checkCustomDomain(client, SETTING, {})).toMatchObject({ status: 'fail', fix: expect.stringContaining('cdk deploy') });
    expect(await checkCustomDomain(client, SETTING, { ...OUTPUTS, CustomDomainName: 'old.example.com' })).toMatchObject({
      status: 'fail',
      summary: `The stack serves old.example.com, cdk.json says ${DOMAIN}`,
    });
  });

  it('fails when the stack has a domain cdk.json no longer sets: the next deploy would take it from the senders', async () => {
    expect(await checkCustomDomain(client, undefined, OUTPUTS)).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('the next deploy removes the domain'),
      fix: expect.stringContaining('ExecuteApiUrl'),
    });
  });

  it('fails when API Gateway has no such domain', async () => {
    apiGateway.on(GetDomainNameCommand).rejects(new NotFoundException({ message: 'Invalid domain name identifier specified', $metadata: {} }));
    expect(await checkCustomDomain(client, SETTING, OUTPUTS)).toMatchObject({ status: 'fail', summary: expect.stringContaining('NotFoundException') });
  });

  it.each([
    ['a certificate awaiting re-import', { DomainNameStatus: 'PENDING_CERTIFICATE_REIMPORT' as const }, 'is PENDING_CERTIFICATE_REIMPORT', 'Re-import'],
    ['an edge endpoint', { EndpointType: 'EDGE' as const }, 'is EDGE, not REGIONAL', 'cdk deploy'],
    ['TLS 1.0', { SecurityPolicy: 'TLS_1_0' as const }, 'allows TLS_1_0, not TLS_1_2', 'cdk deploy'],
    ['another certificate', { CertificateArn: `${CERTIFICATE.slice(0, -1)}7` }, 'uses certificate', 'cdk deploy'],
    ['another target than the output', { ApiGatewayDomainName: 'd-zzz.execute-api.eu-west-1.amazonaws.com' }, 'has the target d-zzz', 'cdk deploy'],
  ])('fails for %s, naming it', async (_name, change, summary, fix) => {
    apiGateway.on(GetDomainNameCommand).resolves({ DomainName: DOMAIN, DomainNameConfigurations: [{ ...healthy, ...change }] });
    expect(await checkCustomDomain(client, SETTING, OUTPUTS)).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining(summary),
      fix: expect.stringContaining(fix),
    });
  });

  it("fails when the root maps nothing, or another API or stage than this stack's", async () => {
    apiGateway.on(GetApiMappingsCommand).resolves({ Items: [{ ApiId: 'api123', ApiMappingId: 'm1', ApiMappingKey: 'v1', Stage: '$default' }] });
    expect(await checkCustomDomain(client, SETTING, OUTPUTS)).toMatchObject({ status: 'fail', summary: expect.stringContaining('maps no API at its root') });

    apiGateway.on(GetApiMappingsCommand).resolves({ Items: [{ ApiId: 'other', ApiMappingId: 'm1', ApiMappingKey: '', Stage: '$default' }] });
    expect(await checkCustomDomain(client, SETTING, OUTPUTS)).toMatchObject({
      status: 'fail',
      summary: `The root of ${DOMAIN} maps API other (stage $default), not this stack's api123 ($default)`,
    });
  });
});
