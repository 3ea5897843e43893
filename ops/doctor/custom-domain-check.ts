import {
  type ApiGatewayV2Client,
  type ApiMapping,
  type DomainNameConfiguration,
  GetApiMappingsCommand,
  GetDomainNameCommand,
} from '@aws-sdk/client-apigatewayv2';
import type { CheckResult } from './types';

/**
 * `aws.custom-domain` (docs/configuration.md#custom-domain): the domain cdk.json's `customDomain` names
 * exists in API Gateway as the stack made it (regional, TLS 1.2, the configured certificate, status
 * AVAILABLE) and maps this stack's API at its root. What it cannot check, it says: whether the
 * merchant's DNS points the name at the domain's regional target (the doctor resolves no names; it may
 * run where DNS differs from the senders'), and the certificate's expiry (ACM; API Gateway reports an
 * imported certificate that needs re-importing as PENDING_CERTIFICATE_REIMPORT, which fails here).
 */

const ID = 'aws.custom-domain';

/** The stack outputs it reads (infra/signup-sync-stack.ts). */
export const CUSTOM_DOMAIN_OUTPUTS = { name: 'CustomDomainName', target: 'CustomDomainTarget', apiId: 'ApiId' } as const;

export type CustomDomainSetting = Readonly<{ domainName: string; certificateArn: string }>;

const reason = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error');

const dnsNote = (domain: string, target: string | undefined) =>
  `not checked here: DNS (${domain} must be a CNAME of, or a Route 53 alias to, ${target ?? 'the output CustomDomainTarget'}; check with \`dig +short ${domain}\`) and the certificate's expiry (ACM)`;

function configurationProblems(config: DomainNameConfiguration | undefined, expected: CustomDomainSetting, target: string | undefined): string[] {
  if (!config) return ['has no endpoint configuration'];
  const problems: string[] = [];
  if (config.DomainNameStatus !== 'AVAILABLE')
    problems.push(
      `is ${config.DomainNameStatus ?? 'in an unknown state'}${config.DomainNameStatusMessage ? ` (${config.DomainNameStatusMessage})` : ''}, not AVAILABLE`,
    );
  if (config.EndpointType !== 'REGIONAL') problems.push(`is ${config.EndpointType ?? 'of an unknown endpoint type'}, not REGIONAL`);
  if (config.SecurityPolicy !== 'TLS_1_2') problems.push(`allows ${config.SecurityPolicy ?? 'an unknown security policy'}, not TLS_1_2`);
  if (config.CertificateArn !== expected.certificateArn)
    problems.push(`uses certificate ${config.CertificateArn ?? '(none)'}, cdk.json names ${expected.certificateArn}`);
  if (target && config.ApiGatewayDomainName && config.ApiGatewayDomainName !== target)
    problems.push(`has the target ${config.ApiGatewayDomainName}, the stack output says ${target}`);
  return problems;
}

async function apiMappings(client: ApiGatewayV2Client, domainName: string): Promise<ApiMapping[]> {
  const items: ApiMapping[] = [];
  let nextToken: string | undefined;
  // A domain holds few mappings; the page limit only guards against a NextToken that never ends.
  for (let page = 0; page < 20; page += 1) {
    const answer = await client.send(new GetApiMappingsCommand({ DomainName: domainName, ...(nextToken ? { NextToken: nextToken } : {}) }));
    items.push(...(answer.Items ?? []));
    nextToken = answer.NextToken;
    if (!nextToken) break;
  }
  return items;
}

export async function checkCustomDomain(
  client: ApiGatewayV2Client,
  expected: CustomDomainSetting | undefined,
  outputs: Readonly<Record<string, string>>,
): Promise<CheckResult> {
  const deployed = outputs[CUSTOM_DOMAIN_OUTPUTS.name];
  const target = outputs[CUSTOM_DOMAIN_OUTPUTS.target];
  if (!expected && !deployed)
    return {
      id: ID,
      status: 'skipped',
      summary: 'No custom domain (cdk.json customDomain): senders use the execute-api URL, which changes if the stack is re-created',
    };
  if (!expected)
    return {
      id: ID,
      status: 'fail',
      summary: `The stack serves ${deployed}, but cdk.json has no customDomain: the next deploy removes the domain and senders configured with it stop reaching the API`,
      fix: `Put customDomain back in cdk.json (domainName "${deployed}"), or move the senders to the output ExecuteApiUrl before deploying`,
    };
  if (!deployed || deployed !== expected.domainName)
    return {
      id: ID,
      status: 'fail',
      summary: deployed
        ? `The stack serves ${deployed}, cdk.json says ${expected.domainName}`
        : `cdk.json sets customDomain ${expected.domainName}, but the stack has no CustomDomainName output: it was deployed without it`,
      fix: 'Deploy the stack (cdk deploy), then point DNS at the output CustomDomainTarget',
    };
  let configuration: DomainNameConfiguration | undefined;
  try {
    configuration = (await client.send(new GetDomainNameCommand({ DomainName: expected.domainName }))).DomainNameConfigurations?.[0];
  } catch (error) {
    return {
      id: ID,
      status: 'fail',
      summary: `API Gateway has no readable domain ${expected.domainName} (${reason(error)})`,
      fix: 'Deploy the stack (cdk deploy); check your AWS credentials and that --region is the stack’s region',
    };
  }
  const problems = configurationProblems(configuration, expected, target);
  if (problems.length > 0)
    return {
      id: ID,
      status: 'fail',
      summary: `The domain ${expected.domainName} ${problems.join('; ')}`,
      fix:
        configuration?.DomainNameStatus === 'PENDING_CERTIFICATE_REIMPORT'
          ? 'Re-import the renewed certificate into ACM under the same ARN, then run the doctor again'
          : 'Redeploy the stack (cdk deploy) so the domain matches cdk.json',
    };
  let mappings: ApiMapping[];
  try {
    mappings = await apiMappings(client, expected.domainName);
  } catch (error) {
    return {
      id: ID,
      status: 'fail',
      summary: `The API mappings of ${expected.domainName} cannot be read (${reason(error)})`,
      fix: 'Check your AWS credentials and region',
    };
  }
  const apiId = outputs[CUSTOM_DOMAIN_OUTPUTS.apiId];
  const root = mappings.find((mapping) => !mapping.ApiMappingKey);
  if (!root || (apiId && root.ApiId !== apiId) || root.Stage !== '$default') {
    return {
      id: ID,
      status: 'fail',
      summary: !root
        ? `The domain ${expected.domainName} maps no API at its root: ${expected.domainName}/signups answers 404`
        : `The root of ${expected.domainName} maps API ${root.ApiId} (stage ${root.Stage}), not this stack's ${apiId ?? 'API'} ($default)`,
      fix: 'Redeploy the stack (cdk deploy); remove a mapping made by hand (aws apigatewayv2 delete-api-mapping) if the deploy reports a conflict',
    };
  }
  return {
    id: ID,
    status: 'pass',
    summary: `${expected.domainName} maps this stack's API at its root (regional, TLS 1.2, the configured certificate, AVAILABLE); ${dnsNote(expected.domainName, target)}`,
  };
}
