import { ApiMapping, DomainName, EndpointType, type HttpApi, type HttpStage, SecurityPolicy } from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { Construct } from 'constructs';

export type ApiCustomDomainProps = Readonly<{
  api: HttpApi;
  stage: HttpStage;
  /** The merchant's host name, e.g. signups.example.com (cdk.json customDomain.domainName). */
  domainName: string;
  /** An ACM certificate covering it, in the stack's region (validated at synth: shared/deployment/stack-config.ts). */
  certificateArn: string;
}>;

/**
 * The ingest API on the merchant's own domain (docs/configuration.md#custom-domain): a regional API
 * Gateway domain name (TLS 1.2 at least) with the stage mapped at its root, so `https://<domain>/signups`
 * and `/sources/<id>` are the API's routes. Senders keep this URL when the stack (and with it the
 * execute-api URL) is re-created. The merchant points a CNAME, or a Route 53 alias, at `regionalDomainName`;
 * DNS stays in their hands (the stack creates no record, so any DNS provider works).
 */
export class ApiCustomDomain extends Construct {
  readonly domainName: DomainName;
  readonly mapping: ApiMapping;
  /** The base URL senders are configured with. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ApiCustomDomainProps) {
    super(scope, id);
    this.domainName = new DomainName(this, 'DomainName', {
      domainName: props.domainName,
      certificate: Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
      endpointType: EndpointType.REGIONAL,
      securityPolicy: SecurityPolicy.TLS_1_2,
    });
    // No mapping key: the API's paths are the domain's paths. ApiMapping depends on the stage itself.
    this.mapping = new ApiMapping(this, 'Mapping', { api: props.api, domainName: this.domainName, stage: props.stage });
    this.url = `https://${props.domainName}`;
  }
}
