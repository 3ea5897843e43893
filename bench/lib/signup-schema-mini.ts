import * as z from 'zod/mini';

/**
 * shared/signup/signup-schema.ts's signup schema (and the schemas it is built from) written with zod/mini,
 * for the cold-start bench only (bench/cold-report.ts, lever "zod/mini"): same fields, limits, checks,
 * metadata, superRefine and transform, so loading it costs what a move of this schema would cost. It is not
 * the product's schema: zod/mini configures no locale (zod does, at load), so on its own its messages are generic
 * ones; a real move also needs an error map (or the locale's load) for the messages the tests pin.
 */

const NOT_BLANK_PATTERN = '[^\\s\\ufeff]';
const trimmedText = (min: number, max: number) => {
  const text = z.string().check(z.trim(), z.minLength(min), z.maxLength(max));
  return min > 0 ? text.check(z.meta({ pattern: NOT_BLANK_PATTERN })) : text;
};

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
  .check(z.meta({ format: 'email', pattern: z.regexes.email.source, minLength: 3, maxLength: 250, description: 'Trimmed and lower-cased before validation.' }));

export const addressSchema = z.strictObject({
  first_name: z.optional(trimmedText(1, 255)),
  last_name: z.optional(trimmedText(1, 255)),
  company: z.optional(trimmedText(1, 255)),
  address1: trimmedText(1, 255),
  address2: z.optional(trimmedText(1, 255)),
  city: trimmedText(1, 100),
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
  value: z.union([z.string().check(z.maxLength(255)), z.number(), z.array(z.string().check(z.maxLength(255))).check(z.maxLength(10))]),
});

export const consentSchema = z
  .strictObject({
    marketing: z.optional(z.boolean()).check(z.meta({ description: 'Email marketing / newsletter' })),
    abandoned_cart: z
      .optional(z.boolean())
      .check(z.meta({ description: "Product review and abandoned cart emails (BigCommerce's accepts_product_review_abandoned_cart_emails)" })),
  })
  .check(z.meta({ description: 'What the person agreed to; an absent flag means unknown, never "no"' }));

const OPT_OUT_FIELDS: ReadonlySet<string> = new Set(['email', 'opt_out', 'event_id', 'occurred_at']);

const signupObject = z
  .strictObject({
    email: emailSchema,
    first_name: z.optional(trimmedText(1, 100)),
    last_name: z.optional(trimmedText(1, 100)),
    company: z.optional(trimmedText(1, 255)),
    phone: z.optional(trimmedText(1, 50)),
    notes: z.optional(z.string().check(z.maxLength(10_000))),
    address: z.optional(addressSchema),
    custom_fields: z.optional(z.array(customFieldSchema).check(z.maxLength(20))),
    consent: z.optional(consentSchema),
    opt_out: z.optional(z.literal(true)).check(z.meta({ description: 'An unsubscribe: the store stops mailing this email.' })),
    event_id: z.optional(trimmedText(1, 200)).check(z.meta({ description: "The sender's id for this event" })),
    occurred_at: z.optional(z.iso.datetime({ offset: true })).check(z.meta({ description: 'When the signup happened at the sender, ISO 8601' })),
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
  z.transform(({ address, ...signup }: z.output<typeof signupObject>) => ({
    ...signup,
    address: address && { ...address, first_name: address.first_name ?? signup.first_name, last_name: address.last_name ?? signup.last_name },
  })),
);
