import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startLocalMode, type LocalMode } from '../../local/local-mode';
import { postSignups, waitFor } from './support';

jest.setTimeout(60_000);

/**
 * The status page in a real browser (Debian's chromium, driven by playwright-core; no browser
 * download). CI installs chromium with test/local/ensure-chromium.sh.
 */

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

describe('status page', () => {
  let mode: LocalMode;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: run test/local/ensure-chromium.sh (or set CHROMIUM_PATH)`);
    [mode, browser] = await Promise.all([
      startLocalMode({
        sandbox: { rejectEmails: /^refused/ },
        timings: { batchingWindowMs: 200, visibilityTimeoutSeconds: 20, syncTimeoutMs: 10_000 },
        log: { write: () => undefined },
      }),
      // Chromium refuses to run as root with its sandbox (CI containers run as root).
      chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] }),
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
    expect((await postSignups(mode.apiUrl, mode.apiSecret, bodies)).status).toBe(202);
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
    const deadLetters = await waitFor(async () => {
      const current = await rows();
      return current.length === 2 && current[0]!.includes('bigcommerce') ? current : undefined;
    }, { what: 'the dead letters table' });
    for (const row of deadLetters) expect(row.split('\t').slice(0, 2)).toEqual(['bigcommerce-rejected', '422']);
    expect(await text('recent')).toContain('rejected');
    expect(await page.content()).not.toContain('@example.com');

    // Act: fix the cause, then press the button
    mode.sandbox!.setOptions({ rejectEmails: undefined });
    await page.locator('[data-testid=redrive]:enabled').click();

    // Assert
    await waitFor(async () => (await text('redrive-result')).includes('moved 2 message(s)'), { what: 'the redrive result' });
    await waitFor(async () => (await text('dlq')) === '0' && (await text('created')) === '12', { what: 'the redriven customers', timeoutMs: 20_000 });
    expect(mode.sandbox!.customers().map((customer) => customer.email)).toEqual(expect.arrayContaining(['refused-1@example.com', 'refused-2@example.com']));
    await waitFor(async () => (await rows()).join() === 'none', { what: 'an empty dead letters table' });
  });
});
