import { headerValue, type RawRequest } from '../http-input/request';
import { EVIDENCE_TEXT_LIMITS, type SignupEvidence } from '../signup/signup-schema';
import type { SourceConfig } from '../sources/source-config';

/**
 * What the consent evidence keeps about where a signup came from (docs/privacy.md), put in its queue
 * message by the ingest, the only part that sees the request:
 * - an html form's page: the Referer (the page the form was on), else the Origin, without the query
 *   string or fragment (a page URL may carry an email in its query);
 * - a webhook's form: the sender's form id, where its adapter reads one (Webflow, Jotform, Typeform, Tally);
 * - the client's IP, only for an html-form source with `recordClientIp` (API Gateway's view of the
 *   connection, never a header the client writes).
 */

function pageOf(request: RawRequest): string | undefined {
  for (const name of ['referer', 'origin']) {
    const value = headerValue(request.headers, name);
    if (value === undefined || value === 'null') continue;
    const url = URL.parse(value);
    if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) continue;
    return `${url.origin}${url.pathname === '/' && name === 'origin' ? '' : url.pathname}`.slice(0, EVIDENCE_TEXT_LIMITS.page);
  }
  return undefined;
}

export function signupEvidence(request: RawRequest, source: SourceConfig, form: string | undefined): SignupEvidence | undefined {
  const page = source.kind === 'html-form' ? pageOf(request) : undefined;
  const ip = source.kind === 'html-form' && source.recordClientIp ? request.sourceIp : undefined;
  const formId = form?.trim().slice(0, EVIDENCE_TEXT_LIMITS.form);
  const evidence: SignupEvidence = {
    ...(page ? { page } : {}),
    ...(formId ? { form: formId } : {}),
    ...(ip && ip.length >= 2 && ip.length <= 45 ? { ip } : {}),
  };
  return Object.keys(evidence).length > 0 ? evidence : undefined;
}
