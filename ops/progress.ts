/**
 * Import progress: on a terminal one line redrawn in place (bar, rows, rate, ETA); otherwise a plain
 * line every few seconds, so CI logs stay readable.
 */
export type ProgressSink = Readonly<{ isTTY: boolean; write: (text: string) => void; columns?: number }>;

export type ProgressState = Readonly<{ bytes: number; totalBytes: number; rows: number; accepted: number; rejected: number }>;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const number = (n: number) => n.toLocaleString('en-US');

export function progressLine(state: ProgressState, elapsedMs: number, width = 20): string {
  const fraction = state.totalBytes > 0 ? Math.min(1, state.bytes / state.totalBytes) : 0;
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? state.rows / seconds : 0;
  const eta = fraction > 0 && fraction < 1 ? (seconds / fraction) * (1 - fraction) : fraction >= 1 ? 0 : Number.POSITIVE_INFINITY;
  const filled = Math.round(fraction * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  return `${bar} ${String(Math.floor(fraction * 100)).padStart(3)}%  ${number(state.rows)} rows, ${number(state.rejected)} rejected  ${number(Math.round(rate))} rows/s  ETA ${formatDuration(eta)}`;
}

export function createProgress(sink: ProgressSink, { now = Date.now, ttyIntervalMs = 100, plainIntervalMs = 2000 }: Readonly<{ now?: () => number; ttyIntervalMs?: number; plainIntervalMs?: number }> = {}) {
  const started = now();
  let last = 0;
  let drawn = false;
  return {
    /** `force` redraws a terminal line at once (the final state); plain output stays periodic. */
    update(state: ProgressState, force = false): void {
      const at = now();
      if (!(force && sink.isTTY) && at - last < (sink.isTTY ? ttyIntervalMs : plainIntervalMs)) return;
      last = at;
      const line = progressLine(state, at - started);
      if (sink.isTTY) {
        // A pseudo-terminal may report 0 columns.
        const max = (sink.columns && sink.columns > 20 ? sink.columns : 120) - 1;
        sink.write(`\r\x1b[2K${line.length > max ? line.slice(0, max) : line}`);
        drawn = true;
      } else {
        sink.write(`import: ${line}\n`);
      }
    },
    /** Clears the redrawn line (before the summary). */
    done(): void {
      if (sink.isTTY && drawn) sink.write('\r\x1b[2K');
    },
  };
}
