import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { SignupSyncStack } from '../infra/signup-sync-stack';
import { parseDeployments } from '../shared/deployment/stores';
import type { Inventory } from './cost-model';

/**
 * The stack as `cdk synth` writes it (cdk.json's context), into `outdir`: each function's asset (the bundle
 * Lambda runs, with its map), memory, tracing and NODE_OPTIONS, and what an idle deployment pays for.
 */

const ROOT = path.resolve(__dirname, '..');

export type DeployedFunction = Readonly<{
  asset: string;
  memoryMB: number;
  tracing: string;
  nodeOptions: string | undefined;
  environment: Readonly<Record<string, unknown>>;
}>;

export type Deployment = Readonly<{
  ingest: DeployedFunction;
  sync: DeployedFunction;
  inventory: Omit<Inventory, 'customMetrics'>;
  batchingWindowSeconds: number;
  batchSize: number;
}>;

type Resource = { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, unknown> };

export function synthDeployment(outdir: string): Deployment {
  const cdkJson = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> & { signupSync: unknown } };
  const { signupSync, ...flags } = cdkJson.context;
  // Asset metadata names each function's asset folder (the CDK CLI turns it on the same way).
  const app = new App({ context: { ...flags, 'aws:cdk:enable-asset-metadata': true }, outdir });
  // With several stores in cdk.json, the first one's settings (shared/deployment/stores.ts).
  new SignupSyncStack(app, 'SignupSync', { config: parseDeployments(signupSync)[0]!.config });
  const stack = app.synth().getStackByName('SignupSync');
  const resources = Object.values(stack.template.Resources as Record<string, Resource>);
  const count = (type: string) => resources.filter((resource) => resource.Type === type).length;
  const functionWith = (variable: string): DeployedFunction => {
    const found = resources.filter(
      (resource) =>
        resource.Type === 'AWS::Lambda::Function' &&
        (resource.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.[variable] !== undefined,
    );
    if (found.length !== 1) throw new Error(`expected one function with ${variable}, found ${found.length}`);
    const fn = found[0]!;
    const assetPath = fn.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string') throw new Error('the function has no aws:asset:path metadata');
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    return {
      asset: path.join(stack.assembly.directory, assetPath, 'index.js'),
      memoryMB: Number(fn.Properties.MemorySize ?? 128),
      tracing: String((fn.Properties.TracingConfig as { Mode?: string } | undefined)?.Mode ?? 'PassThrough'),
      nodeOptions: typeof variables.NODE_OPTIONS === 'string' ? variables.NODE_OPTIONS : undefined,
      environment: variables,
    };
  };
  const mapping = resources.find((resource) => resource.Type === 'AWS::Lambda::EventSourceMapping');
  return {
    ingest: functionWith('SOURCES_SECRET'),
    sync: functionWith('BIGCOMMERCE_STORE_HASH'),
    inventory: {
      alarms: count('AWS::CloudWatch::Alarm'),
      dashboards: count('AWS::CloudWatch::Dashboard'),
      secrets: count('AWS::SecretsManager::Secret'),
      kmsKeys: count('AWS::KMS::Key'),
    },
    batchSize: Number(mapping?.Properties.BatchSize ?? 10),
    batchingWindowSeconds: Number(mapping?.Properties.MaximumBatchingWindowInSeconds ?? 0),
  };
}

/**
 * Synthesizes in a child process and reads its JSON: a child's peak RSS starts at its parent's RSS when
 * it is forked, so loading aws-cdk-lib here would inflate every peak RSS the bench measures afterwards.
 */
export function synthDeploymentInChild(outdir: string): Deployment {
  const result = spawnSync(process.execPath, ['--import', 'tsx', __filename, outdir], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`synthesizing the stack failed: ${result.stderr}`);
  // Synthesis prints its own lines (bundling, annotations) to stderr; the JSON is the last stdout line.
  process.stderr.write(result.stderr);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Deployment;
}

if (require.main === module) {
  const outdir = process.argv[2];
  if (!outdir) {
    console.error('usage: node --import tsx bench/deployment.ts <outdir>');
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(synthDeployment(outdir))}\n`);
}
