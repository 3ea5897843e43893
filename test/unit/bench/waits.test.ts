import { requestsPerQuotaWindow, smallestWithinGoal, trickleMet } from '../../../bench/answer-report';
import { kneeOf, type WindowSweep } from '../../../bench/batching-window';
import { type ColdAnswerSample, summarize } from '../../../bench/cold-answer';
import { originOf, summarizeProfile } from '../../../bench/cpu-profile';
import type { TrickleResult } from '../../../bench/trickle';

/** The arithmetic behind the person-facing waits of docs/benchmarks.md; the figures themselves come from `npm run bench`. */

const sample = (answerMs: number, overrides: Partial<ColdAnswerSample> = {}): ColdAnswerSample => ({
  answerMs,
  bootMs: 10,
  loadMs: 50,
  firstRequestMs: 40,
  callsMs: 20,
  calls: [],
  warmMs: 30,
  cpuMs: 90,
  bootCpuMs: 10,
  loadCpuMs: 50,
  requestCpuMs: 30,
  status: 202,
  ...overrides,
});

describe('cold answer summaries', () => {
  it('takes medians per figure and the worst answer as the max', () => {
    const point = summarize('signups', 'as deployed', 1024, [sample(300), sample(500, { loadMs: 90 }), sample(350)]);
    expect(point).toMatchObject({ answerMs: 350, answerMaxMs: 500, loadMs: 50, vcpu: 1024 / 1769 });
  });

  it('picks the smallest memory size whose median answer is within 400 ms for both requests', () => {
    const points = [
      summarize('signups', 'as deployed', 512, [sample(450)]),
      summarize('form', 'as deployed', 512, [sample(380)]),
      summarize('signups', 'as deployed', 1024, [sample(320)]),
      summarize('form', 'as deployed', 1024, [sample(400)]),
    ];
    expect(smallestWithinGoal({ mode: 'cgroup-v1', tls: true, deployedMB: 1024, runs: 1, seed: 7, points })).toBe(1024);
    expect(smallestWithinGoal({ mode: 'cgroup-v1', tls: true, deployedMB: 1024, runs: 1, seed: 7, points: points.slice(0, 2) })).toBeUndefined();
  });
});

describe('trickle goals', () => {
  const run = (customerMs: number[], subscriberMs: number[]) => ({
    label: 'trickle',
    signups: customerMs.length,
    customerMs,
    subscriberMs,
    requestsPerSignup: 2,
    invocations: 1,
  });
  const result = (customerMs: number[], subscriberMs: number[]): TrickleResult => ({
    batchingWindowMs: 5000,
    maxConcurrency: 2,
    latencyMs: 300,
    idlePollMs: 10,
    trickle: run(customerMs, subscriberMs),
    burst: run([1000], [2000]),
  });

  it('holds when p50 is within window + 1 s and p99 within window + 3 s, for customers and subscribers alike', () => {
    expect(trickleMet(result([5400, 5500, 5600], [5700, 5800, 7900]))).toBe(true);
    // p50 over 6 s
    expect(trickleMet(result([6100, 6200, 6300], [6400, 6500, 6600]))).toBe(false);
    // the subscriber's p99 over 8 s
    expect(trickleMet(result([5400, 5500, 5600], [5700, 5800, 8100]))).toBe(false);
  });
});

describe('batching window', () => {
  const sweep: WindowSweep = {
    timeScale: 0.1,
    signupsPerCell: 40,
    cells: [
      { windowSeconds: 5, ratePerSecond: 1, signups: 40, requestsPerCustomer: 0.175, p50Ms: 2600, p99Ms: 5600, lost: 0, duplicated: 0 },
      { windowSeconds: 5, ratePerSecond: 2, signups: 40, requestsPerCustomer: 0.1, p50Ms: 2400, p99Ms: 4900, lost: 0, duplicated: 0 },
      { windowSeconds: 5, ratePerSecond: 5, signups: 40, requestsPerCustomer: 0.1, p50Ms: 1200, p99Ms: 2200, lost: 0, duplicated: 0 },
      { windowSeconds: 1, ratePerSecond: 5, signups: 40, requestsPerCustomer: 0.2, p50Ms: 850, p99Ms: 1400, lost: 0, duplicated: 0 },
    ],
  };

  it('finds the knee: the lowest rate whose batches are full', () => {
    expect(kneeOf(sweep, 5)).toBe(2);
    expect(kneeOf(sweep, 1)).toBeUndefined();
  });

  it('bounds what the pollers send below the knee: 2 per (window + answer time) per 30 s', () => {
    expect(requestsPerQuotaWindow(5)).toBeCloseTo(60 / 5.3);
    // With no window, 2 pollers at 300 ms each would ask for more than a Standard store's 150.
    expect(requestsPerQuotaWindow(0)).toBeGreaterThan(150);
  });
});

describe('CPU profile summary', () => {
  it('sums self time per origin within the window asked for, idle apart', () => {
    const frame = (id: number, functionName: string, url: string) => ({ id, callFrame: { functionName, url, lineNumber: 0, columnNumber: 0 } });
    const profile = {
      nodes: [
        frame(1, '(root)', ''),
        frame(2, '(idle)', ''),
        frame(3, 'send', 'file:///repo/node_modules/@smithy/core/dist-cjs/index.js'),
        frame(4, 'handle', 'file:///repo/node_modules/dynalite/index.js'),
      ],
      startTime: 0,
      endTime: 10_000,
      samples: [3, 3, 4, 2, 3],
      timeDeltas: [1000, 1000, 1000, 1000, 1000],
    };
    const all = summarizeProfile(profile);
    expect(all).toMatchObject({ totalMs: 5, idleMs: 1, busyMs: 4 });
    expect(all.byOrigin).toEqual([
      { origin: '@smithy/core', ms: 3 },
      { origin: 'dynalite', ms: 1 },
    ]);
    // Samples at 1, 2, 3, 4 and 5 ms: from 2.5 ms on, only dynalite's, the idle one and the last send.
    expect(summarizeProfile(profile, { fromMs: 2.5 }).byOrigin).toEqual([
      { origin: 'dynalite', ms: 1 },
      { origin: '@smithy/core', ms: 1 },
    ]);
  });

  it('names packages by their node_modules folder and our code by its folder', () => {
    expect(originOf('/x/node_modules/@aws-sdk/client-sqs/dist-cjs/index.js')).toBe('@aws-sdk/client-sqs');
    expect(originOf('/x/node_modules/zod/v4/core/core.js')).toBe('zod');
    expect(originOf('node:internal/http')).toBe('node (built-in)');
  });
});
