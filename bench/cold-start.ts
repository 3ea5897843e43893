import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import { FUNCTION_BUNDLING, FUNCTION_ENVIRONMENT, FUNCTION_NODE_OPTIONS } from '../infra/constructs/function-bundling';
import { createPrng, shuffled } from '../local/bigcommerce-sandbox/prng';
import { median } from './lib/stats';

/**
 * Cold start of the Lambda bundles against an honest floor. Every bundle is built with the esbuild options
 * infra/constructs/function-bundling.ts gives NodejsFunction (the floor too, so SDK inside or outside
 * alike), then loaded in whole fresh Node processes, interleaved in a seeded random order per round; the
 * figure that counts is the process's CPU time (process.cpuUsage() at exit: bootstrap + require()).
 */

const ROOT = path.resolve(__dirname, '..');

/** What may differ between two deployments of the same code: one lever each. */
export type BuildSettings = Readonly<{
  /** Bundle the AWS SDK v3 clients into the function (tree-shaken, minified) or load the runtime's copy. */
  sdk: 'bundled' | 'external';
  /** Source map beside the bundle: with the sources inlined (`sourcesContent`), without, or no map at all. */
  map: 'with-sources' | 'mappings-only' | 'none';
  /** NODE_OPTIONS=--enable-source-maps in the function's environment. */
  enableSourceMaps: boolean;
}>;

/** The esbuild options NodejsFunction derives from our bundling settings (see function-bundling.ts). */
export function esbuildOptions(settings: BuildSettings): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    target: FUNCTION_BUNDLING.target,
    format: 'cjs',
    minify: FUNCTION_BUNDLING.minify,
    ...(settings.map === 'none' ? {} : { sourcemap: true, sourcesContent: settings.map === 'with-sources' }),
    // Bundled: `module` first lets esbuild tree-shake the SDK's ES build (part of that lever); external:
    // esbuild's default for node, as main deployed before.
    ...(settings.sdk === 'external'
      ? { external: ['@aws-sdk/*'] }
      : { mainFields: [...FUNCTION_BUNDLING.mainFields], external: [...FUNCTION_BUNDLING.externalModules] }),
    logLevel: 'warning',
  };
}

/** As infra/constructs/node-function.ts deploys today. */
export const DEPLOYED_SETTINGS: BuildSettings = {
  sdk: FUNCTION_BUNDLING.bundleAwsSdk ? 'bundled' : 'external',
  map: !FUNCTION_BUNDLING.sourceMap ? 'none' : FUNCTION_BUNDLING.sourcesContent ? 'with-sources' : 'mappings-only',
  enableSourceMaps: FUNCTION_NODE_OPTIONS.includes('--enable-source-maps'),
};

export type HandlerKey = 'ingest' | 'sync';
export type BundleKey = HandlerKey | `floor-${HandlerKey}` | `probe-${string}` | `${HandlerKey}-${string}`;

export type Bundle = Readonly<{
  key: BundleKey;
  /** The folder under the output dir it was built into: the settings key, plus a variant's name for a build with plugins. */
  buildKey: string;
  file: string;
  bytes: number;
  gzipBytes: number;
  mapBytes: number;
  /** Bytes in the minified output by package (node_modules/<pkg>) or project folder, largest first. */
  composition: readonly Readonly<{ name: string; bytes: number }>[];
  /** The AWS SDK client packages the handler (and so its floor) constructs. */
  clients: readonly string[];
}>;

function packageOf(input: string): string {
  const parts = input.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at >= 0) return parts[at + 1]?.startsWith('@') ? `${parts[at + 1]}/${parts[at + 2]}` : (parts[at + 1] ?? input);
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : input;
}

/** The client class each AWS SDK client package exports (add a line when a handler constructs another client). */
const CLIENT_CLASSES: Readonly<Record<string, string>> = {
  '@aws-sdk/client-sqs': 'SQSClient',
  '@aws-sdk/client-secrets-manager': 'SecretsManagerClient',
  '@aws-sdk/client-dynamodb': 'DynamoDBClient',
  '@aws-sdk/client-sesv2': 'SESv2Client',
};

/**
 * The floor of a handler: only the AWS SDK clients it constructs, constructed. Which clients those are is
 * read from the handler's own bundle (the @aws-sdk/client-* packages our code imports), so a new client in a
 * handler raises its floor too.
 */
export function floorSource(clientPackages: readonly string[], extraModules: readonly string[] = []): string {
  const lines = clientPackages.map((pkg, index) => {
    const name = CLIENT_CLASSES[pkg];
    if (!name) throw new Error(`bench/cold-start.ts: no client class known for ${pkg}; add it to CLIENT_CLASSES`);
    return { imports: `import { ${name} as Client${index} } from '${pkg}';`, construct: `new Client${index}({})` };
  });
  // A probe (floor + modules): each module's namespace is kept alive by the handler, so nothing of it is
  // tree-shaken and its top level (schema construction included) runs at load, as in the handler.
  const extras = extraModules.map((specifier, index) => ({ imports: `import * as extra${index} from '${specifier}';`, keep: `extra${index}` }));
  return (
    `${[...lines, ...extras].map((line) => line.imports).join('\n')}\nconst clients = [${lines.map((line) => line.construct).join(', ')}];\n` +
    `export const handler = async () => [clients.length${extras.map((extra) => `, ${extra.keep}`).join('')}];\n`
  );
}

export const settingsKey = (settings: BuildSettings) => `${settings.sdk}-${settings.map}`;

export const ENTRIES: Readonly<Record<HandlerKey, string>> = {
  ingest: path.join(ROOT, 'functions/ingest/handler.ts'),
  sync: path.join(ROOT, 'functions/sync/handler.ts'),
};

type Metafile = Readonly<{
  inputs: Record<string, { imports: { path: string; original?: string; external?: boolean }[] }>;
  outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
}>;

/** The @aws-sdk/client-* packages imported by our own code (not by node_modules) in a build. */
function clientPackagesOf(metafile: Metafile): string[] {
  const found = new Set<string>();
  for (const [input, { imports }] of Object.entries(metafile.inputs)) {
    if (input.includes('node_modules/')) continue;
    for (const imported of imports) {
      const specifier = imported.original ?? imported.path;
      if (/^@aws-sdk\/client-[a-z0-9-]+$/.test(specifier)) found.add(specifier);
    }
  }
  return [...found].sort();
}

async function buildOne(
  options: BuildOptions,
  outdir: string,
  key: BundleKey,
  settings: BuildSettings,
  plugins: Plugin[],
  buildKey: string = settingsKey(settings),
): Promise<{ bundle: Bundle; metafile: Metafile }> {
  mkdirSync(outdir, { recursive: true });
  const file = path.join(outdir, 'index.js');
  // metafile only describes the output; it does not change it.
  const result = await build({ ...esbuildOptions(settings), ...options, outfile: file, absWorkingDir: ROOT, metafile: true, plugins });
  const metafile = result.metafile as Metafile;
  const code = readFileSync(file);
  const byPackage = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs))
      byPackage.set(packageOf(input), (byPackage.get(packageOf(input)) ?? 0) + bytesInOutput);
  }
  const composition = [...byPackage.entries()].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
  const mapBytes = settings.map === 'none' ? 0 : statSync(`${file}.map`).size;
  return {
    bundle: { key, buildKey, file, bytes: code.length, gzipBytes: gzipSync(code).length, mapBytes, composition, clients: [] },
    metafile,
  };
}

/**
 * Builds both handlers and each one's floor with one set of build settings (and esbuild plugins, for a lever
 * that is a change of code rather than of settings), into dir/<buildKey>/<bundle>/index.js; `buildKey` tells
 * apart two builds with the same settings.
 */
export async function buildBundles(dir: string, settings: BuildSettings, plugins: Plugin[] = [], buildKey: string = settingsKey(settings)): Promise<Bundle[]> {
  const key = buildKey;
  const bundles: Bundle[] = [];
  for (const handler of ['ingest', 'sync'] as const) {
    const built = await buildOne({ entryPoints: [ENTRIES[handler]] }, path.join(dir, key, handler), handler, settings, plugins, key);
    const clients = clientPackagesOf(built.metafile);
    // The floor is built from stdin, resolved from the repo root like the handlers.
    const floor = await buildOne(
      { stdin: { contents: floorSource(clients), resolveDir: ROOT, sourcefile: `floor-${handler}.ts`, loader: 'ts' } },
      path.join(dir, key, `floor-${handler}`),
      `floor-${handler}`,
      settings,
      plugins,
      key,
    );
    bundles.push({ ...built.bundle, clients }, { ...floor.bundle, clients });
  }
  return bundles;
}

/**
 * A probe: the floor of a handler plus some modules, built with the same settings, so (probe − floor) is what
 * loading those modules costs on top of the SDK clients (zod/mini and the product's schemas: bench/cold-report.ts).
 */
export async function buildProbe(dir: string, settings: BuildSettings, key: string, clients: readonly string[], modules: readonly string[]): Promise<Bundle> {
  const built = await buildOne(
    { stdin: { contents: floorSource(clients, modules), resolveDir: ROOT, sourcefile: `probe-${key}.ts`, loader: 'ts' } },
    path.join(dir, settingsKey(settings), `probe-${key}`),
    `probe-${key}`,
    settings,
    [],
  );
  return { ...built.bundle, clients };
}

/**
 * One handler built with extra esbuild plugins or options (a variant of the handler for one lever), into
 * dir/<settings>/<handler>-<variant>/.
 */
export async function buildHandlerVariant(
  dir: string,
  settings: BuildSettings,
  handler: HandlerKey,
  variant: string,
  plugins: Plugin[],
  options: Readonly<Pick<BuildOptions, 'external'>> = {},
): Promise<Bundle> {
  const built = await buildOne(
    { entryPoints: [ENTRIES[handler]], ...options },
    path.join(dir, settingsKey(settings), `${handler}-${variant}`),
    `${handler}-${variant}`,
    settings,
    plugins,
  );
  return { ...built.bundle, clients: clientPackagesOf(built.metafile) };
}

/** The module every hot-path schema imports `z` from (zod/mini with zod's English locale). */
const ZOD_MINI_MODULE = /[\\/]shared[\\/]zod-mini\.ts$/;

/**
 * An esbuild plugin that bundles shared/zod-mini.ts as `export * from 'zod'`: every schema then runs on full zod
 * (zod/v4/classic), as before lever (d), with no other line changed. zod/mini's functional API (`z.optional(…)`,
 * `.check(…)`) is part of full zod too, so the schemas build and load unchanged. Undoes lever (d) for its row.
 */
export function fullZodPlugin(): Plugin {
  return {
    name: 'full-zod',
    setup(pluginBuild) {
      // resolveDir defaults to shared/, so 'zod' resolves from the repo's node_modules like any import.
      pluginBuild.onLoad({ filter: ZOD_MINI_MODULE }, () => ({ contents: "export * from 'zod';", loader: 'ts' }));
    },
  };
}

/** The adapters registry (shared/sources/adapters/index.ts) and the kind -> module it imports. */
const ADAPTERS_INDEX = /[\\/]shared[\\/]sources[\\/]adapters[\\/]index\.ts$/;

/**
 * An esbuild plugin that bundles the adapters registry with only the adapter modules of `kinds`: the others'
 * imports become `undefined` (the registry's shape, and so the rest of the bundle, stays as it is). It answers
 * "what would loading only the configured kinds' adapters save", whatever way that is then done in the product.
 */
export function adaptersOnlyPlugin(kinds: readonly string[]): Plugin {
  return {
    name: 'adapters-only',
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: ADAPTERS_INDEX }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        let dropped = 0;
        const contents = source.replace(/^import \{ (\w+) \} from '\.\/([\w-]+)';$/gm, (line, name: string, module: string) => {
          if (kinds.includes(module)) return line;
          dropped += 1;
          return `const ${name} = undefined as never;`;
        });
        if (dropped === 0) throw new Error('bench/cold-start.ts adaptersOnlyPlugin: no adapter import found in shared/sources/adapters/index.ts');
        return { contents, loader: 'ts' };
      });
    },
  };
}

/**
 * The same registry with each adapter module `require`d on first use of its kind (a getter per kind): esbuild
 * then keeps those modules in lazily initialised wrappers, still parsed at load but evaluated only when a
 * configured source uses the kind. The product-side way of doing it, measured before it is done.
 */
export function adaptersLazyPlugin(): Plugin {
  return {
    name: 'adapters-lazy',
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: ADAPTERS_INDEX }, (args) => {
        const modules = new Map<string, string>();
        let contents = readFileSync(args.path, 'utf8').replace(/^import \{ (\w+) \} from '\.\/([\w-]+)';$/gm, (_line, name: string, module: string) => {
          modules.set(name, module);
          return '';
        });
        for (const [name, module] of modules) {
          const entry = new RegExp(`^(\\s+)('?[\\w-]+'?): ${name},$`, 'm');
          if (!entry.test(contents)) throw new Error(`bench/cold-start.ts adaptersLazyPlugin: no registry entry for ${name}`);
          contents = contents.replace(
            entry,
            (_line, indent: string, kind: string) => `${indent}get ${kind}() { return (require('./${module}') as typeof import('./${module}')).${name}; },`,
          );
        }
        if (modules.size === 0) throw new Error('bench/cold-start.ts adaptersLazyPlugin: no adapter import found in shared/sources/adapters/index.ts');
        return { contents, loader: 'ts' };
      });
    },
  };
}

/** The handler-cost script as a plain-Node bundle (no tsx in the measured process). */
export async function buildHandlerCost(dir: string): Promise<string> {
  const file = path.join(dir, 'handler-cost.js');
  await build({
    ...esbuildOptions({ sdk: 'external', map: 'none', enableSourceMaps: false }),
    minify: false,
    target: 'node20',
    entryPoints: [path.join(ROOT, 'bench/handler-cost.ts')],
    outfile: file,
    absWorkingDir: ROOT,
  });
  return file;
}

/** Dummy values for what the config modules require at cold start, plus what Lambda sets. */
export function lambdaEnv(options: Readonly<{ enableSourceMaps: boolean; extra?: Readonly<Record<string, string>> }>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    // Lambda resolves the runtime's SDK through NODE_PATH (/var/runtime/node_modules); here: ours.
    NODE_PATH: path.join(ROOT, 'node_modules'),
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    // The pinned SDK warns once per process on Node 20 (the local Node); on Lambda's Node 22 it does not.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // What node-function.ts gives every function, NODE_OPTIONS aside (the row says whether it is set).
    ...Object.fromEntries(Object.entries(FUNCTION_ENVIRONMENT).filter(([name]) => name !== 'NODE_OPTIONS')),
    ...(options.enableSourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
    SIGNUP_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/signups',
    DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/signups-dlq',
    SOURCES_SECRET: 'signup-sync/sources',
    BIGCOMMERCE_STORE_HASH: 'abc123',
    BIGCOMMERCE_TOKEN_SECRET: 'signup-sync/token',
    LOG_HASH_KEY: 'bench-log-hash-key-0123456789abcdef',
    DELIVERY_LEDGER_TABLE: 'signup-sync-deliveries',
    // Lambda's credentials come in the environment; the ingest's cold-start warm-up calls (shared/aws/
    // cold-start-warm-up.ts) go to a closed loopback port and fail there, so no bench traffic leaves the machine.
    AWS_ACCESS_KEY_ID: 'ASIABENCHCOLDSTART',
    AWS_SECRET_ACCESS_KEY: 'bench-cold-start-secret-access-key',
    AWS_SESSION_TOKEN: 'bench-cold-start-session-token',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    ...options.extra,
  };
}

/** One thing to start in a fresh process: a bundle (or nothing: bare node) and the environment it runs in. */
export type LoadVariant = Readonly<{ key: string; file?: string; env: NodeJS.ProcessEnv }>;

export type LoadSample = Readonly<{
  /** CPU time of the whole process (user + system, all threads) at the end of the script (ms). */
  cpuMs: number;
  /** Wall time of the require() inside the process (ms; 0 for bare node). */
  requireMs: number;
  /** Wall time, spawn to exit (ms). */
  processMs: number;
}>;

const LOAD_SCRIPT = (file: string) =>
  `const t=process.hrtime.bigint();require(${JSON.stringify(file)});const r=Number(process.hrtime.bigint()-t)/1e6;` +
  'const c=process.cpuUsage();process.stdout.write(JSON.stringify({r,c:(c.user+c.system)/1000}))';
const BARE_SCRIPT = 'const c=process.cpuUsage();process.stdout.write(JSON.stringify({r:0,c:(c.user+c.system)/1000}))';

/** `prefix` wraps the command (e.g. a shell that first joins a CPU-limited cgroup). */
export function loadOnce(variant: LoadVariant, prefix: readonly string[] = []): LoadSample {
  const script = variant.file === undefined ? BARE_SCRIPT : LOAD_SCRIPT(variant.file);
  const command = [...prefix, process.execPath, '-e', script];
  const started = performance.now();
  const result = spawnSync(command[0]!, command.slice(1), { env: variant.env, encoding: 'utf8' });
  const processMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`loading ${variant.key} failed: ${result.stderr}`);
  const { r, c } = JSON.parse(result.stdout) as { r: number; c: number };
  return { cpuMs: c, requireMs: r, processMs };
}

export type LoadRounds = Readonly<{
  seed: number;
  /** The order of the first round (variant keys), printed so a run can be compared with another. */
  firstOrder: readonly string[];
  samples: ReadonlyMap<string, readonly LoadSample[]>;
}>;

/**
 * `rounds` rounds; each round starts every variant once in a fresh process, in an order drawn from the
 * seeded PRNG, so drift and neighbours hit all variants alike. Sample i of every variant is from round i,
 * so ratios can be taken pair by pair within a round.
 */
export function measureRounds(variants: readonly LoadVariant[], rounds: number, seed: number, onRound?: (round: number) => void): LoadRounds {
  const random = createPrng(seed);
  const samples = new Map(variants.map((variant) => [variant.key, [] as LoadSample[]]));
  for (const variant of variants) loadOnce(variant); // warm the file cache
  let firstOrder: string[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const order = shuffled(variants, random);
    if (round === 0) firstOrder = order.map((variant) => variant.key);
    for (const variant of order) samples.get(variant.key)!.push(loadOnce(variant));
    onRound?.(round);
  }
  return { seed, firstOrder, samples };
}

export type PairedRatio = Readonly<{ ratio: number; numeratorMs: number; denominatorMs: number; pairs: number }>;

/** Median over rounds of CPU(numerator) / CPU(floor) from the same round, beside the two medians. */
export function pairedCpuRatio(rounds: LoadRounds, numerator: string, denominator: string): PairedRatio {
  const top = rounds.samples.get(numerator)!;
  const bottom = rounds.samples.get(denominator)!;
  const ratios = top.map((sample, index) => sample.cpuMs / bottom[index]!.cpuMs);
  return {
    ratio: median(ratios),
    numeratorMs: median(top.map((sample) => sample.cpuMs)),
    denominatorMs: median(bottom.map((sample) => sample.cpuMs)),
    pairs: ratios.length,
  };
}

export type PairedDelta = Readonly<{ medianMs: number; lowMs: number; highMs: number }>;

/**
 * Median over rounds of CPU(a) − CPU(b) from the same round (ms), what a small lever saves, with a
 * distribution-free ~95 % interval for that median (order statistics j and n − j + 1, j = ⌊(n − 1.96√n) / 2⌋).
 */
export function pairedCpuDelta(rounds: LoadRounds, a: string, b: string): PairedDelta {
  const top = rounds.samples.get(a)!;
  const bottom = rounds.samples.get(b)!;
  const deltas = top.map((sample, index) => sample.cpuMs - bottom[index]!.cpuMs).sort((x, y) => x - y);
  const j = Math.max(1, Math.floor((deltas.length - 1.96 * Math.sqrt(deltas.length)) / 2));
  return { medianMs: median(deltas), lowMs: deltas[j - 1]!, highMs: deltas[deltas.length - j]! };
}

export const medianOf = (rounds: LoadRounds, key: string, field: keyof LoadSample) => median(rounds.samples.get(key)!.map((sample) => sample[field]));

/** Peak RSS of a bare Node process (MB), the floor beside the handlers' peak RSS. */
export function bareNodeMaxRssMB(): number {
  const result = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.resourceUsage().maxRSS))'], { encoding: 'utf8' });
  return Number(result.stdout) / 1024;
}
