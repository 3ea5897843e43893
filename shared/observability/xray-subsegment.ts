import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

/**
 * One X-Ray subsegment per outgoing call, without the X-Ray SDK: with Lambda's active tracing the function's
 * segment exists already, and the runtime puts the invocation's trace header in `_X_AMZN_TRACE_ID`; a
 * subsegment is a JSON document sent over UDP to the X-Ray daemon at `AWS_XRAY_DAEMON_ADDRESS`. Sent only
 * when the invocation is sampled. Used for the sync's BigCommerce calls and for every AWS SDK call (tracing.ts).
 */

export type TraceHeader = Readonly<{ root: string; parent: string; sampled: boolean }>;

/** `Root=1-...;Parent=...;Sampled=1` (the order and extra fields vary). */
export function parseTraceHeader(header: string | undefined): TraceHeader | undefined {
  if (!header) return undefined;
  const fields = new Map(header.split(';').map((part) => part.split('=', 2) as [string, string | undefined]));
  const root = fields.get('Root');
  const parent = fields.get('Parent');
  if (!root || !parent) return undefined;
  return { root, parent, sampled: fields.get('Sampled') === '1' };
}

/** `host:port`, or the daemon's `tcp:host:port udp:host:port` form; the UDP address is the one used. */
export function parseDaemonAddress(value: string | undefined): { host: string; port: number } | undefined {
  if (!value) return undefined;
  const udp = value.split(/\s+/).find((part) => part.startsWith('udp:')) ?? value.split(/\s+/).find((part) => !part.startsWith('tcp:'));
  const match = udp?.replace(/^udp:/, '').match(/^(.+):(\d+)$/);
  return match ? { host: match[1]!, port: Number(match[2]) } : undefined;
}

export type RemoteCall = Readonly<{ name: string; url: string; method: string; status: number | undefined; startMs: number; endMs: number }>;

/** An AWS SDK call (shared/observability/tracing.ts): X-Ray shows it as the service's node with its operation. */
export type AwsCall = Readonly<{ service: string; operation: string; requestId?: string; status: number | undefined; startMs: number; endMs: number }>;

/** X-Ray colours a 4xx answer as an error and a 5xx (or no answer) as a fault. */
function outcomeOf(status: number | undefined) {
  if (status === undefined || status >= 500) return { fault: true };
  if (status >= 400) return { error: true, ...(status === 429 ? { throttle: true } : {}) };
  return {};
}

function subsegment(
  trace: TraceHeader,
  id: string,
  fields: Readonly<Record<string, unknown>> & { startMs: number; endMs: number },
  status: number | undefined,
): string {
  const { startMs, endMs, ...rest } = fields;
  const document = {
    ...rest,
    id,
    trace_id: trace.root,
    parent_id: trace.parent,
    type: 'subsegment',
    start_time: startMs / 1000,
    end_time: endMs / 1000,
    ...outcomeOf(status),
  };
  return `${JSON.stringify({ format: 'json', version: 1 })}\n${JSON.stringify(document)}`;
}

/** The subsegment document (header line included) for a call made under `trace`. */
export function remoteSubsegment(trace: TraceHeader, call: RemoteCall, id: string = randomBytes(8).toString('hex')): string {
  const http = { request: { method: call.method, url: call.url }, ...(call.status !== undefined ? { response: { status: call.status } } : {}) };
  return subsegment(trace, id, { name: call.name, namespace: 'remote', http, startMs: call.startMs, endMs: call.endMs }, call.status);
}

/** The subsegment document (header line included) for an AWS SDK call made under `trace`. */
export function awsSubsegment(trace: TraceHeader, call: AwsCall, id: string = randomBytes(8).toString('hex')): string {
  const aws = { operation: call.operation, ...(call.requestId !== undefined ? { request_id: call.requestId } : {}) };
  const http = call.status !== undefined ? { http: { response: { status: call.status } } } : {};
  return subsegment(trace, id, { name: call.service, namespace: 'aws', aws, ...http, startMs: call.startMs, endMs: call.endMs }, call.status);
}

export type SubsegmentSender = (call: RemoteCall | AwsCall) => void;

/**
 * A sender for this process, or undefined outside Lambda's tracing (no daemon address). Reads the trace
 * header at each call, since the runtime changes it per invocation. Never throws: tracing is best effort.
 */
export function createSubsegmentSender(env: NodeJS.ProcessEnv = process.env): SubsegmentSender | undefined {
  const daemon = parseDaemonAddress(env.AWS_XRAY_DAEMON_ADDRESS);
  if (!daemon) return undefined;
  let socket: Socket | undefined;
  return (call) => {
    const trace = parseTraceHeader(env._X_AMZN_TRACE_ID);
    if (!trace?.sampled) return;
    if (!socket) {
      socket = createSocket('udp4');
      // Never keep the process alive for a trace.
      socket.unref();
      socket.on('error', () => undefined);
    }
    const document = 'operation' in call ? awsSubsegment(trace, call) : remoteSubsegment(trace, call);
    socket.send(document, daemon.port, daemon.host, () => undefined);
  };
}
