import { redactEmails as operatorRedactEmails } from '../../../ops/redact';
import { rejectionAttributes } from '../../../shared/aws/sqs-dead-letter-queue';
import { redactEmails } from '../../../shared/observability/redact';

/** A dead letter's attributes are read in consoles and by tools: BigCommerce's text must not carry the email there. */
describe('dead-letter attributes', () => {
  it('mask an email BigCommerce quotes in its rejection text, keeping the rest of the reason', () => {
    // Arrange
    const record = {
      messageId: 'm-1',
      body: '{"signup":{"email":"ada@example.com"}}',
      attributes: { SourceId: { DataType: 'String', StringValue: 'api' } },
      rejection: {
        code: 'bigcommerce-rejected' as const,
        httpStatus: 422,
        detail: '.customers[0].email: Email "ada@example.com" is already in use by ada.lovelace@example.co.uk',
      },
    };

    // Act
    const attributes = rejectionAttributes(record, new Date('2026-12-01T00:00:00Z'));

    // Assert
    expect(attributes.RejectionDetail?.StringValue).toBe('.customers[0].email: Email "<email>" is already in use by <email>');
    expect(JSON.stringify(attributes)).not.toMatch(/@example\./);
    expect(attributes.RejectionCode?.StringValue).toBe('bigcommerce-rejected');
  });

  it('use the same rule as the operator tools', () => {
    expect(operatorRedactEmails).toBe(redactEmails);
  });
});
