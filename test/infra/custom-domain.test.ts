import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import cdkJson from '../../cdk.json';
import { addSignupSyncStacks } from '../../infra/signup-sync-app';
import { parseStackConfig, StackConfigError } from '../../shared/deployment/stack-config';
import { logicalIdOf, synthStack } from '../helpers/synth';

const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666';
const CUSTOM_DOMAIN = { domainName: 'signups.example.com', certificateArn: CERTIFICATE_ARN };

describe('custom domain (cdk.json customDomain)', () => {
  const { template } = synthStack({ customDomain: CUSTOM_DOMAIN });
  const apiId = logicalIdOf(template, 'AWS::ApiGatewayV2::Api');
  const stageId = logicalIdOf(template, 'AWS::ApiGatewayV2::Stage');
  const domainId = logicalIdOf(template, 'AWS::ApiGatewayV2::DomainName');

  it('creates a regional API Gateway domain name with TLS 1.2 and the configured ACM certificate', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::DomainName', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'signups.example.com',
      DomainNameConfigurations: [{ CertificateArn: CERTIFICATE_ARN, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }],
    });
  });

  it("maps the API's $default stage at the domain's root, after the stage exists", () => {
    template.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    const mappings = template.findResources('AWS::ApiGatewayV2::ApiMapping');
    const mapping = Object.values(mappings)[0] as { Properties: Record<string, unknown>; DependsOn?: string[] };
    expect(mapping.Properties).toEqual({ ApiId: { Ref: apiId }, DomainName: { Ref: domainId }, Stage: '$default' });
    expect(mapping.DependsOn).toContain(stageId);
  });

  it("gives senders the domain's URL as ApiUrl, and the operator the target for the CNAME or alias", () => {
    template.hasOutput('ApiUrl', { Value: 'https://signups.example.com' });
    template.hasOutput('CustomDomainName', { Value: { Ref: domainId } });
    template.hasOutput('CustomDomainTarget', { Value: { 'Fn::GetAtt': [domainId, 'RegionalDomainName'] } });
    template.hasOutput('CustomDomainHostedZoneId', { Value: { 'Fn::GetAtt': [domainId, 'RegionalHostedZoneId'] } });
    // What `signup-sync doctor` compares the domain's mapping with, and the URL that keeps working during a move.
    template.hasOutput('ApiId', { Value: { Ref: apiId } });
    template.hasOutput('ExecuteApiUrl', { Value: { 'Fn::GetAtt': [apiId, 'ApiEndpoint'] } });
  });

  it('creates nothing of it without the setting, and ApiUrl stays the execute-api URL', () => {
    const plain = synthStack().template;
    plain.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
    plain.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 0);
    plain.hasOutput('ApiUrl', { Value: { 'Fn::GetAtt': [Match.anyValue(), 'ApiEndpoint'] } });
    expect(Object.keys(plain.toJSON().Outputs)).not.toEqual(expect.arrayContaining(['CustomDomainTarget']));
  });

  it('passes cdk-nag with no new acknowledgement', () => {
    const { signupSync, ...flags } = cdkJson.context;
    const app = new App({ context: { ...flags, 'aws:cdk:bundling-stacks': [] } });
    const [stack] = addSignupSyncStacks(app, { ...signupSync, storeHash: 'abc123', region: 'eu-west-1', customDomain: CUSTOM_DOMAIN });
    const report = new AwsSolutionsChecks(app, { verbose: false }).validateScope(stack!);
    expect(
      report.violations.flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} @ ${resource.constructPath}`)),
    ).toEqual([]);
    Template.fromStack(stack!).resourceCountIs('AWS::ApiGatewayV2::DomainName', 1);
  });
});

describe('custom domain validation at synth', () => {
  const parse = (extra: Record<string, unknown>) => () => parseStackConfig({ storeHash: 'abc123', ...extra });

  it.each([
    ['a wildcard', { domainName: '*.example.com', certificateArn: CERTIFICATE_ARN }, 'signupSync.customDomain.domainName: must be a host name'],
    ['upper case and a trailing dot', { domainName: 'Signups.Example.com.', certificateArn: CERTIFICATE_ARN }, 'signupSync.customDomain.domainName'],
    ['a bare word', { domainName: 'localhost', certificateArn: CERTIFICATE_ARN }, 'signupSync.customDomain.domainName'],
    [
      'an IAM server certificate',
      { domainName: 'signups.example.com', certificateArn: 'arn:aws:iam::123456789012:server-certificate/x' },
      'signupSync.customDomain.certificateArn: must be an ACM certificate ARN',
    ],
    ['a missing certificate', { domainName: 'signups.example.com' }, 'signupSync.customDomain.certificateArn'],
    ['an unknown key', { ...CUSTOM_DOMAIN, hostedZoneId: 'Z1' }, 'signupSync.customDomain'],
  ])('refuses %s, naming the field', (_name, customDomain, message) => {
    expect(parse({ customDomain })).toThrow(StackConfigError);
    expect(parse({ customDomain })).toThrow(message);
  });

  it("refuses a certificate of another region than the stack's `region`", () => {
    expect(parse({ region: 'us-east-1', customDomain: CUSTOM_DOMAIN })).toThrow(
      'signupSync.customDomain.certificateArn: the certificate is in eu-west-1 but the stack deploys to us-east-1',
    );
    expect(parse({ region: 'eu-west-1', customDomain: CUSTOM_DOMAIN })()).toMatchObject({ region: 'eu-west-1', customDomain: CUSTOM_DOMAIN });
  });

  it('compares a stack without `region` with the region `cdk deploy` resolves (CDK_DEFAULT_REGION), when there is one', () => {
    const { signupSync, ...flags } = cdkJson.context;
    const settings = { ...signupSync, storeHash: 'abc123', customDomain: CUSTOM_DOMAIN };
    const app = () => new App({ context: { ...flags, 'aws:cdk:bundling-stacks': [] } });
    expect(() => addSignupSyncStacks(app(), settings, { defaultRegion: 'us-east-1' })).toThrow(
      'the certificate is in eu-west-1 but the stack deploys to us-east-1',
    );
    expect(addSignupSyncStacks(app(), settings, { defaultRegion: 'eu-west-1' })).toHaveLength(1);
    // No region known (a bare synth outside the CDK CLI): CloudFormation is left to refuse a wrong one.
    expect(addSignupSyncStacks(app(), settings)).toHaveLength(1);
  });
});
