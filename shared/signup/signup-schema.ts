import * as z from '../zod-mini';

/**
 * The canonical signup and the queue message that carries it.
 * Limits are BigCommerce's documented Customers v3 limits, so that nothing
 * that passes ingest is later rejected by BigCommerce for length. Unknown keys are refused rather than
 * dropped: a typo such as `firstName` would otherwise lose data silently.
 */

// Described as senders write it: at least one character that trimming keeps (JSON Schema's minLength
// alone would call "\n" a valid name). `\s` plus U+FEFF is what String.prototype.trim removes.
const NOT_BLANK_PATTERN = '[^\\s\\ufeff]';
const trimmedText = (min: number, max: number) => {
  const text = z.string().check(z.trim(), z.minLength(min), z.maxLength(max));
  return min > 0 ? text.check(z.meta({ pattern: NOT_BLANK_PATTERN })) : text;
};

/**
 * The length rules zod's email pattern leaves out (RFC 5321 4.5.3.1, RFC 1035 2.3.1): a local part of at
 * most 64 characters, domain labels of at most 63 that do not end with a hyphen. Mail cannot be
 * delivered to an address that breaks them, and `format: email` in the OpenAPI document promises them.
 */
function hasDeliverableShape(email: string): boolean {
  const at = email.lastIndexOf('@');
  return (
    at <= 64 &&
    email
      .slice(at + 1)
      .split('.')
      .every((label) => label.length <= 63 && !label.endsWith('-'))
  );
}

export const emailSchema = z
  .pipe(
    z.string().check(z.trim(), z.toLowerCase()),
    z.email({ message: 'Invalid email address' }).check(z.minLength(3), z.maxLength(250), z.refine(hasDeliverableShape, { message: 'Invalid email address' })),
  )
  // What a sender may post (JSON Schema cannot express "trimmed and lower-cased, then an email"). The
  // pattern is zod's own email check: `format: email` alone allows addresses (a backtick, a pipe) it refuses.
  .check(z.meta({ format: 'email', pattern: z.regexes.email.source, minLength: 3, maxLength: 250, description: 'Trimmed and lower-cased before validation.' }));

export const addressSchema = z.strictObject({
  first_name: z.optional(trimmedText(1, 255)),
  last_name: z.optional(trimmedText(1, 255)),
  company: z.optional(trimmedText(1, 255)),
  address1: trimmedText(1, 255),
  address2: z.optional(trimmedText(1, 255)),
  city: trimmedText(1, 100),
  // BigCommerce wants the full name ("California"), not a code.
  state_or_province: z.optional(trimmedText(1, 100)),
  postal_code: z.optional(trimmedText(1, 30)),
  country_code: z
    .string()
    .check(
      z.trim(),
      z.toUpperCase(),
      z.regex(/^[A-Z]{2}$/, { message: 'Must be a two-letter ISO 3166-1 country code' }),
      z.meta({ pattern: '^\\s*[A-Za-z]{2}\\s*$', description: 'ISO 3166-1 alpha-2; upper-cased before validation.' }),
    ),
  phone: z.optional(trimmedText(1, 50)),
  address_type: z.optional(z.enum(['residential', 'commercial'])),
});

export const customFieldSchema = z.strictObject({
  name: trimmedText(1, 255),
  // Bounded so one signup at every limit stays far below SQS's 256 KiB message size (about 60 KiB).
  value: z.union([z.string().check(z.maxLength(255)), z.number(), z.array(z.string().check(z.maxLength(255))).check(z.maxLength(10))]),
});

/**
 * What the person agreed to, when the sender says so. Absent means unknown (never "no"): a sender that
 * does not ask must not withdraw a consent given elsewhere.
 * - `marketing`: email marketing / newsletter (BigCommerce keeps it in its separate Subscribers API,
 *   `consents: ["marketing_newsletter"]`; the sync writes a subscriber when it is true, see docs/subscribers.md);
 * - `abandoned_cart`: product review and abandoned cart emails (the sync sets BigCommerce's
 *   `accepts_product_review_abandoned_cart_emails` on new customers).
 */
export const consentSchema = z
  .strictObject({
    marketing: z.optional(z.boolean()).check(z.meta({ description: 'Email marketing / newsletter' })),
    abandoned_cart: z
      .optional(z.boolean())
      .check(z.meta({ description: "Product review and abandoned cart emails (BigCommerce's accepts_product_review_abandoned_cart_emails)" })),
  })
  .check(z.meta({ description: 'What the person agreed to; an absent flag means unknown, never "no"' }));
export type Consent = z.infer<typeof consentSchema>;

/** The only fields an opt-out carries (an opt-out says nothing about names or addresses). */
const OPT_OUT_FIELDS: ReadonlySet<string> = new Set(['email', 'opt_out', 'event_id', 'occurred_at']);

const signupObject = z
  .strictObject({
    email: emailSchema,
    // Optional since schema version 2: a newsletter box asks only for an email. What a nameless signup
    // becomes (a subscriber, a customer with placeholder names, or refused) is the ingest's nameless
    // policy (shared/signup/signup-policy.ts, docs/subscribers.md).
    first_name: z.optional(trimmedText(1, 100)),
    last_name: z.optional(trimmedText(1, 100)),
    company: z.optional(trimmedText(1, 255)),
    phone: z.optional(trimmedText(1, 50)),
    // BigCommerce documents no limit for notes; this cap keeps one signup far below the SQS message size.
    notes: z.optional(z.string().check(z.maxLength(10_000))),
    address: z.optional(addressSchema),
    custom_fields: z.optional(z.array(customFieldSchema).check(z.maxLength(20))),
    consent: z.optional(consentSchema),
    opt_out: z.optional(z.literal(true)).check(
      z.meta({
        description:
          'An unsubscribe: the store stops mailing this email (its newsletter consent is withdrawn). Only email, event_id and occurred_at may accompany it.',
      }),
    ),
    event_id: z
      .optional(trimmedText(1, 200))
      .check(z.meta({ description: "The sender's id for this event: with the source id it is the idempotency key, so a redelivery carries the same key" })),
    occurred_at: z.optional(z.iso.datetime({ offset: true })).check(
      z.meta({
        description:
          'When the signup happened at the sender (not when it was received), ISO 8601. Never later than its receipt: POST /signups refuses one more than 5 minutes after it (422); a webhook event dated later is capped at its receipt',
      }),
    ),
  })
  .check(
    z.superRefine((signup, context) => {
      if (signup.opt_out !== true) return;
      for (const [key, value] of Object.entries(signup)) {
        if (value !== undefined && !OPT_OUT_FIELDS.has(key)) {
          context.addIssue({ code: 'custom', path: [key], message: 'An opt-out carries only email, event_id and occurred_at' });
        }
      }
    }),
  );

export const signupSchema = z.pipe(
  signupObject,
  // BigCommerce requires names on an address; a form rarely asks twice, so they default to the customer's.
  z.transform(({ address, ...signup }: z.output<typeof signupObject>) => ({
    ...signup,
    address: address && {
      ...address,
      first_name: address.first_name ?? signup.first_name,
      last_name: address.last_name ?? signup.last_name,
    },
  })),
);

/** What a sender posts (before trimming and defaults). */
export type SignupInput = z.input<typeof signupSchema>;
/** A validated, normalised signup. */
export type Signup = z.output<typeof signupSchema>;

/**
 * Version 2 (issue 13): names are optional and a signup may be an opt-out (`opt_out: true`).
 * Version 3: `placeholder_names` says which of the signup's names are placeholders the ingest filled
 * in (the nameless policy's `placeholderNames`, a source's `lastNamePolicy` placeholder), so the sync
 * never writes them over a customer's real names.
 * Version 4: what consent evidence needs (`evidence`: the page or form, the client IP where the source
 * records it) and the source's double opt-in (`source.double_opt_in`); a confirmation of double opt-in
 * travels as a message of its own (`confirmationMessageSchema`). Every earlier message is a valid
 * version 4 message without them, so the sync decodes all four.
 */
export const SIGNUP_MESSAGE_SCHEMA_VERSION = 4;
export const DECODABLE_SCHEMA_VERSIONS = [1, 2, 3, 4] as const;

/** The names a placeholder can stand in for. */
export const PLACEHOLDER_NAME_FIELDS = ['first_name', 'last_name'] as const;
export type PlaceholderNameField = (typeof PLACEHOLDER_NAME_FIELDS)[number];

/**
 * Per-source customer settings (a source's `customerDefaults` in the stack config), carried in each
 * message so the sync applies them over its global settings. Absent fields fall back to the global ones.
 */
export const customerDefaultsSchema = z.strictObject({
  channel_ids: z.optional(z.array(z.int().check(z.positive())).check(z.minLength(1), z.maxLength(100))),
  customer_group_id: z.optional(z.int().check(z.nonnegative())),
  send_welcome_email: z.optional(z.boolean()),
});
export type CustomerDefaults = z.infer<typeof customerDefaultsSchema>;

export const signupSourceSchema = z.strictObject({
  id: trimmedText(1, 64),
  kind: trimmedText(1, 64),
  customer_defaults: z.optional(customerDefaultsSchema),
  /**
   * The source's `consentVersion`: which consent wording its form showed (docs/sources.md, "Intent").
   * Carried so the sync can see it; set on every message of a source that has one.
   */
  consent_version: z.optional(trimmedText(1, 100)),
  /** The source asks for double opt-in (version 4): what waits for the confirmation (shared/consent/double-opt-in.ts). */
  double_opt_in: z.optional(z.enum(['subscriber', 'everything'])),
});
export type SignupSource = z.infer<typeof signupSourceSchema>;

/**
 * What consent evidence records about where a signup came from (version 4; docs/privacy.md): the page
 * of an html form (its Referer, else its Origin; no query string, which may hold personal data), the
 * sender's form id for a webhook whose sender names one, and the client's IP only where the source
 * records it (`recordClientIp`).
 */
export const EVIDENCE_TEXT_LIMITS = { page: 500, form: 200 } as const;
export const signupEvidenceSchema = z.strictObject({
  page: z.optional(z.string().check(z.minLength(1), z.maxLength(EVIDENCE_TEXT_LIMITS.page))),
  form: z.optional(z.string().check(z.minLength(1), z.maxLength(EVIDENCE_TEXT_LIMITS.form))),
  ip: z.optional(z.string().check(z.minLength(2), z.maxLength(45))),
});
export type SignupEvidence = z.infer<typeof signupEvidenceSchema>;

/** The body of one SQS message: one signup plus what the sync needs to trace and de-duplicate it. */
export const signupMessageSchema = z.strictObject({
  schema_version: z.union(DECODABLE_SCHEMA_VERSIONS.map((version) => z.literal(version))),
  id: z.string().check(z.minLength(1), z.maxLength(80)),
  idempotency_key: z.string().check(z.minLength(1), z.maxLength(300)),
  received_at: z.iso.datetime(),
  source: signupSourceSchema,
  // Re-validated on the consumer side: the queue is a trust boundary too (a redrive or a manual send).
  signup: signupSchema,
  /** Which of `signup`'s names are placeholders (version 3); absent: none. */
  placeholder_names: z.optional(z.array(z.enum(PLACEHOLDER_NAME_FIELDS)).check(z.maxLength(PLACEHOLDER_NAME_FIELDS.length))),
  /** Where the signup came from, for consent evidence (version 4). */
  evidence: z.optional(signupEvidenceSchema),
});
export type SignupMessage = z.output<typeof signupMessageSchema>;

export const CONFIRMATION_KIND = 'confirmation';

/**
 * A person confirmed a double opt-in link (version 4): the confirm route enqueues this, and the sync
 * turns it into the subscriber write and its evidence. It holds no email or name: only the person key
 * (a keyed hash) and the nonce of the link, which find the pending request the sync wrote when it
 * mailed the link (shared/consent/). A dead letter of it holds nothing personal.
 */
export const confirmationMessageSchema = z.strictObject({
  schema_version: z.literal(4),
  kind: z.literal(CONFIRMATION_KIND),
  id: z.string().check(z.minLength(1), z.maxLength(80)),
  /** When the confirm route received the confirmation. */
  received_at: z.iso.datetime(),
  source: z.strictObject({ id: trimmedText(1, 64), kind: trimmedText(1, 64) }),
  confirmation: z.strictObject({
    person: z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/)),
    nonce: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,32}$/)),
    /** The confirming client's IP, where the source records it. */
    ip: z.optional(z.string().check(z.minLength(2), z.maxLength(45))),
  }),
});
export type ConfirmationMessage = z.output<typeof confirmationMessageSchema>;
