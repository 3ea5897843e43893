import { parseStackConfig, type StackConfig, StackConfigError } from './stack-config';

/**
 * Several stores from one repository (docs/configuration.md#several-stores). `signupSync` either is one
 * store's settings (the stack `SignupSync`), or holds `stores: { <name>: {…overrides…} }` beside the
 * settings every store shares: each store's settings are the shared ones with its overrides over them
 * (key by key, so an override of `sources` replaces the whole list), validated like a single store's, and
 * each store is a stack of its own, `SignupSync-<name>` unless the store names it with `stackName`.
 * The CDK app, the operator CLI (`--stack`) and local mode (LOCAL_STORE) all resolve stores here.
 */

/** The single-store form's stack, and the prefix of a store's stack. */
export const DEFAULT_STACK_NAME = 'SignupSync';

export type Deployment = Readonly<{
  /** The CloudFormation stack (and CDK construct id). */
  stackName: string;
  /** The store's name under `stores`; undefined in the single-store form. */
  store?: string;
  config: StackConfig;
}>;

/** A store name becomes part of a stack name: letters, digits and hyphens, starting with a letter. */
const STORE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
/** CloudFormation's stack name rule. */
const STACK_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function settingsObject(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'string') return isRecord(raw) ? raw : {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new StackConfigError('signupSync context given on the command line is not valid JSON');
  }
  return isRecord(parsed) ? parsed : {};
}

/** Whether the settings use the several-stores form. */
export function hasStores(raw: unknown): boolean {
  return settingsObject(raw)['stores'] !== undefined;
}

/**
 * The problem lines of one store, pointing at where each setting was written: `signupSync.stores.eu.storeHash`
 * for an override, `signupSync.maxConcurrency` for a shared setting.
 */
function storeProblems(error: StackConfigError, store: string, overrides: Readonly<Record<string, unknown>>): string[] {
  return error.message
    .split('\n')
    .slice(1)
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const key = /^signupSync\.([A-Za-z]+)/.exec(line)?.[1];
      return key !== undefined && Object.hasOwn(overrides, key) ? line.replace(/^signupSync\./, `signupSync.stores.${store}.`) : `${line} (store ${store})`;
    });
}

/** Every stack the settings describe, each with its validated settings; throws StackConfigError naming every problem. */
export function parseDeployments(raw: unknown): Deployment[] {
  const settings = settingsObject(raw);
  if (settings['stores'] === undefined) return [{ stackName: DEFAULT_STACK_NAME, config: parseStackConfig(raw) }];
  const { stores, ...shared } = settings;
  const fail = (problems: readonly string[]): never => {
    throw new StackConfigError(`Invalid signup-sync configuration in cdk.json context:\n  ${problems.join('\n  ')}`);
  };
  if (!isRecord(stores) || Object.keys(stores).length === 0) fail(['signupSync.stores: must be an object of store name -> settings, with at least one store']);
  const problems: string[] = [];
  const deployments: Deployment[] = [];
  const stackNames = new Map<string, string>();
  for (const [store, value] of Object.entries(stores as Record<string, unknown>)) {
    if (!STORE_NAME_PATTERN.test(store)) {
      problems.push(`signupSync.stores.${store}: a store name must be letters, digits and hyphens, starting with a letter (it becomes part of the stack name)`);
      continue;
    }
    if (!isRecord(value)) {
      problems.push(`signupSync.stores.${store}: must be an object of settings (those that differ from the shared ones)`);
      continue;
    }
    const { stackName = `${DEFAULT_STACK_NAME}-${store}`, ...overrides } = value;
    if (typeof stackName !== 'string' || !STACK_NAME_PATTERN.test(stackName)) {
      problems.push(`signupSync.stores.${store}.stackName: must be a CloudFormation stack name (letters, digits and hyphens, starting with a letter)`);
      continue;
    }
    const clash = stackNames.get(stackName);
    if (clash !== undefined) problems.push(`signupSync.stores.${store}: stack ${stackName} is store ${clash}'s already`);
    stackNames.set(stackName, store);
    if (Object.hasOwn(overrides, 'stores')) problems.push(`signupSync.stores.${store}.stores: stores do not nest`);
    try {
      deployments.push({ stackName, store, config: parseStackConfig({ ...shared, ...overrides }) });
    } catch (error) {
      if (!(error instanceof StackConfigError)) throw error;
      problems.push(...storeProblems(error, store, overrides));
    }
  }
  if (problems.length > 0) fail(problems);
  return deployments;
}

/**
 * The settings of the stack the operator names (the CLI's `--stack`). The single-store form describes
 * whatever stack it was deployed as, so any name (or none) gets its settings; with `stores`, the name
 * picks the store, and it may be left out only when there is one store.
 */
export function deploymentForStack(raw: unknown, stackName: string | undefined): Deployment {
  const deployments = parseDeployments(raw);
  if (!hasStores(raw)) return deployments[0]!;
  const names = deployments.map((deployment) => deployment.stackName);
  if (stackName === undefined) {
    if (deployments.length === 1) return deployments[0]!;
    throw new StackConfigError(`cdk.json describes ${deployments.length} stores (stacks ${names.join(', ')}): name one with --stack`);
  }
  const deployment = deployments.find((candidate) => candidate.stackName === stackName);
  if (!deployment) throw new StackConfigError(`cdk.json has no store deployed as stack ${stackName} (its stacks: ${names.join(', ')})`);
  return deployment;
}

/**
 * The settings local mode runs with: the single store's, or the store named (LOCAL_STORE), by default
 * the first one in cdk.json.
 */
export function deploymentForStore(raw: unknown, store: string | undefined): Deployment {
  const deployments = parseDeployments(raw);
  if (!hasStores(raw)) {
    if (store !== undefined) throw new StackConfigError(`LOCAL_STORE is ${store}, but cdk.json's signupSync has no stores`);
    return deployments[0]!;
  }
  if (store === undefined) return deployments[0]!;
  const deployment = deployments.find((candidate) => candidate.store === store);
  if (!deployment) throw new StackConfigError(`cdk.json has no store ${store} (its stores: ${deployments.map((candidate) => candidate.store).join(', ')})`);
  return deployment;
}
