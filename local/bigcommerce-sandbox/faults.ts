import { createPrng, type Prng } from './prng';
import type { FaultConfig, FaultKind, FaultMethod } from './types';

const DEFAULT_KINDS: readonly FaultKind[] = [500, 502, 503, 504];
const DEFAULT_METHODS: readonly FaultMethod[] = ['POST', 'PUT'];

/**
 * Decides which fault, if any, a request gets: the script first (one entry per matching request),
 * then the seeded `rate`. Only requests whose method is in `methods` are "matching".
 */
export class FaultInjector {
  private config: FaultConfig = {};
  private script: FaultKind[] = [];
  private random: Prng;

  constructor(private readonly seed: number) {
    this.random = createPrng(seed);
  }

  /** Replaces the config. The PRNG restarts from the seed, so the same config gives the same sequence. */
  configure(config: FaultConfig): void {
    this.config = config;
    this.script = [...(config.script ?? [])];
    this.random = createPrng(this.seed);
  }

  get latencyMs(): number {
    return this.config.latencyMs ?? 0;
  }

  draw(method: string): FaultKind {
    const methods = this.config.methods ?? DEFAULT_METHODS;
    if (!methods.includes(method as FaultMethod)) return 'none';
    const scripted = this.script.shift();
    if (scripted !== undefined) return scripted;
    const rate = this.config.rate ?? 0;
    if (rate <= 0 || this.random() >= rate) return 'none';
    const kinds = this.config.kinds ?? DEFAULT_KINDS;
    return kinds[Math.floor(this.random() * kinds.length)] ?? 'none';
  }
}
