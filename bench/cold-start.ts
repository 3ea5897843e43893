import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions } from 'esbuild';
import { median } from './lib/stats';

/**
 * Lambda bundles built exactly as infra/constructs/node-function.ts deploys them (NodejsFunction's
 * esbuild flags: --bundle --platform=node --target=node22 --format=cjs --minify --sourcemap
 * --external:@aws-sdk/*), and their module load time in fresh Node processes.
 */

const ROOT = path.resolve(__dirname, '..');

/** The NodejsFunction bundling of node-function.ts, as esbuild options. */
export const DEPLOYED_BUNDLING: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  external: ['@aws-sdk/*'],
  logLevel: 'warning',
};

export type Bundle = Readonly<{
  key: string;
  label: string;
  file: string;
  bytes: number;
  gzipBytes: number;
  mapBytes: number;
  /** Bytes in the minified output by package (node_modules/<pkg>) or project folder, largest first. */
  composition: readonly Readonly<{ name: string; bytes: number }>[];
}>;

function packageOf(input: string): string {
  const parts = input.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at >= 0) return parts[at + 1]?.startsWith('@') ? `${parts[at + 1]}/${parts[at + 2]}` : (parts[at + 1] ?? input);
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : input;
}

/** What the ingest must load anyway: the SQS client, constructed. */
const SDK_ONLY_SOURCE = `const { SQSClient } = require('@aws-sdk/client-sqs');\nconst sqs = new SQSClient({});\nexports.handler = async () => sqs;\n`;
/** Both SDK clients the handlers construct at cold start (the ingest reads the sources secret too). */
const TWO_CLIENTS_SOURCE = `const { SQSClient } = require('@aws-sdk/client-sqs');\nconst { SecretsManagerClient } = require('@aws-sdk/client-secrets-manager');\nconst clients = [new SQSClient({}), new SecretsManagerClient({})];\nexports.handler = async () => clients;\n`;

export async function buildBundles(dir: string): Promise<Bundle[]> {
  const sdkEntry = path.join(dir, 'sdk-only-entry.js');
  writeFileSync(sdkEntry, SDK_ONLY_SOURCE);
  const twoClientsEntry = path.join(dir, 'two-clients-entry.js');
  writeFileSync(twoClientsEntry, TWO_CLIENTS_SOURCE);
  const entries = [
    { key: 'sdk', label: 'SQS client only (require + new SQSClient)', entry: sdkEntry },
    { key: 'sdk2', label: 'SQS + Secrets Manager clients', entry: twoClientsEntry },
    { key: 'ingest', label: 'ingest handler', entry: path.join(ROOT, 'functions/ingest/handler.ts') },
    { key: 'sync', label: 'sync handler', entry: path.join(ROOT, 'functions/sync/handler.ts') },
  ];
  const bundles: Bundle[] = [];
  for (const { key, label, entry } of entries) {
    const outdir = path.join(dir, key);
    mkdirSync(outdir, { recursive: true });
    const file = path.join(outdir, 'index.js');
    // metafile only describes the output; it does not change it.
    const result = await build({ ...DEPLOYED_BUNDLING, entryPoints: [entry], outfile: file, absWorkingDir: ROOT, metafile: true });
    const code = readFileSync(file);
    const byPackage = new Map<string, number>();
    for (const output of Object.values(result.metafile.outputs)) {
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) byPackage.set(packageOf(input), (byPackage.get(packageOf(input)) ?? 0) + bytesInOutput);
    }
    const composition = [...byPackage.entries()].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
    bundles.push({ key, label, file, bytes: code.length, gzipBytes: gzipSync(code).length, mapBytes: statSync(`${file}.map`).size, composition });
  }
  return bundles;
}

/** The handler-cost script as a plain-Node bundle (no tsx in the measured process). */
export async function buildHandlerCost(dir: string): Promise<string> {
  const file = path.join(dir, 'handler-cost.js');
  await build({ ...DEPLOYED_BUNDLING, minify: false, sourcemap: false, target: 'node20', entryPoints: [path.join(ROOT, 'bench/handler-cost.ts')], outfile: file, absWorkingDir: ROOT });
  return file;
}

/** Dummy values for what shared/config.ts requires at cold start, plus what Lambda sets. */
export function lambdaEnv(sourceMaps: boolean): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    // Lambda resolves the runtime's SDK through NODE_PATH (/var/runtime/node_modules); here: ours.
    NODE_PATH: path.join(ROOT, 'node_modules'),
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    ...(sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
    SIGNUP_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/signups',
    DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/signups-dlq',
    SOURCES_SECRET: 'signup-sync/sources',
    BIGCOMMERCE_STORE_HASH: 'abc123',
    BIGCOMMERCE_TOKEN_SECRET: 'signup-sync/token',
  };
}

export type LoadVariant = Readonly<{ key: string; label: string; file?: string }>;

export type LoadTiming = Readonly<{
  key: string;
  label: string;
  /** Median wall time of `node -e "require(bundle)"`, spawn to exit (ms). */
  processMs: number;
  /** Median time of the require() itself, measured inside the process (ms; 0 for bare node). */
  requireMs: number;
  samples: number;
}>;

function runOnce(variant: LoadVariant, env: NodeJS.ProcessEnv): { processMs: number; requireMs: number } {
  const script =
    variant.file === undefined
      ? '0'
      : `const t=process.hrtime.bigint();require(${JSON.stringify(variant.file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const started = performance.now();
  const result = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
  const processMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`loading ${variant.label} failed: ${result.stderr}`);
  return { processMs, requireMs: variant.file === undefined ? 0 : Number(result.stdout) };
}

/** `runs` rounds; each round runs every variant once, in a rotated order, so drift hits all alike. */
export function measureLoads(variants: readonly LoadVariant[], runs: number, env: NodeJS.ProcessEnv): LoadTiming[] {
  const samples = new Map(variants.map((variant) => [variant.key, { processMs: [] as number[], requireMs: [] as number[] }]));
  for (const variant of variants) runOnce(variant, env); // warm the file cache
  for (let round = 0; round < runs; round += 1) {
    for (let offset = 0; offset < variants.length; offset += 1) {
      const variant = variants[(round + offset) % variants.length]!;
      const sample = runOnce(variant, env);
      samples.get(variant.key)!.processMs.push(sample.processMs);
      samples.get(variant.key)!.requireMs.push(sample.requireMs);
    }
  }
  return variants.map((variant) => ({
    key: variant.key,
    label: variant.label,
    processMs: median(samples.get(variant.key)!.processMs),
    requireMs: median(samples.get(variant.key)!.requireMs),
    samples: runs,
  }));
}

/** Peak RSS of a bare Node process (MB), the floor beside the handlers' peak RSS. */
export function bareNodeMaxRssMB(): number {
  const result = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.resourceUsage().maxRSS))'], { encoding: 'utf8' });
  return Number(result.stdout) / 1024;
}
