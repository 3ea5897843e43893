import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { bundleKeyOf, coldConfigs } from '../../../bench/cold-report';
import { adaptersLazyPlugin, adaptersOnlyPlugin, fullZodPlugin, type LoadRounds, type LoadSample, pairedCpuDelta } from '../../../bench/cold-start';
import { signupSchema } from '../../../shared/signup/signup-schema';
import { sourceAdapters } from '../../../shared/sources/adapters';

// The two lever (e) variants rewrite shared/sources/adapters/index.ts at bundling: these pin that the rewrite
// still finds the registry (a changed registry must fail here, not quietly measure the unchanged bundle).
const ROOT = path.resolve(__dirname, '../../..');
const REGISTRY = path.join(ROOT, 'shared/sources/adapters/index.ts');

describe('bench/cold-start lever (e) plugins', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cold-start-test-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const bundle = async (name: string, plugin: ReturnType<typeof adaptersOnlyPlugin>) => {
    const outfile = path.join(dir, `${name}.js`);
    const result = await build({
      entryPoints: [REGISTRY],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile,
      absWorkingDir: ROOT,
      metafile: true,
      logLevel: 'silent',
      plugins: [plugin],
    });
    return { outfile, inputs: Object.keys(result.metafile.inputs) };
  };

  it('bundles only the adapter modules of the kinds it is given', async () => {
    const { inputs } = await bundle('only', adaptersOnlyPlugin(['standard-webhooks']));

    expect(inputs).toContain('shared/sources/adapters/standard-webhooks.ts');
    expect(inputs).not.toContain('shared/sources/adapters/html-form.ts');
    expect(inputs).not.toContain('shared/sources/adapters/tally.ts');
  });

  it('keeps every adapter in the lazy registry, each one reachable by its kind', async () => {
    const { outfile, inputs } = await bundle('lazy', adaptersLazyPlugin());
    const lazy = require(outfile) as typeof import('../../../shared/sources/adapters');

    expect(inputs).toContain('shared/sources/adapters/tally.ts');
    expect(Object.keys(lazy.sourceAdapters).sort()).toEqual(Object.keys(sourceAdapters).sort());
    for (const [kind, adapter] of Object.entries(lazy.sourceAdapters)) {
      expect(typeof adapter.decide).toBe('function');
      expect(adapter.secret).toBe(sourceAdapters[kind as keyof typeof sourceAdapters].secret);
    }
  });
});

// Lever (d)'s row undoes zod/mini by bundling shared/zod-mini.ts as full zod: these pin that the plugin still
// finds that module (else the row would quietly measure the deployed bundle) and that the schemas run unchanged on it.
describe('bench/cold-start lever (d) full-zod plugin', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cold-start-zod-test-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const bundleSignupSchema = async (name: string, plugins: ReturnType<typeof fullZodPlugin>[]) => {
    const outfile = path.join(dir, `${name}.js`);
    const result = await build({
      entryPoints: [path.join(ROOT, 'shared/signup/signup-schema.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile,
      absWorkingDir: ROOT,
      metafile: true,
      logLevel: 'silent',
      plugins,
    });
    return { outfile, inputs: Object.keys(result.metafile.inputs) };
  };
  const loadsClassic = (inputs: readonly string[]) => inputs.some((input) => input.startsWith('node_modules/zod/v4/classic/'));

  it('bundles the schemas on full zod (zod/v4/classic) with the plugin, and on zod/mini without it', async () => {
    const full = await bundleSignupSchema('full', [fullZodPlugin()]);
    const mini = await bundleSignupSchema('mini', []);

    expect(loadsClassic(full.inputs)).toBe(true);
    expect(loadsClassic(mini.inputs)).toBe(false);
    expect(mini.inputs.some((input) => input.startsWith('node_modules/zod/v4/mini/'))).toBe(true);
  });

  it('leaves the schemas working on full zod: the same result and the same error paths and messages', async () => {
    const { outfile } = await bundleSignupSchema('full-parse', [fullZodPlugin()]);
    const fullZod = require(outfile) as typeof import('../../../shared/signup/signup-schema');
    const bad = { email: 'not-an-email', firstName: 7 };
    const good = { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' };
    const issues = (result: { success: boolean; error?: { issues: readonly { path: PropertyKey[]; message: string }[] } }) =>
      result.error?.issues.map((issue) => ({ path: issue.path, message: issue.message }));

    expect(fullZod.signupSchema.safeParse(good)).toEqual(signupSchema.safeParse(good));
    expect(fullZod.signupSchema.safeParse(bad).success).toBe(false);
    expect(issues(fullZod.signupSchema.safeParse(bad))).toEqual(issues(signupSchema.safeParse(bad)));
  });

  it('gives the full-zod row the deployed settings but its own bundles', () => {
    const configs = coldConfigs();
    const deployed = configs.find((config) => config.key === 'deployed')!;
    const fullZod = configs.find((config) => config.key === 'full-zod')!;

    expect(fullZod.settings).toEqual(deployed.settings);
    expect(bundleKeyOf(fullZod)).not.toBe(bundleKeyOf(deployed));
  });
});

describe('pairedCpuDelta', () => {
  const sample = (cpuMs: number): LoadSample => ({ cpuMs, requireMs: 0, processMs: 0 });
  it('takes the median of the per-round differences and order statistics j and n − j + 1 as its interval', () => {
    // 21 rounds: b always 100 ms, a 100 + (round − 10) ms, so the differences are −10 … +10.
    const rounds: LoadRounds = {
      seed: 1,
      firstOrder: [],
      samples: new Map([
        ['a', Array.from({ length: 21 }, (_, round) => sample(100 + round - 10))],
        ['b', Array.from({ length: 21 }, () => sample(100))],
      ]),
    };

    // j = ⌊(21 − 1.96 × √21) / 2⌋ = 6: the 6th and 16th smallest differences.
    expect(pairedCpuDelta(rounds, 'a', 'b')).toEqual({ medianMs: 0, lowMs: -5, highMs: 5 });
  });
});
