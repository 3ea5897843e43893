import type { Browser } from 'playwright-core';
import { demoSourceSecrets, demoSources } from '../../local/demo/demo-sources';
import { type LocalMode, startLocalMode } from '../../local/local-mode';
import { launchChromium, waitFor } from './support';

jest.setTimeout(60_000);

/**
 * The demo signup form local mode serves at /_local/form, used in a real browser (Debian's chromium
 * driven by playwright-core; test/local/ensure-chromium.sh installs it): a plain form post to the
 * html-form demo source, its 303 to the thank-you page, and the customer in the sandbox; a refused post's
 * 303 to the error page, which names the fields to fix.
 */

describe('demo signup form', () => {
  let mode: LocalMode;
  let browser: Browser;

  beforeAll(async () => {
    [mode, browser] = await Promise.all([
      startLocalMode({
        sources: demoSources,
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

  it('submits, follows the 303 to the thank-you page, and the customer reaches the sandbox', async () => {
    // Arrange
    const page = await browser.newPage();
    const redirects: number[] = [];
    page.on('response', (response) => {
      if (response.url().includes('/sources/demo-html-form')) redirects.push(response.status());
    });
    await page.goto(`${mode.apiUrl}/_local/form`);

    // Act
    await page.locator('#email').fill('form.visitor@example.com');
    await page.locator('#first_name').fill('Form');
    await page.locator('#last_name').fill('Visitor');
    await Promise.all([page.waitForURL(`${mode.apiUrl}/_local/form/thanks`), page.locator('button[type=submit]').click()]);

    // Assert
    expect(redirects).toEqual([303]);
    expect(await page.locator('[data-testid=thanks]').innerText()).toBe('Thank you for signing up');
    const customer = await waitFor(() => mode.sandbox!.customers().find((c) => c.email === 'form.visitor@example.com'), {
      what: 'the customer in the sandbox',
    });
    expect(customer).toMatchObject({ first_name: 'Form', last_name: 'Visitor' });
    expect((await mode.status()).refusals).toEqual([]);
  });

  it('lands on the error page naming the fields to fix when the signup is refused, and counts the refusal', async () => {
    // Arrange: an address the browser accepts but the signup schema does not, and no last name (a form
    // without the browser's own checks, as an older browser or a form without `required` posts it)
    const page = await browser.newPage();
    await page.goto(`${mode.apiUrl}/_local/form`);
    await page.evaluate("document.querySelector('form').noValidate = true");

    // Act
    await page.locator('#email').fill('a@b');
    await page.locator('#first_name').fill('No');
    await Promise.all([page.waitForURL(`${mode.apiUrl}/_local/form/error?fields=email,last_name`), page.locator('button[type=submit]').click()]);

    // Assert: the person sees which fields to fix (names only; nothing they typed)
    expect(await page.locator('[data-testid=form-error]').innerText()).toBe('Your signup could not be saved');
    expect(await page.locator('[data-testid=form-error-fields] li').allInnerTexts()).toEqual(['Email', 'Last name']);
    expect(await page.content()).not.toContain('a@b');
    expect((await mode.status()).refusals).toEqual([{ sourceId: 'demo-html-form', status: 303, count: 1 }]);
  });
});
