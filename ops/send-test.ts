import { CliUsageError } from './errors';

/**
 * `signup-sync send-test`: posts one example signup to POST /signups of a running endpoint (local
 * mode or a deployed API) with `Authorization: Bearer <token>`, and prints the answer.
 */

export type SendTestOptions = Readonly<{
  url: string | undefined;
  token: string | undefined;
  email?: string | undefined;
  io: Readonly<{ out: (text: string) => void; err: (text: string) => void }>;
  fetch?: typeof fetch;
  now?: () => Date;
}>;

export function exampleSignup(now: Date, email?: string) {
  const stamp = now.getTime();
  return {
    email: email ?? `test+${stamp}@example.com`,
    first_name: 'Test',
    last_name: 'Signup',
    notes: 'Sent by `signup-sync send-test`',
    event_id: `send-test-${stamp}`,
  };
}

export async function sendTestSignup({ url, token, email, io, fetch: fetchFn = fetch, now = () => new Date() }: SendTestOptions): Promise<number> {
  if (!url) throw new CliUsageError('send-test needs --url (the API base URL) when no local mode or stack is found');
  if (!token) throw new CliUsageError('send-test needs --token: the "api" entry of the sources secret (or set SIGNUP_SYNC_TOKEN)');
  const endpoint = `${url.replace(/\/+$/, '')}/signups`;
  const signup = exampleSignup(now(), email);
  let response: Response;
  try {
    response = await fetchFn(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(signup),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    io.err(
      `send-test: POST ${endpoint} failed: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`,
    );
    return 1;
  }
  const body = await response.text();
  io.out(`POST ${endpoint} -> ${response.status}`);
  io.out(body);
  if (response.ok) io.out(`Sent ${signup.email}. Watch it arrive on the status page (local mode) or in BigCommerce.`);
  return response.ok ? 0 : 1;
}
