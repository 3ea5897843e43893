import type { HttpReply, RawRequest } from '../http-input/request';
import type { SourceConfig, SourceKind } from './source-config';

/**
 * The port between the ingest Lambda and the per-sender adapters (docs/architecture.md, "How to add a source kind").
 *
 * An adapter is a pure function: no I/O, no clock except `context.now`, no environment. It verifies
 * the request on its raw bytes, then turns it into a decision. It throws only the HTTP error family
 * (SourceError subclasses of shared/sources/errors.ts, PayloadError of shared/http-input/errors.ts),
 * each carrying the status to answer.
 */

/** The request as the sender made it, and a plain answer: the one HTTP input layer's types. */
export type { HttpReply, RawRequest } from '../http-input/request';

/**
 * A signup candidate in the canonical shape (shared/signup/signup-schema.ts), not yet validated: the
 * ingest runs `signupSchema.safeParse` on it. The sender's event id, when it has one, is in
 * `event_id`, which the ingest turns into the idempotency key. Fields the sender did not provide are
 * absent (never empty strings), so a missing last name surfaces as a validation issue on `last_name`.
 */
export type SignupCandidate = Readonly<Record<string, unknown>>;

export interface SourceSignup {
  readonly signup: SignupCandidate;
  /** The sender's event time (ISO 8601) when it sends one, for logs and dead-letter reasons. */
  readonly occurredAt?: string;
}

export type AdapterDecision =
  /**
   * Validate and enqueue these; answer 202 (or the adapter's `present` answer). `captchaToken`: what an
   * html-form with `captcha` posted in its provider's field ('' when absent), which the ingest verifies.
   */
  | { readonly type: 'signups'; readonly signups: readonly SourceSignup[]; readonly captchaToken?: string }
  /**
   * Authentic but not a signup (another event type, a test ping): answer 200, enqueue nothing. `count`:
   * how many events the delivery held (a HubSpot Webhooks API batch), for the EventsIgnored metric; default 1.
   */
  | { readonly type: 'ignore'; readonly reason: string; readonly count?: number }
  /** Answer exactly this and enqueue nothing: handshakes, CORS preflight, honeypot, 405. */
  | ({ readonly type: 'reply' } & HttpReply);

export interface AdapterContext {
  readonly source: SourceConfig;
  /** This source's entry of the sources secret; '' when the source has none (html-form without token). */
  readonly secret: string;
  readonly now: Date;
  /**
   * Set only for a delivery that comes back from our own dead-letter queue (an `unmappable` letter re-run
   * by `signup-sync dlq redrive`, shared/ingest/unmappable.ts): the ingest authenticated it when it was
   * received, so the adapter skips its signature or token check (the secret is '' then). The ingest
   * never sets it.
   */
  readonly authenticated?: boolean;
}

/** What the ingest did with a request, for adapters that shape their own answers (html-form). */
export type PresentOutcome =
  | { readonly type: 'accepted'; readonly count: number }
  | { readonly type: 'ignored' }
  /** A 4xx: an exposed SourceError, or signup validation issues. `message` is safe to show. */
  | {
      readonly type: 'invalid';
      readonly statusCode: number;
      readonly message: string;
      readonly issues?: readonly { readonly path: string; readonly message: string }[];
    }
  /** A 5xx (queue unavailable, internal error). */
  | { readonly type: 'error'; readonly statusCode: number };

export type SecretRequirement = 'required' | 'optional';

/**
 * Where a source's credentials travel in a request (a token or API key: anything a copy of the request
 * could be replayed or abused with). An `unmappable` dead letter keeps the raw delivery for 14 days, so it
 * keeps none of them (shared/ingest/unmappable.ts); a re-run does not authenticate again. Signature headers
 * are not credentials: they sign one body, mostly within a timestamp window, and a re-run reads ids from
 * them (`webhook-id`). `Authorization`, `Proxy-Authorization` and `Cookie` are never kept, whatever is declared.
 */
export type CredentialPlaces = Readonly<{
  /** Header names, lower-case (a HubSpot api-key's configured header). */
  headers: readonly string[];
  /** Query parameters, also removed from the stored public URL (URL tokens, a HubSpot api-key's `?key=`). */
  query: readonly string[];
  /** Form fields of the body (an html-form's form token): a letter then keeps no raw body at all, only the mapped candidate. */
  bodyFields: readonly string[];
  /** The path itself carries a credential (a capability URL): the stored public URL keeps only `/sources/<id>`. */
  path: boolean;
}>;

/** No credential anywhere but the headers stripped from every letter (signed senders). */
export const SIGNED_ONLY: CredentialPlaces = { headers: [], query: [], bodyFields: [], path: false };

export interface SourceAdapter {
  readonly kind: SourceKind;
  /** Whether every source of this kind must have a secret ('optional': html-form's form token). */
  readonly secret: SecretRequirement;
  /**
   * Throws SourceConfigError if `secret` cannot work for this kind (empty, too short, not whsec_ base64),
   * or for this source's settings when given (a HubSpot api-key is a token: at least 16 characters).
   * The message never contains the secret. Run at cold start by `checkSourceSecrets`, and per request.
   */
  checkSecret(secret: string, source?: SourceConfig): void;
  /** Where this source's credentials travel, from its configuration (its tokenParam, a HubSpot api-key's header or query parameter). */
  credentials(source: SourceConfig): CredentialPlaces;
  decide(request: RawRequest, context: AdapterContext): AdapterDecision;
  /**
   * Optional: the sender's id for this delivery when it is not a signup's event id (`webhook-id`), read
   * after `decide` authenticated the request. It must be covered by the sender's signature (or chosen by
   * a caller holding the secret): an unsigned header anyone can change is no id. The ingest records each
   * delivery under it (shared/ingest/delivery-ledger.ts); without one, a single signup's event id, else
   * the SHA-256 of the raw body.
   */
  deliveryId?(request: RawRequest): string | undefined;
  /**
   * Optional: only the body is signed (Shopify: no signed id, no signed timestamp, not even the topic),
   * so a delivery is its body: the ingest keys it by the SHA-256 of the raw body, whatever ids come with
   * it, and a replay of the same signed body is a repeat under any headers.
   */
  readonly keyedByBody?: boolean;
  /**
   * Optional: the adapter answers for itself (html-form: 303 to the allow-listed thank-you or error
   * URL, or JSON with CORS headers for fetch posts). Without it the ingest answers as for any API.
   */
  present?(outcome: PresentOutcome, request: RawRequest, source: SourceConfig): HttpReply;
}
