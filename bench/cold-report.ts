import { statSync } from 'node:fs';
import * as path from 'node:path';
import type { Plugin } from 'esbuild';
import {
  adaptersLazyPlugin,
  adaptersOnlyPlugin,
  type BuildSettings,
  type Bundle,
  buildBundles,
  buildHandlerVariant,
  buildProbe,
  DEPLOYED_SETTINGS,
  fullZodPlugin,
  type LoadRounds,
  type LoadVariant,
  lambdaEnv,
  measureRounds,
  medianOf,
  type PairedDelta,
  type PairedRatio,
  pairedCpuDelta,
  pairedCpuRatio,
  settingsKey,
} from './cold-start';
import type { Deployment } from './deployment';
import { kb, ms, pct, type Table, times } from './lib/table';

/**
 * The cold-start part of `npm run bench`: each lever on and off against the floor built the same way,
 * measured in one set of interleaved rounds so every configuration sees the same machine.
 */

/** Target: module load of each handler within 10 % of the floor (issue 16). */
export const TARGET_RATIO = 1.1;

export type ColdConfig = Readonly<{
  key: string;
  label: string;
  settings: BuildSettings;
  env?: Readonly<Record<string, string>>;
  /** esbuild plugins for a lever that changes code, not settings (its floor is built with them too, untouched by them). */
  plugins?: readonly Plugin[];
}>;

/** Where a configuration's bundles are built and cached: one build per settings, and one per configuration with plugins. */
export const bundleKeyOf = (config: ColdConfig) => (config.plugins ? `${settingsKey(config.settings)}-${config.key}` : settingsKey(config.settings));

const describeSettings = (settings: BuildSettings) => ({
  sdk: settings.sdk === 'bundled' ? 'bundled (tree-shaken)' : 'runtime copy (external)',
  map: settings.map === 'with-sources' ? 'with sources' : settings.map === 'mappings-only' ? 'mappings only' : 'none',
  flag: settings.enableSourceMaps ? '--enable-source-maps' : '–',
});

/** The deployed settings, and the deployed settings with one kept lever undone each, and main's settings before. */
export function coldConfigs(): ColdConfig[] {
  const deployed = DEPLOYED_SETTINGS;
  const configs: ColdConfig[] = [
    {
      key: 'before',
      label: "main's settings before issue 16 (SDK from the runtime, map with sources; its Powertools Tracer is no longer in the code)",
      settings: { sdk: 'external', map: 'with-sources', enableSourceMaps: true },
    },
    { key: 'deployed', label: 'as deployed', settings: deployed },
  ];
  if (deployed.sdk === 'bundled')
    configs.push({ key: 'no-sdk-bundling', label: 'as deployed, SDK from the runtime', settings: { ...deployed, sdk: 'external' } });
  if (deployed.map === 'mappings-only')
    configs.push({ key: 'map-with-sources', label: 'as deployed, map with sources', settings: { ...deployed, map: 'with-sources' } });
  configs.push({
    key: 'full-zod',
    label: 'as deployed, full zod instead of zod/mini',
    settings: deployed,
    plugins: [fullZodPlugin()],
  });
  if (deployed.enableSourceMaps)
    configs.push({ key: 'no-map-flag', label: 'as deployed, without --enable-source-maps', settings: { ...deployed, enableSourceMaps: false } });
  return configs;
}

/**
 * Measured as deployed in the same rounds: each is a bundle compared with the one it would replace (`against`),
 * pair by pair. Lever (e), not kept, builds the ingest two ways; what the schemas still cost after lever (d) is a
 * probe (the floor plus zod/mini and the schema modules), since no handler can be built without its schemas.
 */
export type LeverProbe = Readonly<{
  key: string;
  lever: 'adapters' | 'schemas';
  label: string;
  /** The variant key it is paired with: the deployed ingest or the deployed ingest floor. */
  against: 'ingest' | 'floor-ingest';
}>;

/** The kinds of source adapter the default configuration uses: no configured sources (cdk.json has no signupSync.sources: the stack passes SOURCES_CONFIG=[]), and POST /signups imports the standard-webhooks module itself. */
export const DEFAULT_CONFIG_ADAPTER_KINDS = ['standard-webhooks'] as const;

/**
 * The product's schema modules a probe loads, and through them zod/mini (shared/zod-mini.ts, tree-shaken as in a
 * handler): both handlers' schemas, so an upper bound for either.
 */
export const SCHEMA_MODULES = [
  'shared/signup/signup-schema.ts',
  'shared/signup/nameless-policy.ts',
  'shared/sources/source-config.ts',
  'shared/config/env-schema.ts',
  'shared/config/sync-config.ts',
  'shared/bigcommerce/customer.ts',
  'shared/bigcommerce/subscriber.ts',
  'shared/http-input/problem-document.ts',
] as const;

export const LEVER_PROBES: readonly LeverProbe[] = [
  {
    key: 'ingest-configured-adapters',
    lever: 'adapters',
    label: `ingest bundled with only the adapters the default configuration uses (${DEFAULT_CONFIG_ADAPTER_KINDS.join(', ')}): the most lever (e) can save`,
    against: 'ingest',
  },
  {
    key: 'ingest-lazy-adapters',
    lever: 'adapters',
    label: "ingest whose adapters registry require()s a kind's module on first use (all bundled, none configured evaluated)",
    against: 'ingest',
  },
  {
    key: 'probe-schemas',
    lever: 'schemas',
    label: `floor + zod/mini + the product's schemas (${SCHEMA_MODULES.map((module) => path.basename(module, '.ts')).join(', ')}): what they still cost after lever (d)`,
    against: 'floor-ingest',
  },
];

async function buildLeverProbes(dir: string, settings: BuildSettings, floorClients: readonly string[]): Promise<Map<string, Bundle>> {
  const root = path.resolve(__dirname, '..');
  const modules = (list: readonly string[]) => list.map((module) => path.join(root, module));
  const built = new Map<string, Bundle>();
  built.set(
    'ingest-configured-adapters',
    await buildHandlerVariant(dir, settings, 'ingest', 'configured-adapters', [adaptersOnlyPlugin(DEFAULT_CONFIG_ADAPTER_KINDS)]),
  );
  built.set('ingest-lazy-adapters', await buildHandlerVariant(dir, settings, 'ingest', 'lazy-adapters', [adaptersLazyPlugin()]));
  built.set('probe-schemas', await buildProbe(dir, settings, 'schemas', floorClients, modules(SCHEMA_MODULES)));
  return built;
}

export type LeverResult = Readonly<{
  probe: LeverProbe;
  bundle: Bundle;
  /** Median CPU of the probe and of what it is paired with (ms). */
  cpuMs: number;
  againstMs: number;
  /** Median over rounds of CPU(probe) − CPU(against) (ms), and its ~95 % interval. */
  deltaMs: number;
  delta: PairedDelta;
}>;

export type ColdResult = Readonly<{
  configs: readonly ColdConfig[];
  bundles: ReadonlyMap<string, readonly Bundle[]>;
  rounds: LoadRounds;
  /** Ratios against the floor of the same configuration, paired by round. */
  ratios: ReadonlyMap<string, Readonly<{ ingest: PairedRatio; sync: PairedRatio }>>;
  /** The assets `cdk synth` wrote, against the deployed floor. */
  assets?: Readonly<{ ingest: PairedRatio; sync: PairedRatio; ingestBytes: number; syncBytes: number }>;
  /** The levers not kept and what the schemas still cost (LEVER_PROBES), as deployed. */
  levers: readonly LeverResult[];
  seed: number;
}>;

const variantKey = (config: Pick<ColdConfig, 'key'>, bundle: string) => `${config.key}/${bundle}`;

export async function runColdStart(
  options: Readonly<{ dir: string; rounds: number; seed: number; deployment?: Deployment; progress: (message: string) => void }>,
): Promise<ColdResult> {
  const configs = coldConfigs();
  const bundles = new Map<string, Bundle[]>();
  const variants: LoadVariant[] = [];
  for (const config of configs) {
    const key = bundleKeyOf(config);
    if (!bundles.has(key)) {
      options.progress(`cold start: bundling floor, ingest and sync (${key})`);
      bundles.set(key, await buildBundles(path.join(options.dir, 'cold'), config.settings, [...(config.plugins ?? [])], key));
    }
    const env = lambdaEnv({ enableSourceMaps: config.settings.enableSourceMaps, ...(config.env ? { extra: config.env } : {}) });
    for (const bundle of bundles.get(key)!) variants.push({ key: variantKey(config, bundle.key), file: bundle.file, env });
  }
  const deployedConfig = configs.find((config) => config.key === 'deployed')!;
  options.progress('cold start: bundling the levers not kept (adapters per configured kind) and the schemas probe');
  const deployedBundles = bundles.get(bundleKeyOf(deployedConfig))!;
  const floorClients = deployedBundles.find((bundle) => bundle.key === 'floor-ingest')!.clients;
  const probes = await buildLeverProbes(path.join(options.dir, 'cold'), deployedConfig.settings, floorClients);
  const deployedEnv = lambdaEnv({ enableSourceMaps: deployedConfig.settings.enableSourceMaps });
  for (const [key, bundle] of probes) variants.push({ key: variantKey(deployedConfig, key), file: bundle.file, env: deployedEnv });
  const { deployment } = options;
  if (deployment) {
    // The synthesized assets run with the environment the template gives them (NODE_OPTIONS included).
    const env = lambdaEnv({ enableSourceMaps: deployment.ingest.nodeOptions?.includes('--enable-source-maps') ?? false });
    variants.push(
      { key: 'asset/ingest', file: deployment.ingest.asset, env },
      {
        key: 'asset/sync',
        file: deployment.sync.asset,
        env: lambdaEnv({ enableSourceMaps: deployment.sync.nodeOptions?.includes('--enable-source-maps') ?? false }),
      },
    );
  }
  options.progress(`cold start: ${options.rounds} rounds × ${variants.length} fresh processes, seeded order (seed ${options.seed})`);
  const rounds = measureRounds(variants, options.rounds, options.seed, (round) => {
    if ((round + 1) % 7 === 0) options.progress(`cold start: round ${round + 1} of ${options.rounds}`);
  });
  const ratios = new Map(
    configs.map((config) => [
      config.key,
      {
        ingest: pairedCpuRatio(rounds, variantKey(config, 'ingest'), variantKey(config, 'floor-ingest')),
        sync: pairedCpuRatio(rounds, variantKey(config, 'sync'), variantKey(config, 'floor-sync')),
      },
    ]),
  );
  const levers = LEVER_PROBES.map((probe) => ({
    probe,
    bundle: probes.get(probe.key)!,
    cpuMs: medianOf(rounds, variantKey(deployedConfig, probe.key), 'cpuMs'),
    againstMs: medianOf(rounds, variantKey(deployedConfig, probe.against), 'cpuMs'),
    delta: pairedCpuDelta(rounds, variantKey(deployedConfig, probe.key), variantKey(deployedConfig, probe.against)),
  })).map((lever) => ({ ...lever, deltaMs: lever.delta.medianMs }));
  return {
    configs,
    levers,
    bundles,
    rounds,
    ratios,
    ...(deployment
      ? {
          assets: {
            ingest: pairedCpuRatio(rounds, 'asset/ingest', variantKey(deployedConfig, 'floor-ingest')),
            sync: pairedCpuRatio(rounds, 'asset/sync', variantKey(deployedConfig, 'floor-sync')),
            ingestBytes: statSync(deployment.ingest.asset).size,
            syncBytes: statSync(deployment.sync.asset).size,
          },
        }
      : {}),
    seed: options.seed,
  };
}

const composition = (bundle: Bundle, top = 8) =>
  bundle.composition
    .slice(0, top)
    .map((part) => `${part.name} ${kb(part.bytes)}`)
    .join(', ');

const bundleOf = (result: ColdResult, config: ColdConfig, key: string) => result.bundles.get(bundleKeyOf(config))!.find((bundle) => bundle.key === key)!;

export function coldTable(result: ColdResult): Table {
  const deployedConfig = result.configs.find((config) => config.key === 'deployed')!;
  const rows = result.configs.map((config) => {
    const ratio = result.ratios.get(config.key)!;
    const settings = describeSettings(config.settings);
    const ingest = bundleOf(result, config, 'ingest');
    const sync = bundleOf(result, config, 'sync');
    const floorIngest = bundleOf(result, config, 'floor-ingest');
    const floorSync = bundleOf(result, config, 'floor-sync');
    return [
      config.label,
      settings.sdk,
      settings.map,
      settings.flag,
      `${kb(floorIngest.bytes)} / ${kb(ingest.bytes)} · ${kb(floorSync.bytes)} / ${kb(sync.bytes)}`,
      `${kb(floorIngest.mapBytes)} / ${kb(ingest.mapBytes)} · ${kb(floorSync.mapBytes)} / ${kb(sync.mapBytes)}`,
      `${ms(ratio.ingest.denominatorMs)} / ${ms(ratio.ingest.numeratorMs)}`,
      times(ratio.ingest.ratio),
      `${ms(ratio.sync.denominatorMs)} / ${ms(ratio.sync.numeratorMs)}`,
      times(ratio.sync.ratio),
      `${ms(medianOf(result.rounds, variantKey(config, 'floor-ingest'), 'requireMs'))} / ${ms(medianOf(result.rounds, variantKey(config, 'ingest'), 'requireMs'))} · ${ms(medianOf(result.rounds, variantKey(config, 'floor-sync'), 'requireMs'))} / ${ms(medianOf(result.rounds, variantKey(config, 'sync'), 'requireMs'))}`,
    ];
  });
  if (result.assets) {
    const deployed = result.ratios.get('deployed')!;
    rows.push([
      'as deployed: the assets `cdk synth` wrote',
      '(same)',
      '(same)',
      '(from the template)',
      `– / ${kb(result.assets.ingestBytes)} · – / ${kb(result.assets.syncBytes)}`,
      '–',
      `${ms(deployed.ingest.denominatorMs)} / ${ms(result.assets.ingest.numeratorMs)}`,
      times(result.assets.ingest.ratio),
      `${ms(deployed.sync.denominatorMs)} / ${ms(result.assets.sync.numeratorMs)}`,
      times(result.assets.sync.ratio),
      `– / ${ms(medianOf(result.rounds, 'asset/ingest', 'requireMs'))} · – / ${ms(medianOf(result.rounds, 'asset/sync', 'requireMs'))}`,
    ]);
  }
  const samples = result.rounds.samples.values().next().value?.length ?? 0;
  return {
    title: `Cold start against the floor: CPU time of whole fresh Node processes (median of ${samples} interleaved rounds, seed ${result.seed})`,
    headers: [
      'configuration',
      'AWS SDK',
      'source map',
      'NODE_OPTIONS',
      'bundle: floor / ingest · floor / sync',
      'map: same order',
      'CPU: floor / ingest',
      'ingest ÷ its floor',
      'CPU: floor / sync',
      'sync ÷ its floor',
      'require() wall: same order as bundles',
    ],
    rows,
    notes: [
      `floor = a bundle that only imports and constructs the AWS SDK clients its handler constructs (read from the handler's bundle: ingest ${bundleOf(result, deployedConfig, 'ingest').clients.join(', ')}; sync ${bundleOf(result, deployedConfig, 'sync').clients.join(', ')}), built with the same esbuild settings as the handlers of its row and run with the same NODE_OPTIONS.`,
      `CPU = process.cpuUsage() (user + system, all threads) at the end of \`node -e "require(bundle)"\`: Node's own start plus the module load. ÷ floor = median over rounds of handler CPU ÷ floor CPU from the same round (pairs).`,
      `target: ≤ ${TARGET_RATIO.toFixed(2)}× for both handlers, as deployed. Every round starts each row's three processes (and the synthesized assets) once, in an order drawn from a seeded PRNG; first round: ${result.rounds.firstOrder.join(', ')}.`,
      `as-deployed ingest bundle by origin (minified bytes): ${composition(bundleOf(result, deployedConfig, 'ingest'))}.`,
      `as-deployed sync bundle by origin: ${composition(bundleOf(result, deployedConfig, 'sync'))}.`,
      `ingest floor by origin: ${composition(bundleOf(result, deployedConfig, 'floor-ingest'), 5)}.`,
    ],
  };
}

/** What each lever changed, from the table's rows (deployed vs the row with that lever undone). */
export function coldFindings(result: ColdResult): string[] {
  const deployed = result.ratios.get('deployed')!;
  const before = result.ratios.get('before')!;
  const out: string[] = [];
  const delta = (other: string, what: string) => {
    const row = result.ratios.get(other);
    if (!row) return;
    out.push(
      `${what} (row "${result.configs.find((config) => config.key === other)!.label}" → "as deployed"): ingest CPU ${ms(row.ingest.numeratorMs)} → ${ms(deployed.ingest.numeratorMs)}, sync ${ms(row.sync.numeratorMs)} → ${ms(deployed.sync.numeratorMs)}, floors ${ms(row.ingest.denominatorMs)} → ${ms(deployed.ingest.denominatorMs)} and ${ms(row.sync.denominatorMs)} → ${ms(deployed.sync.denominatorMs)}; ` +
        `ratios ingest ${times(row.ingest.ratio)} → ${times(deployed.ingest.ratio)}, sync ${times(row.sync.ratio)} → ${times(deployed.sync.ratio)}.`,
    );
  };
  const met = deployed.ingest.ratio <= TARGET_RATIO && deployed.sync.ratio <= TARGET_RATIO;
  out.push(
    `**Cold start against the floor.** As deployed, ingest ${times(deployed.ingest.ratio)} and sync ${times(deployed.sync.ratio)} the floor's CPU ` +
      `(${ms(deployed.ingest.numeratorMs)} against ${ms(deployed.ingest.denominatorMs)}, ${ms(deployed.sync.numeratorMs)} against ${ms(deployed.sync.denominatorMs)}); before: ${times(before.ingest.ratio)} and ${times(before.sync.ratio)} ` +
      `(${ms(before.ingest.numeratorMs)} against ${ms(before.ingest.denominatorMs)}, ${ms(before.sync.numeratorMs)} against ${ms(before.sync.denominatorMs)}). Target ≤ ${TARGET_RATIO.toFixed(2)}×: ${met ? 'met' : 'not met'}.`,
  );
  delta('no-sdk-bundling', 'Bundling the AWS SDK clients (tree-shaken, ES builds first)');
  delta('map-with-sources', 'Source maps without `sourcesContent` (mappings only; the stack trace still names the .ts file and line)');
  delta('no-map-flag', 'Keeping `--enable-source-maps` instead of maps kept beside the code and applied only when reading logs');
  delta('full-zod', 'zod/mini for every Lambda schema (shared/zod-mini.ts)');
  if (result.ratios.has('full-zod')) {
    const { zodMini } = leverArithmetic(result);
    out[out.length - 1] +=
      ` Paired round by round, zod/mini changes the ingest's load by ${signedMs(-zodMini.ingest.medianMs)} (~95 % interval ${interval(negated(zodMini.ingest))}) and the sync's by ${signedMs(-zodMini.sync.medianMs)} (${interval(negated(zodMini.sync))}).`;
  }
  return out;
}

export function coldTargets(result: ColdResult): { target: string; measured: string; met: string }[] {
  const deployed = result.assets ?? result.ratios.get('deployed')!;
  const row = (name: 'ingest' | 'sync') => ({
    target: `${name} module load ≤ ${TARGET_RATIO.toFixed(2)}× the floor (its SDK clients only), CPU, as deployed`,
    measured: `${times(deployed[name].ratio)} (${ms(deployed[name].numeratorMs)} vs ${ms(deployed[name].denominatorMs)}, ${deployed[name].pairs} pairs)`,
    met: deployed[name].ratio <= TARGET_RATIO ? 'yes' : 'NO',
  });
  return [row('ingest'), row('sync')];
}

const signedMs = (value: number) => `${value > 0 ? '+' : value < 0 ? '−' : '±'}${Math.abs(value).toFixed(1)} ms`;
const interval = (delta: PairedDelta) => `${signedMs(delta.lowMs)} … ${signedMs(delta.highMs)}`;
/** The same delta read the other way round (b − a instead of a − b). */
const negated = (delta: PairedDelta): PairedDelta => ({ medianMs: -delta.medianMs, lowMs: -delta.highMs, highMs: -delta.lowMs });

/** A lever must save more than this share of the handler's load CPU to be worth keeping (issue 16: "keep what pays"). */
export const LEVER_PAYS_FRACTION = 0.02;

/**
 * What lever (d) saved (the "full zod" row against "as deployed", pair by pair), what the levers not kept and the
 * schemas still come to, and what each would leave the ratios at: the deployed paired ratio scaled by
 * (load − saving) ÷ load, so the figures read against the "as deployed" row.
 */
export function leverArithmetic(result: ColdResult) {
  const deployed = result.ratios.get('deployed')!;
  const lever = (key: string) => result.levers.find((each) => each.probe.key === key)!;
  // Lever (d), kept: full zod − zod/mini, the same handler in the same round (positive = what zod/mini saves).
  const zodMini = {
    ingest: pairedCpuDelta(result.rounds, variantKey({ key: 'full-zod' }, 'ingest'), variantKey({ key: 'deployed' }, 'ingest')),
    sync: pairedCpuDelta(result.rounds, variantKey({ key: 'full-zod' }, 'sync'), variantKey({ key: 'deployed' }, 'sync')),
    ratios: result.ratios.get('full-zod')!,
  };
  const schemas = lever('probe-schemas').deltaMs;
  const configured = lever('ingest-configured-adapters').delta;
  const lazy = lever('ingest-lazy-adapters').delta;
  const configuredSaving = Math.max(0, -configured.medianMs);
  const handler = (name: 'ingest' | 'sync', adapterSaving: number) => {
    const { numeratorMs: load, denominatorMs: floor, ratio } = deployed[name];
    const after = (saving: number) => (ratio * Math.max(0, load - saving)) / load;
    return {
      load,
      floor,
      ratio,
      allowed: floor * TARGET_RATIO,
      over: load - floor * TARGET_RATIO,
      withoutSchemas: after(schemas),
      withAdapters: after(adapterSaving),
      withAll: after(adapterSaving + schemas),
      rest: load - floor - adapterSaving - schemas,
    };
  };
  return {
    zodMini,
    schemas,
    configured,
    lazy,
    configuredSaving,
    ingest: handler('ingest', configuredSaving),
    sync: handler('sync', 0),
  };
}

export function leverTable(result: ColdResult): Table {
  const deployed = result.ratios.get('deployed')!;
  const rows = result.levers.map((lever) => [
    lever.probe.lever === 'adapters' ? '(e) adapters per configured kind' : 'after (d): zod/mini + schemas',
    lever.probe.label,
    kb(lever.bundle.bytes),
    lever.probe.against === 'ingest' ? 'as-deployed ingest' : 'ingest floor',
    `${ms(lever.againstMs)} / ${ms(lever.cpuMs)}`,
    `${signedMs(lever.deltaMs)} (${interval(lever.delta)})`,
    pct(lever.deltaMs / deployed.ingest.numeratorMs),
    pct(lever.deltaMs / (deployed.ingest.numeratorMs - deployed.ingest.denominatorMs)),
  ]);
  const math = leverArithmetic(result);
  const pairs = result.rounds.samples.values().next().value?.length ?? 0;
  return {
    title: `Cold start: the levers not kept, and what the schemas still cost, as deployed (measured in the same ${pairs} rounds as the table above)`,
    headers: [
      'lever',
      'bundle',
      'bytes',
      'paired with',
      'CPU: that / this',
      'Δ CPU, median of pairs (~95 % interval)',
      'Δ ÷ ingest load',
      'Δ ÷ ingest over its floor',
    ],
    rows,
    notes: [
      'Δ = median over rounds of CPU(this) − CPU(what it is paired with) from the same round, with a distribution-free ~95 % interval for that median; ingest load and its floor are the "as deployed" row above.',
      `(e): the default configuration configures no source (cdk.json has no signupSync.sources, so the stack passes SOURCES_CONFIG=[]), so only ${DEFAULT_CONFIG_ADAPTER_KINDS.join(', ')} (imported by POST /signups itself) stays; the other adapter modules become undefined at bundling (bench/cold-start.ts adaptersOnlyPlugin). The lazy row keeps every adapter in the bundle and turns each registry entry into a getter that require()s its module (adaptersLazyPlugin).`,
      `after (d): the schemas cannot be taken out of a handler, so what zod/mini and the product's schema modules still cost at load is measured as a probe on the ingest floor: ${signedMs(math.schemas)}. What lever (d) itself saved is the row "as deployed, full zod instead of zod/mini" in the table above.`,
    ],
  };
}

/** Findings for the levers not kept and the schemas: what each measured and what stands between the handlers and 1.10×. */
export function leverFindings(result: ColdResult): string[] {
  const math = leverArithmetic(result);
  const { ingest, sync } = math;
  const share = math.configuredSaving / ingest.load;
  return [
    `**Adapters loaded only for configured sources (lever e): not kept.** Bundling only the adapters the default configuration uses changes the ingest's load by ${signedMs(math.configured.medianMs)} ` +
      `(~95 % interval ${interval(math.configured)}; ${pct(share)} of its ${ms(ingest.load)}, ratio ${times(ingest.ratio)} → ${times(ingest.withAdapters)}); ` +
      (share > LEVER_PAYS_FRACTION
        ? `more than the ${pct(LEVER_PAYS_FRACTION, 0)} a lever must pay in this run, but only a bundle built per configuration gets it, and synth would then deploy code built for one configuration that no test ran. `
        : `no more than the ${pct(LEVER_PAYS_FRACTION, 0)} a lever must pay. `) +
      `The way that keeps one tested bundle, a require() per kind on first use, changes it by ${signedMs(math.lazy.medianMs)} (${interval(math.lazy)}): every adapter is still parsed, and what it leaves unevaluated is a few kB of module bodies. The registry stays as it is (shared/sources/adapters/index.ts).`,
    `**What stands between the handlers and 1.10×.** 1.10× allows ingest ${ms(ingest.allowed)} and sync ${ms(sync.allowed)} (floors ${ms(ingest.floor)} and ${ms(sync.floor)}); as deployed they load in ${ms(ingest.load)} and ${ms(sync.load)}, ` +
      `${ms(ingest.over)} and ${ms(sync.over)} over. zod/mini and every schema still account for at most ${ms(math.schemas)} of that, the unconfigured adapters ${ms(math.configuredSaving)} at best; with both gone ingest would still be ${times(ingest.withAll)} and sync ${times(sync.withAll)}. ` +
      `The rest, ${ms(ingest.rest)} (ingest) and ${ms(sync.rest)} (sync) over the floor, alone exceeds the ${ms(ingest.allowed - ingest.floor)} and ${ms(sync.allowed - sync.floor)} that 1.10× leaves: ` +
      "Powertools Logger and Metrics, middy, the rest of our own modules and the parse of their larger source map under --enable-source-maps (not split further here). The sync's figures reuse the schemas probe measured on the ingest floor (it holds both handlers' schemas).",
  ];
}

/** What each cold-start lever is and what it leaves an operator with (docs/benchmarks.md); the measured effects are in the findings. */
export function coldLevers(result: ColdResult): string {
  const math = leverArithmetic(result);
  return `## Cold start: the levers

Kept (each one's row in the cold-start table undoes it alone):

- **AWS SDK clients bundled** (infra/constructs/function-bundling.ts \`bundleAwsSdk\`, ES builds first so esbuild tree-shakes them):
  the deployed SDK is the pinned one the tests ran, and loading one minified file is cheaper than resolving the SDK's
  many files. It lowers the floor as much as the handlers, so it buys absolute milliseconds, not ratio.
- **Source maps without \`sourcesContent\`**: Node reads and parses the whole map at load when \`--enable-source-maps\` is on,
  and the copies of every source were most of its bytes. Stack traces are unchanged: an operator sees frames such as
  \`at … (/functions/sync/build-handler.ts:<line>:<column>)\` (the path is relative to where \`cdk deploy\` ran, resolved from
  /var/task) with the original function names (test/infra/source-maps.test.ts throws inside the synthesized sync asset and
  checks the file and line). Node 22's \`process.setSourceMapsEnabled(true)\` called later, e.g. only when an error is logged,
  does not help: Node records a module's map when it compiles it, so a bundle loaded before the call keeps minified frames
  (tried on Node 20; Node 22's loader has the same check). Dropping the flag altogether (maps kept beside the code and
  applied when reading logs) is the row "without --enable-source-maps": cheaper, but every log reader then needs the map
  of the exact deployed version to read a frame.
- **No X-Ray SDK** (shared/observability/tracing.ts): with \`tracing\` on, Lambda's active tracing records every sampled
  invocation (its Initialization, Invocation and Overhead subsegments), and the functions send one subsegment per
  BigCommerce request (\`remote\`) and per AWS SDK call (\`aws\`) themselves (shared/observability/xray-subsegment.ts, UDP to
  the daemon Lambda runs), so the service map shows SQS, Secrets Manager, DynamoDB and the BigCommerce API host downstream
  of each function. Powertools Tracer and aws-xray-sdk-core, which did this before, were a sixth of each bundle (about
  120 kB), parsed at every cold start even when tracing was off: paired runs of the cold answer put the saving at
  up to 28 ms of CPU, and at none in one run (2026-12-06, at 1,024 to 2,048 MB; the machine's own noise is of
  the same size).
- **zod/mini for every Lambda schema** (shared/zod-mini.ts: every hot-path schema module imports \`z\` from it; neither bundle
  loads zod/v4/classic): against full zod it changes the ingest's load by ${signedMs(-math.zodMini.ingest.medianMs)} of CPU (~95 % interval ${interval(negated(math.zodMini.ingest))})
  and the sync's by ${signedMs(-math.zodMini.sync.medianMs)} (${interval(negated(math.zodMini.sync))}), paired round by round; ratios ${times(math.zodMini.ratios.ingest.ratio)} → ${times(math.ingest.ratio)} and ${times(math.zodMini.ratios.sync.ratio)} → ${times(math.sync.ratio)} (the row
  "full zod instead of zod/mini" bundles shared/zod-mini.ts as \`export * from 'zod'\`, bench/cold-start.ts fullZodPlugin).
  zod/mini configures no locale of its own, so shared/zod-mini.ts configures zod's English one once: the error messages and
  paths the tests and the API pin are unchanged. The stack's configuration (shared/deployment/stack-config.ts, read by the
  CDK app, the operator CLI and local mode) keeps full zod: no Lambda loads it.

Measured and not kept (the table "the levers not kept" and the findings above):

- **Adapters loaded only for configured sources**: bundling only the adapters the default configuration uses changes the
  ingest's load by ${signedMs(math.configured.medianMs)} (~95 % interval ${interval(math.configured)}, ${pct(math.configuredSaving / math.ingest.load)} of it); doing that per configuration at
  synth time would deploy code built for one configuration that no test ran. A \`require()\` per kind on first use keeps one
  tested bundle but changes the load by ${signedMs(math.lazy.medianMs)} (${interval(math.lazy)}): every adapter is still parsed, and what it leaves
  unevaluated is a few kB of module bodies. Neither pays enough to matter beside the gap below, so the registry stays as it is.
- **Why 1.10× is out of reach here**: the floor is Node's start plus the SDK clients only; 10 % of it is ${ms(math.ingest.allowed - math.ingest.floor)} of CPU
  (ingest) and ${ms(math.sync.allowed - math.sync.floor)} (sync). zod/mini and the schemas still cost ${ms(math.schemas)} at load (the probe in the table above); with them
  and the unconfigured adapters both gone the ingest would still load at ${times(math.ingest.withAll)} and the sync at ${times(math.sync.withAll)}: Powertools Logger and
  Metrics, middy and our own modules alone are more than 10 % of the floor.
`;
}
