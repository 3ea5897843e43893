import type { FaultKind, SandboxClientStats, SandboxLogEntry, SandboxStats } from './types';

/** The client a request counts under: the first product token of its User-Agent ("signup-sync/0.2.0 (sync)" -> "signup-sync"). */
export function clientOf(userAgent: string | undefined): string {
  const product = userAgent?.trim().split(/[\s/]/, 1)[0];
  return product ? product.slice(0, 64) : '(none)';
}

export const DEFAULT_LOG_CAP = 100_000;

/** Request counters and a capped request log, for tests, benchmarks and the local status page. */
export class StatsRecorder {
  private requests: Record<string, number> = {};
  private faults: Record<string, number> = {};
  private clients = new Map<string, SandboxClientStats>();
  private log: SandboxLogEntry[] = [];
  private apiRequests = 0;
  private rateLimited = 0;
  private customersCreated = 0;
  private customersUpdated = 0;

  constructor(private readonly logCap = DEFAULT_LOG_CAP) {}

  clear(): void {
    this.requests = {};
    this.faults = {};
    this.clients.clear();
    this.log = [];
    this.apiRequests = 0;
    this.rateLimited = 0;
    this.customersCreated = 0;
    this.customersUpdated = 0;
  }

  /** `status` 0 = no answer; the outcome key then says why ('POST hang', 'POST reset'). */
  record(entry: { method: string; path: string; status: number; items: number; fault?: FaultKind | undefined; client?: string }): void {
    this.apiRequests += 1;
    // A Map: a client named "__proto__" or "constructor" is just a name.
    const name = entry.client ?? '(none)';
    const client = this.clients.get(name) ?? { requests: 0, rateLimited: 0 };
    this.clients.set(name, client);
    client.requests += 1;
    if (entry.status === 429) client.rateLimited += 1;
    const outcome = entry.status === 0 ? String(entry.fault ?? 'none') : String(entry.status);
    const key = `${entry.method} ${outcome}`;
    this.requests[key] = (this.requests[key] ?? 0) + 1;
    if (entry.status === 429) this.rateLimited += 1;
    if (entry.fault !== undefined) this.faults[String(entry.fault)] = (this.faults[String(entry.fault)] ?? 0) + 1;
    const logged: SandboxLogEntry = { at: Date.now(), method: entry.method, path: entry.path, status: entry.status, items: entry.items };
    if (entry.fault !== undefined) logged.fault = entry.fault;
    this.log.push(logged);
    // Trim in chunks so a full log does not cost an O(n) shift on every request.
    if (this.log.length > this.logCap + Math.ceil(this.logCap / 10)) this.log.splice(0, this.log.length - this.logCap);
  }

  addCreated(count: number): void {
    this.customersCreated += count;
  }

  addUpdated(count: number): void {
    this.customersUpdated += count;
  }

  snapshot(rateLimit: SandboxStats['rateLimit'], seed: number, logLimit?: number): SandboxStats {
    const log = this.log.length > this.logCap ? this.log.slice(-this.logCap) : this.log;
    return {
      requests: { ...this.requests },
      apiRequests: this.apiRequests,
      rateLimited: this.rateLimited,
      customersCreated: this.customersCreated,
      customersUpdated: this.customersUpdated,
      faults: { ...this.faults },
      clients: Object.fromEntries([...this.clients].map(([name, counts]) => [name, { ...counts }])),
      rateLimit,
      seed,
      log: (logLimit === undefined ? log : logLimit <= 0 ? [] : log.slice(-logLimit)).map((e) => ({ ...e })),
    };
  }
}
