import type { BigCommerceSandbox } from '../local/bigcommerce-sandbox';
import { DEPLOYED, runDrain } from './drain';

/**
 * The batching window against traffic: for each window and each steady signup rate, how full the sync's
 * batches get (BigCommerce requests per customer: 0.1 is a full batch of 10, 1.0 one customer per request)
 * and how long a signup waits from the queue to the store. The drain bench's model of the event source
 * mapping (bench/lib/event-source.ts: maxConcurrency pollers, each waiting up to the window for a partial
 * batch, or until it holds 10) with the real sync handler against the sandbox, signups arriving one by one
 * at the rate, BigCommerce answering after 300 ms (assumed), time-scaled like the drain runs.
 *
 * Time scale: every time is multiplied by it (the rate's interval, the window, the 300 ms, the quota window,
 * the function's timeouts), so rate × window, the number that decides how full a batch gets, and latency ÷
 * window are what production has; latencies are reported ÷ the scale. What the scale does not shrink is the
 * machine's own time per request (a few real ms), which reads as tens of production ms.
 */

export const WINDOWS_SECONDS = [0, 1, 2, 5, 10, 20] as const;
/** Steady signups per second (production): from a busy form to a campaign. */
export const RATES_PER_SECOND = [0.5, 1, 2, 5, 20] as const;
/** BigCommerce's assumed answer time (production ms), as the drain bench's latency run and the trickle bench. */
export const WINDOW_BENCH_LATENCY_MS = 300;
/** A cell counts as "batches full" from here (0.1 is the floor: 10 customers per POST). */
export const FULL_BATCHES_REQUESTS_PER_CUSTOMER = 0.11;

export type WindowCell = Readonly<{
  windowSeconds: number;
  ratePerSecond: number;
  signups: number;
  requestsPerCustomer: number;
  /** Enqueue -> customer (production ms). */
  p50Ms: number;
  p99Ms: number;
  lost: number;
  duplicated: number;
}>;

export type WindowSweep = Readonly<{ timeScale: number; signupsPerCell: number; cells: readonly WindowCell[] }>;

export async function runWindowSweep(
  sandbox: BigCommerceSandbox,
  options: Readonly<{ timeScale: number; signupsPerCell: number; seed: number; progress: (line: string) => void }>,
): Promise<WindowSweep> {
  const cells: WindowCell[] = [];
  for (const windowSeconds of WINDOWS_SECONDS) {
    options.progress(`batching window ${windowSeconds} s: ${RATES_PER_SECOND.join(', ')} signups/s`);
    for (const ratePerSecond of RATES_PER_SECOND) {
      const result = await runDrain(sandbox, {
        signups: options.signupsPerCell,
        timeScale: options.timeScale,
        mode: 'batched',
        scenario: { key: `window-${windowSeconds}-${ratePerSecond}`, label: 'batching window', latencyMs: WINDOW_BENCH_LATENCY_MS },
        seed: options.seed,
        arrivalsPerSecond: ratePerSecond,
        batchingWindowMs: windowSeconds * 1000,
      });
      cells.push({
        windowSeconds,
        ratePerSecond,
        signups: result.signups,
        requestsPerCustomer: result.requestsPerCustomer,
        p50Ms: result.latencyP50Ms / options.timeScale,
        p99Ms: result.latencyP99Ms / options.timeScale,
        lost: result.lost,
        duplicated: result.duplicated,
      });
    }
  }
  return { timeScale: options.timeScale, signupsPerCell: options.signupsPerCell, cells };
}

/** For each window, the lowest rate in the sweep whose batches are full (requests per customer ≤ 0.11), if any. */
export function kneeOf(sweep: WindowSweep, windowSeconds: number): number | undefined {
  return sweep.cells.find((cell) => cell.windowSeconds === windowSeconds && cell.requestsPerCustomer <= FULL_BATCHES_REQUESTS_PER_CUSTOMER)?.ratePerSecond;
}

/** The deployed window (cdk.json batchingWindowSeconds). */
export const deployedWindowSeconds = () => DEPLOYED.batchingWindowMs / 1000;
