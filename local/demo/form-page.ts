import { randomUUID } from 'node:crypto';
import type { HttpAnswer } from '../http-api-event';
import type { LocalRoute } from '../local-server';
import { escapeHtml } from '../status/status-page';
import { demoSourceId, FORM_ERROR_PATH, FORM_THANKS_PATH } from './demo-sources';

/**
 * A signup form served by local mode, posting to the html-form demo source as a page on a real site
 * would (a plain <form>, no script):
 *   GET /_local/form          the form
 *   GET /_local/form/thanks   where the source redirects (303) after a signup was queued
 *   GET /_local/form/error    where it redirects when the signup was refused; `?fields=email,last_name`
 *                             (the fields that failed validation, docs/sources.md) are named to the person
 */

export const FORM_PATH = '/_local/form';
const FORM_SOURCE_ID = demoSourceId('html-form');

const page = (title: string, main: string, formAction = "'none'"): HttpAnswer => ({
  status: 200,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action ${formAction}`,
  },
  body: Buffer.from(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · signup-sync local mode</title>
<style>
  :root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2433; background: #f6f7f9; }
  body { margin: 0 auto; max-width: 32rem; padding: 1.5rem; }
  label { display: block; margin: .75rem 0 .25rem; font-size: .9rem; }
  input { font: inherit; width: 100%; box-sizing: border-box; padding: .45rem .6rem; border: 1px solid #d0d5dd; border-radius: 6px; }
  button { font: inherit; margin-top: 1rem; padding: .5rem 1rem; border-radius: 6px; border: 1px solid #1d4ed8; background: #2563eb; color: #fff; cursor: pointer; }
  .trap { position: absolute; left: -10000px; }
  .muted { color: #667085; font-size: .85rem; }
  .fields li { margin: .2rem 0; }
  a { color: #1d4ed8; }
</style>
</head>
<body>
${main}
<p class="muted"><a href="/_local/">status page</a> · <a href="${FORM_PATH}">the form</a></p>
</body>
</html>
`),
});

function formPage(): HttpAnswer {
  const action = `/sources/${FORM_SOURCE_ID}`;
  return page(
    'Sign up',
    `<h1>Sign up</h1>
<p class="muted">Posts to the <code>${FORM_SOURCE_ID}</code> source (kind html-form) like a form on your site would, with a Turnstile token that local mode's siteverify stand-in checks.</p>
<form method="post" action="${action}" data-testid="signup-form">
  <label for="email">Email</label><input id="email" name="email" type="email" required autocomplete="email">
  <label for="first_name">First name</label><input id="first_name" name="first_name" required autocomplete="given-name">
  <label for="last_name">Last name</label><input id="last_name" name="last_name" required autocomplete="family-name">
  <div class="trap" aria-hidden="true"><label for="website">Leave this empty</label><input id="website" name="website" tabindex="-1" autocomplete="off"></div>
  <input type="hidden" name="submission_id" value="${randomUUID()}">
  <!-- Stands in for the Turnstile widget, which would fill this field once the visitor passed: local mode's siteverify stand-in accepts any token once. -->
  <input type="hidden" name="cf-turnstile-response" value="local-demo-${randomUUID()}">
  <button type="submit">Sign up</button>
</form>`,
    "'self'",
  );
}

/** The form's labels for the fields it has; other fields are named as the source names them. */
const LABELS: Readonly<Record<string, string>> = { email: 'Email', first_name: 'First name', last_name: 'Last name' };

/** The error page: which fields to check, when the redirect named them (names only; nothing the person typed). */
function errorPage(fields: string | null): HttpAnswer {
  const names = [
    ...new Set(
      (fields ?? '')
        .split(',')
        .map((name) => name.trim())
        // Field names only (email, address.city): nothing else from the URL reaches the page.
        .filter((name) => /^[A-Za-z0-9_.]{1,64}$/.test(name)),
    ),
  ].slice(0, 20);
  const list =
    names.length === 0
      ? '<p>Check the fields and try again.'
      : `<p>Please check ${names.length === 1 ? 'this field' : 'these fields'}:</p>
<ul class="fields" data-testid="form-error-fields">${names
          .map((name) => `<li data-field="${escapeHtml(name)}">${escapeHtml(LABELS[name] ?? name)}</li>`)
          .join('')}</ul>
<p>`;
  return page(
    'Not saved',
    `<h1 data-testid="form-error">Your signup could not be saved</h1>
${list} <a href="${FORM_PATH}">Back to the form</a>. The status page counts refused requests.</p>`,
  );
}

export function createFormRoutes(): LocalRoute {
  return async ({ method, path, query }) => {
    if (method !== 'GET') return undefined;
    if (path === FORM_PATH) return formPage();
    if (path === FORM_THANKS_PATH)
      return page(
        'Thank you',
        '<h1 data-testid="thanks">Thank you for signing up</h1>\n<p>Your signup was received; it reaches the store within seconds (see the status page).</p>',
      );
    if (path === FORM_ERROR_PATH) return errorPage(query?.get('fields') ?? null);
    return undefined;
  };
}
