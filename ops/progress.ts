import { SingleBar } from 'cli-progress';

/**
 * Import progress on stderr (stdout stays clean for --json). On a terminal, a bar drawn by cli-progress,
 * redrawn in place and cleared at the end; otherwise plain lines, one every few seconds and a last one,
 * so CI logs stay readable. The bar starts with the first update, i.e. after the first chunk of the file.
 *
 * The time left is computed here, from the bytes read since the start on this module's clock, and shown
 * only once it means something (a second into the import, before the end). cli-progress's own ETA is
 * not used: it reads `Date.now` whatever clock the caller has, starts at "0s" before any rate is known,
 * and shows "NULL" or "INF" when two updates carry the same count; its non-terminal mode also prints on
 * a timer, between updates, with whatever it last had.
 */

/** Where the progress goes: process.stderr, or a recording stand-in in tests. */
export type ProgressSink = Readonly<{ isTTY: boolean; write: (text: string) => void; columns?: number }>;

export type ProgressState = Readonly<{ bytes: number; totalBytes: number; rows: number; accepted: number; rejected: number }>;

export type Progress = Readonly<{ update: (state: ProgressState) => void; done: (state: ProgressState) => void }>;

const number = (n: number) => n.toLocaleString('en-US');

/** 42 -> "42s", 245 -> "4m05s", 4800 -> "1h20m". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Estimates start after this much time, so the first chunk's burst does not promise a finish. */
const MIN_ELAPSED_FOR_ESTIMATE_MS = 1000;

export function createProgress(
  sink: ProgressSink,
  { plainIntervalMs = 2000, now = Date.now }: Readonly<{ plainIntervalMs?: number; now?: () => number }> = {},
): Progress {
  const started = now();
  const seconds = () => (now() - started) / 1000;
  const rate = (state: ProgressState) => {
    const elapsed = seconds();
    return elapsed > 0 ? Math.round(state.rows / elapsed) : 0;
  };
  /** Seconds left at the average byte rate so far, or undefined while it is not known. */
  const secondsLeft = (state: ProgressState): number | undefined => {
    const elapsedMs = now() - started;
    if (elapsedMs < MIN_ELAPSED_FOR_ESTIMATE_MS || state.bytes <= 0 || state.bytes >= state.totalBytes) return undefined;
    return ((state.totalBytes - state.bytes) * elapsedMs) / state.bytes / 1000;
  };
  const percent = (state: ProgressState) => (state.totalBytes > 0 ? Math.floor((state.bytes / state.totalBytes) * 100) : 100);
  const counts = (state: ProgressState) => `${number(state.rows)} rows, ${number(state.rejected)} rejected  ${number(rate(state))} rows/s`;

  if (!sink.isTTY) {
    let lastLine: number | undefined;
    const line = (state: ProgressState, ending: string) => sink.write(`import: ${percent(state)}%  ${counts(state)}${ending}\n`);
    let running = false;
    return {
      update(state) {
        running = true;
        // The whole file is read: the last line (done) follows, with the final counts.
        if (state.bytes >= state.totalBytes) return;
        if (lastLine !== undefined && now() - lastLine < plainIntervalMs) return;
        lastLine = now();
        const left = secondsLeft(state);
        line(state, left === undefined ? '' : `  about ${formatDuration(left)} left`);
      },
      /** The last line, with the time taken, before the summary. */
      done(state) {
        if (!running) return;
        running = false;
        line(state, `  done in ${formatDuration(seconds())}`);
      },
    };
  }

  const bar = new SingleBar({
    // cli-progress writes to a stream with isTTY/columns/write; the sink is that much of one.
    stream: sink as unknown as NodeJS.WritableStream,
    format: '[{bar}] {percentage}%  {counts}{left}',
    barsize: 20,
    barCompleteChar: '#',
    barIncompleteChar: '.',
    clearOnComplete: true,
  });
  let running = false;
  const payload = (state: ProgressState) => {
    const left = secondsLeft(state);
    return { counts: counts(state), left: left === undefined ? '' : `  ETA ${formatDuration(left)}` };
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
    /** Clears the bar before the summary. */
    done(state) {
      if (!running) return;
      running = false;
      bar.update(state.bytes, payload(state));
      bar.stop();
    },
  };
}
