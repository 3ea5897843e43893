import { App, type CfnResource, type Stack, Validations } from 'aws-cdk-lib';
import cdkJson from '../../../cdk.json';
import { SignupSyncStack } from '../../../infra/signup-sync-stack';
import { parseStackConfig } from '../../../shared/deployment/stack-config';

/**
 * What the integration suite takes from the CDK stack, read from the synthesized template (not copied
 * into the test): the queues' CloudFormation properties, the functions' environment and timeout, the
 * event source mapping. A change in the stack changes what the emulated AWS side looks like.
 */

type Json = unknown;
type TemplateResource = Readonly<{ Type: string; Properties?: Record<string, Json> }>;

export type ResourceModel = Readonly<{ logicalId: string; type: string; properties: Readonly<Record<string, Json>> }>;

export type FunctionModel = ResourceModel &
  Readonly<{
    timeoutSeconds: number;
    /** Environment.Variables as the template has them (strings or intrinsics such as { Ref }). */
    environment: Readonly<Record<string, Json>>;
  }>;

export type EventSourceModel = Readonly<{
  batchSize: number;
  maximumBatchingWindowInSeconds: number | undefined;
  functionResponseTypes: readonly string[];
}>;

export type StackModel = Readonly<{
  signupQueue: ResourceModel;
  deadLetterQueue: ResourceModel;
  /** Undefined when the stack imports an existing secret instead of creating one. */
  tokenSecret: ResourceModel | undefined;
  /** Every AWS::SecretsManager::Secret the template creates (the token secret among them). */
  secrets: readonly ResourceModel[];
  ingest: FunctionModel;
  sync: FunctionModel;
  syncEventSource: EventSourceModel;
  /** Every resource of the template by logical id (for the intrinsic resolver). */
  resources: Readonly<Record<string, TemplateResource>>;
}>;

function resourceOf(stack: Stack, resources: Record<string, TemplateResource>, construct: { node: { defaultChild?: unknown } }): ResourceModel {
  const logicalId = stack.getLogicalId(construct.node.defaultChild as CfnResource);
  const resource = resources[logicalId];
  if (!resource) throw new Error(`The template has no resource ${logicalId}`);
  return { logicalId, type: resource.Type, properties: resource.Properties ?? {} };
}

function functionOf(stack: Stack, resources: Record<string, TemplateResource>, construct: { node: { defaultChild?: unknown } }): FunctionModel {
  const model = resourceOf(stack, resources, construct);
  const timeoutSeconds = model.properties.Timeout;
  if (typeof timeoutSeconds !== 'number') throw new Error(`${model.logicalId} has no numeric Timeout`);
  const environment = (model.properties.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {};
  return { ...model, timeoutSeconds, environment };
}

/** Synthesizes the stack with cdk.json's context, as `cdk synth` does; esbuild is skipped (no Lambda code is deployed here). */
export function synthesizeStackModel(configOverrides: Record<string, unknown> = {}): StackModel {
  const { signupSync, ...flags } = cdkJson.context;
  const app = new App({ context: { ...flags, 'aws:cdk:bundling-stacks': [] } });
  const stack = new SignupSyncStack(app, 'SignupSync', { config: parseStackConfig({ ...signupSync, ...configOverrides }) });
  // The placeholder store hash is what the sandbox answers to here.
  Validations.of(stack).acknowledge({ id: 'Annotation::signup-sync:placeholder-store-hash', reason: 'the BigCommerce sandbox serves this store hash' });
  const template = app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, TemplateResource> };
  const resources = template.Resources;

  const mappings = Object.values(resources).filter((resource) => resource.Type === 'AWS::Lambda::EventSourceMapping');
  const syncFunction = functionOf(stack, resources, stack.sync.function);
  const mapping = mappings.find((resource) => JSON.stringify(resource.Properties?.FunctionName) === JSON.stringify({ Ref: syncFunction.logicalId }));
  if (!mapping?.Properties) throw new Error('The template has no event source mapping for the sync function');

  return {
    signupQueue: resourceOf(stack, resources, stack.queues.queue),
    deadLetterQueue: resourceOf(stack, resources, stack.queues.deadLetterQueue),
    tokenSecret: stack.sync.tokenSecret.node.defaultChild ? resourceOf(stack, resources, stack.sync.tokenSecret) : undefined,
    secrets: Object.entries(resources)
      .filter(([, resource]) => resource.Type === 'AWS::SecretsManager::Secret')
      .map(([logicalId, resource]) => ({ logicalId, type: resource.Type, properties: resource.Properties ?? {} })),
    ingest: functionOf(stack, resources, stack.ingress.function),
    sync: syncFunction,
    syncEventSource: {
      batchSize: mapping.Properties.BatchSize as number,
      maximumBatchingWindowInSeconds: mapping.Properties.MaximumBatchingWindowInSeconds as number | undefined,
      functionResponseTypes: (mapping.Properties.FunctionResponseTypes as string[] | undefined) ?? [],
    },
    resources,
  };
}

/** The stack's redrive policy, as the template declares it. */
export function redrivePolicyOf(queue: ResourceModel): Readonly<{ deadLetterTargetArn: Json; maxReceiveCount: number }> {
  const policy = queue.properties.RedrivePolicy as { deadLetterTargetArn?: Json; maxReceiveCount?: unknown } | undefined;
  if (!policy || typeof policy.maxReceiveCount !== 'number') throw new Error(`${queue.logicalId} has no RedrivePolicy with a numeric maxReceiveCount`);
  return { deadLetterTargetArn: policy.deadLetterTargetArn, maxReceiveCount: policy.maxReceiveCount };
}
