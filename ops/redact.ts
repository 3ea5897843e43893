/**
 * Operator output never shows personal data unless asked (`--show-pii`). Reasons come from
 * BigCommerce and may quote an email address; those are masked.
 */
const EMAIL = /[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+\.[^\s@"'<>(),;:]+/g;

export function redactEmails(text: string): string {
  return text.replace(EMAIL, '<email>');
}
