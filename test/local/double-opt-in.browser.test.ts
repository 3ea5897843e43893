import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Browser, Page } from 'playwright-core';
import { DEMO_NEWSLETTER_SOURCE_ID, demoSourceSecrets, demoSources } from '../../local/demo/demo-sources';
import { type LocalMode, startLocalMode } from '../../local/local-mode';
import { listDeadLetters } from '../../ops/dead-letters';
import { runCli } from '../../ops/main';
import { signConfirmationToken, verifyConfirmationToken } from '../../shared/consent/confirmation-token';
import { deriveConsentKeys } from '../../shared/consent/consent-keys';
import { launchChromium, recordingIo, waitFor } from './support';

jest.setTimeout(180_000);

/**
 * Double opt-in, consent evidence and forget in local mode, end to end (docs/subscribers.md, docs/privacy.md),
 * with a person's clicks in a real browser (Debian's chromium, playwright-core): the newsletter box at
 * /_local/form/newsletter, the mail in the outbox, its link and the Confirm button; the CLI as an operator
 * runs it (`signup-sync consent` and `forget` against local mode).
 */

const EMAIL = 'doi.person@example.com';
const root = path.resolve(__dirname, '../..');

describe('double opt-in in local mode', () => {
  let mode: LocalMode;
  let browser: Browser;

  beforeAll(async () => {
    [mode, browser] = await Promise.all([
      startLocalMode({
        // The newsletter box's per-client limit is raised here, so the 20 posts below reach the sync: what holds
        // the mails back is double opt-in's own window (a bot with many addresses is not stopped per client).
        sources: (origin, local) =>
          demoSources(origin, local).map((source) =>
            source.id === DEMO_NEWSLETTER_SOURCE_ID ? { ...source, clientLimit: { max: 100, windowSeconds: 600 } } : source,
          ),
        sourceSecrets: demoSourceSecrets(),
        timings: { batchingWindowMs: 100, visibilityTimeoutSeconds: 20, syncTimeoutMs: 10_000 },
        log: { write: () => undefined },
      }),
      launchChromium(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await mode?.stop();
  });

  const mailsTo = (email: string) => mode.outbox.mails().filter((mail) => mail.to === email);
  const subscribersOf = (email: string) => mode.sandbox!.subscribers().filter((subscriber) => subscriber.email === email);
  const settled = () =>
    waitFor(
      async () => {
        const { queues, poller } = await mode.status();
        return queues && queues.signups.visible + queues.signups.inFlight + queues.signups.delayed === 0 && poller.running === 0;
      },
      { what: 'the signups queue to settle' },
    );

  async function subscribe(page: Page, email: string): Promise<void> {
    await page.goto(`${mode.apiUrl}/_local/form/newsletter`);
    await page.locator('#email').fill(email);
    await Promise.all([page.waitForURL(`${mode.apiUrl}/_local/form/newsletter/thanks`), page.locator('button[type=submit]').click()]);
  }

  it('a submission mails one link and writes nothing; 20 more in a minute mail nothing more; an expired link subscribes nobody; the link and Confirm do', async () => {
    const page = await browser.newPage();

    // A person submits the newsletter box.
    await subscribe(page, EMAIL);
    expect(await page.locator('[data-testid=newsletter-thanks]').innerText()).toMatch(/check your inbox/i);
    await waitFor(() => mailsTo(EMAIL).length === 1, { what: 'the confirmation mail in the outbox' });
    await settled();
    expect(subscribersOf(EMAIL)).toEqual([]);
    expect(mode.sandbox!.customers()).toEqual([]);

    // The same address, 20 times within a minute (a bot, or an impatient person).
    const started = Date.now();
    for (let attempt = 0; attempt < 20; attempt += 1) await subscribe(page, EMAIL);
    expect(Date.now() - started).toBeLessThan(60_000);
    await settled();
    // docs/subscribers.md: one mail per address and source per resendAfterMinutes (15), at most maxMails (3) per request.
    expect(mailsTo(EMAIL)).toHaveLength(1);
    expect(subscribersOf(EMAIL)).toEqual([]);

    // The outbox page shows the mail with its link.
    await page.goto(`${mode.apiUrl}/_local/outbox`);
    const link = await page.locator(`[data-to="${EMAIL}"] [data-testid=mail-link]`).first().getAttribute('href');
    expect(link).toMatch(new RegExp(`^${mode.apiUrl}/confirm/`));

    // The same link as it is once its time is over (re-signed with the run's key, expired a second ago).
    const keys = deriveConsentKeys(mode.consent.hashKey);
    const token = link!.slice(link!.lastIndexOf('/') + 1);
    const check = verifyConfirmationToken(token, keys.tokenKey, Date.now());
    if (!check.ok) throw new Error(`the mailed link does not verify: ${check.reason}`);
    const expired = signConfirmationToken({ ...check.claims, expiresAt: Math.floor(Date.now() / 1000) - 1 }, keys.tokenKey);
    const expiredAnswer = await page.goto(`${mode.apiUrl}/confirm/${expired}`);
    expect(expiredAnswer?.status()).toBe(410);
    expect(await page.locator('h1').innerText()).toBe('This link has expired');
    expect(await page.locator('#confirm').count()).toBe(0);
    await settled();
    expect(subscribersOf(EMAIL)).toEqual([]);

    // The person opens the link from the outbox page and confirms.
    await page.goto(`${mode.apiUrl}/_local/outbox`);
    await Promise.all([page.waitForURL(/\/confirm\//), page.locator(`[data-to="${EMAIL}"] [data-testid=mail-link]`).first().click()]);
    expect(await page.locator('h1').innerText()).toBe('Confirm your subscription');
    await settled();
    expect(subscribersOf(EMAIL)).toEqual([]);
    await page.locator('#confirm').click();
    expect(await page.locator('h1').innerText()).toBe('Subscription confirmed');

    const [subscriber] = await waitFor(() => (subscribersOf(EMAIL).length > 0 ? subscribersOf(EMAIL) : undefined), { what: 'the subscriber' });
    expect(subscriber).toMatchObject({ consents: ['marketing_newsletter'] });
    await settled();
    expect(subscribersOf(EMAIL)).toHaveLength(1);
    expect(mode.sandbox!.customers()).toEqual([]);

    // Opening the link again says so, and writes nothing again.
    await page.goto(link!);
    expect(await page.locator('h1').innerText()).toBe('Already confirmed');
    await page.close();
  });

  it('`npx signup-sync consent <email> --local` prints the confirmation with both times, the page, the wording and the IP', async () => {
    const { stdout } = await promisify(execFile)(path.join(root, 'ops/bin.cjs'), ['consent', EMAIL, '--local', mode.apiUrl], { cwd: root });
    expect(stdout).toContain(`Consent records of ${EMAIL}`);
    expect(stdout).toMatch(/\d{4}-\d\d-\d\dT[\d:.]+Z {2}confirmation {2}marketing_newsletter {2}subscribed/);
    expect(stdout).toMatch(/source demo-newsletter \(html-form\), wording local-demo-newsletter-1/);
    expect(stdout).toMatch(/confirms the signup of \d{4}-\d\d-\d\dT[\d:.]+Z \(received \d{4}-\d\d-\d\dT[\d:.]+Z, delivery [0-9a-f-]{36}\), mailed /);
    expect(stdout).toMatch(new RegExp(`signup from page ${mode.apiUrl}/_local/form/newsletter, ip 127\\.0\\.0\\.1`));
    expect(stdout).toContain('1 record(s).');
  });

  it('`forget --local --yes` leaves no dead letter, evidence or local record of the person, and a redrive of an older letter does not bring them back', async () => {
    // A dead letter of theirs (received before the erasure), and one of someone else.
    const letter = (email: string, receivedAt: Date) =>
      JSON.stringify({
        schema_version: 3,
        id: `letter-${email}`,
        idempotency_key: `letter-${email}`,
        received_at: receivedAt.toISOString(),
        source: { id: 'api', kind: 'canonical' },
        signup: { email, first_name: 'Doi', last_name: 'Person', consent: { marketing: true } },
      });
    for (const email of [EMAIL, 'someone.else@example.com'])
      await mode.sqsClient.send(new SendMessageCommand({ QueueUrl: mode.deadLetterQueueUrl, MessageBody: letter(email, new Date()) }));

    // Act
    const io = recordingIo();
    expect(await runCli(['forget', EMAIL, '--local', mode.apiUrl, '--yes', '--bigcommerce'], io)).toBe(0);

    // Assert: nothing of theirs left, someone else's letter untouched
    expect(io.text()).toMatch(/1 dead letter \(1 other letter left as they were\)/);
    const letters = await listDeadLetters(mode.sqsClient, mode.deadLetterQueueUrl, { showPii: true });
    expect(letters.map((entry) => entry.email)).toEqual(['someone.else@example.com']);
    expect(JSON.stringify(letters)).not.toContain(EMAIL);
    const keys = deriveConsentKeys(mode.consent.hashKey);
    const items = await mode.consentAdmin.items(keys.personOf(EMAIL));
    expect(items).toMatchObject({ evidence: [], pending: [], erasedAt: expect.any(String) });
    expect(JSON.stringify(items)).not.toContain(EMAIL);
    expect(mailsTo(EMAIL)).toEqual([]);
    expect(JSON.stringify(await (await fetch(`${mode.apiUrl}/_local/api/outbox`)).json())).not.toContain(EMAIL);
    expect(subscribersOf(EMAIL)).toEqual([]);
    const consentNow = recordingIo();
    await runCli(['consent', EMAIL, '--local', mode.apiUrl], consentNow);
    expect(consentNow.text()).toMatch(/Erased .*: nothing of this person is kept but that/);

    // A letter received before the erasure that forget could not see (it was in flight), dead-lettered now and redriven.
    await mode.sqsClient.send(
      new SendMessageCommand({ QueueUrl: mode.deadLetterQueueUrl, MessageBody: letter(EMAIL, new Date(Date.parse(items.erasedAt!) - 60_000)) }),
    );
    expect(await runCli(['dlq', 'redrive', '--local', mode.apiUrl], recordingIo())).toBe(0);
    await settled();
    expect(subscribersOf(EMAIL)).toEqual([]);
    expect(mode.sandbox!.customers().filter((customer) => customer.email === EMAIL)).toEqual([]);
    expect((await mode.status()).outcomes).toMatchObject({ erased: expect.any(Number) });
    await settled();
    expect(subscribersOf(EMAIL)).toEqual([]);
  });
});
