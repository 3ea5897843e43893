import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import type { CliIo } from '../../ops/main';

/** Helpers for the local-mode tests (real servers on loopback). */

export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 60_000, intervalMs = 100, what = 'condition' }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Runs `tasks` with at most `limit` in flight. */
export async function inParallel<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index]!, index);
      }
    }),
  );
  return results;
}

export async function postSignups(apiUrl: string, secret: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${apiUrl}/signups`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** A CliIo that records what the CLI prints; non-interactive, no TTY. */
export function recordingIo(overrides: Partial<CliIo> = {}): CliIo & { stdout: string[]; stderr: string[]; text(): string } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    out: (text) => stdout.push(text),
    err: (text) => stderr.push(text),
    progress: { isTTY: false, write: (text) => stderr.push(text) },
    interactive: false,
    ask: async () => '',
    env: {},
    ...overrides,
    stdout,
    stderr,
    text: () => [...stdout, ...stderr].join('\n'),
  };
}

/** Debian's chromium (test/local/ensure-chromium.sh installs it; no browser download), driven by playwright-core. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: run test/local/ensure-chromium.sh (or set CHROMIUM_PATH)`);
  // Chromium refuses to run as root with its sandbox (CI runs as root).
  return chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
}
