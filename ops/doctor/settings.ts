import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_SOURCE_ALARM, type StackConfig, sourceAlarmFor } from '../../shared/deployment/stack-config';
import { deploymentForStack } from '../../shared/deployment/stores';
import { CUSTOM_FIELD_PREFIX } from '../../shared/sources/canonical-fields';
import { CliError } from '../errors';
import type { SourceWindow } from './source-deliveries-check';
import type { DoctorSettings } from './types';

/** The cdk.json `cdk deploy` reads (the repository's). */
export const DEFAULT_CDK_JSON = path.join(__dirname, '../../cdk.json');

/** The settings of the stack named (`--stack`): with several stores, that store's (the shared settings and its overrides). */
export function readDeploymentSettings(cdkJsonPath: string = DEFAULT_CDK_JSON, stackName?: string): StackConfig {
  let raw: unknown;
  try {
    raw = (JSON.parse(readFileSync(cdkJsonPath, 'utf8')) as { context?: { signupSync?: unknown } }).context?.signupSync;
  } catch (error) {
    throw new CliError(`Cannot read the deployment settings in ${cdkJsonPath}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return deploymentForStack(raw, stackName).config;
  } catch (error) {
    throw new CliError((error as Error).message, { cause: error });
  }
}

/**
 * The region cdk.json pins a stack to (its store's `region`), for looking the stack up without --region;
 * undefined when none is set or cdk.json cannot be read (the usual AWS environment then decides).
 */
export function stackRegionInCdkJson(stackName: string, cdkJsonPath: string = DEFAULT_CDK_JSON): string | undefined {
  try {
    return readDeploymentSettings(cdkJsonPath, stackName).region;
  } catch {
    return undefined;
  }
}

export function doctorSettings(config: StackConfig): DoctorSettings {
  return {
    ...(config.customerChannelIds ? { customerChannelIds: config.customerChannelIds } : {}),
    ...(config.customerOriginChannelId !== undefined ? { customerOriginChannelId: config.customerOriginChannelId } : {}),
    ...(config.customerGroupId !== undefined ? { customerGroupId: config.customerGroupId } : {}),
    customFieldMap: config.customFieldMap,
    maxConcurrency: config.maxConcurrency,
    maxReceiveCount: config.maxReceiveCount,
    sources: config.sources,
    silenceWindows: Object.fromEntries(config.sources.map((source) => [source.id, sourceAlarmFor(config, source.id).silenceAfterHours])),
    ...(config.customDomain ? { customDomain: config.customDomain } : {}),
  };
}

/** Each configured source and its silence window (the default one when the settings do not say). */
export function sourceWindows(settings: DoctorSettings): SourceWindow[] {
  return sourceFacts(settings).map((source) => ({
    id: source.id,
    silenceAfterHours: settings.silenceWindows?.[source.id] ?? DEFAULT_SOURCE_ALARM.silenceAfterHours,
  }));
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What the checks need of each configured source, read defensively (the stack validated it at synth). */
export type SourceFacts = Readonly<{ id: string; customNames: readonly string[]; channelIds: readonly number[]; customerGroupId?: number }>;

export function sourceFacts(settings: DoctorSettings): SourceFacts[] {
  return settings.sources.filter(isRecord).map((source) => {
    const fieldMap = isRecord(source['fieldMap']) ? Object.values(source['fieldMap']) : [];
    const defaults = isRecord(source['customerDefaults']) ? source['customerDefaults'] : {};
    const channelIds = Array.isArray(defaults['channelIds']) ? defaults['channelIds'].filter((id): id is number => Number.isInteger(id)) : [];
    const group = defaults['customerGroupId'];
    return {
      id: String(source['id'] ?? '?'),
      customNames: fieldMap
        .filter((target): target is string => typeof target === 'string' && target.startsWith(CUSTOM_FIELD_PREFIX))
        .map((target) => target.slice(CUSTOM_FIELD_PREFIX.length)),
      channelIds,
      ...(typeof group === 'number' ? { customerGroupId: group } : {}),
    };
  });
}

/** Every channel id the sync may send: the global ones and each source's defaults, each once, sorted. */
export function configuredChannelIds(settings: DoctorSettings): number[] {
  const ids = [
    ...(settings.customerChannelIds ?? []),
    ...(settings.customerOriginChannelId !== undefined ? [settings.customerOriginChannelId] : []),
    ...sourceFacts(settings).flatMap((source) => source.channelIds),
  ];
  return [...new Set(ids)].sort((a, b) => a - b);
}

/** Every customer group id the sync may send; 0 means "no group" and is left out. */
export function configuredCustomerGroupIds(settings: DoctorSettings): number[] {
  const ids = [settings.customerGroupId, ...sourceFacts(settings).map((source) => source.customerGroupId)].filter(
    (id): id is number => id !== undefined && id > 0,
  );
  return [...new Set(ids)].sort((a, b) => a - b);
}
