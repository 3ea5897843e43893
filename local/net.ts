import type { Server } from 'node:http';

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
