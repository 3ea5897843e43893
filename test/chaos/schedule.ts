import type { BigCommerceSandbox, FaultConfig } from '../../local/bigcommerce-sandbox';
import type { QueueOutage } from '../../local/sqs/embedded-sqs';
import { type QuotaHog, startQuotaHog } from './quota-hog';

/**
 * The chaos schedule: what goes wrong when, as fractions of the traffic phase (the time over which the
 * senders spread their signups). Sandbox fault windows never overlap (each `setFaults` replaces the last).
 * docs/chaos.md shows the same table; `describeSchedule` prints it.
 */

export type ChaosControls = Readonly<{
  sandbox: BigCommerceSandbox;
  setQueueOutage(outage: QueueOutage | undefined): void;
  /** Where the sync reads its token (Secrets Manager on AWS). */
  setSyncToken(token: string): void;
  /** BigCommerce's quota as configured, and the real window length (time-scaled). */
  quota: number;
  realWindowMs: number;
  /** The Customers API base for another app on the store. */
  apiBase: string;
}>;

export type Step = Readonly<{ at: number; name: string; run(controls: ChaosControls, state: ScheduleState): void | Promise<void> }>;

export type ScheduleState = { hog?: QuotaHog; hogStats: { requests: number; ok: number; rateLimited: number; other: number } };

const ALL_METHODS: FaultConfig['methods'] = ['GET', 'POST', 'PUT'];
export const ROTATED_TOKEN = 'chaos-rotated-token';

export type Window = Readonly<{ from: number; to: number; name: string; what: string }>;

/** The schedule as a table (docs/chaos.md, the run's report). */
export const WINDOWS: readonly Window[] = [
  { from: 0, to: 0.06, name: 'warm-up', what: 'no faults; quota 150 / 30 s (time-scaled) throughout the run' },
  { from: 0.06, to: 0.14, name: '5xx burst', what: '35 % of BigCommerce requests (GET, POST, PUT) answer 500, 502, 503 or 504' },
  { from: 0.16, to: 0.28, name: '429 storm', what: '30 % of POST/PUT get an injected 429, and another app asks for twice the quota (real 429s)' },
  { from: 0.25, to: 0.5, name: '422 atomic, vague', what: 'a 422 changes nothing and does not name the item (0–25 %: atomic, naming it)' },
  { from: 0.3, to: 0.38, name: 'timeouts and resets', what: '10 % of requests hang (the client times out at 2 s) or are reset (TCP RST)' },
  { from: 0.4, to: 0.48, name: 'created, answered 500', what: '25 % of POST/PUT are written, then answered 500' },
  { from: 0.5, to: 0.75, name: '422 partial', what: 'a 422 writes the valid items of the batch and names the bad one' },
  {
    from: 0.52,
    to: 0.57,
    name: 'token revoked, then rotated',
    what: 'BigCommerce stops accepting the token; at 57 % the new one is put where the sync reads it',
  },
  {
    from: 0.62,
    to: 0.67,
    name: 'queue send outage',
    what: 'SQS SendMessage/SendMessageBatch answer 503: the ingest answers 503, senders retry; DLQ sends fail too',
  },
  { from: 0.67, to: 0.7, name: 'queue outage', what: 'every SQS action answers 503 (receives, deletes, visibility changes too)' },
  {
    from: 0.72,
    to: 0.85,
    name: 'mixed faults',
    what: '15 % of requests: 500, 503, 504, hang, reset, created-then-500 or a one-off 401 (the token re-read once)',
  },
  { from: 0.75, to: 1, name: '422 partial, vague', what: 'a 422 writes the valid items and does not name the bad one' },
  { from: 0.85, to: 1, name: 'tail', what: 'no faults; then the run waits for the queue to settle' },
];

const faults = (config: FaultConfig) => (controls: ChaosControls) => controls.sandbox.setFaults(config);
const noFaults = (controls: ChaosControls) => controls.sandbox.setFaults({});

const steps: Step[] = [
  // The 5xx burst and the 429 storm start with a scripted fault, so even a short run meets both (they are required).
  { at: 0.06, name: '5xx burst on', run: faults({ script: [503], rate: 0.35, kinds: [500, 502, 503, 504], methods: ALL_METHODS }) },
  { at: 0.14, name: '5xx burst off', run: noFaults },
  // Injected 429s hit the sync's writes (the other app only reads); its lookups meet the real quota.
  { at: 0.16, name: '429 storm on', run: faults({ script: [429], rate: 0.3, kinds: [429], methods: ['POST', 'PUT'] }) },
  {
    at: 0.16,
    name: 'another app asks for twice the quota',
    run: (controls, state) => {
      state.hog = startQuotaHog({
        apiBase: controls.apiBase,
        token: () => controls.sandbox.token,
        quota: controls.quota,
        realWindowMs: controls.realWindowMs,
        share: 2,
      });
    },
  },
  {
    at: 0.28,
    name: '429 storm off',
    run: async (controls, state) => {
      controls.sandbox.setFaults({});
      await stopHog(state);
    },
  },
  { at: 0.25, name: '422 vague', run: (controls) => controls.sandbox.setOptions({ vague422: true }) },
  { at: 0.3, name: 'timeouts and resets on', run: faults({ rate: 0.1, kinds: ['hang', 'reset'], methods: ALL_METHODS }) },
  { at: 0.38, name: 'timeouts and resets off', run: noFaults },
  { at: 0.4, name: 'created-then-500 on', run: faults({ rate: 0.25, kinds: ['created-then-500'], methods: ['POST', 'PUT'] }) },
  { at: 0.48, name: 'created-then-500 off', run: noFaults },
  { at: 0.5, name: '422 partial, naming the item', run: (controls) => controls.sandbox.setOptions({ batch422: 'partial', vague422: false }) },
  { at: 0.52, name: 'token revoked', run: (controls) => controls.sandbox.setTokens([ROTATED_TOKEN]) },
  { at: 0.57, name: 'token rotated in the sync', run: (controls) => controls.setSyncToken(ROTATED_TOKEN) },
  { at: 0.62, name: 'queue send outage on', run: (controls) => controls.setQueueOutage({ actions: ['SendMessage', 'SendMessageBatch'] }) },
  { at: 0.67, name: 'queue outage (all actions)', run: (controls) => controls.setQueueOutage({}) },
  { at: 0.7, name: 'queue outage off', run: (controls) => controls.setQueueOutage(undefined) },
  {
    at: 0.72,
    name: 'mixed faults on',
    // No 429 here: one 429 with Requests-Left 0 rightly pauses both pollers for the rest of the window,
    // which would starve this phase of requests (the storm above covers 429s).
    run: faults({ rate: 0.15, kinds: [500, 503, 504, 'hang', 'reset', 'created-then-500', 'revoked-401'], methods: ALL_METHODS }),
  },
  { at: 0.75, name: '422 vague', run: (controls) => controls.sandbox.setOptions({ vague422: true }) },
  { at: 0.85, name: 'mixed faults off', run: noFaults },
];
export const STEPS: readonly Step[] = steps.sort((a, b) => a.at - b.at);

async function stopHog(state: ScheduleState): Promise<void> {
  const hog = state.hog;
  state.hog = undefined;
  if (!hog) return;
  await hog.stop();
  for (const key of ['requests', 'ok', 'rateLimited', 'other'] as const) state.hogStats[key] += hog.stats[key];
}

/** Leaves everything healthy (the end of the traffic phase, or an interrupted run). */
export async function healAll(controls: ChaosControls, state: ScheduleState): Promise<void> {
  controls.sandbox.setFaults({});
  controls.setQueueOutage(undefined);
  controls.sandbox.setTokens([ROTATED_TOKEN]);
  controls.setSyncToken(ROTATED_TOKEN);
  await stopHog(state);
}

export function describeSchedule(): string {
  const pct = (value: number) => `${Math.round(value * 100)} %`;
  return WINDOWS.map((window) => `  ${pct(window.from).padStart(5)}–${pct(window.to).padEnd(6)} ${window.name.padEnd(28)} ${window.what}`).join('\n');
}
