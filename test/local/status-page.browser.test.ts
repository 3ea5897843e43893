import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Browser } from 'playwright-core';
import { type LocalMode, startLocalMode } from '../../local/local-mode';
import { launchChromium, postSignups, waitFor } from './support';

jest.setTimeout(60_000);

/**
 * The status page in a real browser (Debian's chromium, driven by playwright-core; no browser
 * download). CI installs chromium with test/local/ensure-chromium.sh.
 */

describe('status page', () => {
  let mode: LocalMode;
  let browser: Browser;

  beforeAll(async () => {
    [mode, browser] = await Promise.all([
      startLocalMode({
        sandbox: { rejectEmails: /^refused/ },
        timings: { batchingWindowMs: 200, visibilityTimeoutSeconds: 20, syncTimeoutMs: 10_000 },
        log: { write: () => undefined },
      }),
      launchChromium(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await mode?.stop();
  });

  it('shows the counts and the dead letters without personal data, and redrives from the page', async () => {
    // Arrange: ten good signups and two that BigCommerce (the sandbox) refuses
    const bodies = [
      ...Array.from({ length: 10 }, (_, i) => ({ email: `page${i}@example.com`, first_name: 'Page', last_name: `Visitor ${i}` })),
      { email: 'refused-1@example.com', first_name: 'Refused', last_name: 'One' },
      { email: 'refused-2@example.com', first_name: 'Refused', last_name: 'Two' },
    ];
    const accepted = await postSignups(mode.apiUrl, mode.apiSecret, bodies);
    expect(accepted.status).toBe(202);
    const ids = (accepted.body as { ids: string[] }).ids;
    await waitFor(async () => (await mode.status()).queues?.deadLetters.visible === 2, { what: 'two dead letters' });
    const page = await browser.newPage();

    const text = (testId: string) => page.locator(`[data-testid=${testId}]`).innerText();
    const rows = () => page.locator('[data-testid=dead-letters] tr').allInnerTexts();

    // Act
    await page.goto(mode.statusUrl);

    // Assert: counts and dead letters
    await waitFor(async () => (await text('created')) === '10', { what: 'the created count' });
    expect(await text('dlq')).toBe('2');
    expect(await text('in-store')).toBe('10');
    const deadLetters = await waitFor(
      async () => {
        const current = await rows();
        return current.length === 2 && current[0]!.includes('bigcommerce') ? current : undefined;
      },
      { what: 'the dead letters table' },
    );
    for (const row of deadLetters) expect(row.split('\t').slice(0, 2)).toEqual(['bigcommerce-rejected', '422']);
    expect(await text('recent')).toContain('rejected');
    // Each outcome row shows the id the 202 answered; a dead letter shows the id of its rejected outcome.
    const recentRows = (await page.locator('[data-testid=recent] tr').allInnerTexts()).map((row) => row.split('\t'));
    expect(recentRows.map((row) => row[5]).sort()).toEqual([...ids].sort());
    const rejectedIds = recentRows
      .filter((row) => row[1] === 'rejected')
      .map((row) => row[5])
      .sort();
    expect(rejectedIds).toEqual([ids[10], ids[11]].sort());
    expect(deadLetters.map((row) => row.split('\t')[5]).sort()).toEqual(rejectedIds);
    expect(await page.content()).not.toContain('@example.com');

    // Act: fix the cause, then press the button
    mode.sandbox!.setOptions({ rejectEmails: undefined });
    await page.locator('[data-testid=redrive]:enabled').click();

    // Assert
    await waitFor(async () => (await text('redrive-result')).includes('Moved 2 dead letter(s) back'), { what: 'the redrive result' });
    await waitFor(async () => (await text('dlq')) === '0' && (await text('created')) === '12', { what: 'the redriven customers', timeoutMs: 20_000 });
    expect(mode.sandbox!.customers().map((customer) => customer.email)).toEqual(expect.arrayContaining(['refused-1@example.com', 'refused-2@example.com']));
    await waitFor(async () => (await rows()).join() === 'none', { what: 'an empty dead letters table' });
  });

  it("paints the numbers from the server: read without running the page's script", async () => {
    // Arrange: four refused requests (a wrong token, an invalid signup, a text body, 11 MB) on top of the first test's traffic
    expect((await postSignups(mode.apiUrl, 'not-the-token', { email: 'nobody@example.com' })).status).toBe(401);
    expect((await postSignups(mode.apiUrl, mode.apiSecret, { email: 'not an email', first_name: 'A', last_name: 'B' })).status).toBe(422);
    const post = (headers: Record<string, string>, body: string | Buffer) =>
      fetch(`${mode.apiUrl}/signups`, { method: 'POST', headers: { authorization: `Bearer ${mode.apiSecret}`, ...headers }, body });
    expect((await post({ 'content-type': 'text/plain' }, 'hello')).status).toBe(415);
    expect((await post({ 'content-type': 'application/json' }, Buffer.alloc(11 * 1024 * 1024, 32))).status).toBe(413);
    const status = await mode.status();
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();

    // Act: the first paint, with no script run
    await page.goto(mode.statusUrl, { waitUntil: 'commit' });
    await page.waitForLoadState('domcontentloaded');
    const text = (testId: string) => page.locator(`[data-testid=${testId}]`).innerText();
    const screenshot = await page.screenshot();

    // Assert
    expect(screenshot.length).toBeGreaterThan(0);
    expect(await text('created')).toBe(String(status.customers.created));
    expect(await text('created')).not.toBe('–');
    expect(await text('in-store')).toBe(String(status.customers.inStore));
    expect(await text('refused')).toBe('4');
    expect(await page.locator('[data-testid=refusals] tr').allInnerTexts()).toEqual(['api\t401\t1', 'api\t413\t1', 'api\t415\t1', 'api\t422\t1']);
    expect((await page.locator('[data-testid=recent] tr').allInnerTexts()).length).toBe(status.recent.length);
    expect(await page.locator('#mode').innerText()).toBe('SQS: embedded (local-aws-sqs) · BigCommerce: sandbox');
    await context.close();
  });

  it('shows, redrives and deletes one letter with its own buttons, and says which letters stayed and why', async () => {
    // Arrange: two signups BigCommerce refuses, and a letter the sync cannot read (it would come straight back)
    mode.sandbox!.setOptions({ rejectEmails: /^bounced/ });
    const accepted = await postSignups(mode.apiUrl, mode.apiSecret, [
      { email: 'bounced-a@example.com', first_name: 'Bee', last_name: 'Ay' },
      { email: 'bounced-b@example.com', first_name: 'Bee', last_name: 'Bee' },
    ]);
    const [first, second] = (accepted.body as { ids: string[] }).ids;
    await mode.sqsClient.send(new SendMessageCommand({ QueueUrl: mode.deadLetterQueueUrl, MessageBody: '{"not":"a signup"}' }));
    await waitFor(async () => (await mode.status()).queues?.deadLetters.visible === 3, { what: 'three dead letters' });
    const page = await browser.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    const text = (testId: string) => page.locator(`[data-testid=${testId}]`).innerText();
    const rowOf = (id: string) => page.locator('[data-testid=dead-letters] tr', { hasText: id });
    await page.goto(mode.statusUrl);
    await waitFor(async () => (await page.locator('[data-testid=dead-letters] tr').count()) === 3 || undefined, { what: 'the three rows' });

    // Act / Assert: show one letter
    await rowOf(first!).locator('button[data-action=show]').click();
    await waitFor(async () => (await text('letter-detail')).includes(first!) || undefined, { what: 'the letter detail' });
    expect(await text('letter-detail')).toContain('"reason": "bigcommerce-rejected"');
    expect(await text('letter-detail')).not.toContain('@example.com');

    // Act / Assert: fix the cause, redrive only the second
    mode.sandbox!.setOptions({ rejectEmails: undefined });
    await rowOf(second!).locator('button[data-action=redrive]').click();
    await waitFor(async () => (await text('redrive-result')).includes('1 redriven') || undefined, { what: 'the one-letter redrive' });
    await waitFor(() => mode.sandbox!.customers().some((customer) => customer.email === 'bounced-b@example.com') || undefined, { what: 'its customer' });
    await waitFor(async () => (await page.locator('[data-testid=dead-letters] tr').count()) === 2 || undefined, { what: 'two rows left' });

    // Act / Assert: redrive all: the unreadable letter stays and the page says why
    await page.locator('[data-testid=redrive]:enabled').click();
    await waitFor(async () => (await text('redrive-result')).includes('1 stayed') || undefined, { what: 'the redrive of the rest' });
    expect(await text('redrive-letters')).toMatch(/^stays \S+ \(max-receives\): the sync cannot read it/);
    await waitFor(async () => (await page.locator('[data-testid=dead-letters] tr').count()) === 1 || undefined, { what: 'one row left' });

    // Act / Assert: delete it with its button (after the confirmation)
    await page.locator('[data-testid=dead-letters] tr button[data-action=delete]').click();
    await waitFor(async () => (await text('redrive-result')).includes('deleted 1 dead letter(s)') || undefined, { what: 'the delete' });
    await waitFor(async () => (await mode.status()).queues?.deadLetters.visible === 0 || undefined, { what: 'an empty DLQ' });
    expect(await page.content()).not.toContain('@example.com');
    await page.close();
  });
});
