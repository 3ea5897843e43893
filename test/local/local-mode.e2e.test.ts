import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { type LocalMode, startLocalMode } from '../../local/local-mode';
import { startEmbeddedSqs } from '../../local/sqs/embedded-sqs';
import { listDeadLetters } from '../../ops/dead-letters';
import { runCli } from '../../ops/main';
import { queueDepth } from '../../ops/queue-ops';
import { captureWrite } from '../helpers/log-capture';
import { inParallel, postSignups, recordingIo, waitFor } from './support';

jest.setTimeout(90_000);

/**
 * Local mode end to end, everything real on loopback: HTTP -> API Gateway event -> ingest handler ->
 * embedded SQS -> event source mapping -> sync handler -> BigCommerce sandbox, and the DLQ tools.
 */

type Case = { kind: 'new' | 'duplicate' | 'invalid' | 'rejected'; body: Record<string, unknown> };

/**
 * 250 signups: most are new; every 25th re-sends the previous one's email (a double submit), every
 * 20th is invalid (refused at ingest), and three are emails the sandbox refuses for good.
 */
function signups(): Case[] {
  const cases: Case[] = [];
  for (let i = 0; i < 250; i += 1) {
    if (i % 20 === 7)
      cases.push({
        kind: 'invalid',
        body: i % 40 === 7 ? { email: `person${i}@example.com`, first_name: 'No last name' } : { email: 'not-an-email', first_name: 'A', last_name: 'B' },
      });
    else if ([60, 130, 200].includes(i))
      cases.push({ kind: 'rejected', body: { email: `refused-${i}@example.com`, first_name: 'Refused', last_name: `Number ${i}` } });
    else if (i % 25 === 4) cases.push({ kind: 'duplicate', body: { email: `person${i - 1}@example.com`, first_name: 'Double', last_name: 'Submit' } });
    else cases.push({ kind: 'new', body: { email: `person${i}@example.com`, first_name: 'Person', last_name: `Number ${i}`, company: 'Example Ltd' } });
  }
  return cases;
}

describe('local mode', () => {
  let mode: LocalMode;
  const logs: string[] = [];

  beforeAll(async () => {
    mode = await startLocalMode({
      sandbox: { rejectEmails: /^refused-/, seed: 7 },
      timings: { batchingWindowMs: 400, visibilityTimeoutSeconds: 20, syncTimeoutMs: 15_000 },
      // Also into the run's log capture, which the log-scan suite checks for emails, names and tokens.
      log: {
        write: (line) => {
          logs.push(line);
          captureWrite(line);
        },
      },
    });
  });

  afterAll(async () => {
    await mode?.stop();
  });

  it('syncs 250 signups: customers for the valid ones, 422 for the invalid, the DLQ for permanent failures, then a redrive', async () => {
    // Arrange
    const cases = signups();
    const expectNew = cases.filter((c) => c.kind === 'new').map((c) => c.body['email'] as string);
    const expectRejected = cases.filter((c) => c.kind === 'rejected').map((c) => c.body['email'] as string);

    // Act: the senders post one signup per request, eight at a time.
    const answers = await inParallel(cases, 8, (c) => postSignups(mode.apiUrl, mode.apiSecret, c.body));

    // Assert: ingest answers
    cases.forEach((c, index) => {
      expect({ kind: c.kind, status: answers[index]!.status }).toEqual({ kind: c.kind, status: c.kind === 'invalid' ? 422 : 202 });
    });
    const sandbox = mode.sandbox!;
    await waitFor(
      async () => {
        const [queue, dlq] = await Promise.all([
          queueDepth(mode.sqsClient, mode.signupQueueUrl, { inFlightCountedAsVisible: true }),
          queueDepth(mode.sqsClient, mode.deadLetterQueueUrl, { inFlightCountedAsVisible: true }),
        ]);
        return queue.visible + queue.inFlight === 0 && dlq.visible === expectRejected.length && sandbox.customers().length === expectNew.length;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'every signup to settle' },
    );

    // Every valid new signup is exactly one customer; nothing refused became one.
    const emails = sandbox.customers().map((customer) => customer.email);
    expect(new Set(emails).size).toBe(emails.length);
    expect([...emails].sort()).toEqual([...expectNew].sort());
    // Every permanent failure is in the DLQ with BigCommerce's reason.
    const deadLetters = await listDeadLetters(mode.sqsClient, mode.deadLetterQueueUrl, { showPii: true });
    expect(deadLetters.map((letter) => letter.email).sort()).toEqual([...expectRejected].sort());
    for (const letter of deadLetters) {
      expect(letter).toMatchObject({ reason: 'bigcommerce-rejected', httpStatus: 422, sourceId: 'api' });
      expect(letter.detail).toMatch(/email/);
    }
    const status = await mode.status();
    expect(status.outcomes.rejected).toBe(expectRejected.length);
    expect(status.customers.created).toBe(expectNew.length);
    expect(status.outcomes.created + status.outcomes.existed).toBe(cases.filter((c) => c.kind === 'new' || c.kind === 'duplicate').length);
    // BigCommerce's load. Creating customers ten per request costs 0.1 requests per customer; the
    // sync's 422 rule adds, per refused signup, the refused batch, a lookup and an isolated re-send,
    // and per duplicate that meets its original's customer in a later batch a refused batch and a lookup.
    const stats = sandbox.stats({ logLimit: 0 });
    const creates = stats.requests['POST 200'] ?? 0;
    const duplicates = cases.filter((c) => c.kind === 'duplicate').length;
    process.stdout.write(
      `BigCommerce: ${stats.apiRequests} requests for ${expectNew.length} customers (${(stats.apiRequests / expectNew.length).toFixed(3)} per customer; ` +
        `${(creates / expectNew.length).toFixed(3)} creating requests per customer) ${JSON.stringify(stats.requests)}\n`,
    );
    expect(creates / expectNew.length).toBeLessThanOrEqual(0.12);
    expect(stats.apiRequests - creates).toBeLessThanOrEqual(3 * expectRejected.length + 2 * duplicates);
    expect(stats.rateLimited).toBe(0);

    // Act: fix the cause, then redrive with the CLI, as an operator would.
    sandbox.setOptions({ rejectEmails: undefined });
    const io = recordingIo();
    const code = await runCli(['dlq', 'redrive', '--local', mode.apiUrl], io);

    // Assert
    expect({ code, output: io.text() }).toMatchObject({ code: 0, output: expect.stringContaining(`Moved ${expectRejected.length} dead letter(s)`) });
    await waitFor(
      async () => {
        const dlq = await queueDepth(mode.sqsClient, mode.deadLetterQueueUrl, { inFlightCountedAsVisible: true });
        const inStore = new Set(sandbox.customers().map((customer) => customer.email));
        return dlq.visible + dlq.inFlight === 0 && expectRejected.every((email) => inStore.has(email));
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'the redriven signups to become customers' },
    );
    expect(sandbox.customers()).toHaveLength(expectNew.length + expectRejected.length);
    // Logs carry ids and reasons, never an email.
    expect(logs.join('\n')).not.toMatch(/@example\.com/);
  });

  it('costs at most 0.12 BigCommerce requests per customer on clean traffic', async () => {
    // Arrange
    const sandbox = mode.sandbox!;
    const before = { requests: sandbox.stats({ logLimit: 0 }).apiRequests, customers: sandbox.customers().length };
    const bodies = Array.from({ length: 200 }, (_, i) => ({ email: `clean${i}@example.com`, first_name: 'Clean', last_name: `Traffic ${i}` }));

    // Act
    const answers = await inParallel(bodies, 8, (body) => postSignups(mode.apiUrl, mode.apiSecret, body));
    await waitFor(() => sandbox.customers().length === before.customers + bodies.length, { timeoutMs: 30_000, intervalMs: 100, what: '200 customers' });

    // Assert
    expect(answers.every((answer) => answer.status === 202)).toBe(true);
    const requests = sandbox.stats({ logLimit: 0 }).apiRequests - before.requests;
    process.stdout.write(`clean traffic: ${requests} BigCommerce requests for ${bodies.length} customers = ${(requests / bodies.length).toFixed(3)}\n`);
    expect(requests / bodies.length).toBeLessThanOrEqual(0.12);
  });

  it("counts only the sync's requests as BigCommerce requests per customer, not doctor's probes or a manual GET", async () => {
    // Arrange
    const sandbox = mode.sandbox!;
    const before = await mode.status();
    const apiBefore = sandbox.stats({ logLimit: 0 }).apiRequests;

    // Act: doctor's probes against the store, and a person reading customers with curl (the sandbox's token).
    await runCli(['doctor', '--local', mode.apiUrl, '--json'], recordingIo());
    const manual = await fetch(`${sandbox.url}/stores/${sandbox.storeHash}/v3/customers?limit=1`, {
      headers: { 'x-auth-token': sandbox.token, 'user-agent': 'curl/8.5.0' },
    });
    const after = await mode.status();

    // Assert: the sandbox saw them, the status page's count did not move.
    expect(manual.status).toBe(200);
    const clients = sandbox.stats({ logLimit: 0 }).clients;
    expect(sandbox.stats({ logLimit: 0 }).apiRequests - apiBefore).toBeGreaterThanOrEqual(5);
    expect(clients['signup-sync-doctor']?.requests).toBeGreaterThanOrEqual(4);
    expect(clients['curl']?.requests).toBe(1);
    expect(after.bigCommerce.requests).toBe(before.bigCommerce.requests);
    expect(after.bigCommerce.requests).toBe(clients['signup-sync']?.requests);
  });
});

describe('local mode with another SQS endpoint (AWS_ENDPOINT_URL_SQS)', () => {
  it('creates the queues there with the redrive policy and syncs through it', async () => {
    // Arrange: a separate SQS server stands in for moto, ElasticMQ, LocalStack or AWS.
    const external = await startEmbeddedSqs();
    const mode = await startLocalMode({
      env: { AWS_ENDPOINT_URL_SQS: external.endpoint },
      queuePrefix: 'elsewhere',
      timings: { batchingWindowMs: 200, visibilityTimeoutSeconds: 20, longPollSeconds: 1 },
      log: { write: () => undefined },
    });
    try {
      // Act
      const answer = await postSignups(
        mode.apiUrl,
        mode.apiSecret,
        [1, 2, 3].map((i) => ({ email: `elsewhere${i}@example.com`, first_name: 'Else', last_name: 'Where' })),
      );
      await waitFor(() => mode.sandbox!.customers().length === 3, { what: 'three customers' });

      // Assert
      expect(answer.status).toBe(202);
      expect(mode.sqs).toEqual({ kind: 'endpoint', endpoint: external.endpoint });
      expect(mode.signupQueueUrl.startsWith(external.endpoint)).toBe(true);
      const { Attributes } = await mode.sqsClient.send(
        new GetQueueAttributesCommand({ QueueUrl: mode.signupQueueUrl, AttributeNames: ['RedrivePolicy', 'VisibilityTimeout'] }),
      );
      expect(JSON.parse(Attributes!.RedrivePolicy!)).toMatchObject({
        maxReceiveCount: mode.timings.maxReceiveCount,
        deadLetterTargetArn: expect.stringContaining('elsewhere-dlq'),
      });
      expect(Attributes!.VisibilityTimeout).toBe('20');
    } finally {
      await mode.stop();
      await external.close();
    }
  });
});

describe('local mode serving configured sources (/sources/{sourceId})', () => {
  it('answers an html form post with the 303 and a Mailchimp webhook with 202, then syncs both', async () => {
    // Arrange: sources as cdk.json would list them, their secrets as the sources secret would hold them
    const mailchimpToken = 'mailchimp-url-token-0123456789';
    const mode = await startLocalMode({
      sources: [
        {
          id: 'newsletter',
          kind: 'html-form',
          allowedOrigins: ['http://localhost:8080'],
          thankYouUrl: 'http://localhost:8080/thanks',
          errorUrl: 'http://localhost:8080/oops',
          lastNamePolicy: 'split-full-name',
          captcha: false,
          captchaReason: 'a test form: serving configured sources is under test',
        },
        { id: 'mailchimp-main', kind: 'mailchimp', routeToken: 'mailchimproutetoken01' },
      ],
      env: { LOCAL_SOURCES_SECRET: JSON.stringify({ 'mailchimp-main': mailchimpToken }) },
      timings: { batchingWindowMs: 200, visibilityTimeoutSeconds: 20 },
      log: { write: (line) => captureWrite(line) },
    });
    try {
      // Act
      const form = await fetch(`${mode.apiUrl}/sources/newsletter`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost:8080' },
        body: 'email=form%40example.com&name=Form+Filler',
      });
      const handshake = await fetch(`${mode.apiUrl}/sources/mailchimp-main-mailchimproutetoken01?token=${mailchimpToken}`);
      const webhook = await fetch(`${mode.apiUrl}/sources/mailchimp-main-mailchimproutetoken01?token=${mailchimpToken}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'type=subscribe&fired_at=2009-03-26+21%3A35%3A57&data%5Bid%5D=8a25ff1d98&data%5Blist_id%5D=a6b5da1054&data%5Bemail%5D=chimp%40example.com&data%5Bmerges%5D%5BFNAME%5D=Mail&data%5Bmerges%5D%5BLNAME%5D=Chimp',
      });
      const wrongToken = await fetch(`${mode.apiUrl}/sources/mailchimp-main-mailchimproutetoken01?token=wrong-token-0000000000`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'type=subscribe',
      });
      await waitFor(() => mode.sandbox!.customers().length === 2, { what: 'two customers' });

      // Assert
      expect({ status: form.status, location: form.headers.get('location') }).toEqual({ status: 303, location: 'http://localhost:8080/thanks' });
      expect(handshake.status).toBe(200);
      expect(webhook.status).toBe(202);
      expect(wrongToken.status).toBe(401);
      expect(
        mode
          .sandbox!.customers()
          .map((customer) => [customer.email, customer.first_name, customer.last_name])
          .sort(),
      ).toEqual([
        ['chimp@example.com', 'Mail', 'Chimp'],
        ['form@example.com', 'Form', 'Filler'],
      ]);
    } finally {
      await mode.stop();
    }
  });
});
