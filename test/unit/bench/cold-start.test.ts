import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { adaptersLazyPlugin, adaptersOnlyPlugin, type LoadRounds, type LoadSample, pairedCpuDelta } from '../../../bench/cold-start';
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
