import * as path from 'node:path';
import { createPrng, shuffled } from '../local/bigcommerce-sandbox/prng';
import type { AnswerLevers } from './answer-levers';
import { FULL_BATCHES_REQUESTS_PER_CUSTOMER, kneeOf, RATES_PER_SECOND, WINDOW_BENCH_LATENCY_MS, WINDOWS_SECONDS, type WindowSweep } from './batching-window';
import {
  type AnswerKind,
  ASSUMED_ROUND_TRIP_MS,
  COLD_ANSWER_GOAL_MS,
  type ColdAnswerPoint,
  type ColdAnswerSample,
  coldAnswerOnce,
  startColdAnswerRig,
  summarize,
} from './cold-answer';
import { invocationCostUsd } from './cost-model';
import { type CpuQuotas, MB_PER_VCPU, PERIOD_US } from './cpu-quota';
import type { Deployment } from './deployment';
import { fixed, ms, seconds, type Table } from './lib/table';
import { quantiles, TRICKLE_GOAL_MS, type TrickleResult } from './trickle';

/**
 * The person-facing waits of `npm run bench`: the ingest's cold answer by memory size (bench/cold-answer.ts),
 * a signup's way to BigCommerce at a trickle and at a burst (bench/trickle.ts), and the batching window
 * against traffic (bench/batching-window.ts); their tables, targets and findings.
 */

/** The memory sizes the cold answer is measured at (the deployed one is added when it is not among them). */
export const ANSWER_MEMORY_SIZES = [512, 1024, 1536, 1769, 2048] as const;

/** The ingest's size in release 0.2.0, which the findings compare the deployed one with. */
const PREVIOUS_MB = 1024;

const KINDS: readonly AnswerKind[] = ['signups', 'form'];
const KIND_LABEL: Readonly<Record<AnswerKind, string>> = { signups: 'POST /signups → 202', form: 'html form post → 303' };

export type ColdAnswerResult = Readonly<{
  mode: CpuQuotas['mode'];
  reason?: string;
  tls: boolean;
  deployedMB: number;
  runs: number;
  seed: number;
  points: readonly ColdAnswerPoint[];
}>;

/**
 * Every (kind, memory size) `runs` times, in rounds whose order a seeded PRNG draws, so drift on a shared
 * machine hits every size alike. Under no writable cgroup the processes run unconstrained and the figure is
 * modelled: CPU-bound time ÷ the size's share of a vCPU, plus the waits measured.
 */
export async function runColdAnswers(
  options: Readonly<{ dir: string; deployment: Deployment; quotas: CpuQuotas; runs: number; seed: number; progress: (line: string) => void }>,
): Promise<ColdAnswerResult> {
  const { deployment, quotas } = options;
  const deployedMB = deployment.ingest.memoryMB;
  const sizes = [...new Set<number>([...ANSWER_MEMORY_SIZES, deployedMB])].sort((a, b) => a - b);
  const rig = await startColdAnswerRig(path.join(options.dir, 'cold-answer'));
  const samples = new Map<string, ColdAnswerSample[]>();
  const key = (kind: AnswerKind, memoryMB: number) => `${kind}/${memoryMB}`;
  try {
    const random = createPrng(options.seed);
    const cells = KINDS.flatMap((kind) => sizes.map((memoryMB) => ({ kind, memoryMB })));
    options.progress(
      `cold answer: ${options.runs} rounds × ${cells.length} fresh processes (${KINDS.join(', ')} at ${sizes.join(', ')} MB; ${quotas.mode === 'none' ? `modelled: ${quotas.reason}` : `CFS quota, ${quotas.mode}`}; stand-ins over ${rig.tls ? 'HTTPS' : 'HTTP'})`,
    );
    for (let round = 0; round < options.runs; round += 1) {
      for (const cell of shuffled(cells, random)) {
        const sample = await coldAnswerOnce({
          rig,
          kind: cell.kind,
          asset: deployment.ingest.asset,
          fn: deployment.ingest,
          memoryMB: cell.memoryMB,
          prefix: quotas.mode === 'none' ? [] : quotas.prefix(cell.memoryMB),
          dir: path.join(options.dir, 'cold-answer'),
        });
        const list = samples.get(key(cell.kind, cell.memoryMB)) ?? [];
        list.push(quotas.mode === 'none' ? modelled(sample, cell.memoryMB) : sample);
        samples.set(key(cell.kind, cell.memoryMB), list);
      }
    }
  } finally {
    await rig.close();
  }
  return {
    mode: quotas.mode,
    ...(quotas.reason ? { reason: quotas.reason } : {}),
    tls: rig.tls,
    deployedMB,
    runs: options.runs,
    seed: options.seed,
    points: KINDS.flatMap((kind) => sizes.map((memoryMB) => summarize(kind, 'as deployed', memoryMB, samples.get(key(kind, memoryMB)) ?? []))),
  };
}

/** An unconstrained sample stretched to a memory size's CPU share: its CPU-bound parts ÷ share, its waits as measured. */
function modelled(sample: ColdAnswerSample, memoryMB: number): ColdAnswerSample {
  const share = memoryMB / MB_PER_VCPU;
  const stretch = (value: number) => value / share;
  const firstCpu = sample.firstRequestMs - sample.callsMs;
  return {
    ...sample,
    answerMs: stretch(sample.answerMs - sample.callsMs) + sample.callsMs,
    bootMs: stretch(sample.bootMs),
    loadMs: stretch(sample.loadMs),
    firstRequestMs: stretch(firstCpu) + sample.callsMs,
  };
}

/**
 * What the CPU time to the answer alone predicts at a size: CPU ÷ share + the waits (robust to a busy machine).
 * The share counts up to one vCPU: Node runs the JavaScript on one thread, so beyond 1,769 MB only its
 * helper threads (garbage collection, compilation) could gain, and the model credits them nothing.
 */
export const cpuModelMs = (point: ColdAnswerPoint) => point.cpuMs / Math.min(1, point.vcpu) + point.callsMs;

/** The smallest size (a multiple of 64 MB) the model gives the goal, or undefined when even a whole vCPU is too slow. */
function neededMB(point: ColdAnswerPoint): number | undefined {
  const cpuBudget = COLD_ANSWER_GOAL_MS - point.callsMs;
  if (point.cpuMs > cpuBudget) return undefined;
  return Math.ceil(((point.cpuMs / cpuBudget) * MB_PER_VCPU) / 64) * 64;
}

/** "about N MB", or what no size can buy: the CPU and waits over the goal at a whole vCPU. */
function whatItTakes(point: ColdAnswerPoint): string {
  const mb = neededMB(point);
  if (mb !== undefined) return `about ${mb} MB`;
  return `${ms(point.cpuMs + point.callsMs - COLD_ANSWER_GOAL_MS)} less CPU or waiting: at a whole vCPU its ${ms(point.cpuMs)} of CPU and ${ms(point.callsMs)} of calls add up to ${ms(point.cpuMs + point.callsMs)}, and more memory does not speed one thread`;
}

const pointOf = (result: ColdAnswerResult, kind: AnswerKind, memoryMB: number) =>
  result.points.find((point) => point.kind === kind && point.memoryMB === memoryMB);

/** The smallest size whose median cold answer is within the goal for every kind, if any. */
export function smallestWithinGoal(result: ColdAnswerResult): number | undefined {
  const sizes = [...new Set(result.points.map((point) => point.memoryMB))].sort((a, b) => a - b);
  return sizes.find((memoryMB) => KINDS.every((kind) => (pointOf(result, kind, memoryMB)?.answerMs ?? Number.POSITIVE_INFINITY) <= COLD_ANSWER_GOAL_MS));
}

/** Per million warm invocations at a size: the Lambda price of the warm duration measured there (bench/cost-model.ts). */
const perMillionUsd = (point: ColdAnswerPoint) => 1e6 * invocationCostUsd(point.memoryMB, point.warmMs);
const perMillion = (point: ColdAnswerPoint | undefined) => (point ? `$${fixed(perMillionUsd(point), 2)}` : '–');

export function coldAnswerTable(result: ColdAnswerResult, command: string): Table {
  const rows = result.points.map((point) => [
    KIND_LABEL[point.kind],
    `${point.memoryMB} MB${point.memoryMB === result.deployedMB ? ' (deployed)' : ''}`,
    fixed(point.vcpu, 3),
    `${ms(point.answerMs)} (max ${ms(point.answerMaxMs)})`,
    point.answerMs <= COLD_ANSWER_GOAL_MS ? 'yes' : 'NO',
    ms(point.bootMs),
    ms(point.loadMs),
    `${ms(point.firstRequestMs)} (${ms(point.callsMs)})`,
    ms(point.cpuMs),
    ms(cpuModelMs(point)),
    ms(point.warmMs),
    perMillion(point),
  ]);
  const how =
    result.mode === 'none'
      ? `MODELLED (${result.reason}): unconstrained processes, CPU-bound parts ÷ (memory ÷ ${MB_PER_VCPU} MB), waits as measured`
      : `MEASURED: each process in a cgroup whose CFS quota is the size's share of a vCPU (${result.mode}, ${PERIOD_US / 1000} ms period, memory ÷ ${MB_PER_VCPU} MB)`;
  return {
    title: `The ingest's cold answer, as a person waits for it, by memory size (median of ${result.runs}, seed ${result.seed}; goal ≤ ${COLD_ANSWER_GOAL_MS} ms)`,
    headers: [
      'request',
      'memory',
      'vCPU',
      'invocation → answer',
      `≤ ${COLD_ANSWER_GOAL_MS} ms`,
      "Node's start",
      'load + init',
      'first request (of it: AWS/CAPTCHA calls)',
      'CPU to the answer',
      'CPU ÷ share + calls',
      'warm request',
      'Lambda $ per million (warm)',
    ],
    rows,
    notes: [
      `${how}. Regenerate this table alone: \`${command}\`.`,
      "invocation → answer: from starting a fresh `node` with the synthesized asset (the function environment from the template, NODE_OPTIONS included) to the first request's answer (a 202, or the form's 303 to its thank-you page): Node's start, the bundle's load and the handler's construction, and the first request's own work. Not in it: what Lambda does before the process starts (placing the environment, fetching the code) and API Gateway's own time.",
      `the first request calls AWS for real over ${result.tls ? 'HTTPS (a self-signed RSA 2048 certificate the process trusts through NODE_EXTRA_CA_CERTS, so each first call pays its TLS handshake)' : 'HTTP (no openssl here to make a certificate, so the TLS handshakes are missing)'}: Secrets Manager (a stand-in, bench/lib/secrets-manager-stand-in.ts), the delivery ledger's DynamoDB (dynalite) and SQS (local-aws-sqs), each answering after an assumed in-region round trip (Secrets Manager ${ASSUMED_ROUND_TRIP_MS.secretsManager} ms, DynamoDB ${ASSUMED_ROUND_TRIP_MS.dynamoDb} ms, SQS ${ASSUMED_ROUND_TRIP_MS.sqs} ms); the form's CAPTCHA check goes to a siteverify stand-in answering after ${ASSUMED_ROUND_TRIP_MS.captcha} ms (the provider is across the internet). The stand-ins run in the bench's own process, outside the quota.`,
      "CPU to the answer: the process's user + system CPU up to the answer; CPU ÷ share + calls is what that CPU alone predicts at the size (a check on the measured column when the machine is busy: a busy machine stretches wall time beyond the quota).",
      `warm request: a second request in the same process right after; Lambda $ per million = $0.20 per million requests + GB-s at the size for that duration (bench/cost-model.ts invocationCostUsd), the part of the bill memory changes.`,
    ],
  };
}

export function coldAnswerTargets(result: ColdAnswerResult): { target: string; measured: string; met: string }[] {
  return KINDS.map((kind) => {
    const point = pointOf(result, kind, result.deployedMB);
    return {
      target: `ingest cold answer at the deployed ${result.deployedMB} MB ≤ ${COLD_ANSWER_GOAL_MS} ms (${KIND_LABEL[kind]}, seed ${result.seed})`,
      measured: point
        ? `${ms(point.answerMs)} median, max ${ms(point.answerMaxMs)} (${point.samples.length} runs${result.mode === 'none' ? ', modelled' : ''})`
        : '–',
      met: point && point.answerMs <= COLD_ANSWER_GOAL_MS ? 'yes' : 'NO',
    };
  });
}

export function coldAnswerFindings(result: ColdAnswerResult, levers?: AnswerLevers): string[] {
  const deployed = KINDS.map((kind) => pointOf(result, kind, result.deployedMB)).filter((point): point is ColdAnswerPoint => point !== undefined);
  const previous = KINDS.map((kind) => pointOf(result, kind, PREVIOUS_MB)).filter((point): point is ColdAnswerPoint => point !== undefined);
  const comparePrevious = previous.length > 0 && result.deployedMB !== PREVIOUS_MB;
  const smallest = (kind: AnswerKind) =>
    result.points.filter((point) => point.kind === kind && point.answerMs <= COLD_ANSWER_GOAL_MS).sort((a, b) => a.memoryMB - b.memoryMB)[0]?.memoryMB;
  const out = [
    `**A cold answer at the deployed ${result.deployedMB} MB.** ${deployed.map((point) => `${KIND_LABEL[point.kind]}: ${ms(point.answerMs)} (max ${ms(point.answerMaxMs)}; Node's start ${ms(point.bootMs)}, load ${ms(point.loadMs)}, first request ${ms(point.firstRequestMs)} of which ${ms(point.callsMs)} waiting on its calls; ${ms(point.cpuMs)} of CPU)`).join('; ')}. ` +
      (comparePrevious ? `At 0.2.0's ${PREVIOUS_MB} MB: ${previous.map((point) => `${ms(point.answerMs)}`).join(' and ')}. ` : '') +
      `The wait is mostly CPU (Node's start with its root certificates, parsing and running the bundle, the SDK's first calls and TLS handshakes), so it shrinks with the CPU share Lambda gives per MB; the smallest size in this run within ${COLD_ANSWER_GOAL_MS} ms: ${KINDS.map((kind) => `${KIND_LABEL[kind]} ${smallest(kind) === undefined ? 'none measured' : `${smallest(kind)} MB`}`).join(', ')}.`,
  ];
  const form = pointOf(result, 'form', result.deployedMB);
  if (form && form.answerMs > COLD_ANSWER_GOAL_MS) {
    const calls = ASSUMED_ROUND_TRIP_MS;
    const assumed = Math.max(calls.secretsManager, calls.dynamoDb) + 2 * calls.dynamoDb + calls.captcha + calls.sqs;
    out.push(
      `**A form's cold answer is over ${COLD_ANSWER_GOAL_MS} ms at ${result.deployedMB} MB: ${ms(form.answerMs)}.** Its first request waits on five calls one after another, each needed before the next (the sources secret ${calls.secretsManager} ms, with the per-client counter ${calls.dynamoDb} ms beside it, the ledger's record ${calls.dynamoDb} ms, the CAPTCHA provider ${calls.captcha} ms, SQS ${calls.sqs} ms, the ledger's completion ${calls.dynamoDb} ms: ${assumed} ms assumed, ${ms(form.callsMs)} measured with the TLS handshakes to four hosts), and the process needs ${ms(form.cpuMs)} of CPU on this machine up to its answer, at least ${ms(form.cpuMs / Math.min(1, form.vcpu))} at ${result.deployedMB} MB's share of a vCPU: ${ms(cpuModelMs(form))} before any queueing. Within ${COLD_ANSWER_GOAL_MS} ms it needs ${whatItTakes(form)}.`,
    );
  }
  // What the goal would take for each request over it, and why the deployed size stays.
  const over = deployed.filter((point) => point.answerMs > COLD_ANSWER_GOAL_MS);
  const api = pointOf(result, 'signups', result.deployedMB);
  if (api && api.answerMs > COLD_ANSWER_GOAL_MS) {
    out.push(
      `**POST /signups's cold answer is over ${COLD_ANSWER_GOAL_MS} ms at ${result.deployedMB} MB on this machine: ${ms(api.answerMs)}.** ${ms(api.cpuMs)} of CPU up to the answer (at least ${ms(api.cpuMs / Math.min(1, api.vcpu))} at ${result.deployedMB} MB's share of a vCPU) and ${ms(api.callsMs)} waiting on its calls (the sources secret, the ledger's record, SQS, the ledger's completion, with their TLS handshakes). Within ${COLD_ANSWER_GOAL_MS} ms it needs ${whatItTakes(api)}; Node's start and the SDK clients alone (the cold-start floor) take a good part of the CPU.`,
    );
  }
  if (over.length > 0) {
    out.push(
      `**${result.deployedMB} MB is kept, and the ${COLD_ANSWER_GOAL_MS} ms goal is not met by it here** (${over.map((point) => `${KIND_LABEL[point.kind]} would need ${whatItTakes(point)}`).join('; ')}): every MB is paid on every warm request too (the last column), and a cold answer comes once per new Lambda environment${comparePrevious ? ` (at 0.2.0's ${PREVIOUS_MB} MB it took ${previous.map((point) => ms(point.answerMs)).join(' and ')})` : ''}.`,
    );
  } else {
    out.push(
      `**${result.deployedMB} MB is kept**: both requests answer within ${COLD_ANSWER_GOAL_MS} ms, and each MB more is paid on every warm request too (the last column${comparePrevious ? `: ${deployed.map((point) => `${KIND_LABEL[point.kind]} ${perMillion(point)} per million warm against ${perMillion(pointOf(result, point.kind, PREVIOUS_MB))} at ${PREVIOUS_MB} MB`).join(', ')}` : ''}).`,
    );
  }
  if (levers) {
    const of = (key: string) => levers.measures.filter((measure) => measure.lever.key === key);
    const describe = (key: string) =>
      of(key)
        .map((measure) => `${measure.kind === 'form' ? 'form' : 'POST /signups'} ${signedMs(measure.deltaMs)} (CPU ${signedMs(measure.deltaCpuMs)})`)
        .join(', ');
    out.push(
      `**The cold answer's levers** (at ${levers.memoryMB} MB, paired): fetch instead of node:https for the CAPTCHA check would change a form's cold answer by ${describe('siteverify-fetch')} (kept: node:https). The first request's calls left to the request instead of started at the cold start: ${describe('no-warm-up')} (kept: started at the cold start). The credential providers Lambda never reaches bundled again: ${describe('credential-chain-bundled')} (kept: out of the bundle). Not kept: without --enable-source-maps ${describe('no-source-maps')}`,
    );
  }
  return out;
}

const signedMs = (value: number) => `${value > 0 ? '+' : value < 0 ? '−' : '±'}${ms(Math.abs(value))}`;

// ---------- trickle and burst ----------

export function trickleTable(result: TrickleResult, command: string, seed: number): Table {
  const windowMs = result.batchingWindowMs;
  const row = (run: TrickleResult['trickle'], goals: boolean) => {
    const customer = quantiles(run.customerMs);
    const subscriber = quantiles(run.subscriberMs);
    return [
      run.label,
      String(run.signups),
      `${seconds(customer.p50)} / ${seconds(customer.p99)} / ${seconds(customer.max)}`,
      `${seconds(subscriber.p50)} / ${seconds(subscriber.p99)} / ${seconds(subscriber.max)}`,
      goals ? `p50 ≤ ${seconds(windowMs + TRICKLE_GOAL_MS.p50OverWindow)}, p99 ≤ ${seconds(windowMs + TRICKLE_GOAL_MS.p99OverWindow)}` : '–',
      goals ? (trickleMet(result) ? 'yes' : 'NO') : '–',
      String(run.invocations),
      fixed(run.requestsPerSignup, 2),
    ];
  };
  return {
    title: `From the ingest's 202 to the customer and subscriber in BigCommerce (local mode, batching window ${seconds(windowMs)}, BigCommerce ${result.latencyMs} ms, seed ${seed})`,
    headers: [
      'traffic',
      'signups',
      '202 → customer p50 / p99 / max',
      '202 → subscriber p50 / p99 / max',
      'goal (customer and subscriber)',
      'met',
      'sync invocations',
      'BigCommerce requests per signup',
    ],
    rows: [row(result.trickle, true), row(result.burst, false)],
    notes: [
      `Regenerate this table alone: \`${command}\`. Local mode as \`npm start\` runs it: the real ingest over loopback HTTP, the embedded SQS, local mode's event source mapping (local/event-source/) with the deployed batching window (${seconds(windowMs)}, cdk.json batchingWindowSeconds) and maxConcurrency (${result.maxConcurrency}), the real sync handler, and the BigCommerce sandbox answering every request ${result.latencyMs} ms late (assumed: BigCommerce publishes no latency). Every signup gives marketing consent, so it becomes a customer (one POST of the batch) and then a subscriber (one request each: BigCommerce has no subscriber batch).`,
      'trickle: one signup a minute. Each is sent once the previous one is in the store, the queue holds nothing and no invocation runs, which is what a minute between signups leaves; the minute itself is not waited out (nothing carries over from one signup to the next, so waiting it would change no figure). So every signup waits the whole batching window, as at a real trickle: Lambda waits up to the window, or until it holds 10 records (or 6 MB).',
      `burst: ${result.burst.signups} signups posted at once; batches fill to 10 at once, so they do not wait the window, and each batch's subscribers are written one after another (${result.latencyMs} ms each).`,
      `real time throughout (no time scale): the window and the ${result.latencyMs} ms are production's. Not production's: the embedded queue is short-polled (an empty receive takes the emulator's 40 ms, then ${result.idlePollMs} ms), where AWS answers a long poll as soon as a message is there; local mode has no cold starts (at one signup a minute a Lambda environment usually stays warm).`,
    ],
  };
}

export function trickleMet(result: TrickleResult): boolean {
  const windowMs = result.batchingWindowMs;
  const within = (values: readonly number[]) => {
    const { p50, p99 } = quantiles(values);
    return p50 <= windowMs + TRICKLE_GOAL_MS.p50OverWindow && p99 <= windowMs + TRICKLE_GOAL_MS.p99OverWindow;
  };
  return within(result.trickle.customerMs) && within(result.trickle.subscriberMs);
}

export function trickleTargets(result: TrickleResult, seed: number): { target: string; measured: string; met: string }[] {
  const windowMs = result.batchingWindowMs;
  const customer = quantiles(result.trickle.customerMs);
  const subscriber = quantiles(result.trickle.subscriberMs);
  return [
    {
      target: `trickle: 202 → customer and subscriber p50 ≤ window + 1 s (${seconds(windowMs + TRICKLE_GOAL_MS.p50OverWindow)}), p99 ≤ window + 3 s (${seconds(windowMs + TRICKLE_GOAL_MS.p99OverWindow)}) (seed ${seed})`,
      measured: `customer ${seconds(customer.p50)} / ${seconds(customer.p99)}, subscriber ${seconds(subscriber.p50)} / ${seconds(subscriber.p99)} (${result.trickle.signups} signups)`,
      met: trickleMet(result) ? 'yes' : 'NO',
    },
  ];
}

export function trickleFindings(result: TrickleResult): string[] {
  const customer = quantiles(result.trickle.customerMs);
  const subscriber = quantiles(result.trickle.subscriberMs);
  const burst = quantiles(result.burst.subscriberMs);
  return [
    `**A signup at a trickle is in the store ${seconds(customer.p50)} after its 202** (p99 ${seconds(customer.p99)}; subscriber ${seconds(subscriber.p50)}, p99 ${seconds(subscriber.p99)}): the ${seconds(result.batchingWindowMs)} batching window, one BigCommerce POST (${result.latencyMs} ms), one subscriber request (${result.latencyMs} ms), and local mode's polling. A burst of ${result.burst.signups} fills batches at once: its last subscriber took ${seconds(burst.max)}, the subscribers of a batch being written one after another.`,
  ];
}

// ---------- batching window ----------

export function windowTable(sweep: WindowSweep, deployedSeconds: number, command: string, seed: number): Table {
  const rows = WINDOWS_SECONDS.map((windowSeconds) => [
    `${windowSeconds} s${windowSeconds === deployedSeconds ? ' (deployed)' : ''}`,
    ...RATES_PER_SECOND.map((rate) => {
      const cell = sweep.cells.find((candidate) => candidate.windowSeconds === windowSeconds && candidate.ratePerSecond === rate);
      return cell ? `${fixed(cell.requestsPerCustomer, 2)} · ${seconds(cell.p50Ms)} / ${seconds(cell.p99Ms)}` : '–';
    }),
    kneeOf(sweep, windowSeconds) === undefined ? `above ${RATES_PER_SECOND.at(-1)}/s` : `${kneeOf(sweep, windowSeconds)}/s`,
    `${fixed(requestsPerQuotaWindow(windowSeconds), 0)} (${fixed((100 * requestsPerQuotaWindow(windowSeconds)) / 150, 0)} %)`,
  ]);
  return {
    title: `Batching window against traffic: BigCommerce requests per customer · queue → customer p50 / p99 (time scale ${sweep.timeScale}, ${sweep.signupsPerCell} signups per cell, seed ${seed})`,
    headers: [
      'batching window',
      ...RATES_PER_SECOND.map((rate) => `${rate} signups/s`),
      `batches full (≤ ${FULL_BATCHES_REQUESTS_PER_CUSTOMER} requests per customer) from`,
      'most requests per 30 s quota window below that (share of 150)',
    ],
    rows,
    notes: [
      `Regenerate this table alone: \`${command}\`. The drain bench's model of the event source mapping (bench/lib/event-source.ts: 2 pollers, each waiting up to the window for a partial batch or until it holds 10) with the real sync handler against the sandbox; signups arrive one by one at a steady rate, BigCommerce answers after ${WINDOW_BENCH_LATENCY_MS} ms (assumed); customers only (a subscriber request per consenting signup comes on top, whatever the window).`,
      `time scale ${sweep.timeScale}: every time is multiplied by it (the arrival interval, the window, the ${WINDOW_BENCH_LATENCY_MS} ms, the quota window, the function's time budget), so rate × window, which decides how full a batch gets, and latency ÷ window are production's, and latencies are shown ÷ the scale. What the scale does not shrink is the machine's own few ms per request, which read as tens of production ms here.`,
      `most requests per quota window: below the knee every poller sends at most one request per window + answer time, so 2 pollers × 30 s ÷ (window + ${WINDOW_BENCH_LATENCY_MS / 1000} s), whatever the traffic: what the sync can take of a Standard store's 150 requests per 30 s, which every app on the store shares.`,
    ],
  };
}

/** The most customer requests 2 pollers send per 30 s while batches are not full: one per window + answer time each. */
export const requestsPerQuotaWindow = (windowSeconds: number) => (2 * 30) / (windowSeconds + WINDOW_BENCH_LATENCY_MS / 1000);

export function windowFindings(sweep: WindowSweep, deployedSeconds: number): string[] {
  const knee = kneeOf(sweep, deployedSeconds);
  const shorter = WINDOWS_SECONDS.filter((windowSeconds) => windowSeconds < deployedSeconds).at(-1);
  return [
    `**The batching window: ${deployedSeconds} s (cdk.json batchingWindowSeconds).** At a trickle every signup waits the whole window, so a shorter one answers sooner (the trickle table); under load a longer one fills batches: with ${deployedSeconds} s, batches are full (≤ ${FULL_BATCHES_REQUESTS_PER_CUSTOMER} requests per customer) from ${knee === undefined ? 'above the rates measured' : `${knee} signups/s`}, the knee being where rate × window reaches a batch of 10 (10 ÷ window signups/s). Below the knee the sync sends at most ${fixed(requestsPerQuotaWindow(deployedSeconds), 0)} requests per 30 s window (${fixed((100 * requestsPerQuotaWindow(deployedSeconds)) / 150, 0)} % of a Standard store's quota, which the store's other apps share)` +
      (shorter === undefined
        ? '.'
        : `, against ${fixed(requestsPerQuotaWindow(shorter), 0)} (${fixed((100 * requestsPerQuotaWindow(shorter)) / 150, 0)} %) with ${shorter} s and ${fixed(requestsPerQuotaWindow(0), 0)} (over the quota) with none; and every partial batch is a sync invocation, an SQS receive and a delete more (the cost model's messages per invocation). The ${deployedSeconds} s window keeps the trickle within its goal (window + 1 s).`),
  ];
}
