/**
 * BigCommerce's error texts may quote an email address ("Email ada@example.com is already in use").
 * Anything that leaves the function with such a text (a DLQ message attribute, operator output) masks it.
 */
const EMAIL = /[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+\.[^\s@"'<>(),;:]+/g;

export function redactEmails(text: string): string {
  return text.replace(EMAIL, '<email>');
}
