import * as z from '../zod-mini';
import { PLACEHOLDER_NAME_FIELDS, type PlaceholderNameField, type Signup } from './signup-schema';

/**
 * What a signup without both names becomes (docs/subscribers.md, "What a signup becomes"). BigCommerce
 * customers need a first and a last name; newsletter subscribers need only an email.
 *
 * | names   | marketing consent | `subscriber` (default)  | `placeholder`                 | `reject`  |
 * |---------|-------------------|-------------------------|-------------------------------|-----------|
 * | both    | any               | customer (+ subscriber when consenting) | same          | same      |
 * | missing | given             | subscriber only         | customer with placeholder names (+ subscriber) | refused |
 * | missing | not given         | refused                 | customer with placeholder names | refused |
 *
 * Applied by the ingest after validation, globally (NAMELESS_POLICY) or per source (`nameless`,
 * `placeholderNames` in its config). Opt-outs carry no names and pass untouched.
 */
export const NAMELESS_POLICIES = ['subscriber', 'placeholder', 'reject'] as const;
export type NamelessMode = (typeof NAMELESS_POLICIES)[number];

const placeholderName = z.string({ error: 'must be a string' }).check(z.trim(), z.minLength(1), z.maxLength(100));
export const placeholderNamesSchema = z.strictObject({ first_name: placeholderName, last_name: placeholderName });
export type PlaceholderNames = z.infer<typeof placeholderNamesSchema>;

export const namelessPolicySchema = z.strictObject({
  nameless: z._default(z.enum(NAMELESS_POLICIES, { error: `must be one of ${NAMELESS_POLICIES.join(', ')}` }), 'subscriber'),
  placeholderNames: z._default(placeholderNamesSchema, { first_name: 'Newsletter', last_name: 'Subscriber' }),
});
export type NamelessPolicy = z.output<typeof namelessPolicySchema>;
export const DEFAULT_NAMELESS_POLICY: NamelessPolicy = namelessPolicySchema.parse({});

/**
 * The policy for one source: its overrides over the global policy, field by field, plus its
 * `lastNamePolicy` placeholder (which its adapter already filled in), so that a last name equal to it
 * is marked as a placeholder too.
 */
export type SourceNamePolicy = NamelessPolicy & Readonly<{ lastNamePlaceholder?: string }>;

/** A source's overrides over the global policy, field by field. */
export function namelessPolicyFor(
  global: NamelessPolicy,
  source: Readonly<{ nameless?: NamelessMode | undefined; placeholderNames?: PlaceholderNames | undefined; lastNamePolicy?: unknown }> | undefined,
): SourceNamePolicy {
  const lastNamePolicy = source?.lastNamePolicy;
  const lastNamePlaceholder =
    typeof lastNamePolicy === 'object' && lastNamePolicy !== null && 'placeholder' in lastNamePolicy && typeof lastNamePolicy.placeholder === 'string'
      ? lastNamePolicy.placeholder
      : undefined;
  return {
    nameless: source?.nameless ?? global.nameless,
    placeholderNames: source?.placeholderNames ?? global.placeholderNames,
    ...(lastNamePlaceholder !== undefined ? { lastNamePlaceholder } : {}),
  };
}

export type NamelessProblem = Readonly<{ path: readonly string[]; message: string }>;
/** `placeholderNames`: the names the policy filled in (the message marks them, so the sync never writes them over real ones). */
export type NamelessDecision =
  | Readonly<{ ok: true; signup: Signup; placeholderNames: readonly PlaceholderNameField[] }>
  | Readonly<{ ok: false; problems: readonly NamelessProblem[] }>;

const NAME_FIELDS = PLACEHOLDER_NAME_FIELDS;

/** The refusal of a signup that lacks `missing` names (none when the policy lets it through). */
function namelessProblems(missing: readonly (typeof NAME_FIELDS)[number][], consenting: boolean, policy: NamelessPolicy): NamelessProblem[] {
  if (missing.length === 0 || policy.nameless === 'placeholder' || (consenting && policy.nameless === 'subscriber')) return [];
  const message = consenting
    ? 'Required: this source does not accept signups without names (nameless policy "reject")'
    : 'Required unless marketing consent is given: without names a signup can only become a newsletter subscriber';
  return missing.map((field) => ({ path: [field], message }));
}

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The policy's verdict on a candidate the schema refused, so that one answer names every bad field: the
 * names it lacks (absent, not merely invalid: an invalid name is the schema's to report). Nothing when
 * the candidate is an opt-out, or when its consent or opt-out flag is itself invalid (then whether names
 * are needed is unknown, and the schema already names that flag).
 */
export function namelessProblemsOfCandidate(candidate: unknown, policy: NamelessPolicy): NamelessProblem[] {
  if (!isRecord(candidate) || candidate['opt_out'] !== undefined) return [];
  const consent = candidate['consent'];
  const marketing = isRecord(consent) ? consent['marketing'] : undefined;
  if ((consent !== undefined && !isRecord(consent)) || (marketing !== undefined && typeof marketing !== 'boolean')) return [];
  return namelessProblems(
    NAME_FIELDS.filter((field) => candidate[field] === undefined),
    marketing === true,
    policy,
  );
}

export function applyNamelessPolicy(signup: Signup, policy: SourceNamePolicy): NamelessDecision {
  if (signup.opt_out === true) return { ok: true, signup, placeholderNames: [] };
  // The source's lastNamePolicy placeholder (filled in by its adapter) is no real name either.
  const adapterFilled = policy.lastNamePlaceholder !== undefined && signup.last_name === policy.lastNamePlaceholder;
  const marks = (filled: readonly PlaceholderNameField[]): PlaceholderNameField[] =>
    NAME_FIELDS.filter((field) => filled.includes(field) || (field === 'last_name' && adapterFilled));
  if (signup.first_name && signup.last_name) return { ok: true, signup, placeholderNames: marks([]) };
  const missing = NAME_FIELDS.filter((field) => !signup[field]);
  const consenting = signup.consent?.marketing === true;
  if (policy.nameless === 'placeholder') {
    const filled = {
      ...signup,
      first_name: signup.first_name ?? policy.placeholderNames.first_name,
      last_name: signup.last_name ?? policy.placeholderNames.last_name,
    };
    // An address takes the customer's names when it has none (signup-schema.ts does the same).
    const address = filled.address && {
      ...filled.address,
      first_name: filled.address.first_name ?? filled.first_name,
      last_name: filled.address.last_name ?? filled.last_name,
    };
    return { ok: true, signup: { ...filled, address }, placeholderNames: marks(missing) };
  }
  const problems = namelessProblems(missing, consenting, policy);
  return problems.length === 0 ? { ok: true, signup, placeholderNames: marks([]) } : { ok: false, problems };
}
