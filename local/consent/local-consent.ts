import type { ConsentKeys } from '../../shared/consent/consent-keys';
import { doubleOptInSettings } from '../../shared/deployment/stack-config';

/** The sync's double opt-in variables for the sources local mode serves, as infra/signup-sync-stack.ts sets them. */
export function doubleOptInEnvironment(sources: readonly unknown[], apiUrl: string): Record<string, string> {
  const settings = doubleOptInSettings({ sources });
  return Object.keys(settings).length > 0 ? { DOUBLE_OPT_IN: JSON.stringify(settings), CONFIRM_BASE_URL: apiUrl } : {};
}

/** The person key of a queue message body: a signup's email, or the key a confirmation carries. */
export function personOfBody(body: string, keys: ConsentKeys): string | undefined {
  try {
    const parsed = JSON.parse(body) as { signup?: { email?: unknown }; confirmation?: { person?: unknown } };
    if (typeof parsed.signup?.email === 'string') return keys.personOf(parsed.signup.email);
    if (typeof parsed.confirmation?.person === 'string') return parsed.confirmation.person;
  } catch {
    // Not JSON: no person to file it under.
  }
  return undefined;
}
