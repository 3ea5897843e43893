/**
 * Every limit the ingest puts on a request, defined once, each with the reason for its value. The
 * OpenAPI document (shared/http/openapi.ts) and the parsers read them from here.
 */

/** POST /signups bodies: SQS's classic 256 KiB message limit, and far above 100 real signups. */
export const MAX_CANONICAL_BODY_BYTES = 256 * 1024;

/**
 * /sources/{sourceId} bodies: senders' own payloads are larger than ours (Webflow caps at 256 KB, Kit
 * batches up to 100 events, Jotform multipart carries its whole form); 1 MiB leaves room and still
 * refuses a flood before any signature is computed over it.
 */
export const MAX_SOURCE_BODY_BYTES = 1024 * 1024;

/** One request may carry a batch (our array, Kit up to 100 events, HubSpot arrays); more is a 413. */
export const MAX_SIGNUPS_PER_REQUEST = 100;

/** Form fields (urlencoded) or parts (multipart): real forms have tens; this caps the work per request. */
export const MAX_FORM_FIELDS = 1000;

/** Headers per multipart part: a real part has two or three; more means a malformed or hostile body. */
export const MAX_MULTIPART_PART_HEADERS = 16;

/** Bracket depth of form names (`data[merges][FNAME]` is 3): deeper nesting is refused as malformed. */
export const MAX_FORM_NESTING_DEPTH = 8;
