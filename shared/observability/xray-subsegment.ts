import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

/**
 * One X-Ray subsegment per outgoing call, without the X-Ray SDK: with Lambda's active tracing the function's
 * segment exists already, and the runtime puts the invocation's trace header in `_X_AMZN_TRACE_ID`; a
 * subsegment is a JSON document sent over UDP to the X-Ray daemon at `AWS_XRAY_DAEMON_ADDRESS`. Sent only
 * when the invocation is sampled. Used for the BigCommerce call when Powertools Tracer is off (tracing.ts).
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

/** The subsegment document (header line included) for a call made under `trace`. */
export function remoteSubsegment(trace: TraceHeader, call: RemoteCall, id: string = randomBytes(8).toString('hex')): string {
  const document = {
    name: call.name,
    id,
    trace_id: trace.root,
    parent_id: trace.parent,
    type: 'subsegment',
    namespace: 'remote',
    start_time: call.startMs / 1000,
    end_time: call.endMs / 1000,
    http: { request: { method: call.method, url: call.url }, ...(call.status !== undefined ? { response: { status: call.status } } : {}) },
    // X-Ray colours a 4xx answer as an error and a 5xx (or no answer) as a fault.
    ...(call.status === undefined || call.status >= 500
      ? { fault: true }
      : call.status >= 400
        ? { error: true, ...(call.status === 429 ? { throttle: true } : {}) }
        : {}),
  };
  return `${JSON.stringify({ format: 'json', version: 1 })}\n${JSON.stringify(document)}`;
}

export type SubsegmentSender = (call: RemoteCall) => void;

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
    socket.send(remoteSubsegment(trace, call), daemon.port, daemon.host, () => undefined);
  };
}
