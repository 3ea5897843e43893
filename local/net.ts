import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';

/**
 * Stops accepting connections, lets requests in progress finish for up to `graceMs`, then closes what
 * is left (keep-alive sockets, long polls), so the process can exit.
 */
export async function closeServer(server: Server, graceMs = 2_000): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  timer.unref();
  await closed;
  clearTimeout(timer);
}

/**
 * How an emulator is served when it stands in for the AWS endpoint of a deployed function (bench/cold-answer.ts):
 * over TLS with the given key and certificate, and each request answered `delayMs` later (an assumed
 * in-region round trip). Local mode and the tests serve plain HTTP without delay.
 */
export type EmulatorServing = Readonly<{ tls?: Readonly<{ key: string | Buffer; cert: string | Buffer }>; delayMs?: number }>;

/** An HTTP or HTTPS server for `listener`, answering each request `delayMs` later when set. */
export function emulatorServer(listener: RequestListener, serving: EmulatorServing = {}): Server {
  const { delayMs = 0, tls } = serving;
  const delayed: RequestListener = delayMs > 0 ? (req, res) => void setTimeout(() => listener(req, res), delayMs) : listener;
  // An https.Server is a net.Server with the same request API; callers close it like an http.Server.
  return tls ? (createTlsServer({ key: tls.key, cert: tls.cert }, delayed) as unknown as Server) : createServer(delayed);
}
