import { SingleBar } from 'cli-progress';

/**
 * Import progress on stderr (stdout stays clean for --json), drawn by cli-progress: on a terminal a
 * bar redrawn in place and cleared at the end; otherwise a plain line every few seconds, so CI logs
 * stay readable. The bar starts with the first update, i.e. after the first chunk of the file.
 */

/** Where the progress goes: process.stderr, or a recording stand-in in tests. */
export type ProgressSink = Readonly<{ isTTY: boolean; write: (text: string) => void; columns?: number }>;

export type ProgressState = Readonly<{ bytes: number; totalBytes: number; rows: number; accepted: number; rejected: number }>;

export type Progress = Readonly<{ update: (state: ProgressState) => void; done: (state: ProgressState) => void }>;

const number = (n: number) => n.toLocaleString('en-US');

export function createProgress(
  sink: ProgressSink,
  { plainIntervalMs = 2000, now = Date.now }: Readonly<{ plainIntervalMs?: number; now?: () => number }> = {},
): Progress {
  const counts = '{rows} rows, {rejected} rejected  {rate} rows/s  ETA {eta_formatted}';
  const bar = new SingleBar({
    // cli-progress writes to a stream with isTTY/columns/write; the sink is that much of one.
    stream: sink as unknown as NodeJS.WritableStream,
    format: sink.isTTY ? `[{bar}] {percentage}%  ${counts}` : `import: {percentage}%  ${counts}`,
    barsize: 20,
    barCompleteChar: '#',
    barIncompleteChar: '.',
    noTTYOutput: true,
    notTTYSchedule: plainIntervalMs,
    clearOnComplete: true,
  });
  const started = now();
  let running = false;
  const payload = (state: ProgressState) => {
    const seconds = (now() - started) / 1000;
    return { rows: number(state.rows), rejected: number(state.rejected), rate: number(seconds > 0 ? Math.round(state.rows / seconds) : 0) };
  };
  return {
    update(state) {
      if (!running) {
        running = true;
        bar.start(state.totalBytes, state.bytes, payload(state));
      } else {
        bar.update(state.bytes, payload(state));
      }
    },
    /** Draws the final state (a plain line) or clears the bar (terminal), before the summary. */
    done(state) {
      if (!running) return;
      running = false;
      bar.update(state.bytes, payload(state));
      bar.stop();
    },
  };
}
