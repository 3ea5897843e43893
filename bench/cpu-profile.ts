import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * Summarises a V8 CPU profile (`node --cpu-prof`) by where the time was spent: self time per package
 * (node_modules/<package>) or project folder, and the top functions. Frames of a bundle are mapped back to
 * their original files through the bundle's source map (`<bundle>.map`, as the assets carry), so a profile
 * of a deployed asset reads like one of the sources. Used for the chaos run's profile (docs/chaos.md) and
 * the ingest's cold answer (docs/benchmarks.md).
 *
 *   npx tsx bench/cpu-profile.ts <file.cpuprofile> [--top 15] [--functions 15] [--from <s>] [--to <s>]
 */

type CallFrame = Readonly<{ functionName: string; url: string; lineNumber: number; columnNumber: number }>;
type ProfileNode = Readonly<{ id: number; callFrame: CallFrame; children?: readonly number[] }>;
type CpuProfile = Readonly<{ nodes: readonly ProfileNode[]; startTime: number; endTime: number; samples: readonly number[]; timeDeltas: readonly number[] }>;

export type ProfileSummary = Readonly<{
  /** Sampled time in ms (the profile's span). */
  totalMs: number;
  /** ms not idle and not garbage collection: the process's busy time. */
  busyMs: number;
  idleMs: number;
  gcMs: number;
  /** Self time by package or project folder, largest first. */
  byOrigin: readonly Readonly<{ origin: string; ms: number }>[];
  /** Self time by function (origin, name), largest first. */
  byFunction: readonly Readonly<{ origin: string; name: string; ms: number }>[];
}>;

const ROOT = path.resolve(__dirname, '..');

/** node_modules/<package> (scoped packages keep their scope), else the project folder (shared/aws, local/sqs), else the file. */
export function originOf(file: string): string {
  if (file === '') return '(native)';
  if (file === BUNDLE_TOP_LEVEL) return file;
  if (file.startsWith('node:')) return 'node (built-in)';
  const parts = file.split(/[\\/]/);
  const at = parts.lastIndexOf('node_modules');
  if (at >= 0) return parts[at + 1]?.startsWith('@') ? `${parts[at + 1]}/${parts[at + 2]}` : (parts[at + 1] ?? file);
  const relative = path.isAbsolute(file) ? path.relative(ROOT, file) : file.replace(/^(\.\.\/)+/, '');
  const folders = relative.split(/[\\/]/);
  return folders.length > 2 ? `${folders[0]}/${folders[1]}` : relative;
}

/** Frames of a bundle with no original position. */
const BUNDLE_TOP_LEVEL = '(bundle top level: inlined ES module bodies)';

const sourceMaps = new Map<string, SourceMap | undefined>();

/** The original file of a frame: through the bundle's source map when there is one. */
function originalFile(frame: CallFrame): string {
  if (frame.url === '') return '';
  const file = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
  if (!sourceMaps.has(file)) {
    const mapFile = `${file}.map`;
    sourceMaps.set(file, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : undefined);
  }
  const map = sourceMaps.get(file);
  if (!map) return file;
  const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string };
  // No mapping: the bundle's own top level, where esbuild puts the bodies of the ES modules it inlines.
  return entry.originalSource ? path.resolve(path.dirname(file), entry.originalSource) : BUNDLE_TOP_LEVEL;
}

/** `window`: only the samples between `fromMs` and `toMs` after the profile's start (e.g. a run's traffic phase). */
export function summarizeProfile(profile: CpuProfile, window: Readonly<{ fromMs?: number; toMs?: number }> = {}): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  const fromUs = (window.fromMs ?? 0) * 1000;
  const toUs = (window.toMs ?? Number.POSITIVE_INFINITY) * 1000;
  let atUs = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    atUs += delta;
    if (atUs >= fromUs && atUs <= toUs) selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });
  const origins = new Map<string, number>();
  const functions = new Map<string, { origin: string; name: string; ms: number }>();
  let idleMs = 0;
  let gcMs = 0;
  let totalMs = 0;
  for (const [id, us] of selfUs) {
    const node = nodes.get(id)!;
    const ms = us / 1000;
    totalMs += ms;
    const name = node.callFrame.functionName;
    if (name === '(idle)') {
      idleMs += ms;
      continue;
    }
    if (name === '(garbage collector)') gcMs += ms;
    const origin = name.startsWith('(') ? name : originOf(originalFile(node.callFrame));
    origins.set(origin, (origins.get(origin) ?? 0) + ms);
    const key = `${origin} ${name || '(anonymous)'}`;
    const entry = functions.get(key) ?? { origin, name: name || '(anonymous)', ms: 0 };
    entry.ms += ms;
    functions.set(key, entry);
  }
  return {
    totalMs,
    busyMs: totalMs - idleMs,
    idleMs,
    gcMs,
    byOrigin: [...origins.entries()].map(([origin, ms]) => ({ origin, ms })).sort((a, b) => b.ms - a.ms),
    byFunction: [...functions.values()].sort((a, b) => b.ms - a.ms),
  };
}

export function readProfile(file: string, window: Readonly<{ fromMs?: number; toMs?: number }> = {}): ProfileSummary {
  return summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, window);
}

export function formatSummary(summary: ProfileSummary, top = 15, topFunctions = 15): string {
  const share = (ms: number) => `${((100 * ms) / summary.busyMs).toFixed(1).padStart(5)} %`;
  return [
    `sampled ${(summary.totalMs / 1000).toFixed(1)} s: busy ${(summary.busyMs / 1000).toFixed(1)} s (${((100 * summary.busyMs) / summary.totalMs).toFixed(0)} %), idle ${(summary.idleMs / 1000).toFixed(1)} s, of the busy time garbage collection ${share(summary.gcMs).trim()}`,
    'self time by origin (share of busy time):',
    ...summary.byOrigin.slice(0, top).map((row) => `  ${share(row.ms)}  ${(row.ms / 1000).toFixed(2).padStart(8)} s  ${row.origin}`),
    'top functions by self time:',
    ...summary.byFunction.slice(0, topFunctions).map((row) => `  ${share(row.ms)}  ${row.origin}  ${row.name}`),
  ].join('\n');
}

if (require.main === module) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string' }, functions: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
  });
  if (positionals.length === 0) {
    console.error('usage: npx tsx bench/cpu-profile.ts <file.cpuprofile>... [--top 15] [--functions 15] [--from <s>] [--to <s>]');
    process.exit(2);
  }
  for (const file of positionals) {
    const window = {
      ...(values.from !== undefined ? { fromMs: Number(values.from) * 1000 } : {}),
      ...(values.to !== undefined ? { toMs: Number(values.to) * 1000 } : {}),
    };
    console.log(`${file}\n${formatSummary(readProfile(file, window), Number(values.top ?? 15), Number(values.functions ?? 15))}\n`);
  }
}
