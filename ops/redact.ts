/**
 * Operator output never shows personal data unless asked (`--show-pii`). Reasons come from
 * BigCommerce and may quote an email address; those are masked (the one rule, shared with the sync's
 * DLQ attributes: shared/observability/redact.ts).
 */
export { redactEmails } from '../shared/observability/redact';
