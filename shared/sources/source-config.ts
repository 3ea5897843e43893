import { CAPTCHA_PROVIDERS } from '../captcha/verify-captcha';
import { confirmationMailSettingsSchema } from '../consent/double-opt-in';
import { NAMELESS_POLICIES, placeholderNamesSchema } from '../signup/nameless-policy';
import * as z from '../zod-mini';
import { CANONICAL_FIELDS, type FieldTarget, isFieldTarget } from './canonical-fields';
import { SourceConfigError } from './errors';

/**
 * The list of configured signup sources, validated at synth and at cold start (docs/sources.md).
 * Secrets are not here: they live in one Secrets Manager secret (JSON object sourceId -> secret),
 * loaded by the ingest and handed to the adapter as `context.secret`.
 *
 * Every object is strict: a misspelt option is an error, not a silently ignored key.
 */

export const SOURCE_KINDS = [
  'standard-webhooks',
  'html-form',
  'mailchimp',
  'hubspot',
  'typeform',
  'webflow',
  'tally',
  'kit',
  'shopify',
  'jotform',
  'activecampaign',
] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** Five minutes, the tolerance HubSpot, Webflow, Kit and the Standard Webhooks reference library use. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** https, or http on a loopback host so local mode (`npm start`) can use a form on localhost. */
function isSecureUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}

const sourceIdSchema = z.string({ error: 'must be a string' }).check(
  z.regex(SLUG, {
    error: 'must be a URL-safe slug: 1-64 lower-case letters, digits and hyphens, not starting or ending with a hyphen',
  }),
);

const secureUrlSchema = z.string({ error: 'must be a string' }).check(
  z.refine(
    (value: string) => {
      const url = parseUrl(value);
      return url !== undefined && isSecureUrl(url) && url.username === '' && url.password === '';
    },
    { error: 'must be an absolute https URL (http only on localhost), without credentials' },
  ),
);

const originSchema = z.string({ error: 'must be a string' }).check(
  z.refine(
    (value: string) => {
      const url = parseUrl(value);
      return url !== undefined && isSecureUrl(url) && url.origin === value;
    },
    { error: 'must be an origin such as https://www.example.com: scheme and host (and port), lower-case, no path or trailing slash' },
  ),
);

const nameSchema = (what: string) =>
  z.string({ error: 'must be a string' }).check(z.trim(), z.minLength(1, { error: `${what} must not be empty` }), z.maxLength(200));

const fieldMapSchema = z.pipe(
  z
    .record(
      nameSchema('a sender field'),
      z.string({ error: 'must be a string' }).check(
        z.refine(isFieldTarget, {
          error: `must be one of ${CANONICAL_FIELDS.join(', ')}, or custom:<name>`,
        }),
      ),
    )
    .check(z.refine((map: Record<string, string>) => Object.keys(map).length <= 100, { error: 'at most 100 mapped fields' })),
  z.transform((map: Record<string, string>) => map as Readonly<Record<string, FieldTarget>>),
);

const lastNamePolicySchema = z._default(
  z.union(
    [
      z.literal('reject'),
      z.literal('split-full-name'),
      z.strictObject({ placeholder: z.string({ error: 'must be a string' }).check(z.trim(), z.minLength(1), z.maxLength(100)) }),
    ],
    { error: "must be 'reject', 'split-full-name' or { placeholder: string }" },
  ),
  'reject',
);
export type LastNamePolicy = z.output<typeof lastNamePolicySchema>;

const customerDefaultsSchema = z.strictObject({
  channelIds: z.optional(z.array(z.int().check(z.positive())).check(z.minLength(1), z.maxLength(100))),
  customerGroupId: z.optional(z.int().check(z.nonnegative())),
  sendWelcomeEmail: z.optional(z.boolean()),
});

const toleranceSchema = z._default(z.int().check(z.gte(1), z.lte(3600)), DEFAULT_TOLERANCE_SECONDS);
/** Query parameter that carries the per-source secret for senders that cannot sign (docs/sources.md). */
const tokenParamSchema = z._default(nameSchema('tokenParam'), 'token');
const idListSchema = z.array(nameSchema('an id')).check(z.minLength(1), z.maxLength(100));

/** What submitting the source's form means (docs/sources.md, "Intent"). */
export const SOURCE_INTENTS = ['signup', 'newsletter'] as const;
export type SourceIntent = (typeof SOURCE_INTENTS)[number];

/** What a delivery that carries too little to store becomes (docs/sources.md, "Incomplete submissions"). */
export const INCOMPLETE_POLICIES = ['dead-letter', 'ignore'] as const;
export type IncompletePolicy = (typeof INCOMPLETE_POLICIES)[number];
/**
 * A webhook source's route token: the random part of its URL, `/sources/<id>-<routeToken>`, so nobody who
 * only knows (or guesses) the id can reach its route and use up its throttle (docs/security.md, "Guessable
 * routes and a flood of bad signatures"). Written into cdk.json once by `signup-sync route-tokens`; it is
 * not a credential (the signature or URL token is), so it may appear in route keys and stack outputs.
 */
export const ROUTE_TOKEN_PATTERN = /^[a-z0-9]{16,64}$/;
const routeTokenSchema = z
  .string({ error: 'must be a string' })
  .check(z.regex(ROUTE_TOKEN_PATTERN, { error: 'must be 16-64 lower-case letters and digits (run `npx signup-sync route-tokens` to generate one)' }));

const base = {
  id: sourceIdSchema,
  /** sender field -> canonical field; the adapter's defaults fill only the targets this map leaves out. */
  fieldMap: z.optional(fieldMapSchema),
  customerDefaults: z.optional(customerDefaultsSchema),
  lastNamePolicy: lastNamePolicySchema,
  /** What a signup without names becomes for this source (shared/signup/nameless-policy.ts); default: the global setting. */
  nameless: z.optional(z.enum(NAMELESS_POLICIES, { error: `must be one of ${NAMELESS_POLICIES.join(', ')}` })),
  placeholderNames: z.optional(placeholderNamesSchema),
  /**
   * 'newsletter': the form itself is the opt-in (an email-only newsletter box), so every submission
   * carries marketing consent unless it explicitly says no. Needs `consentVersion`. Default 'signup'.
   */
  intent: z._default(z.enum(SOURCE_INTENTS, { error: `must be one of ${SOURCE_INTENTS.join(', ')}` }), 'signup'),
  /** A short name for the consent wording shown on the form ("2026-11 footer box"), carried in each message. */
  consentVersion: z.optional(
    z.string({ error: 'must be a string' }).check(z.trim(), z.minLength(1, { error: 'consentVersion must not be empty' }), z.maxLength(100)),
  ),
  /**
   * A submission that carries too little to store (no email; or no names and no marketing consent):
   * 'dead-letter' (default: an `unmappable` dead letter, which alarms) or 'ignore' (answered 2xx, counted
   * by its log line with its field paths; nothing queued). Not for html-form (the person can fix the form).
   */
  incomplete: z._default(z.enum(INCOMPLETE_POLICIES, { error: `must be one of ${INCOMPLETE_POLICIES.join(', ')}` }), 'dead-letter'),
  /** The random part of the source's URL (required for every kind but html-form at synth and cold start; see sourceRouteSegment). */
  routeToken: z.optional(routeTokenSchema),
  /**
   * Double opt-in (docs/subscribers.md): a consenting signup is mailed a confirmation link (SES), and only
   * the confirmation writes the newsletter consent. Needs `consentVersion`.
   */
  doubleOptIn: z.optional(
    // The shape spread, not z.extend: the same code under full zod (bench/cold-start.ts measures that lever).
    z.strictObject({
      ...confirmationMailSettingsSchema.shape,
      /** Where the confirm page sends the person once confirmed (default: a page of the ingest API that says so). */
      confirmedUrl: z.optional(secureUrlSchema),
    }),
  ),
  /** Keep the client's IP in the consent evidence (html-form only; off by default: docs/privacy.md says when it is worth it). */
  recordClientIp: z._default(z.boolean({ error: 'must be true or false' }), false),
};

const standardWebhooksSchema = z.strictObject({
  ...base,
  kind: z.literal('standard-webhooks'),
  toleranceSeconds: toleranceSchema,
  /** With the recommended envelope {type, timestamp, data}: the `type`s to keep (others are ignored). */
  eventTypes: z.optional(z.array(nameSchema('an event type')).check(z.minLength(1))),
  /** Also accept `Authorization: Bearer <secret>` (no replay protection; for the canonical POST /signups). */
  acceptBearerToken: z._default(z.boolean(), false),
});

const captchaSchema = z
  .strictObject({
    provider: z.enum(CAPTCHA_PROVIDERS, { error: `must be one of ${CAPTCHA_PROVIDERS.join(', ')}` }),
    /**
     * The hostnames the provider may report the token was solved on; default: the hosts of
     * allowedOrigins. A token solved on another site (a farm, a copy of the form) is refused.
     */
    hostnames: z.optional(z.array(nameSchema('a hostname')).check(z.minLength(1), z.maxLength(50))),
    /** The action the widget is rendered with (Turnstile `data-action`, reCAPTCHA v3 `action`); checked when set. */
    action: z.optional(nameSchema('action')),
    /** reCAPTCHA v3 only: the lowest score (0.0 bot … 1.0 human) accepted. */
    minScore: z._default(z.number().check(z.gte(0), z.lte(1)), 0.5),
    /** The provider's siteverify endpoint, when not its public one (local mode and tests use a loopback stand-in). */
    verifyUrl: z.optional(secureUrlSchema),
    /** How long the ingest waits for siteverify; past it the post is refused (fail closed). */
    timeoutMs: z._default(z.int().check(z.gte(200), z.lte(8_000)), 3_000),
    /**
     * hCaptcha only, and required there: the widget's sitekey (the page's `data-sitekey`, public). An
     * hCaptcha secret belongs to the account, not to one sitekey, so without it a token solved for any
     * other sitekey of the account passes; siteverify refuses it when `sitekey` is sent.
     */
    sitekey: z.optional(nameSchema('sitekey')),
  })
  .check(
    z.refine((captcha) => !(captcha.provider === 'hcaptcha' && captcha.action !== undefined), {
      error: 'hCaptcha reports no action: leave action out',
      path: ['action'],
    }),
    z.refine((captcha) => captcha.provider !== 'hcaptcha' || captcha.sitekey !== undefined, {
      error:
        "hCaptcha needs the widget's sitekey (the data-sitekey of your page): its secret key is account-wide, and siteverify checks the token against the sitekey sent",
      path: ['sitekey'],
    }),
    z.refine((captcha) => captcha.provider === 'hcaptcha' || captcha.sitekey === undefined, {
      error: 'only hcaptcha takes a sitekey (a Turnstile or reCAPTCHA secret key belongs to one sitekey already)',
      path: ['sitekey'],
    }),
  );

/** At least a sentence: `captcha: false` is a decision someone must be able to read back later. */
const CAPTCHA_REASON_MIN_LENGTH = 10;

export type { CaptchaConfig } from '../captcha/verify-captcha';

/** Ten posts per client and form in ten minutes: a household or an office behind one address signs up a few people, a bot many. */
export const DEFAULT_CLIENT_LIMIT = { max: 10, windowSeconds: 600 } as const;

const htmlFormFields = z.strictObject({
  ...base,
  kind: z.literal('html-form'),
  allowedOrigins: z.array(originSchema).check(z.minLength(1, { error: 'list at least one origin' }), z.maxLength(50)),
  thankYouUrl: secureUrlSchema,
  errorUrl: secureUrlSchema,
  /** A hidden input that must arrive empty; filled means a bot, answered as a success and dropped. */
  honeypotField: z.optional(nameSchema('honeypotField')),
  /** A hidden input with a client-generated UUID, used as the event id (forms have no event id of their own). */
  submissionIdField: z._default(nameSchema('submissionIdField'), 'submission_id'),
  /** Form field that carries the form token when the source has a secret. */
  tokenField: z._default(nameSchema('tokenField'), 'form_token'),
  /** Accept POSTs with neither Origin nor Referer (non-browser clients). Off by default. */
  allowMissingOrigin: z._default(z.boolean(), false),
  /**
   * A CAPTCHA solved on the page, verified server-side (its secret: `captchaSecret` in the source's
   * sources-secret entry), or `false` with `captchaReason`: synth and cold start refuse a form that says
   * neither (exposureProblems below; docs/security.md, "Bots farming a public form").
   */
  captcha: z.optional(z.union([captchaSchema, z.literal(false)], { error: 'must be a captcha object ({"provider": …}) or false (with captchaReason)' })),
  /** Why this form has no CAPTCHA (with `captcha: false` only): e.g. "an intranet form behind our SSO". */
  captchaReason: z.optional(
    z
      .string({ error: 'must be a string' })
      .check(
        z.trim(),
        z.minLength(CAPTCHA_REASON_MIN_LENGTH, { error: `must say why the form needs no CAPTCHA (at least ${CAPTCHA_REASON_MIN_LENGTH} characters)` }),
        z.maxLength(500),
      ),
  ),
  /**
   * Posts one client (IP address; an IPv6 address counts by its /64) may make to this form per window, counted
   * in the delivery ledger's table before the CAPTCHA and the enqueue (docs/security.md); past it: 429 with Retry-After.
   */
  clientLimit: z._default(
    z.strictObject({
      max: z.int().check(z.gte(1), z.lte(10_000)),
      windowSeconds: z.int().check(z.gte(10), z.lte(86_400)),
    }),
    DEFAULT_CLIENT_LIMIT,
  ),
});

/** `captcha: false` only with its reason, and the reason only then. */
const htmlFormSchema = htmlFormFields.check(
  z.refine((form) => form.captcha !== false || form.captchaReason !== undefined, {
    error: 'captcha: false needs captchaReason: say why this public form needs no CAPTCHA (docs/security.md, "Bots farming a public form")',
    path: ['captchaReason'],
  }),
  z.refine((form) => form.captcha === false || form.captchaReason === undefined, {
    error: 'captchaReason goes with captcha: false only',
    path: ['captchaReason'],
  }),
);

const mailchimpSchema = z.strictObject({
  ...base,
  kind: z.literal('mailchimp'),
  tokenParam: tokenParamSchema,
  /** `subscribe` is always kept; `profile` (a member updated their profile) only when this is true. */
  includeProfileUpdates: z._default(z.boolean(), false),
});

const hubspotAuthSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('signature'),
      /**
       * v3 (signed timestamp, 5-minute window) only, unless this is true: then a request without a v3
       * signature may carry a v2 one instead. v2 signs no timestamp, so a captured request stays valid
       * forever (the delivery ledger folds a replay only within its retention) and HubSpot sends v2 beside
       * v3, so stripping the v3 header from any captured request replays it. Only for a workflow that
       * sends no v3 signature (docs/sources.md).
       */
      allowReplayableV2: z._default(z.boolean(), false),
    }),
    z
      .strictObject({
        type: z.literal('api-key'),
        header: z.optional(
          z.pipe(
            nameSchema('header'),
            z.transform((name: string) => name.toLowerCase()),
          ),
        ),
        queryParam: z.optional(nameSchema('queryParam')),
      })
      .check(
        z.refine((auth) => (auth.header === undefined) !== (auth.queryParam === undefined), {
          error: 'set exactly one of header or queryParam',
        }),
      ),
  ],
  { error: "type must be 'signature' or 'api-key'" },
);

const hubspotSchema = z.strictObject({
  ...base,
  kind: z.literal('hubspot'),
  /**
   * The public URL HubSpot is configured to call (custom domain and path, without the query). The v3
   * signature covers the URL, which API Gateway's rawPath does not reproduce behind a custom domain.
   * Without it, the ingest's `publicUrl` for the request is used.
   */
  publicUrl: z.optional(secureUrlSchema),
  auth: z._default(hubspotAuthSchema, { type: 'signature', allowReplayableV2: false }),
  toleranceSeconds: toleranceSchema,
});

const typeformSchema = z.strictObject({ ...base, kind: z.literal('typeform') });

const webflowSchema = z.strictObject({
  ...base,
  kind: z.literal('webflow'),
  /** Webhooks created in the dashboard or with a site API key are unsigned: use a URL token then. */
  auth: z._default(z.enum(['signature', 'url-token']), 'signature'),
  tokenParam: tokenParamSchema,
  toleranceSeconds: toleranceSchema,
  /** Keep only submissions of these forms (payload.formId or payload.name). */
  formIds: z.optional(idListSchema),
  formNames: z.optional(idListSchema),
});

const tallySchema = z.strictObject({ ...base, kind: z.literal('tally') });

const kitSchema = z.strictObject({
  ...base,
  kind: z.literal('kit'),
  /**
   * 'signature' (default): webhook endpoints, signed with X-Kit-Signature. 'url-token': Kit's legacy
   * webhooks (/v4/webhooks, v3), which are unsigned, so the URL carries the source's token.
   */
  auth: z._default(z.enum(['signature', 'url-token'], { error: "must be 'signature' or 'url-token'" }), 'signature'),
  tokenParam: tokenParamSchema,
  eventTypes: z._default(z.array(nameSchema('an event type')).check(z.minLength(1)), ['subscriber.activated', 'subscriber.subscribed_to_form']),
  toleranceSeconds: toleranceSchema,
});

const shopifySchema = z.strictObject({ ...base, kind: z.literal('shopify') });

const jotformSchema = z.strictObject({
  ...base,
  kind: z.literal('jotform'),
  tokenParam: tokenParamSchema,
  /** Keep only submissions of these form ids (Jotform does not sign its webhooks). */
  formIds: z.optional(idListSchema),
});

const activeCampaignSchema = z.strictObject({ ...base, kind: z.literal('activecampaign'), tokenParam: tokenParamSchema });

/** Combinations of per-source settings that cannot work together, each with how to fix it. */
function settingProblems(
  source: Readonly<{
    kind: SourceKind;
    intent: SourceIntent;
    consentVersion?: string | undefined;
    nameless?: string | undefined;
    incomplete: IncompletePolicy;
    doubleOptIn?: unknown;
    recordClientIp: boolean;
  }>,
): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  if (source.doubleOptIn !== undefined && source.consentVersion === undefined) {
    problems.push({
      field: 'consentVersion',
      message:
        'required with doubleOptIn: the evidence of each confirmation names the consent wording the person saw, e.g. "consentVersion": "2026-11 footer box" (change it whenever the wording changes)',
    });
  }
  if (source.recordClientIp && source.kind !== 'html-form') {
    problems.push({
      field: 'recordClientIp',
      message: "applies to html-form only: a webhook's client is the sender's server, not the person, so its address proves nothing; remove it",
    });
  }
  if (source.intent === 'newsletter' && source.consentVersion === undefined) {
    problems.push({
      field: 'consentVersion',
      message:
        'required with intent "newsletter": the form is the opt-in, so name the consent wording it shows, e.g. "consentVersion": "2026-11 footer box" (change it whenever the wording changes)',
    });
  }
  if (source.intent === 'newsletter' && source.nameless === 'reject') {
    problems.push({
      field: 'nameless',
      message: 'intent "newsletter" takes email-only submissions, which nameless "reject" refuses: use "subscriber" (the default) or "placeholder"',
    });
  }
  if (source.kind === 'html-form' && source.incomplete === 'ignore') {
    problems.push({
      field: 'incomplete',
      message: 'does not apply to html-form: the form answers the person with the fields to fix (422 or the errorUrl), so nothing is lost; remove it',
    });
  }
  return problems;
}

export const sourceConfigSchema = z
  .discriminatedUnion(
    'kind',
    [
      standardWebhooksSchema,
      htmlFormSchema,
      mailchimpSchema,
      hubspotSchema,
      typeformSchema,
      webflowSchema,
      tallySchema,
      kitSchema,
      shopifySchema,
      jotformSchema,
      activeCampaignSchema,
    ],
    { error: `kind must be one of ${SOURCE_KINDS.join(', ')}` },
  )
  .check(
    // Checked on each source, so a source's conflict is named even while another source of the list is wrong.
    z.superRefine((source, context) => {
      for (const problem of settingProblems(source)) context.addIssue({ code: 'custom', path: [problem.field], message: problem.message });
    }),
  );

export const sourcesConfigSchema = z.array(sourceConfigSchema).check(
  z.superRefine((sources, context) => {
    const firstIndexById = new Map<string, number>();
    sources.forEach((source, index) => {
      const first = firstIndexById.get(source.id);
      if (first === undefined) firstIndexById.set(source.id, index);
      else context.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate source id "${source.id}" (also sources[${first}])` });
    });
  }),
);

/** One configured source, after defaults. */
export type SourceConfig = z.output<typeof sourceConfigSchema>;
/** What an operator writes (defaults optional). */
export type SourceConfigInput = z.input<typeof sourceConfigSchema>;
export type SourceConfigOf<K extends SourceKind> = Extract<SourceConfig, { kind: K }>;

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, segment) => (typeof segment === 'number' ? `${text}[${segment}]` : `${text}.${String(segment)}`), 'sources');
}

/**
 * Validates the sources list and returns it with defaults applied. Throws one SourceConfigError that
 * lists every problem as `sources[2].thankYouUrl: must be an absolute https URL ...`.
 */
export function parseSourcesConfig(input: unknown): SourceConfig[] {
  const result = sourcesConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new SourceConfigError('Invalid sources configuration:', {
    issues: result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
  });
}

/**
 * The last segment of a source's URL, `/sources/<segment>`: `<id>-<routeToken>` for a source with a route
 * token, else its id (an html-form, whose URL is printed in the page anyway). The ingest finds a source by
 * this segment only, so a webhook's bare id answers like an unknown one (401).
 */
export function sourceRouteSegment(source: Readonly<{ id: string; routeToken?: string | undefined }>): string {
  return source.routeToken === undefined ? source.id : `${source.id}-${source.routeToken}`;
}

/**
 * What a deployed sources list must say on top of each source's shape, checked at synth
 * (shared/deployment/stack-config.ts) and at cold start (shared/config/ingest-config.ts) alike
 * (docs/security.md): every html-form decides on a CAPTCHA (`captcha: {…}`, or `false` with a
 * `captchaReason`), every other source has a `routeToken`, and no two sources share a URL.
 * Problems read `sources[1].routeToken: …`.
 */
export function exposureProblems(sources: readonly SourceConfig[]): string[] {
  const problems: string[] = [];
  const segments = new Map<string, number>();
  sources.forEach((source, index) => {
    if (source.kind === 'html-form' && source.captcha === undefined) {
      problems.push(
        `sources[${index}].captcha: a public form must say how bots are kept out: "captcha": {"provider": "turnstile" | "hcaptcha" | "recaptcha-v3"} ` +
          '(docs/trust.md, "Public forms"), or "captcha": false with "captchaReason": "<why this form needs none>", accepting junk signups and ' +
          'subscription bombing of other people\'s addresses (docs/security.md, "Bots farming a public form")',
      );
    }
    if (source.kind !== 'html-form' && source.routeToken === undefined) {
      problems.push(
        `sources[${index}].routeToken: a webhook source needs a route token so its URL cannot be guessed: run \`npx signup-sync route-tokens\` once ` +
          `(it writes one into cdk.json), deploy, then set the URL the stack prints (<ApiUrl>/sources/${source.id}-<routeToken>) at the sender`,
      );
    }
    const segment = sourceRouteSegment(source);
    const first = segments.get(segment);
    if (first === undefined) segments.set(segment, index);
    else problems.push(`sources[${index}]: has the same URL as sources[${first}] (/sources/${segment}): change its id or routeToken`);
  });
  return problems;
}
