import { deriveDeadLetterKey } from '../../../shared/ingest/dead-letter-keys';
import { messageSource } from '../../../shared/ingest/ingest-source';
import { parseIngestSources } from '../../../shared/ingest/ingest-sources';
import { rerunUnmappable, type UnmappableLetter, unmappableLetterSchema } from '../../../shared/ingest/unmappable';
import { createLogger } from '../../../shared/logger';
import { Metric } from '../../../shared/observability/metric-names';
import { DEFAULT_NAMELESS_POLICY } from '../../../shared/signup/nameless-policy';
import { type SignupMessage, signupMessageSchema } from '../../../shared/signup/signup-schema';
import type { SourceConfigInput } from '../../../shared/sources/source-config';
import { anHttpEvent, anIngestHandler, fakeQueue, NOW, SECRETS, senderHeaders } from '../../helpers/ingest';
import { captureWrite } from '../../helpers/log-capture';
import { metricsRecorder } from '../../helpers/metrics-recorder';

/**
 * Per-source intent and incomplete submissions through the real ingest handler (docs/sources.md):
 * `intent: "newsletter"` makes every submission of the source a marketing consent (unless it says no)
 * and stamps the source's consentVersion on the message; `incomplete: "ignore"` answers 2xx for a
 * survey response that carries too little to store, queues and dead-letters nothing, logs the field
 * paths and counts it (SignupsIncomplete), where the default dead-letters it.
 */

function recordingDeadLetters() {
  const letters: UnmappableLetter[] = [];
  return {
    letters,
    port: {
      send: async (batch: readonly UnmappableLetter[]) => {
        letters.push(...batch.map((letter) => unmappableLetterSchema.parse(JSON.parse(JSON.stringify(letter)))));
      },
    },
  };
}

function setup(inputs: SourceConfigInput[]) {
  const sources = parseIngestSources(inputs);
  const { queue, messages } = fakeQueue();
  const dead = recordingDeadLetters();
  const recorder = metricsRecorder();
  const lines: string[] = [];
  const logger = createLogger('test', {
    level: 'debug',
    write: (line) => {
      lines.push(line);
      captureWrite(line);
    },
  });
  const secretJson = JSON.stringify({ api: SECRETS.api, ...Object.fromEntries(sources.map((source) => [source.id, SECRETS.signing])) });
  const handler = anIngestHandler({ queue, sources, secretJson, unmappable: dead.port, metrics: recorder.sink, logger });
  return { handler, messages: messages as SignupMessage[], dead, recorder, lines };
}

/** Webflow's documented form_submission envelope around the fields of an email-only newsletter box. */
const webflowEmailForm = (data: Record<string, unknown>) =>
  JSON.stringify({
    triggerType: 'form_submission',
    payload: { name: 'Email Form', siteId: '65427cf400e02b306eaa049c', data, submittedAt: '2026-07-29T14:30:00.000Z', id: 'sub-1', formId: 'form-1' },
  });

/** A Typeform survey response: an email and a first name, no opt-in (Typeform's example payload has that shape). */
const typeformSurvey = (email: string | undefined) =>
  JSON.stringify({
    event_id: 'LtWXD3crgy',
    event_type: 'form_response',
    form_response: {
      form_id: 'lT4Z3j',
      submitted_at: '2026-07-29T14:30:00Z',
      answers: [
        ...(email ? [{ type: 'email', email, field: { id: 'SMEUb7VJz92Q', type: 'email' } }] : []),
        { type: 'text', text: 'Laura', field: { id: 'JwWggjAKtOkA', type: 'short_text' } },
        { type: 'number', number: 5, field: { id: 'Q7M2XAwY04dW', type: 'number' } },
      ],
    },
  });

const post = (id: string, kind: 'webflow' | 'typeform', body: string) =>
  anHttpEvent(`/sources/${id}`, { body, headers: { 'content-type': 'application/json', ...senderHeaders(kind, body) } });

describe('intent: "newsletter"', () => {
  const sources: SourceConfigInput[] = [{ id: 'footer', kind: 'webflow', intent: 'newsletter', consentVersion: '2026-11 footer box' }];

  it('queues an email-only submission with marketing consent and the consent version in the message source', async () => {
    // Arrange
    const { handler, messages, dead } = setup(sources);
    // Act
    const response = await handler(post('footer', 'webflow', webflowEmailForm({ 'Email 2': 'reader@example.com' })));
    // Assert
    expect(response.statusCode).toBe(202);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.signup).toMatchObject({ email: 'reader@example.com', consent: { marketing: true } });
    expect(messages[0]!.signup.first_name).toBeUndefined();
    expect(messages[0]!.source).toEqual({ id: 'footer', kind: 'webflow', consent_version: '2026-11 footer box' });
    // The sync decodes it with the queue's message schema (the queue is a trust boundary too).
    expect(signupMessageSchema.safeParse(messages[0]).success).toBe(true);
    expect(dead.letters).toEqual([]);
  });

  it('never overrules a submission that says no: an explicit refusal stays a refusal', async () => {
    // Arrange: the form also has a mapped checkbox, left unticked
    const { handler, messages, dead } = setup([{ ...sources[0]!, fieldMap: { Newsletter: 'consent.marketing' } } as SourceConfigInput]);
    // Act
    const response = await handler(
      post('footer', 'webflow', webflowEmailForm({ Email: 'reader@example.com', 'First Name': 'Ada', 'Last Name': 'Byron', Newsletter: 'false' })),
    );
    // Assert
    expect(response.statusCode).toBe(202);
    expect(messages[0]!.signup.consent).toEqual({ marketing: false });
    expect(dead.letters).toEqual([]);
  });

  it('without the intent, the same email-only submission is an unmappable dead letter, as before', async () => {
    // Arrange
    const { handler, messages, dead } = setup([{ id: 'footer', kind: 'webflow' }]);
    // Act
    const response = await handler(post('footer', 'webflow', webflowEmailForm({ 'Email 2': 'reader@example.com' })));
    // Assert
    expect(response.statusCode).toBe(202);
    expect(messages).toEqual([]);
    expect(dead.letters.map((letter) => letter.problems.map((problem) => problem.path))).toEqual([['/first_name', '/last_name']]);
  });

  it('is applied again when an unmappable letter of the source is redriven after the intent was set', async () => {
    // Arrange: the letter written before the operator set the intent
    const { handler, dead } = setup([{ id: 'footer', kind: 'webflow' }]);
    await handler(post('footer', 'webflow', webflowEmailForm({ 'Email 2': 'reader@example.com' })));
    // Act
    const rerun = rerunUnmappable(JSON.stringify(dead.letters[0]), {
      sources: parseIngestSources(sources),
      namelessPolicy: () => DEFAULT_NAMELESS_POLICY,
      // The key the ingest signed with: derived from the `api` entry (the secret has no `deadLetters` entry).
      deadLetterKeys: [deriveDeadLetterKey(SECRETS.api)],
      now: NOW,
      messageSource,
    });
    // Assert
    expect(rerun).toMatchObject({
      ok: true,
      messages: [{ source: { consent_version: '2026-11 footer box' }, signup: { email: 'reader@example.com', consent: { marketing: true } } }],
    });
  });
});

describe('incomplete: "ignore"', () => {
  it('answers a survey response without names or consent 200, queues and dead-letters nothing, counts it and logs only field paths', async () => {
    // Arrange
    const { handler, messages, dead, recorder, lines } = setup([{ id: 'survey', kind: 'typeform', incomplete: 'ignore' }]);
    // Act
    const response = await handler(post('survey', 'typeform', typeformSurvey('laura@example.com')));
    // Assert
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ accepted: 0, ids: [], ignored: true });
    expect(messages).toEqual([]);
    expect(dead.letters).toEqual([]);
    expect(recorder.recorded.filter((metric) => metric.name === Metric.SignupsIncomplete)).toEqual([
      expect.objectContaining({ value: 1, dimensions: { Source: 'survey' } }),
    ]);
    expect(recorder.sum(Metric.SignupsUnmappable)).toBe(0);
    const logged = lines.filter((line) => line.includes('incomplete signups ignored'));
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0]!)).toMatchObject({ ignored: 1, fields: ['/first_name', '/last_name'] });
    expect(lines.join('\n')).not.toMatch(/laura/i);
  });

  it('ignores a response without an email too', async () => {
    const { handler, messages, dead, recorder } = setup([{ id: 'survey', kind: 'typeform', incomplete: 'ignore' }]);
    const response = await handler(post('survey', 'typeform', typeformSurvey(undefined)));
    expect(response.statusCode).toBe(200);
    expect(messages).toEqual([]);
    expect(dead.letters).toEqual([]);
    expect(recorder.sum(Metric.SignupsIncomplete, { Source: 'survey' })).toBe(1);
  });

  it('still dead-letters what is wrong rather than missing (an email that is not one)', async () => {
    // Arrange: the email question answered with something that is not an address, mapped by the operator
    const { handler, messages, dead, recorder } = setup([{ id: 'survey', kind: 'typeform', incomplete: 'ignore', fieldMap: { JwWggjAKtOkA: 'email' } }]);
    // Act
    const response = await handler(post('survey', 'typeform', typeformSurvey(undefined)));
    // Assert
    expect(response.statusCode).toBe(202);
    expect(messages).toEqual([]);
    expect(dead.letters.map((letter) => letter.problems[0]!.path)).toEqual(['/email']);
    expect(recorder.sum(Metric.SignupsIncomplete)).toBe(0);
  });

  it('queues the complete signups of a batch and ignores the incomplete ones (202 counting both)', async () => {
    // Arrange: a Kit delivery, one subscriber without an email
    const sources = parseIngestSources([{ id: 'kit-news', kind: 'kit', incomplete: 'ignore' }]);
    const event = (id: string, email: string | null) => ({
      id,
      type: 'subscriber.activated',
      data: { subscriber: { id: 1, first_name: 'Ada', email_address: email } },
    });
    const body = JSON.stringify({ delivery_id: 1, events: [event('e1', 'ada@example.com'), event('e2', null)] });
    const { queue, messages } = fakeQueue();
    const dead = recordingDeadLetters();
    const recorder = metricsRecorder();
    const handler = anIngestHandler({
      queue,
      sources,
      secretJson: JSON.stringify({ api: SECRETS.api, 'kit-news': SECRETS.signing }),
      unmappable: dead.port,
      metrics: recorder.sink,
    });
    // Act
    const response = await handler(anHttpEvent('/sources/kit-news', { body, headers: { 'content-type': 'application/json', ...senderHeaders('kit', body) } }));
    // Assert
    expect(response.statusCode).toBe(202);
    expect((messages as SignupMessage[]).map((message) => message.signup.email)).toEqual(['ada@example.com']);
    expect(dead.letters).toEqual([]);
    expect(recorder.sum(Metric.SignupsAccepted, { Source: 'kit-news' })).toBe(1);
    expect(recorder.sum(Metric.SignupsIncomplete, { Source: 'kit-news' })).toBe(1);
  });

  it('by default (dead-letter) the same survey response is an unmappable dead letter, as before', async () => {
    const { handler, messages, dead, recorder } = setup([{ id: 'survey', kind: 'typeform' }]);
    const response = await handler(post('survey', 'typeform', typeformSurvey('laura@example.com')));
    expect(response.statusCode).toBe(202);
    expect(messages).toEqual([]);
    expect(dead.letters).toHaveLength(1);
    expect(recorder.sum(Metric.SignupsUnmappable, { Source: 'survey' })).toBe(1);
    expect(recorder.sum(Metric.SignupsIncomplete)).toBe(0);
  });
});

describe('events that are not signups', () => {
  it("answers HubSpot's Webhooks API batch 200 and counts its events as ignored (no dead letter)", async () => {
    // Arrange: the Webhooks API page's example batch (type key eventType)
    const { handler, messages, dead, recorder } = setup([{ id: 'crm', kind: 'hubspot' }]);
    const body = JSON.stringify([
      {
        objectId: 1246965,
        propertyName: 'lifecyclestage',
        propertyValue: 'subscriber',
        changeSource: 'ACADEMY',
        eventId: 3816279340,
        subscriptionId: 25,
        portalId: 33,
        appId: 1160452,
        occurredAt: 1462216307945,
        eventType: 'contact.propertyChange',
        attemptNumber: 0,
      },
      {
        objectId: 1246978,
        changeSource: 'IMPORT',
        eventId: 3816279480,
        subscriptionId: 22,
        portalId: 33,
        appId: 1160452,
        occurredAt: 1462216307945,
        eventType: 'contact.creation',
        attemptNumber: 0,
      },
    ]);
    const url = 'https://hooks.example.com/sources/crm';
    // Act
    const response = await handler(
      anHttpEvent('/sources/crm', { body, headers: { 'content-type': 'application/json', ...senderHeaders('hubspot', body, url) } }),
    );
    // Assert
    expect(response.statusCode).toBe(200);
    expect(messages).toEqual([]);
    expect(dead.letters).toEqual([]);
    expect(recorder.recorded.filter((metric) => metric.name === Metric.EventsIgnored)).toEqual([
      expect.objectContaining({ value: 2, dimensions: { Source: 'crm' } }),
    ]);
    expect(recorder.sum(Metric.SignupsRefused)).toBe(0);
  });
});
