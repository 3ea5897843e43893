import * as path from 'node:path';
import type { BuildOptions, Plugin } from 'esbuild';
import { createPrng, shuffled } from '../local/bigcommerce-sandbox/prng';
import { type AnswerKind, type ColdAnswerSample, coldAnswerOnce, startColdAnswerRig } from './cold-answer';
import { buildHandlerVariant, DEPLOYED_SETTINGS } from './cold-start';
import type { CpuQuotas } from './cpu-quota';
import type { DeployedFunction, Deployment } from './deployment';
import { median } from './lib/stats';
import { ms, type Table } from './lib/table';

/**
 * The levers of the ingest's cold answer, each measured at the deployed memory against the asset as deployed,
 * in the same seeded rounds (pairs): a kept lever is undone by its variant, a lever not kept is applied by
 * its. Variants are bundles built with esbuild plugins (bench/cold-start.ts buildHandlerVariant), or the
 * asset with another environment.
 */

type Lever = Readonly<{
  key: string;
  kept: boolean;
  label: string;
  /** The requests it can change. */
  kinds: readonly AnswerKind[];
  plugins?: () => Plugin[];
  /** esbuild options of the variant in place of the deployed ones (function-bundling.ts). */
  build?: Readonly<Pick<BuildOptions, 'external'>>;
  /** The function's environment for the variant (the asset's own when absent). */
  fn?: (fn: DeployedFunction) => DeployedFunction;
}>;

/** A module replaced by `contents` at bundling (the rest of the bundle unchanged). */
const replaced = (name: string, filter: RegExp, contents: string): Plugin => ({
  name,
  setup(build) {
    build.onResolve({ filter }, (args) => ({ path: args.path, namespace: name }));
    build.onLoad({ filter: /.*/, namespace: name }, () => ({ contents, loader: 'ts', resolveDir: path.resolve(__dirname, '..') }));
  },
});

/** The siteverify client as it was before this lever: fetch (Node's undici, loaded on the first call). */
const FETCH_SITEVERIFY = `
import { CaptchaUnavailableError } from './shared/captcha/errors';
export function createSiteverifyClient() {
  return {
    async siteverify({ url, secret, token, timeoutMs, sitekey }) {
      let response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({ secret, response: token, ...(sitekey !== undefined ? { sitekey } : {}) }).toString(),
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'error',
        });
      } catch (error) {
        throw new CaptchaUnavailableError('siteverify unreachable', { cause: error });
      }
      if (!response.ok) throw new CaptchaUnavailableError('siteverify answered HTTP ' + response.status);
      const body = await response.json();
      const codes = body['error-codes'];
      return { success: body.success === true, ...(typeof body.hostname === 'string' ? { hostname: body.hostname } : {}), errorCodes: Array.isArray(codes) ? codes : [] };
    },
  };
}
`;

export const ANSWER_LEVERS: readonly Lever[] = [
  {
    key: 'siteverify-fetch',
    kept: true,
    label: 'siteverify over node:https (kept) — undone: over fetch, whose first call loads Node’s undici',
    kinds: ['form'],
    plugins: () => [replaced('siteverify-fetch', /[\\/]captcha[\\/]siteverify-client$/, FETCH_SITEVERIFY)],
  },
  {
    key: 'no-source-maps',
    kept: false,
    label: 'without NODE_OPTIONS=--enable-source-maps (not kept: stack traces would name minified code, docs/benchmarks.md "Cold start: the levers")',
    kinds: ['signups', 'form'],
    fn: (fn) => ({ ...fn, nodeOptions: undefined }),
  },
  {
    key: 'no-warm-up',
    kept: true,
    label:
      "the first request's calls started at the cold start (shared/aws/cold-start-warm-up.ts: the sources secret, a ledger GetItem, the queue's ARN) (kept) — undone: each made by the request in turn",
    kinds: ['signups', 'form'],
    plugins: () => [
      replaced(
        'no-warm-up',
        /[\\/]aws[\\/]cold-start-warm-up$/,
        "export const WARM_UP_LEDGER_KEY = 'warm-up#cold-start'; export async function warmUpAtColdStart() {}",
      ),
    ],
  },
  {
    key: 'credential-chain-bundled',
    kept: true,
    label:
      "the SDK's credential providers Lambda never reaches (SSO, INI, process, web identity and their clients) left out of the bundle (kept) — undone: bundled",
    kinds: ['signups', 'form'],
    build: { external: [] },
  },
];

export type LeverMeasure = Readonly<{
  lever: Lever;
  kind: AnswerKind;
  /** Median of the variant's answers and of the deployed asset's, and the median of the pairs' differences (variant − deployed). */
  answerMs: number;
  deployedMs: number;
  deltaMs: number;
  deltaCpuMs: number;
  pairs: number;
}>;

export type AnswerLevers = Readonly<{ memoryMB: number; runs: number; seed: number; measures: readonly LeverMeasure[] }>;

export async function runAnswerLevers(
  options: Readonly<{ dir: string; deployment: Deployment; quotas: CpuQuotas; runs: number; seed: number; progress: (line: string) => void }>,
): Promise<AnswerLevers> {
  const { deployment } = options;
  const memoryMB = deployment.ingest.memoryMB;
  const dir = path.join(options.dir, 'answer-levers');
  const variants: { key: string; asset: string; fn: DeployedFunction; kinds: readonly AnswerKind[] }[] = [
    { key: 'deployed', asset: deployment.ingest.asset, fn: deployment.ingest, kinds: ['signups', 'form'] },
  ];
  for (const lever of ANSWER_LEVERS) {
    const asset =
      lever.plugins || lever.build
        ? (await buildHandlerVariant(dir, DEPLOYED_SETTINGS, 'ingest', lever.key, lever.plugins?.() ?? [], lever.build)).file
        : deployment.ingest.asset;
    variants.push({ key: lever.key, asset, fn: lever.fn ? lever.fn(deployment.ingest) : deployment.ingest, kinds: lever.kinds });
  }
  const rig = await startColdAnswerRig(dir);
  const samples = new Map<string, ColdAnswerSample[]>();
  try {
    const random = createPrng(options.seed + 1);
    const cells = variants.flatMap((variant) => variant.kinds.map((kind) => ({ variant, kind })));
    options.progress(`cold answer levers: ${options.runs} rounds × ${cells.length} fresh processes at ${memoryMB} MB`);
    for (let round = 0; round < options.runs; round += 1) {
      for (const { variant, kind } of shuffled(cells, random)) {
        const sample = await coldAnswerOnce({
          rig,
          kind,
          asset: variant.asset,
          fn: variant.fn,
          memoryMB,
          prefix: options.quotas.mode === 'none' ? [] : options.quotas.prefix(memoryMB),
          dir,
        });
        const key = `${variant.key}/${kind}`;
        samples.set(key, [...(samples.get(key) ?? []), sample]);
      }
    }
  } finally {
    await rig.close();
  }
  const measures = ANSWER_LEVERS.flatMap((lever) =>
    lever.kinds.map((kind) => {
      const mine = samples.get(`${lever.key}/${kind}`) ?? [];
      const deployed = samples.get(`deployed/${kind}`) ?? [];
      return {
        lever,
        kind,
        answerMs: median(mine.map((sample) => sample.answerMs)),
        deployedMs: median(deployed.map((sample) => sample.answerMs)),
        deltaMs: median(mine.map((sample, index) => sample.answerMs - deployed[index]!.answerMs)),
        deltaCpuMs: median(mine.map((sample, index) => sample.cpuMs - deployed[index]!.cpuMs)),
        pairs: mine.length,
      };
    }),
  );
  return { memoryMB, runs: options.runs, seed: options.seed, measures };
}

const signed = (value: number) => `${value > 0 ? '+' : value < 0 ? '−' : '±'}${ms(Math.abs(value))}`;

export function answerLeverTable(levers: AnswerLevers, command: string): Table {
  return {
    title: `The cold answer's levers at the deployed ${levers.memoryMB} MB (median of ${levers.runs} pairs, seed ${levers.seed})`,
    headers: ['lever', 'request', 'answer: deployed / with the lever undone or applied', 'Δ answer (pairs)', 'Δ CPU to the answer (pairs)'],
    rows: levers.measures.map((measure) => [
      measure.lever.label,
      measure.kind === 'signups' ? 'POST /signups → 202' : 'html form post → 303',
      `${ms(measure.deployedMs)} / ${ms(measure.answerMs)}`,
      signed(measure.deltaMs),
      signed(measure.deltaCpuMs),
    ]),
    notes: [
      `Regenerate this table alone: \`${command}\`. Each round starts the deployed asset and every variant once per request, in a seeded random order, inside the deployed memory's CPU quota; Δ = median over rounds of (variant − deployed) from the same round.`,
      "The memory itself is the lever of the table above. Loading a module lazily helps the cold answer only when the first request does not use it: Powertools Idempotency (the ledger), the CAPTCHA client and the adapter of the route are used by the first request of their route, so lazily loaded they would cost the same inside the same wait. What loading only the configured kinds' adapters and schemas could save is measured in the cold-start tables (lever e and the schemas probe).",
    ],
  };
}
