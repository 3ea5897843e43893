import { spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import * as path from 'node:path';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type SiteverifyStandIn, startSiteverifyStandIn } from '../local/captcha/siteverify-stand-in';
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from '../local/delivery-ledger/embedded-dynamodb';
import { toHttpApiEvent } from '../local/http-api-event';
import type { EmulatorServing } from '../local/net';
import { type EmbeddedSqs, startEmbeddedSqs } from '../local/sqs/embedded-sqs';
import { lambdaEnv } from './cold-start';
import { ASSUMED_LATENCY_MS } from './cost-report';
import { type CpuQuotas, MB_PER_VCPU } from './cpu-quota';
import type { DeployedFunction } from './deployment';
import { type SecretsManagerStandIn, startSecretsManagerStandIn } from './lib/secrets-manager-stand-in';
import { median, percentile } from './lib/stats';
import { selfSignedCert } from './lib/tls-cert';

/**
 * The ingest's cold answer, as a person submitting a form to a cold function waits for it: from the
 * invocation (a fresh Node process, started inside the CPU quota Lambda gives the memory size) through
 * Node's start, the bundle's load and the handler's construction, to the first request's own answer: the
 * 202 of POST /signups, or the 303 redirect of an html-form post. The first request makes its AWS calls for
 * real, over HTTPS, to loopback stand-ins in this (unconstrained) process: the embedded SQS and DynamoDB of
 * local mode and a Secrets Manager stand-in (bench/lib/secrets-manager-stand-in.ts), each answering after an
 * assumed in-region round trip; the form's CAPTCHA check goes to local mode's siteverify stand-in after an
 * assumed round trip to the provider. The measured process is the asset `cdk synth` wrote (or a variant of
 * it for a lever), with the function's environment from the template.
 *
 * Not in the figure: what Lambda does before our process starts (placing the environment, fetching the
 * code) and API Gateway's own time; both are the platform's and the same for any code.
 */

/**
 * Assumed time from sending a request to its answer, per dependency (AWS publishes none): SQS and DynamoDB
 * as the cost model assumes them (bench/cost-report.ts ASSUMED_LATENCY_MS), Secrets Manager a little slower
 * (it reads through KMS), the CAPTCHA provider across the internet.
 */
export const ASSUMED_ROUND_TRIP_MS = {
  sqs: ASSUMED_LATENCY_MS.sqsSend,
  dynamoDb: ASSUMED_LATENCY_MS.ledgerWrite,
  secretsManager: 20,
  captcha: 50,
} as const;

/** The goal (issue 23): a cold answer within this at the deployed memory. */
export const COLD_ANSWER_GOAL_MS = 400;

export type AnswerKind = 'signups' | 'form';

const SOURCES_SECRET_NAME = 'signup-sync/sources';
const API_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const FORM_SOURCE_ID = 'signup-form';
const FORM_ORIGIN = 'https://shop.example.com';
const FORM_CAPTCHA_SECRET = 'cold-answer-captcha-secret';

/** The html-form source of the form variant: Turnstile required, as docs/sources.md configures a public form. */
function formSource(verifyUrl: string) {
  return {
    id: FORM_SOURCE_ID,
    kind: 'html-form',
    allowedOrigins: [FORM_ORIGIN],
    thankYouUrl: `${FORM_ORIGIN}/thanks`,
    errorUrl: `${FORM_ORIGIN}/signup-error`,
    captcha: { provider: 'turnstile', verifyUrl },
  };
}

export type ColdAnswerRig = Readonly<{
  tls: boolean;
  /** The function's environment for one process: the template's, with the stand-ins' endpoints and Lambda's variables. */
  env(kind: AnswerKind, fn: DeployedFunction, memoryMB: number): NodeJS.ProcessEnv;
  /** Two fresh requests (a new delivery each): the cold one and a warm one after it. */
  events(kind: AnswerKind): [APIGatewayProxyEventV2, APIGatewayProxyEventV2];
  close(): Promise<void>;
}>;

let sequence = 0;

function signupsEvent(now: Date): APIGatewayProxyEventV2 {
  sequence += 1;
  const body = JSON.stringify({
    email: `cold.${sequence}.${randomUUID()}@example.com`,
    first_name: 'Ada',
    last_name: 'Lovelace',
    consent: { marketing: true },
  });
  const id = `msg_cold_${sequence}_${randomUUID()}`;
  const seconds = String(Math.floor(now.getTime() / 1000));
  const key = Buffer.from(API_SECRET.slice('whsec_'.length), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${seconds}.`).update(body).digest('base64');
  const headers = ['content-type', 'application/json', 'webhook-id', id, 'webhook-timestamp', seconds, 'webhook-signature', `v1,${signature}`];
  return toHttpApiEvent({ method: 'POST', url: '/signups', rawHeaders: headers, body: Buffer.from(body), sourceIp: '192.0.2.10' }, { now });
}

function formEvent(now: Date): APIGatewayProxyEventV2 {
  sequence += 1;
  const form = new URLSearchParams({
    email: `form.${sequence}.${randomUUID()}@example.com`,
    first_name: 'Ada',
    last_name: 'Lovelace',
    'cf-turnstile-response': `token-${sequence}-${randomUUID()}`,
  });
  const headers = ['content-type', 'application/x-www-form-urlencoded', 'origin', FORM_ORIGIN, 'referer', `${FORM_ORIGIN}/newsletter`];
  // A distinct client address per request: the per-client counter of public forms never refuses one here.
  const sourceIp = `198.51.100.${(sequence % 250) + 1}`;
  return toHttpApiEvent({ method: 'POST', url: `/sources/${FORM_SOURCE_ID}`, rawHeaders: headers, body: Buffer.from(form.toString()), sourceIp }, { now });
}

/** Starts the stand-ins (HTTPS when openssl is there) with the queues, the ledger table and the sources secret. */
export async function startColdAnswerRig(dir: string): Promise<ColdAnswerRig> {
  mkdirSync(dir, { recursive: true });
  const cert = selfSignedCert(dir);
  const serving = (delayMs: number): EmulatorServing => ({ ...(cert ? { tls: cert } : {}), delayMs });
  const started: { close(): Promise<void> }[] = [];
  try {
    const sqs: EmbeddedSqs = await startEmbeddedSqs({ serving: serving(ASSUMED_ROUND_TRIP_MS.sqs) });
    started.push(sqs);
    const dynamoDb: EmbeddedDynamoDb = await startEmbeddedDynamoDb({ serving: serving(ASSUMED_ROUND_TRIP_MS.dynamoDb) });
    started.push(dynamoDb);
    const captcha: SiteverifyStandIn = await startSiteverifyStandIn({
      hostname: new URL(FORM_ORIGIN).hostname,
      serving: serving(ASSUMED_ROUND_TRIP_MS.captcha),
    });
    started.push(captcha);
    const secrets: SecretsManagerStandIn = await startSecretsManagerStandIn({
      secrets: { [SOURCES_SECRET_NAME]: JSON.stringify({ api: API_SECRET, [FORM_SOURCE_ID]: { captchaSecret: FORM_CAPTCHA_SECRET } }) },
      serving: serving(ASSUMED_ROUND_TRIP_MS.secretsManager),
    });
    started.push(secrets);
    const client = new SQSClient({
      endpoint: sqs.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      ...(cert ? { requestHandler: { httpsAgent: new Agent({ ca: cert.cert }) } } : {}),
    });
    // The queue URLs the emulator builds say http; the function calls them over the endpoint's scheme.
    const queueUrl = async (name: string) => {
      const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name }));
      return cert ? QueueUrl!.replace(/^http:/, 'https:') : QueueUrl!;
    };
    const signupQueueUrl = await queueUrl('cold-answer-signups');
    const deadLetterQueueUrl = await queueUrl('cold-answer-dlq');
    client.destroy();
    return {
      tls: cert !== undefined,
      env: (kind, fn, memoryMB) => {
        // The template's plain values (references to resources are objects there and are replaced below).
        const template = Object.fromEntries(Object.entries(fn.environment).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
        return {
          ...lambdaEnv({ enableSourceMaps: fn.nodeOptions?.includes('--enable-source-maps') ?? false }),
          ...template,
          ...(fn.nodeOptions ? { NODE_OPTIONS: fn.nodeOptions } : {}),
          SIGNUP_QUEUE_URL: signupQueueUrl,
          DEAD_LETTER_QUEUE_URL: deadLetterQueueUrl,
          SOURCES_SECRET: SOURCES_SECRET_NAME,
          DELIVERY_LEDGER_TABLE: dynamoDb.tableName,
          CLIENT_HASH_KEY: 'cold-answer-client-hash-key-0123456789',
          ...(kind === 'form' ? { SOURCES_CONFIG: JSON.stringify([formSource(captcha.url)]) } : {}),
          // What Lambda sets: credentials as environment variables (the SDK's first provider), the memory size.
          AWS_ACCESS_KEY_ID: 'ASIACOLDANSWERBENCH',
          AWS_SECRET_ACCESS_KEY: 'cold-answer-bench-secret-access-key',
          AWS_SESSION_TOKEN: 'cold-answer-bench-session-token',
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMB),
          AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
          AWS_ENDPOINT_URL_SQS: sqs.endpoint,
          AWS_ENDPOINT_URL_DYNAMODB: dynamoDb.endpoint,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
          ...(cert ? { NODE_EXTRA_CA_CERTS: cert.file } : {}),
        };
      },
      events: (kind) => {
        const now = new Date();
        return kind === 'signups' ? [signupsEvent(now), signupsEvent(now)] : [formEvent(now), formEvent(now)];
      },
      close: async () => {
        for (const part of started.reverse()) await part.close();
      },
    };
  } catch (error) {
    for (const part of started.reverse()) await part.close().catch(() => undefined);
    throw error;
  }
}

/**
 * The measured process: timestamps from its own clock (performance.now() counts from the process's start),
 * the AWS and CAPTCHA calls it made (diagnostics_channel), reported on fd 3 so the function's own log lines
 * (stdout, as on Lambda) stay apart. It answers a second request warm, then exits.
 */
const CHILD_SCRIPT = String.raw`'use strict';
const started = performance.now();
const cpuMs = () => { const cpu = process.cpuUsage(); return (cpu.user + cpu.system) / 1000; };
const startCpu = cpuMs();
const fs = require('node:fs');
const channels = require('node:diagnostics_channel');
const calls = [];
const open = new Map();
channels.subscribe('http.client.request.start', ({ request }) => {
  const target = request.getHeader('x-amz-target');
  const call = { operation: target ? String(target) : request.path, start: performance.now() };
  open.set(request, call);
  calls.push(call);
});
channels.subscribe('http.client.response.finish', ({ request }) => {
  const call = open.get(request);
  if (call) call.end = performance.now();
});
// fetch (the CAPTCHA check) goes through undici, which has channels of its own.
channels.subscribe('undici:request:create', ({ request }) => {
  const call = { operation: 'siteverify', start: performance.now() };
  open.set(request, call);
  calls.push(call);
});
channels.subscribe('undici:request:trailers', ({ request }) => {
  const call = open.get(request);
  if (call) call.end = performance.now();
});
const report = (value) => fs.writeSync(3, JSON.stringify(value) + '\n');
const context = (id) => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME,
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  awsRequestId: id,
  logGroupName: '/aws/lambda/' + process.env.AWS_LAMBDA_FUNCTION_NAME,
  logStreamName: 'cold-answer',
  getRemainingTimeInMillis: () => 10000,
  done() {}, fail() {}, succeed() {},
});
// With COLD_ANSWER_PROFILE_DIR: the load and the first request are profiled apart (node:inspector), a file each.
const profileDir = process.env.COLD_ANSWER_PROFILE_DIR;
const session = profileDir ? new (require('node:inspector').Session)() : undefined;
const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
const profiled = async (name, work) => {
  if (!session) return work();
  await post('Profiler.start');
  const result = await work();
  const { profile } = await post('Profiler.stop');
  fs.writeFileSync(require('node:path').join(profileDir, name + '.cpuprofile'), JSON.stringify(profile));
  return result;
};
(async () => {
  if (session) {
    session.connect();
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 100 });
  }
  const { handler } = await profiled('load', async () => require(process.env.COLD_ANSWER_ASSET));
  const loaded = performance.now();
  const loadedCpu = cpuMs();
  const events = JSON.parse(fs.readFileSync(process.env.COLD_ANSWER_EVENTS, 'utf8'));
  const first = await profiled('first-request', () => handler(events[0], context('cold-request')));
  const answered = performance.now();
  report({ phase: 'answered' });
  const answeredCpu = cpuMs();
  const warmStarted = performance.now();
  const second = await handler(events[1], context('warm-request'));
  const warmMs = performance.now() - warmStarted;
  report({ phase: 'done', started, loaded, answered, warmMs, startCpu, loadedCpu, answeredCpu,
    status: first.statusCode, location: first.headers && first.headers.location, warmStatus: second.statusCode, calls });
  process.exit(0);
})().catch((error) => {
  report({ phase: 'error', message: String((error && error.stack) || error) });
  process.exit(1);
});
`;

export type ColdAnswerSample = Readonly<{
  /** Spawn -> the first answer reported (what the person waits for, minus the platform's part). */
  answerMs: number;
  /** Node's own start, before our script runs (from the process's time origin). */
  bootMs: number;
  /** require() of the bundle: module load and the handler's construction at init. */
  loadMs: number;
  /** The first request, from the handler call to its answer. */
  firstRequestMs: number;
  /** Of which: waiting for the AWS and CAPTCHA calls (the union of their spans). */
  callsMs: number;
  calls: readonly Readonly<{ operation: string; ms: number }>[];
  /** The second request, warm. */
  warmMs: number;
  /** CPU time of the process up to the first answer (user + system), and its parts: Node's start, the load, the first request. */
  cpuMs: number;
  bootCpuMs: number;
  loadCpuMs: number;
  requestCpuMs: number;
  status: number;
}>;

type ChildReport = Readonly<{
  phase: 'answered' | 'done' | 'error';
  started?: number;
  loaded?: number;
  answered?: number;
  warmMs?: number;
  startCpu?: number;
  loadedCpu?: number;
  answeredCpu?: number;
  status?: number;
  location?: string;
  warmStatus?: number;
  message?: string;
  calls?: readonly Readonly<{ operation: string; start: number; end?: number }>[];
}>;

/** Milliseconds covered by the union of the spans (concurrent calls counted once). */
function unionMs(spans: readonly Readonly<{ start: number; end?: number }>[], until: number): number {
  const sorted = spans.map((span) => ({ start: span.start, end: Math.min(span.end ?? until, until) })).sort((a, b) => a.start - b.start);
  let total = 0;
  let current: { start: number; end: number } | undefined;
  for (const span of sorted) {
    if (current && span.start <= current.end) current.end = Math.max(current.end, span.end);
    else {
      if (current) total += current.end - current.start;
      current = { ...span };
    }
  }
  return total + (current ? current.end - current.start : 0);
}

/** The answer each kind must give: a 202 for POST /signups, the form's 303 to its thank-you page. */
const expected: Readonly<Record<AnswerKind, { status: number; location?: string }>> = {
  signups: { status: 202 },
  form: { status: 303, location: `${FORM_ORIGIN}/thanks` },
};

/** One cold answer in a fresh process (inside `prefix`, e.g. a CPU quota's cgroup). */
export async function coldAnswerOnce(
  options: Readonly<{
    rig: ColdAnswerRig;
    kind: AnswerKind;
    asset: string;
    fn: DeployedFunction;
    memoryMB: number;
    prefix: readonly string[];
    dir: string;
    /** Write a CPU profile of the load and one of the first request here (the figures then include the profiler's cost). */
    profileDir?: string;
  }>,
): Promise<ColdAnswerSample> {
  const { rig, kind } = options;
  const script = path.join(options.dir, 'cold-answer-child.js');
  writeFileSync(script, CHILD_SCRIPT);
  const eventsFile = path.join(options.dir, `cold-answer-events-${process.pid}.json`);
  writeFileSync(eventsFile, JSON.stringify(rig.events(kind)));
  const env = {
    ...rig.env(kind, options.fn, options.memoryMB),
    COLD_ANSWER_ASSET: options.asset,
    COLD_ANSWER_EVENTS: eventsFile,
    ...(options.profileDir ? { COLD_ANSWER_PROFILE_DIR: options.profileDir } : {}),
  };
  const command = [...options.prefix, process.execPath, script];
  const spawnedAt = performance.now();
  const child = spawn(command[0]!, command.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  let answeredAt: number | undefined;
  let done: ChildReport | undefined;
  let stderr = '';
  let pending = '';
  // The function's log lines are read and dropped, as Lambda's runtime reads them.
  child.stdout!.resume();
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
      const report = JSON.parse(pending.slice(0, newline)) as ChildReport;
      pending = pending.slice(newline + 1);
      if (report.phase === 'answered') answeredAt = performance.now();
      else done = report;
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0 || !done || done.phase !== 'done' || answeredAt === undefined)
    throw new Error(`cold answer (${kind}, ${options.memoryMB} MB) failed (exit ${code}): ${done?.message ?? stderr.slice(-2000)}`);
  const want = expected[kind];
  if (done.status !== want.status || (want.location !== undefined && done.location !== want.location) || done.warmStatus !== want.status)
    throw new Error(`cold answer (${kind}): answered ${done.status} (warm ${done.warmStatus}, location ${done.location ?? '–'}), expected ${want.status}`);
  const { started = 0, loaded = 0, answered = 0 } = done;
  const firstCalls = (done.calls ?? []).filter((call) => call.start >= loaded && call.start <= answered);
  return {
    answerMs: answeredAt - spawnedAt,
    bootMs: started,
    loadMs: loaded - started,
    firstRequestMs: answered - loaded,
    callsMs: unionMs(firstCalls, answered),
    calls: firstCalls.map((call) => ({ operation: call.operation, ms: (call.end ?? answered) - call.start })),
    warmMs: done.warmMs ?? Number.NaN,
    cpuMs: done.answeredCpu ?? Number.NaN,
    bootCpuMs: done.startCpu ?? Number.NaN,
    loadCpuMs: (done.loadedCpu ?? Number.NaN) - (done.startCpu ?? Number.NaN),
    requestCpuMs: (done.answeredCpu ?? Number.NaN) - (done.loadedCpu ?? Number.NaN),
    status: done.status,
  };
}

export type ColdAnswerPoint = Readonly<{
  kind: AnswerKind;
  variant: string;
  memoryMB: number;
  vcpu: number;
  samples: readonly ColdAnswerSample[];
  /** Medians over the samples. */
  answerMs: number;
  answerMaxMs: number;
  bootMs: number;
  loadMs: number;
  firstRequestMs: number;
  callsMs: number;
  warmMs: number;
  cpuMs: number;
  bootCpuMs: number;
  loadCpuMs: number;
  requestCpuMs: number;
}>;

export function summarize(kind: AnswerKind, variant: string, memoryMB: number, samples: readonly ColdAnswerSample[]): ColdAnswerPoint {
  const of = (pick: (sample: ColdAnswerSample) => number) => median(samples.map(pick));
  return {
    kind,
    variant,
    memoryMB,
    vcpu: memoryMB / MB_PER_VCPU,
    samples,
    answerMs: of((sample) => sample.answerMs),
    answerMaxMs: percentile(
      samples.map((sample) => sample.answerMs),
      1,
    ),
    bootMs: of((sample) => sample.bootMs),
    loadMs: of((sample) => sample.loadMs),
    firstRequestMs: of((sample) => sample.firstRequestMs),
    callsMs: of((sample) => sample.callsMs),
    warmMs: of((sample) => sample.warmMs),
    cpuMs: of((sample) => sample.cpuMs),
    bootCpuMs: of((sample) => sample.bootCpuMs),
    loadCpuMs: of((sample) => sample.loadCpuMs),
    requestCpuMs: of((sample) => sample.requestCpuMs),
  };
}

export type { CpuQuotas };
