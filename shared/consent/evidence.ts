import { eventTimeOf } from '../signup/event-time';
import type { ConfirmationMessage, SignupMessage } from '../signup/signup-schema';
import type { EvidenceAction, EvidenceRecord, PendingConfirmation } from './consent-store';

/**
 * The evidence record of one consent, opt-out or confirmation the sync wrote, from the message that
 * asked for it (docs/privacy.md lists the fields and why each is there).
 */

export const MARKETING_CONSENT = 'marketing_newsletter';
export const ABANDONED_CART_CONSENT = 'abandoned_cart';

export type EvidenceInput = Readonly<{
  person: string;
  message: SignupMessage;
  action: EvidenceAction;
  outcome: string;
  recordedAt: string;
  subscriberId?: number;
  customerId?: number;
  /** A confirmation: the message that confirmed, and the request it confirmed. */
  confirmation?: Readonly<{ message: ConfirmationMessage; pending: PendingConfirmation }>;
}>;

/** What was given (or, for an opt-out, withdrawn). */
function consentsOf(message: SignupMessage, action: EvidenceAction): string[] {
  if (action === 'opt-out') return [MARKETING_CONSENT];
  const consent = message.signup.consent;
  return [...(consent?.marketing === true ? [MARKETING_CONSENT] : []), ...(consent?.abandoned_cart === true ? [ABANDONED_CART_CONSENT] : [])];
}

export function evidenceRecord(input: EvidenceInput): EvidenceRecord {
  const { message, confirmation } = input;
  const evidence = message.evidence;
  const request = confirmation?.pending.message;
  return {
    person: input.person,
    email: message.signup.email,
    action: input.action,
    occurredAt: new Date(eventTimeOf(message)).toISOString(),
    receivedAt: message.received_at,
    recordedAt: input.recordedAt,
    source: { id: message.source.id, kind: message.source.kind },
    ...(message.source.consent_version !== undefined ? { consentVersion: message.source.consent_version } : {}),
    consents: consentsOf(message, input.action),
    ...(evidence?.page !== undefined ? { page: evidence.page } : {}),
    ...(evidence?.form !== undefined ? { form: evidence.form } : {}),
    ...(confirmation?.message.confirmation.ip !== undefined
      ? { ip: confirmation.message.confirmation.ip }
      : evidence?.ip !== undefined && confirmation === undefined
        ? { ip: evidence.ip }
        : {}),
    deliveryId: message.id,
    ...(message.signup.event_id !== undefined && confirmation === undefined ? { eventId: message.signup.event_id } : {}),
    outcome: input.outcome,
    ...(input.subscriberId !== undefined ? { subscriberId: input.subscriberId } : {}),
    ...(input.customerId !== undefined ? { customerId: input.customerId } : {}),
    ...(request
      ? {
          request: {
            occurredAt: new Date(eventTimeOf(request)).toISOString(),
            receivedAt: request.received_at,
            deliveryId: request.id,
            ...(request.signup.event_id !== undefined ? { eventId: request.signup.event_id } : {}),
            ...(confirmation?.pending.mailedAtMs !== undefined ? { mailedAt: new Date(confirmation.pending.mailedAtMs).toISOString() } : {}),
            ...(request.evidence?.page !== undefined ? { page: request.evidence.page } : {}),
            ...(request.evidence?.form !== undefined ? { form: request.evidence.form } : {}),
            ...(request.evidence?.ip !== undefined ? { ip: request.evidence.ip } : {}),
          },
        }
      : {}),
  };
}
