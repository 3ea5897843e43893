import type { Message } from '@aws-sdk/client-sqs';
import { FORM_ERROR_PATH } from '../../../local/demo/demo-sources';
import { createFormRoutes } from '../../../local/demo/form-page';
import { deletableIds } from '../../../local/event-source/event-source-mapping';
import { ReceiveCounter, toSqsRecord } from '../../../local/event-source/sqs-record';
import { createLambdaContext, FunctionTimeoutError, withTimeout } from '../../../local/lambda-context';
import {
  deadLetterQueueAttributes,
  localSourceSecrets,
  localTimings,
  readStackConfig,
  signupQueueAttributes,
  syncEnvironment,
} from '../../../local/local-settings';
import { createOutcomeRecorder } from '../../../local/status/outcome-recorder';
import type { StatusView } from '../../../local/status/status-page';
import { createStatusRoutes, trimTrailingSlashes } from '../../../local/status/status-routes';
import { describeDeadLetter, resolveRedriveMethod } from '../../../ops/dead-letters';
import { dedupeMessages, isAwsQueueUrl, receiveAttributeParameters, regionOfQueueUrl } from '../../../ops/queue-ops';
import { loadSyncConfig } from '../../../shared/config/sync-config';
import { DEAD_LETTER_RETENTION_SECONDS, SIGNUP_RETENTION_SECONDS, VISIBILITY_TIMEOUT_FACTOR } from '../../../shared/queue/queue-settings';

/** The pieces of local mode that need no server. */

describe('settings from cdk.json and the CDK constructs', () => {
  it("gives the queues the stack's attributes, the visibility timeout derived from the sync timeout", () => {
    // Arrange
    const config = readStackConfig();
    const timings = localTimings(config);

    // Act
    const attributes = signupQueueAttributes(timings, 'arn:aws:sqs:us-east-1:123456789012:dlq');

    // Assert
    expect(timings.visibilityTimeoutSeconds).toBe(config.syncTimeoutSeconds * VISIBILITY_TIMEOUT_FACTOR);
    expect(attributes).toEqual({
      MessageRetentionPeriod: String(SIGNUP_RETENTION_SECONDS),
      VisibilityTimeout: String(config.syncTimeoutSeconds * VISIBILITY_TIMEOUT_FACTOR),
      SqsManagedSseEnabled: 'true',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:dlq', maxReceiveCount: config.maxReceiveCount }),
    });
    expect(deadLetterQueueAttributes()).toEqual({ MessageRetentionPeriod: String(DEAD_LETTER_RETENTION_SECONDS), SqsManagedSseEnabled: 'true' });
    expect(timings).toMatchObject({
      maxConcurrency: config.maxConcurrency,
      batchingWindowMs: config.batchingWindowSeconds * 1000,
      syncTimeoutMs: config.syncTimeoutSeconds * 1000,
    });
  });

  it('reads the local sources secret (LOCAL_SOURCES_SECRET) as a JSON object of strings', () => {
    expect(localSourceSecrets(undefined)).toEqual({});
    expect(localSourceSecrets('{"mailchimp-main":"token-0123456789abcdef"}')).toEqual({ 'mailchimp-main': 'token-0123456789abcdef' });
    expect(() => localSourceSecrets('{"a":1}')).toThrow('LOCAL_SOURCES_SECRET must be a JSON object');
    expect(() => localSourceSecrets('not json')).toThrow('LOCAL_SOURCES_SECRET must be a JSON object');
  });

  it('refuses timings the event source mapping would not accept', () => {
    const config = readStackConfig();
    expect(() => localTimings(config, { maxConcurrency: 1 })).toThrow('maxConcurrency must be >= 2');
    expect(() => localTimings(config, { visibilityTimeoutSeconds: 1, batchingWindowMs: 1000 })).toThrow(
      'batchingWindowMs must be shorter than the visibility timeout',
    );
    expect(() => localTimings(config, { visibilityTimeoutSeconds: 1.5 })).toThrow('whole number');
  });

  it("builds the sync function's environment the way the stack does, and loadSyncConfig accepts it", () => {
    // Arrange
    const config = { ...readStackConfig(), customerChannelIds: [1, 2], customerGroupId: 0, sendWelcomeEmail: true };

    // Act
    const sync = loadSyncConfig(
      syncEnvironment(config, {
        signupQueueUrl: 'http://127.0.0.1:9324/1/q',
        deadLetterQueueUrl: 'http://127.0.0.1:9324/1/dlq',
        storeHash: 'sandbox',
        apiUrl: 'http://127.0.0.1:4010/',
      }),
    );

    // Assert
    expect(sync).toMatchObject({
      storeHash: 'sandbox',
      apiUrl: 'http://127.0.0.1:4010',
      conflictPolicy: config.conflictPolicy,
      customer: { channelIds: [1, 2], customerGroupId: 0, sendWelcomeEmail: true },
    });
  });
});

describe('event source mapping pieces', () => {
  it.each([
    [undefined, ['a', 'b']],
    [{ batchItemFailures: [] }, ['a', 'b']],
    [{ batchItemFailures: [{ itemIdentifier: 'b' }] }, ['a']],
    [{ batchItemFailures: [{ itemIdentifier: 'zzz' }] }, undefined],
    [{ batchItemFailures: [{ itemIdentifier: '' }] }, undefined],
    [{ batchItemFailures: [{}] }, undefined],
  ])('response %j -> delete %j', (response, deletable) => {
    const result = deletableIds(['a', 'b'], response as never);
    expect(result === undefined ? undefined : [...result]).toEqual(deletable);
  });

  it('counts receives by message id, preferring the count the endpoint reports', () => {
    const counter = new ReceiveCounter(2);
    expect(counter.received('a', undefined, 1).count).toBe(1);
    expect(counter.received('a', undefined, 2)).toEqual({ count: 2, firstReceivedAt: 1 });
    expect(counter.received('a', 7, 3).count).toBe(7);
    counter.received('b', undefined);
    counter.received('c', undefined);
    expect(counter.size).toBe(2); // the oldest (a) went first
    expect(counter.received('a', undefined).count).toBe(1);
    counter.forget('a');
    expect(counter.size).toBe(1);
  });

  it("shapes a received message like Lambda's SQS record, binary attributes in base64", () => {
    // Arrange
    const message: Message = {
      MessageId: 'm-1',
      ReceiptHandle: 'rh',
      Body: '{}',
      MD5OfBody: '99914b932bd37a50b983c5e7c90ae93b',
      MessageAttributes: { Blob: { DataType: 'Binary', BinaryValue: Buffer.from('hi') }, SourceId: { DataType: 'String', StringValue: 'api' } },
    };

    // Act
    const record = toSqsRecord(message, { queueArn: 'arn:q', region: 'us-east-1', receiveCount: 3, firstReceivedAt: 10, now: 20 });

    // Assert
    expect(record).toEqual({
      messageId: 'm-1',
      receiptHandle: 'rh',
      body: '{}',
      attributes: { ApproximateReceiveCount: '3', SentTimestamp: '20', SenderId: 'AIDAIENQZJOLO23YVJ4VO', ApproximateFirstReceiveTimestamp: '10' },
      messageAttributes: {
        Blob: { dataType: 'Binary', binaryValue: 'aGk=', stringListValues: [], binaryListValues: [] },
        SourceId: { dataType: 'String', stringValue: 'api', stringListValues: [], binaryListValues: [] },
      },
      md5OfBody: '99914b932bd37a50b983c5e7c90ae93b',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:q',
      awsRegion: 'us-east-1',
    });
  });

  it('keeps one copy of a message returned twice, with the newest receipt handle', () => {
    expect(
      dedupeMessages([
        { MessageId: 'a', ReceiptHandle: '1' },
        { MessageId: 'b', ReceiptHandle: '2' },
        { MessageId: 'a', ReceiptHandle: '3' },
      ]),
    ).toEqual([
      { MessageId: 'a', ReceiptHandle: '3' },
      { MessageId: 'b', ReceiptHandle: '2' },
    ]);
  });

  it('counts the Lambda context down from the function timeout, and times an invocation out', async () => {
    // Arrange
    let now = 1_000;
    const context = createLambdaContext({ functionName: 'f', timeoutMs: 30_000, region: 'eu-west-1', now: () => now });

    // Act
    now += 12_500;

    // Assert
    expect(context.getRemainingTimeInMillis()).toBe(17_500);
    expect(context.invokedFunctionArn).toBe('arn:aws:lambda:eu-west-1:123456789012:function:f');
    await expect(withTimeout(new Promise(() => undefined), 20)).rejects.toBeInstanceOf(FunctionTimeoutError);
    await expect(withTimeout(Promise.resolve('done'), 1_000)).resolves.toBe('done');
  });
});

describe('SQS endpoints', () => {
  it('tells AWS queue URLs from emulators and asks emulators for attributes the legacy way too', () => {
    expect(isAwsQueueUrl('https://sqs.eu-west-1.amazonaws.com/123/q')).toBe(true);
    expect(isAwsQueueUrl('http://127.0.0.1:9324/123/q')).toBe(false);
    expect(regionOfQueueUrl('https://sqs.eu-west-1.amazonaws.com/123/q')).toBe('eu-west-1');
    expect(receiveAttributeParameters('https://sqs.eu-west-1.amazonaws.com/123/q')).not.toHaveProperty('AttributeNames');
    expect(receiveAttributeParameters('http://127.0.0.1:9324/123/q')).toHaveProperty('AttributeNames', ['All']);
    expect(resolveRedriveMethod('auto', 'https://sqs.eu-west-1.amazonaws.com/123/dlq')).toBe('move-task');
    expect(resolveRedriveMethod('auto', 'http://127.0.0.1:9324/123/dlq')).toBe('copy');
  });
});

describe('status', () => {
  it('describes a dead letter by reason, status, age and source, without the email unless asked', () => {
    // Arrange
    const message: Message = {
      MessageId: 'd-1',
      Body: JSON.stringify({ signup: { email: 'ada@example.com' } }),
      MessageAttributes: {
        RejectionCode: { DataType: 'String', StringValue: 'bigcommerce-rejected' },
        RejectionDetail: { DataType: 'String', StringValue: 'Email ada@example.com is not valid' },
        RejectionHttpStatus: { DataType: 'Number', StringValue: '422' },
        RejectedAt: { DataType: 'String', StringValue: '2026-07-29T14:00:00.000Z' },
        SourceId: { DataType: 'String', StringValue: 'newsletter' },
      },
    };
    const now = Date.parse('2026-07-29T15:00:00.000Z');

    // Act / Assert
    expect(describeDeadLetter(message, { now })).toEqual({
      messageId: 'd-1',
      kind: 'signup',
      reason: 'bigcommerce-rejected',
      detail: 'Email <email> is not valid',
      httpStatus: 422,
      sourceId: 'newsletter',
      since: '2026-07-29T14:00:00.000Z',
      ageSeconds: 3600,
    });
    expect(describeDeadLetter(message, { now, showPii: true })).toMatchObject({ email: 'ada@example.com', detail: 'Email ada@example.com is not valid' });
    expect(describeDeadLetter({ MessageId: 'd-2', Body: '{}', Attributes: { SentTimestamp: String(now - 5_000) } }, { now })).toMatchObject({
      reason: 'max-receives',
      ageSeconds: 5,
    });
  });

  it('records outcomes by status, distinct customers, and recent entries without emails', () => {
    // Arrange
    const recorder = createOutcomeRecorder({ now: () => new Date('2026-07-29T14:00:00Z') });
    const attributes = { SourceId: { DataType: 'String', StringValue: 'api' } };

    // Act
    recorder.record(
      new Map([
        ['m1', { status: 'created', customerId: 7 }],
        ['m2', { status: 'created', customerId: 7 }],
        ['m3', { status: 'rejected', rejection: { code: 'bigcommerce-rejected', httpStatus: 422, detail: 'ada@example.com is refused' } }],
        ['m4', { status: 'deferred', reason: 'rate-limited', retryAfterMs: 1500 }],
      ] as const),
      ['m1', 'm2', 'm3', 'm4'].map((messageId) => ({
        messageId,
        receiptHandle: 'rh',
        body: JSON.stringify({ id: `signup-${messageId}`, signup: { email: 'ada@example.com' } }),
        attributes,
      })),
    );
    recorder.refused('api', 401);
    recorder.refused('demo-typeform', 401);
    recorder.refused('api', 401);
    recorder.refused('api', 422);
    recorder.ignored('survey', 'incomplete', 1);
    recorder.ignored('crm', 'not a signup', 2);
    recorder.ignored('survey', 'incomplete', 2);

    // Assert
    expect(recorder.counts()).toEqual({ created: 2, existed: 0, updated: 0, rejected: 1, deferred: 1 });
    expect(recorder.customersCreated()).toBe(1);
    expect(recorder.recent()[0]).toEqual({
      at: '2026-07-29T14:00:00.000Z',
      signupId: 'signup-m4',
      messageId: 'm4',
      status: 'deferred',
      sourceId: 'api',
      reason: 'rate-limited',
      detail: 'retry in 2 s',
    });
    expect(recorder.signupIdOf('m3')).toBe('signup-m3');
    expect(recorder.signupIdOf('unknown')).toBeUndefined();
    expect(recorder.refusals()).toEqual([
      { sourceId: 'api', status: 401, count: 2 },
      { sourceId: 'api', status: 422, count: 1 },
      { sourceId: 'demo-typeform', status: 401, count: 1 },
    ]);
    expect(recorder.ignoredCounts()).toEqual([
      { sourceId: 'crm', what: 'not a signup', count: 2 },
      { sourceId: 'survey', what: 'incomplete', count: 3 },
    ]);
    expect(JSON.stringify(recorder.recent())).not.toContain('@');
  });

  it('trims trailing slashes in linear time', () => {
    // Arrange: a path that makes /\/+$/ backtrack quadratically
    const hostile = `/api${'/'.repeat(100_000)}x`;

    // Act
    const started = Date.now();
    const trimmed = trimTrailingSlashes(hostile);

    // Assert
    expect(Date.now() - started).toBeLessThan(100);
    expect(trimmed).toBe(hostile);
    expect(trimTrailingSlashes('/api/status///')).toBe('/api/status');
    expect(trimTrailingSlashes('///')).toBe('');
    expect(trimTrailingSlashes('')).toBe('');
  });

  it('renders the status page with the numbers in it, escaping every value', async () => {
    // Arrange
    const view: StatusView = {
      at: '2026-07-29T14:00:00.000Z',
      mode: { sqs: 'embedded (local-aws-sqs)', bigCommerce: 'sandbox' },
      urls: { sandboxCustomers: 'http://127.0.0.1:4010/__sandbox/customers' },
      outcomes: { created: 3, existed: 1, updated: 1, rejected: 1, deferred: 0 },
      customers: { created: 3, inStore: 4 },
      queues: { signups: { visible: 0, inFlight: 2, delayed: 0 }, deadLetters: { visible: 1, inFlight: 0, delayed: 0 } },
      bigCommerce: { requests: 2, requestsPerCustomer: 0.5 },
      recent: [
        {
          at: '2026-07-29T14:00:00.000Z',
          signupId: 'id-<b>1</b>',
          messageId: 'm1',
          status: 'rejected',
          sourceId: 'api',
          reason: 'bigcommerce-rejected',
          httpStatus: 422,
        },
      ],
      refusals: [{ sourceId: 'demo-typeform', status: 401, count: 3 }],
      ignored: [
        { sourceId: 'survey', what: 'incomplete', count: 4 },
        { sourceId: 'crm', what: 'not a signup', count: 2 },
      ],
    };
    const deadLetters = jest.fn(async () => [
      { messageId: 'd1', kind: 'signup' as const, reason: 'bigcommerce-rejected', httpStatus: 422, signupId: 'id-<b>1</b>' },
    ]);
    const routes = createStatusRoutes({ status: async () => view, deadLetters, redrive: jest.fn(), config: () => ({}), origin: () => 'http://127.0.0.1:3000' });

    // Act
    const html = (await routes({ method: 'GET', path: '/_local/', headers: {}, body: Buffer.alloc(0) }))!.body.toString();

    // Assert
    const value = (id: string) => new RegExp(`data-testid="${id}">([^<]*)<`).exec(html)?.[1];
    expect([
      value('created'),
      value('existed'),
      value('in-store'),
      value('rejected'),
      value('queue'),
      value('dlq'),
      value('refused'),
      value('incomplete'),
      value('bc-requests'),
    ]).toEqual(['3', '2', '4', '1', '0 / 2', '1', '3', '4', '2 (0.500)']);
    expect(html).toContain('SQS: embedded (local-aws-sqs) · BigCommerce: sandbox');
    expect(html).not.toContain('connecting');
    // The outcome row and the dead-letter row show the same signup id, escaped.
    expect(html.split('id-&lt;b&gt;1&lt;/b&gt;')).toHaveLength(3);
    expect(html).not.toContain('<b>1</b>');
    expect(html).toContain('<td>demo-typeform</td><td>401</td><td>3</td>');
    expect(html).toContain('<td>survey</td><td>incomplete</td><td>4</td>');
  });

  const emptyView: StatusView = {
    at: '2026-07-29T14:00:00.000Z',
    mode: { sqs: 'embedded', bigCommerce: 'sandbox' },
    urls: {},
    outcomes: { created: 0, existed: 0, updated: 0, rejected: 0, deferred: 0 },
    customers: { created: 0 },
    bigCommerce: {},
    recent: [],
    refusals: [],
    ignored: [],
  };

  it('serves the page and refuses a redrive that is not a same-origin JSON POST', async () => {
    // Arrange
    const result = {
      method: 'copy' as const,
      moved: 2,
      status: 'COMPLETED',
      dryRun: false,
      checked: true,
      letters: [],
      counts: { redriven: 2, recovered: 0, stayed: 0, refused: 0, notNow: 0 },
    };
    const redrive = jest.fn(async () => result);
    const routes = createStatusRoutes({
      status: async () => emptyView,
      deadLetters: async () => [],
      redrive,
      config: () => ({}),
      origin: () => 'http://127.0.0.1:3000',
    });
    const post = (headers: Record<string, string>) => routes({ method: 'POST', path: '/_local/api/dead-letters/redrive', headers, body: Buffer.from('{}') });

    // Act / Assert
    expect((await routes({ method: 'GET', path: '/_local/', headers: {}, body: Buffer.alloc(0) }))?.headers['content-type']).toBe('text/html; charset=utf-8');
    expect((await routes({ method: 'GET', path: '/_local', headers: {}, body: Buffer.alloc(0) }))?.status).toBe(302);
    expect((await post({ 'content-type': 'application/x-www-form-urlencoded' }))?.status).toBe(403);
    expect((await post({ 'content-type': 'application/json', origin: 'https://evil.example' }))?.status).toBe(403);
    expect(redrive).not.toHaveBeenCalled();
    const ok = await post({ 'content-type': 'application/json', origin: 'http://127.0.0.1:3000' });
    expect(ok?.status).toBe(200);
    expect(JSON.parse(ok!.body.toString())).toEqual({
      ...result,
      summary: 'Moved 2 dead letter(s) back to the signups queue (receive -> send -> delete; completed): 2 redriven, 0 recovered (queued).',
    });
    expect(redrive).toHaveBeenCalledWith({ ids: [] });
    expect(await routes({ method: 'GET', path: '/_local/nope', headers: {}, body: Buffer.alloc(0) })).toBeUndefined();
  });
});

describe('demo form pages', () => {
  const errorPage = async (query: string) => {
    const answer = await createFormRoutes()({ method: 'GET', path: FORM_ERROR_PATH, query: new URLSearchParams(query), headers: {}, body: Buffer.alloc(0) });
    return answer!.body.toString();
  };

  it('names on the error page the fields the redirect lists, by their labels on the form, and only field names', async () => {
    // Act
    const named = await errorPage('fields=email,last_name,address.city');
    const plain = await errorPage('');
    const hostile = await errorPage('fields=email,<script>alert(1)</script>,Call+us+at+555');

    // Assert
    expect(named).toContain(
      '<ul class="fields" data-testid="form-error-fields"><li data-field="email">Email</li><li data-field="last_name">Last name</li><li data-field="address.city">address.city</li></ul>',
    );
    expect(plain).toContain('Check the fields and try again.');
    expect(plain).not.toContain('form-error-fields');
    expect(hostile).toContain('<li data-field="email">Email</li></ul>');
    expect(hostile).not.toMatch(/script|555/);
  });
});
