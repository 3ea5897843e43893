import { HttpProblemError } from './problem';

/** The ingest answers 413 above this size: SQS's classic message limit, and far above any real signup. */
export const MAX_BODY_BYTES = 256 * 1024;

export type HttpBody = Readonly<{ body?: string | undefined; isBase64Encoded?: boolean | undefined }>;

/** The exact bytes the sender posted (API Gateway base64-encodes bodies it treats as binary). */
export function rawBodyBytes(event: HttpBody): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

export function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase() || undefined;
}

const isJsonMediaType = (type: string | undefined): boolean =>
  type === 'application/json' || (type?.startsWith('application/') === true && type.endsWith('+json'));

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a JSON request body, answering 415/413/400 as problems. Parse errors never echo the input. */
export function parseJsonBody(bytes: Buffer, contentType: string | undefined): unknown {
  if (!isJsonMediaType(mediaType(contentType))) {
    throw new HttpProblemError({
      title: 'Unsupported Media Type',
      status: 415,
      detail: 'Content-Type must be application/json.',
    });
  }
  if (bytes.length > MAX_BODY_BYTES) {
    throw new HttpProblemError({
      title: 'Content Too Large',
      status: 413,
      detail: `The body must be at most ${MAX_BODY_BYTES} bytes.`,
    });
  }
  if (bytes.length === 0) {
    throw new HttpProblemError({ title: 'Bad Request', status: 400, detail: 'The request body is empty.' });
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (cause) {
    throw new HttpProblemError({ title: 'Bad Request', status: 400, detail: 'The body is not valid UTF-8.' }, { cause });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    // SyntaxError messages quote the input, which may hold personal data: keep them out of the answer.
    throw new HttpProblemError({ title: 'Bad Request', status: 400, detail: 'The body is not valid JSON.' }, { cause });
  }
}
