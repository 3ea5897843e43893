import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import cdkJson from '../../cdk.json';
import { SignupSyncStack } from '../../infra/signup-sync-stack';
import { parseStackConfig } from '../../shared/deployment/stack-config';
import { withQuietOutput } from './quiet-output';

/**
 * Synthesizes the stack with cdk.json's context (feature flags included), as `cdk synth` does. What synthesis
 * prints (bundling lines, the placeholder store hash warning) is held back and returned as `synthOutput`.
 */
export function synthStack(configOverrides: Record<string, unknown> = {}) {
  const { signupSync, ...flags } = cdkJson.context;
  const app = new App({ context: flags });
  const config = parseStackConfig({ ...signupSync, ...configOverrides });
  const { result, output: synthOutput } = withQuietOutput(() => {
    const stack = new SignupSyncStack(app, 'SignupSync', { config });
    return { stack, template: Template.fromStack(stack) };
  });
  return { app, ...result, synthOutput };
}

type Resource = { Type: string; Properties: Record<string, unknown> };

/** The logical id of the single resource of a type whose properties contain `match`. */
export function logicalIdOf(template: Template, type: string, match: Record<string, unknown> = {}): string {
  const ids = Object.keys(template.findResources(type, { Properties: match }));
  if (ids.length !== 1) throw new Error(`Expected one ${type} matching, found ${ids.length}`);
  return ids[0]!;
}

/** All IAM statements attached to a role (inline AWS::IAM::Policy resources). */
export function statementsOfRole(template: Template, roleLogicalId: string): { Effect: string; Action: string | string[]; Resource: unknown }[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
  return policies
    .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleLogicalId))
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: never[] }).Statement);
}

export function roleOfFunction(template: Template, functionLogicalId: string): string {
  const fn = template.toJSON().Resources[functionLogicalId] as Resource;
  return (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

export const actionsOf = (statements: { Action: string | string[] }[]): string[] => statements.flatMap((statement) => [statement.Action].flat());
