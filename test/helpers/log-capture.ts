import { appendFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { createLogger } from '../../shared/logger';

/**
 * Everything the code under test logs is also appended to .test-logs/, so that the log-scan suite
 * (test/log-scan) can check the whole run's output for tokens, emails and names.
 */
export const LOG_CAPTURE_DIR = path.join(__dirname, '..', '..', '.test-logs');

const captureFile = path.join(LOG_CAPTURE_DIR, `${process.env.JEST_WORKER_ID ?? '0'}-${process.pid}.log`);
let ready = false;

export function captureWrite(text: string): void {
  if (!ready) {
    mkdirSync(LOG_CAPTURE_DIR, { recursive: true });
    ready = true;
  }
  appendFileSync(captureFile, text.endsWith('\n') ? text : `${text}\n`);
}

/** Tees stdout, stderr and the console into the capture (what Powertools, the SDK and our loggers print). */
export function installLogCapture(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      captureWrite(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return original(chunk, ...rest);
    }) as typeof stream.write;
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      captureWrite(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
      original(...args);
    };
  }
}

/** The logger tests hand to the code: real JSON lines (every field serialised), into the capture only. */
export const testLogger = createLogger('test', { level: 'debug', write: captureWrite });
