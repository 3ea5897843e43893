import { deriveDeadLetterKey } from '../../../shared/ingest/dead-letter-keys';
import { messageSource } from '../../../shared/ingest/ingest-source';
import { parseIngestSources } from '../../../shared/ingest/ingest-sources';
import { rerunUnmappable, type UnmappableLetter, unmappableLetterSchema } from '../../../shared/ingest/unmappable';
import { applyNamelessPolicy, DEFAULT_NAMELESS_POLICY, namelessPolicyFor } from '../../../shared/signup/nameless-policy';
import { type SignupMessage, signupSchema } from '../../../shared/signup/signup-schema';
import type { SourceConfig } from '../../../shared/sources/source-config';
import { anHttpEvent, anIngestHandler, FORM_ORIGIN, fakeQueue, NOW, SECRETS, SOURCES, senderHeaders, standardWebhookHeaders } from '../../helpers/ingest';

/**
 * What a signup becomes at ingest (the nameless policy, each row of its table) and what happens to a
 * webhook delivery with signups that cannot be mapped: 2xx, the good ones queued, each bad one an
 * `unmappable` dead letter that a redrive re-runs through the current configuration.
 */

const parse = (input: Record<string, unknown>) => signupSchema.parse(input);

/** The key the ingest signs letters with when the sources secret has no `deadLetters` entry: derived from `api`. */
const KEYS = [deriveDeadLetterKey(SECRETS.api)];

describe('the nameless policy (shared/signup/nameless-policy.ts)', () => {
  const placeholder = { nameless: 'placeholder' as const, placeholderNames: { first_name: 'Newsletter', last_name: 'Reader' } };
  const reject = { ...DEFAULT_NAMELESS_POLICY, nameless: 'reject' as const };

  it.each([
    [
      'names present, any policy -> unchanged',
      { email: 'a@example.com', first_name: 'Ada', last_name: 'L' },
      DEFAULT_NAMELESS_POLICY,
      { ok: true, names: ['Ada', 'L'] },
    ],
    [
      'no names + consent, subscriber -> kept nameless (a subscriber only)',
      { email: 'a@example.com', consent: { marketing: true } },
      DEFAULT_NAMELESS_POLICY,
      { ok: true, names: [undefined, undefined] },
    ],
    [
      'no names + consent, placeholder -> placeholder names (a customer and a subscriber)',
      { email: 'a@example.com', consent: { marketing: true } },
      placeholder,
      { ok: true, names: ['Newsletter', 'Reader'] },
    ],
    [
      'first name only + consent, placeholder -> only the missing one filled',
      { email: 'a@example.com', first_name: 'Ada', consent: { marketing: true } },
      placeholder,
      { ok: true, names: ['Ada', 'Reader'] },
    ],
    [
      'no names + consent, reject -> refused',
      { email: 'a@example.com', consent: { marketing: true } },
      reject,
      { ok: false, message: /nameless policy "reject"/ },
    ],
    [
      'no names, no consent, subscriber -> refused, saying consent is missing',
      { email: 'a@example.com' },
      DEFAULT_NAMELESS_POLICY,
      { ok: false, message: /unless marketing consent is given/ },
    ],
    [
      'no names, consent false, subscriber -> refused',
      { email: 'a@example.com', consent: { marketing: false } },
      DEFAULT_NAMELESS_POLICY,
      { ok: false, message: /unless marketing consent/ },
    ],
    [
      'no names, no consent, placeholder -> placeholder names (a customer)',
      { email: 'a@example.com' },
      placeholder,
      { ok: true, names: ['Newsletter', 'Reader'] },
    ],
    ['an opt-out -> unchanged whatever the policy', { email: 'a@example.com', opt_out: true }, reject, { ok: true, names: [undefined, undefined] }],
  ] as const)('%s', (_row, input, policy, expected) => {
    const decision = applyNamelessPolicy(parse(input), policy);
    if (expected.ok) {
      expect(decision.ok).toBe(true);
      if (decision.ok) expect([decision.signup.first_name, decision.signup.last_name]).toEqual(expected.names);
    } else {
      expect(decision.ok).toBe(false);
      if (!decision.ok) expect(decision.problems.every((problem) => expected.message.test(problem.message))).toBe(true);
    }
  });

  it('a source overrides the global policy field by field', () => {
    expect(namelessPolicyFor(DEFAULT_NAMELESS_POLICY, { nameless: 'reject' })).toEqual({ ...DEFAULT_NAMELESS_POLICY, nameless: 'reject' });
    expect(namelessPolicyFor(DEFAULT_NAMELESS_POLICY, undefined)).toEqual(DEFAULT_NAMELESS_POLICY);
  });
});

describe('POST /signups with nameless signups and opt-outs', () => {
  const post = async (body: unknown) => {
    const { queue, messages } = fakeQueue();
    const text = JSON.stringify(body);
    const response = await anIngestHandler({ queue })(
      anHttpEvent('/signups', { body: text, headers: { 'content-type': 'application/json', ...standardWebhookHeaders(text) } }),
    );
    return { response, messages: messages as SignupMessage[] };
  };

  it('queues an email-only signup with consent as a nameless message, and an opt-out as one', async () => {
    const { response, messages } = await post([
      { email: 'news@example.com', consent: { marketing: true } },
      { email: 'gone@example.com', opt_out: true },
    ]);
    expect(response.statusCode).toBe(202);
    expect(messages.map((message) => message.signup)).toEqual([
      expect.not.objectContaining({ first_name: expect.anything() }),
      { email: 'gone@example.com', opt_out: true, event_id: 'msg_2kX9:1' },
    ]);
    expect(messages[0]).toMatchObject({ schema_version: 3, signup: { email: 'news@example.com', consent: { marketing: true } } });
  });

  it('keeps answering 422 to its caller for an email-only signup without consent, naming both name fields', async () => {
    const { response, messages } = await post({ email: 'bare@example.com' });
    expect(response.statusCode).toBe(422);
    const problem = JSON.parse(response.body) as { errors: { path: string; message: string }[] };
    expect(problem.errors.map((error) => error.path)).toEqual(['/first_name', '/last_name']);
    expect(problem.errors[0]!.message).toMatch(/unless marketing consent is given/);
    expect(response.body).not.toContain('bare@example.com');
    expect(messages).toEqual([]);
  });

  it('refuses an opt-out that carries anything but email, event_id and occurred_at', async () => {
    const { response } = await post({ email: 'gone@example.com', opt_out: true, first_name: 'Ada' });
    expect(response.statusCode).toBe(422);
    expect(JSON.parse(response.body).errors).toEqual([{ path: '/first_name', message: 'An opt-out carries only email, event_id and occurred_at' }]);
  });
});

describe('unmappable webhook signups', () => {
  const kitEvent = (id: string, subscriber: Record<string, unknown>) => ({
    id,
    type: 'subscriber.activated',
    created: '2026-07-29T14:32:10Z',
    data: { subscriber: { id: 1, state: 'active', fields: {}, ...subscriber } },
  });
  const kitBody = JSON.stringify({
    delivery_id: 1,
    events: [
      kitEvent('e1', { first_name: 'Ada', email_address: 'ada@example.com' }),
      // This subscriber's address is in a custom field the source does not map yet.
      kitEvent('e2', { first_name: 'Bob', email_address: null, fields: { work_email: 'bob@example.com' } }),
      kitEvent('e3', { first_name: 'Cy', email_address: 'cy@example.com' }),
    ],
  });
  const kitSource = (fieldMap?: Record<string, string>): SourceConfig[] =>
    parseIngestSources([{ id: 'kit-news', kind: 'kit', ...(fieldMap ? { fieldMap } : {}) }]);

  function recordingDeadLetters() {
    const letters: UnmappableLetter[] = [];
    const state = { fail: false };
    return {
      letters,
      state,
      port: {
        send: async (batch: readonly UnmappableLetter[]) => {
          if (state.fail) throw new Error('SQS is down');
          letters.push(...batch.map((letter) => unmappableLetterSchema.parse(JSON.parse(JSON.stringify(letter)))));
        },
      },
    };
  }

  const kitEventFor = (body: string) =>
    anHttpEvent('/sources/kit-news', { body, headers: { 'content-type': 'application/json', ...senderHeaders('kit', body) } });

  it('answers 202, queues the good signups and dead-letters the bad one with its field paths, source and raw delivery', async () => {
    // Arrange
    const { queue, messages } = fakeQueue();
    const dead = recordingDeadLetters();
    const sources = kitSource();

    // Act
    const response = await anIngestHandler({
      queue,
      sources,
      secretJson: JSON.stringify({ api: SECRETS.api, 'kit-news': SECRETS.signing }),
      unmappable: dead.port,
    })(kitEventFor(kitBody));

    // Assert
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body).accepted).toBe(2);
    expect((messages as SignupMessage[]).map((message) => message.signup.email)).toEqual(['ada@example.com', 'cy@example.com']);
    expect(dead.letters).toHaveLength(1);
    const [letter] = dead.letters;
    expect(letter).toMatchObject({ kind: 'unmappable-delivery', source: { id: 'kit-news', kind: 'kit' }, signup_index: 1, signup_count: 3 });
    expect(letter!.problems.map((problem) => problem.path)).toEqual(['/1/email']);
    expect(Buffer.from(letter!.request!.body_base64, 'base64').toString()).toBe(kitBody);
    expect(letter!.request!.headers['x-kit-signature']).toBeDefined();

    // A config change (the fieldMap) and a re-run recover it; the re-run needs no secret (the ingest
    // authenticated the delivery when it came in).
    const rerun = rerunUnmappable(JSON.stringify(letter), {
      sources: kitSource({ 'fields.work_email': 'email' }),
      namelessPolicy: () => DEFAULT_NAMELESS_POLICY,
      deadLetterKeys: KEYS,
      now: new Date(NOW.getTime() + 86_400_000),
      messageSource,
    });
    expect(rerun).toMatchObject({
      ok: true,
      messages: [{ source: { id: 'kit-news' }, idempotency_key: 'kit-news:e2', signup: { email: 'bob@example.com', consent: { marketing: true } } }],
    });
    // Without the fix it stays unmappable.
    expect(
      rerunUnmappable(JSON.stringify(letter), {
        sources,
        namelessPolicy: () => DEFAULT_NAMELESS_POLICY,
        deadLetterKeys: KEYS,
        now: NOW,
        messageSource,
      }),
    ).toMatchObject({
      ok: false,
      reason: 'still unmappable',
    });
  });

  it('answers 503 and queues nothing when the dead-letter queue does not take them (the sender retries)', async () => {
    const { queue, messages } = fakeQueue();
    const dead = recordingDeadLetters();
    dead.state.fail = true;
    const response = await anIngestHandler({
      queue,
      sources: kitSource(),
      secretJson: JSON.stringify({ api: SECRETS.api, 'kit-news': SECRETS.signing }),
      unmappable: dead.port,
    })(kitEventFor(kitBody));
    expect(response.statusCode).toBe(503);
    expect(messages).toEqual([]);
  });

  it('stores a URL-token delivery without its token, and the re-run puts the current one back', async () => {
    // Arrange: a Mailchimp subscribe whose email is not an email.
    const { queue } = fakeQueue();
    const dead = recordingDeadLetters();
    const body =
      'type=subscribe&fired_at=2026-07-29+14%3A00%3A00&data%5Bid%5D=8a25ff1d98&data%5Bemail%5D=not-an-email&data%5Bmerges%5D%5BEMAIL%5D=ada%40example.com';
    const event = anHttpEvent('/sources/mailchimp-src', {
      body,
      query: { token: SECRETS.token },
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

    // Act
    const response = await anIngestHandler({ queue, unmappable: dead.port })(event);

    // Assert
    expect(response.statusCode).toBe(202);
    expect(JSON.stringify(dead.letters)).not.toContain(SECRETS.token);
    expect(dead.letters[0]!.request).toMatchObject({ removed: { headers: [], query: ['token'] }, query: {} });
    expect(dead.letters[0]!.request!.public_url).not.toContain('token');
    const fixed = parseIngestSources([{ id: 'mailchimp-src', kind: 'mailchimp', fieldMap: { EMAIL: 'email' } }]);
    const rerun = rerunUnmappable(JSON.stringify(dead.letters[0]), {
      sources: fixed,
      namelessPolicy: () => DEFAULT_NAMELESS_POLICY,
      deadLetterKeys: KEYS,
      now: NOW,
      messageSource,
    });
    expect(rerun).toMatchObject({ ok: true, messages: [{ signup: { email: 'ada@example.com' } }] });
  });

  it('keeps the 422 (as its error page) for an html form even with a dead-letter queue', async () => {
    const { queue, messages } = fakeQueue();
    const dead = recordingDeadLetters();
    const body = 'email=not-an-email&full_name=Grace+Hopper&website=';
    const response = await anIngestHandler({ queue, unmappable: dead.port })(
      anHttpEvent('/sources/html-form-src', {
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: FORM_ORIGIN, ...senderHeaders('html-form', body) },
      }),
    );
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toMatch(/oops/);
    expect(messages).toEqual([]);
    expect(dead.letters).toEqual([]);
    expect(SOURCES.some((source) => source.id === 'html-form-src')).toBe(true);
  });
});
