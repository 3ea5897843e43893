import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { SignupSyncStack } from '../infra/signup-sync-stack';
import { parseDeployments } from '../shared/deployment/stores';
import type { Inventory } from './cost-model';
import { customSeriesRead, dashboardMetricCount, joined, type TemplateJson } from './lib/template-metrics';

/**
 * The stack as `cdk synth` writes it (cdk.json's context), into `outdir`: each function's asset (the bundle
 * Lambda runs, with its map), memory, tracing, log settings and NODE_OPTIONS, and what an idle deployment
 * pays for, counted in the template (bench/cost-report.ts prices it; nothing here is typed by hand).
 */

const ROOT = path.resolve(__dirname, '..');

export type DeployedFunction = Readonly<{
  asset: string;
  memoryMB: number;
  tracing: string;
  /** LoggingConfig: Text or JSON, and the levels Lambda keeps (JSON only). */
  logFormat: string;
  systemLogLevel: string | undefined;
  applicationLogLevel: string | undefined;
  nodeOptions: string | undefined;
  environment: Readonly<Record<string, unknown>>;
}>;

export type Deployment = Readonly<{
  ingest: DeployedFunction;
  sync: DeployedFunction;
  inventory: Inventory;
  batchingWindowSeconds: number;
  batchSize: number;
  /** The event source mapping's maximum concurrency (ScalingConfig), when set. */
  maxConcurrency: number | undefined;
  /** The API stage's access log format (one line per request), when it logs. */
  accessLogFormat: string | undefined;
  /** The functions' log groups' retention. */
  logRetentionDays: number;
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
    const logging = (fn.Properties.LoggingConfig as { LogFormat?: string; SystemLogLevel?: string; ApplicationLogLevel?: string } | undefined) ?? {};
    return {
      asset: path.join(stack.assembly.directory, assetPath, 'index.js'),
      memoryMB: Number(fn.Properties.MemorySize ?? 128),
      tracing: String((fn.Properties.TracingConfig as { Mode?: string } | undefined)?.Mode ?? 'PassThrough'),
      logFormat: logging.LogFormat ?? 'Text',
      systemLogLevel: logging.SystemLogLevel,
      applicationLogLevel: logging.ApplicationLogLevel,
      nodeOptions: typeof variables.NODE_OPTIONS === 'string' ? variables.NODE_OPTIONS : undefined,
      environment: variables,
    };
  };
  const mapping = resources.find((resource) => resource.Type === 'AWS::Lambda::EventSourceMapping');
  const stage = resources.find((resource) => resource.Type === 'AWS::ApiGatewayV2::Stage');
  const accessLogFormat = (stage?.Properties.AccessLogSettings as { Format?: unknown } | undefined)?.Format;
  const retention = resources
    .filter((resource) => resource.Type === 'AWS::Logs::LogGroup')
    .map((resource) => Number(resource.Properties.RetentionInDays ?? 0))
    .filter((days) => days > 0);
  const template = stack.template as TemplateJson;
  return {
    ingest: functionWith('SOURCES_SECRET'),
    sync: functionWith('BIGCOMMERCE_STORE_HASH'),
    inventory: {
      alarms: count('AWS::CloudWatch::Alarm'),
      dashboards: count('AWS::CloudWatch::Dashboard'),
      dashboardMetrics: dashboardMetricCount(template),
      secrets: count('AWS::SecretsManager::Secret'),
      kmsKeys: count('AWS::KMS::Key'),
      // The custom metric-dimension pairs the alarms and dashboard read: test/infra/metric-inventory.test.ts
      // proves they are exactly the pairs the code can emit.
      customMetrics: customSeriesRead(template).length,
    },
    batchSize: Number(mapping?.Properties.BatchSize ?? 10),
    batchingWindowSeconds: Number(mapping?.Properties.MaximumBatchingWindowInSeconds ?? 0),
    maxConcurrency: (mapping?.Properties.ScalingConfig as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency,
    accessLogFormat: accessLogFormat === undefined ? undefined : joined(accessLogFormat),
    logRetentionDays: retention.length > 0 ? Math.max(...retention) : 9999,
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
