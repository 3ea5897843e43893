import { type UnmappableLetter, unmappableLetterSchema } from '../../../shared/ingest/unmappable';
import type { SignupMessage } from '../../../shared/signup/signup-schema';
import { anHttpEvent, anIngestHandler, ERROR_URL, FORM_ORIGIN, fakeQueue, senderHeaders, standardWebhookHeaders } from '../../helpers/ingest';

/**
 * One answer names every bad field (shared/ingest/check-signups.ts): the schema's errors, the nameless
 * policy's and the attribute limit's together, each field once, never a value; for POST /signups, for
 * source deliveries (their unmappable dead letters), and for html forms (the JSON answer, and the
 * native post's redirect to `errorUrl?fields=…`).
 */

type Problem = { path: string; message: string };

const post = async (body: unknown, options: { attributeFields?: string[] } = {}) => {
  const { queue, messages } = fakeQueue();
  const text = JSON.stringify(body);
  const response = await anIngestHandler({ queue, ...options })(
    anHttpEvent('/signups', { body: text, headers: { 'content-type': 'application/json', ...standardWebhookHeaders(text) } }),
  );
  return { response, messages: messages as SignupMessage[], errors: () => (JSON.parse(response.body) as { errors: Problem[] }).errors };
};

const NAMELESS = 'Required unless marketing consent is given: without names a signup can only become a newsletter subscriber';

describe('POST /signups names every bad field at once', () => {
  it('names /email and /last_name for {"email":"not-an-email","first_name":"Ada"}, without the values', async () => {
    // Act
    const { response, errors, messages } = await post({ email: 'not-an-email', first_name: 'Ada' });

    // Assert
    expect(response.statusCode).toBe(422);
    expect(errors()).toEqual([
      { path: '/email', message: 'Invalid email address' },
      { path: '/last_name', message: NAMELESS },
    ]);
    expect(JSON.parse(response.body).detail).toBe('2 fields failed validation; nothing was enqueued.');
    expect(response.body).not.toMatch(/not-an-email|Ada/);
    expect(messages).toEqual([]);
  });

  it('names each field once: an email that breaks three rules, a name that is invalid rather than missing', async () => {
    // Act
    const { errors } = await post({ email: `${'x'.repeat(300)}@`, first_name: '   ' });

    // Assert: /first_name is the schema's (blank), not also the nameless policy's; /email once
    expect(errors().map((error) => error.path)).toEqual(['/email', '/first_name', '/last_name']);
    expect(errors()[0]!.message).toBe('Invalid email address');
  });

  it('names fields of every signup of a batch by index, and asks for no names when consent is given', async () => {
    // Act
    const { errors } = await post([
      { email: 'ok@example.com', first_name: 'Ok', last_name: 'Fine' },
      { email: 'bad', first_name: 'Ada' },
      { email: 'also-bad', consent: { marketing: true } },
    ]);

    // Assert
    expect(errors().map((error) => error.path)).toEqual(['/1/email', '/1/last_name', '/2/email']);
  });

  it('does not guess whether names are needed when the consent itself is invalid', async () => {
    const { errors } = await post({ email: 'bad', consent: { marketing: 'yes' } });
    expect(errors().map((error) => error.path)).toEqual(['/email', '/consent/marketing']);
  });

  it('adds the attribute limit to the schema errors', async () => {
    // Arrange: eleven custom fields mapped to customer attributes, and a bad email
    const names = Array.from({ length: 11 }, (_, i) => `attr${i}`);
    const signup = { email: 'bad', first_name: 'Ada', last_name: 'L', custom_fields: names.map((name) => ({ name: ` ${name} `, value: 'v' })) };

    // Act
    const { errors } = await post(signup, { attributeFields: names });

    // Assert
    expect(errors().map((error) => error.path)).toEqual(['/email', '/custom_fields']);
  });
});

describe('source deliveries and html forms name every bad field at once', () => {
  it('dead-letters a webhook signup with every field path (a Standard Webhooks delivery)', async () => {
    // Arrange
    const { queue, messages } = fakeQueue();
    const letters: UnmappableLetter[] = [];
    const body = JSON.stringify({ email: 'not-an-email', first_name: 'Ada' });

    // Act
    const response = await anIngestHandler({
      queue,
      unmappable: { send: async (batch) => void letters.push(...batch.map((letter) => unmappableLetterSchema.parse(letter))) },
    })(
      anHttpEvent('/sources/standard-webhooks-src', {
        body,
        headers: { 'content-type': 'application/json', ...senderHeaders('standard-webhooks', body) },
      }),
    );

    // Assert
    expect(response.statusCode).toBe(202);
    expect(messages).toEqual([]);
    expect(letters.map((letter) => letter.problems.map((problem) => problem.path))).toEqual([['/email', '/last_name']]);
  });

  const formPost = (accept?: string) => {
    const body = 'email=not-an-email&first_name=Ada&website=';
    return anHttpEvent('/sources/html-form-src', {
      body,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: FORM_ORIGIN,
        ...(accept ? { accept } : {}),
        ...senderHeaders('html-form', body),
      },
    });
  };

  it('redirects a native form post to errorUrl?fields=email,last_name', async () => {
    // Act
    const { queue, messages } = fakeQueue();
    const response = await anIngestHandler({ queue })(formPost());

    // Assert
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`${ERROR_URL}?fields=email,last_name`);
    expect(messages).toEqual([]);
  });

  it('lists both fields in the JSON answer to a fetch post', async () => {
    const response = await anIngestHandler({ queue: fakeQueue().queue })(formPost('application/json'));
    expect(response.statusCode).toBe(422);
    expect((JSON.parse(response.body) as { issues: Problem[] }).issues.map((issue) => issue.path)).toEqual(['/email', '/last_name']);
  });
});
