import { GetAccountCommand, GetEmailIdentityCommand, NotFoundException, SESv2Client } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { checkConfirmationMail } from '../../../ops/doctor/confirmation-mail-check';
import type { SourceConfigInput } from '../../../shared/sources/source-config';

/** `doctor` on double opt-in (docs/operations.md): the senders' SES identities and the SES sandbox, read-only. */

const ses = mockClient(SESv2Client);
afterEach(() => ses.reset());

const source = (id: string, from: string) =>
  ({ id, kind: 'html-form', consentVersion: 'v1', doubleOptIn: { from, subject: 'Confirm' } }) as unknown as SourceConfigInput;
const notFound = () => new NotFoundException({ message: 'not found', $metadata: {} });

it('skips both checks when no source has double opt-in', async () => {
  const results = await checkConfirmationMail(new SESv2Client({ region: 'eu-west-1' }), [{ id: 'api', kind: 'standard-webhooks' } as SourceConfigInput]);
  expect(results.map((result) => [result.id, result.status])).toEqual([
    ['aws.ses-identity', 'skipped'],
    ['aws.ses-sandbox', 'skipped'],
  ]);
  expect(ses.calls()).toHaveLength(0);
});

it('passes a sender verified as an address or by its domain, and production access', async () => {
  ses.on(GetEmailIdentityCommand, { EmailIdentity: 'news@shop.example' }).resolves({ VerifiedForSendingStatus: true });
  ses.on(GetEmailIdentityCommand, { EmailIdentity: 'hello@brand.example' }).rejects(notFound());
  ses.on(GetEmailIdentityCommand, { EmailIdentity: 'brand.example' }).resolves({ VerifiedForSendingStatus: true });
  ses.on(GetAccountCommand).resolves({ ProductionAccessEnabled: true, SendingEnabled: true, SendQuota: { Max24HourSend: 50_000, MaxSendRate: 14 } });
  const [identity, sandbox] = await checkConfirmationMail(new SESv2Client({ region: 'eu-west-1' }), [
    source('a', 'Shop <news@shop.example>'),
    source('b', 'hello@brand.example'),
  ]);
  expect(identity).toMatchObject({
    status: 'pass',
    details: ['news@shop.example (a): verified (address)', 'hello@brand.example (b): verified (domain brand.example)'],
  });
  expect(sandbox).toMatchObject({ status: 'pass', summary: expect.stringContaining('50000 a day') });
});

it('fails a sender without a verified identity, and an account in the SES sandbox, each with the fix', async () => {
  ses.on(GetEmailIdentityCommand, { EmailIdentity: 'news@shop.example' }).rejects(notFound());
  ses.on(GetEmailIdentityCommand, { EmailIdentity: 'shop.example' }).resolves({ VerifiedForSendingStatus: false });
  ses.on(GetAccountCommand).resolves({ ProductionAccessEnabled: false, SendingEnabled: true, SendQuota: { Max24HourSend: 200, MaxSendRate: 1 } });
  const [identity, sandbox] = await checkConfirmationMail(new SESv2Client({ region: 'eu-west-1' }), [source('a', 'news@shop.example')]);
  expect(identity).toMatchObject({
    status: 'fail',
    summary: expect.stringContaining('not verified for sending yet'),
    fix: expect.stringMatching(/Verify the sender/),
  });
  expect(sandbox).toMatchObject({
    status: 'fail',
    summary: expect.stringMatching(/in the sandbox \(quota 200 a day, 1 a second\)/),
    fix: expect.stringMatching(/production access/),
  });
  // Read-only: nothing but the two Get calls.
  expect(new Set(ses.calls().map((call) => call.args[0].constructor.name))).toEqual(new Set(['GetEmailIdentityCommand', 'GetAccountCommand']));
});
