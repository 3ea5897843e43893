import { createHmac } from 'node:crypto';
import { type LocalMode, startLocalMode } from '../../local/local-mode';
import { queueDepth } from '../../ops/queue-ops';
import { captureWrite } from '../helpers/log-capture';
import { waitFor } from './support';

jest.setTimeout(60_000);

/**
 * Local mode, everything real on loopback (docs/trust.md): the ingest's delivery ledger on the embedded
 * DynamoDB folds a repeated delivery, and an html-form source with Turnstile asks the loopback siteverify
 * stand-in before anything is queued.
 */

/** A Standard Webhooks request to POST /signups, signed with local mode's `api` secret. */
function signedRequest(secret: string, id: string, body: string): RequestInit {
  const seconds = String(Math.floor(Date.now() / 1000));
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${seconds}.`).update(body).digest('base64');
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': seconds, 'webhook-signature': `v1,${signature}` },
    body,
  };
}

describe('local mode: a repeated delivery', () => {
  let mode: LocalMode | undefined;
  afterEach(async () => {
    await mode?.stop();
    mode = undefined;
  });

  it('answers the same Standard Webhooks request twice with 2xx and sends BigCommerce one request', async () => {
    // Arrange
    mode = await startLocalMode({
      sources: [],
      timings: { batchingWindowMs: 200 },
      log: { write: captureWrite },
    });
    const sandbox = mode.sandbox!;
    const before = sandbox.stats({ logLimit: 0 }).apiRequests;
    const body = JSON.stringify({ email: 'twice@example.com', first_name: 'Sent', last_name: 'Twice' });
    const request = signedRequest(mode.apiSecret, 'msg_local_repeat_1', body);

    // Act: the sender retries after the first attempt went through (its answer was lost on the way back).
    const first = await fetch(`${mode.apiUrl}/signups`, request);
    const firstBody = (await first.json()) as { ids: string[] };
    await waitFor(() => sandbox.customers().length === 1, { what: 'the customer' });
    const second = await fetch(`${mode.apiUrl}/signups`, signedRequest(mode.apiSecret, 'msg_local_repeat_1', body));
    const secondBody = (await second.json()) as { ids: string[] };
    // Long enough for the sync to have taken a second message, had there been one.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const depth = await queueDepth(mode.sqsClient, mode.signupQueueUrl, { inFlightCountedAsVisible: true });

    // Assert
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(secondBody.ids).toEqual(firstBody.ids);
    expect([first.headers.get('delivery-repeated'), second.headers.get('delivery-repeated')]).toEqual([null, 'true']);
    expect(depth).toMatchObject({ visible: 0 });
    expect(sandbox.stats({ logLimit: 0 }).apiRequests - before).toBe(1);
    expect(sandbox.customers()).toHaveLength(1);
  });
});

describe('local mode: a form with Turnstile', () => {
  let mode: LocalMode | undefined;
  afterEach(async () => {
    await mode?.stop();
    mode = undefined;
  });

  it('sends a post the verifier fails to the error page with nothing queued, and a passed one to the thank-you page and BigCommerce', async () => {
    // Arrange
    mode = await startLocalMode({
      sources: (origin, { captchaVerifyUrl }) => [
        {
          id: 'newsletter',
          kind: 'html-form',
          allowedOrigins: [origin],
          thankYouUrl: `${origin}/thanks`,
          errorUrl: `${origin}/oops`,
          captcha: { provider: 'turnstile', verifyUrl: captchaVerifyUrl },
          customerDefaults: { sendWelcomeEmail: true },
        },
      ],
      sourceSecrets: { newsletter: { captchaSecret: '1x0000000000000000000000000000000AA' } },
      timings: { batchingWindowMs: 200 },
      log: { write: captureWrite },
    });
    const { apiUrl, sandbox } = mode;
    const post = (email: string, token: string) =>
      fetch(`${apiUrl}/sources/newsletter`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: apiUrl },
        body: new URLSearchParams({ email, first_name: 'Form', last_name: 'Person', 'cf-turnstile-response': token }).toString(),
      });

    // Act
    mode.captcha.setAnswer('fail');
    const failed = await post('bot@example.com', 'token-from-a-bot');
    const depthAfterFail = await queueDepth(mode.sqsClient, mode.signupQueueUrl, { inFlightCountedAsVisible: true });
    mode.captcha.setAnswer('pass');
    const passed = await post('person@example.com', 'token-from-a-person');
    await waitFor(() => sandbox!.customers().length === 1, { what: 'the customer' });

    // Assert
    expect([failed.status, failed.headers.get('location')]).toEqual([303, `${apiUrl}/oops`]);
    expect(depthAfterFail).toMatchObject({ visible: 0 });
    expect([passed.status, passed.headers.get('location')]).toEqual([303, `${apiUrl}/thanks`]);
    expect(sandbox!.customers().map((customer) => customer.email)).toEqual(['person@example.com']);
    expect(mode.captcha.checks()).toEqual([
      { secret: '1x0000000000000000000000000000000AA', token: 'token-from-a-bot' },
      { secret: '1x0000000000000000000000000000000AA', token: 'token-from-a-person' },
    ]);
  });
});
