import { createHmac } from 'node:crypto';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
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

describe('local mode: a public form\'s per-client limit (docs/security.md, "Bots farming a public form")', () => {
  let mode: LocalMode | undefined;
  afterEach(async () => {
    await mode?.stop();
    mode = undefined;
  });

  it('counts posts per client in the embedded DynamoDB: past the limit the error page with Retry-After, nothing queued, no address stored', async () => {
    // Arrange: a form without CAPTCHA (with its reason) and a limit of 3 posts an hour
    mode = await startLocalMode({
      sources: (origin) => [
        {
          id: 'newsletter',
          kind: 'html-form',
          allowedOrigins: [origin],
          thankYouUrl: `${origin}/thanks`,
          errorUrl: `${origin}/oops`,
          captcha: false,
          captchaReason: 'a local test of the per-client limit',
          clientLimit: { max: 3, windowSeconds: 3600 },
        },
      ],
      timings: { batchingWindowMs: 200 },
      log: { write: captureWrite },
    });
    const { apiUrl, sandbox } = mode;
    const post = (n: number) =>
      fetch(`${apiUrl}/sources/newsletter`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: apiUrl },
        body: new URLSearchParams({ email: `bot${n}@example.com`, first_name: 'Bot', last_name: 'Farm', newsletter: 'on' }).toString(),
      });

    // Act
    const answers = [];
    for (let n = 0; n < 5; n += 1) answers.push(await post(n));
    await waitFor(() => sandbox!.customers().length === 3, { what: 'three customers' });
    const ledger = ((await (await fetch(`${apiUrl}/_local/api/doctor`)).json()) as { deliveryLedger: { endpoint: string; tableName: string; region: string } })
      .deliveryLedger;
    const dynamoDb = new DynamoDBClient({ endpoint: ledger.endpoint, region: ledger.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const { Items = [] } = await dynamoDb.send(new ScanCommand({ TableName: ledger.tableName }));
    dynamoDb.destroy();

    // Assert
    expect(answers.map((answer) => answer.headers.get('location'))).toEqual([...Array(3).fill(`${apiUrl}/thanks`), ...Array(2).fill(`${apiUrl}/oops`)]);
    expect(Number(answers[4]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(sandbox!.customers()).toHaveLength(3);
    const counters = Items.filter((item) => item['id']?.S?.startsWith('client-limit#'));
    expect(counters).toHaveLength(1);
    expect(counters[0]!['hits']?.N).toBe('3');
    expect(counters[0]!['id']!.S).toMatch(/^client-limit#newsletter#\d+#[0-9a-f]{32}$/);
    expect(JSON.stringify(Items)).not.toContain('127.0.0.1');
  });
});

describe("local mode: a webhook's route", () => {
  let mode: LocalMode | undefined;
  afterEach(async () => {
    await mode?.stop();
    mode = undefined;
  });

  it('is /sources/<id>-<routeToken>: a signed delivery to the bare id is 401, the same one to the full path 202, and the banner URL is the full one', async () => {
    // Arrange
    const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
    mode = await startLocalMode({
      sources: [{ id: 'partner', kind: 'standard-webhooks', routeToken: 'partnerroutetoken0001' }],
      sourceSecrets: { partner: secret },
      timings: { batchingWindowMs: 200 },
      log: { write: captureWrite },
    });
    const body = JSON.stringify({ email: 'partner.person@example.com', first_name: 'Part', last_name: 'Ner' });

    // Act
    const guessed = await fetch(`${mode.apiUrl}/sources/partner`, signedRequest(secret, 'msg_partner_1', body));
    const right = await fetch(`${mode.apiUrl}/sources/partner-partnerroutetoken0001`, signedRequest(secret, 'msg_partner_1', body));

    // Assert
    expect(guessed.status).toBe(401);
    expect(right.status).toBe(202);
    expect(mode.sourceUrls).toEqual([{ id: 'partner', kind: 'standard-webhooks', url: `${mode.apiUrl}/sources/partner-partnerroutetoken0001` }]);
    await waitFor(() => mode!.sandbox!.customers().length === 1, { what: 'the customer' });
  });
});
