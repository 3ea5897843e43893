import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Lambda gives a function CPU in proportion to its memory: one vCPU at 1,769 MB. Here each memory size
 * becomes a CFS quota on a cgroup of its own (v2 cpu.max, or v1 cpu.cfs_quota_us), and a measured process
 * joins it before exec. Without a writable cgroup the bench says so and models the durations instead.
 */

export const MB_PER_VCPU = 1769;
/** CFS period: Linux's default; Lambda's own is not published. */
export const PERIOD_US = 100_000;

export type CpuQuotaMode = 'cgroup-v2' | 'cgroup-v1' | 'none';

export type CpuQuotas = Readonly<{
  mode: CpuQuotaMode;
  /** Why there is no quota (mode none). */
  reason?: string;
  /** A command prefix that runs the rest of the command inside the quota for `memoryMB`. */
  prefix(memoryMB: number): string[];
  /** Removes the cgroups (their processes have exited). */
  close(): void;
}>;

const V2_ROOT = '/sys/fs/cgroup';
const V1_ROOT = '/sys/fs/cgroup/cpu';

export const quotaUs = (memoryMB: number) => Math.max(1000, Math.round((PERIOD_US * memoryMB) / MB_PER_VCPU));

function writable(dir: string): boolean {
  try {
    const probe = path.join(dir, `signup-sync-bench-probe-${process.pid}`);
    mkdirSync(probe);
    rmdirSync(probe);
    return true;
  } catch {
    return false;
  }
}

export function openCpuQuotas(): CpuQuotas {
  const v2 =
    existsSync(path.join(V2_ROOT, 'cgroup.controllers')) && readFileSync(path.join(V2_ROOT, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('cpu');
  const mode: CpuQuotaMode =
    v2 && writable(V2_ROOT) ? 'cgroup-v2' : existsSync(path.join(V1_ROOT, 'cpu.cfs_quota_us')) && writable(V1_ROOT) ? 'cgroup-v1' : 'none';
  if (mode === 'none') {
    return {
      mode,
      reason: 'no writable cgroup with a cpu controller (needs root and cgroup v2 cpu.max or v1 cpu.cfs_quota_us)',
      prefix: () => [],
      close: () => undefined,
    };
  }
  const root = mode === 'cgroup-v2' ? V2_ROOT : V1_ROOT;
  const groups = new Map<number, string>();
  const groupFor = (memoryMB: number): string => {
    const existing = groups.get(memoryMB);
    if (existing) return existing;
    const dir = path.join(root, `signup-sync-bench-${process.pid}-${memoryMB}mb`);
    mkdirSync(dir, { recursive: true });
    if (mode === 'cgroup-v2') writeFileSync(path.join(dir, 'cpu.max'), `${quotaUs(memoryMB)} ${PERIOD_US}`);
    else {
      writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(quotaUs(memoryMB)));
    }
    groups.set(memoryMB, dir);
    return dir;
  };
  return {
    mode,
    // The shell joins the cgroup, then becomes the measured command (same pid, so the quota holds for it).
    prefix: (memoryMB) => ['/bin/sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', groupFor(memoryMB)],
    close: () => {
      for (const dir of groups.values()) {
        try {
          rmdirSync(dir);
        } catch {
          // still busy or already gone: the kernel removes nothing by itself, so say where it is
          process.stderr.write(`[bench] could not remove cgroup ${dir}\n`);
        }
      }
      groups.clear();
    },
  };
}
