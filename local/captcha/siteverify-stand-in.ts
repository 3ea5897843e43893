import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, type EmulatorServing, emulatorServer } from '../net';

/**
 * A loopback stand-in for a CAPTCHA provider's siteverify endpoint (Turnstile, hCaptcha and reCAPTCHA
 * answer alike), for local mode and tests: there is no internet here, and a html-form source's
 * `captcha.verifyUrl` points at this instead. It answers as the providers do: `success`, `hostname`,
 * `error-codes`, plus `action` and `score` when set; a token is good once (a second check answers
 * `timeout-or-duplicate`, as Turnstile does); a missing secret or token is `missing-input-*`; a posted
 * `sitekey` (hCaptcha) other than the one set is `sitekey-secret-mismatch`, as hCaptcha answers it.
 *
 * `setAnswer` picks the outcome of the next checks: 'pass', 'fail' (invalid-input-response), 'error'
 * (HTTP 500) or 'hang' (no answer, to exercise the ingest's timeout); `hostname: null` leaves the
 * hostname out of a passing answer.
 */
export type SiteverifyAnswerMode = 'pass' | 'fail' | 'error' | 'hang';

export type SiteverifyAnswerFields = Readonly<{ hostname?: string | null; action?: string; score?: number; sitekey?: string }>;

export type SiteverifyStandIn = Readonly<{
  url: string;
  setAnswer(mode: SiteverifyAnswerMode, fields?: SiteverifyAnswerFields): void;
  /** Every check received: the secret and token as posted, and the sitekey when one was (tests assert what the ingest sent). */
  checks(): readonly Readonly<{ secret: string; token: string; sitekey?: string }>[];
  close(): Promise<void>;
}>;

async function formOf(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function startSiteverifyStandIn({
  host = '127.0.0.1',
  hostname = host,
  serving,
}: Readonly<{ host?: string; hostname?: string; serving?: EmulatorServing }> = {}): Promise<SiteverifyStandIn> {
  let mode: SiteverifyAnswerMode = 'pass';
  let fields: SiteverifyAnswerFields = {};
  const seen = new Set<string>();
  const checks: { secret: string; token: string; sitekey?: string }[] = [];
  const hanging = new Set<ServerResponse>();

  const server = emulatorServer((req, res) => {
    void (async () => {
      const form = await formOf(req);
      const secret = form.get('secret') ?? '';
      const token = form.get('response') ?? '';
      const sitekey = form.get('sitekey') ?? undefined;
      checks.push({ secret, token, ...(sitekey !== undefined ? { sitekey } : {}) });
      if (mode === 'hang') {
        hanging.add(res);
        res.once('close', () => hanging.delete(res));
        return;
      }
      if (mode === 'error') {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('stand-in: internal error');
        return;
      }
      const errorCodes =
        secret === ''
          ? ['missing-input-secret']
          : token === ''
            ? ['missing-input-response']
            : seen.has(token)
              ? ['timeout-or-duplicate']
              : sitekey !== undefined && fields.sitekey !== undefined && sitekey !== fields.sitekey
                ? ['sitekey-secret-mismatch']
                : mode === 'fail'
                  ? ['invalid-input-response']
                  : [];
      if (token !== '') seen.add(token);
      const success = errorCodes.length === 0;
      const body = {
        success,
        'error-codes': errorCodes,
        ...(success
          ? {
              challenge_ts: new Date().toISOString(),
              ...(fields.hostname === null ? {} : { hostname: fields.hostname ?? hostname }),
              ...(fields.action !== undefined ? { action: fields.action } : {}),
              ...(fields.score !== undefined ? { score: fields.score } : {}),
            }
          : {}),
      };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    })();
  }, serving);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `${serving?.tls ? 'https' : 'http'}://${host}:${port}/siteverify`,
    setAnswer: (next, nextFields = {}) => {
      mode = next;
      fields = nextFields;
    },
    checks: () => [...checks],
    close: async () => {
      for (const res of hanging) res.destroy();
      await closeServer(server, 200);
    },
  };
}
