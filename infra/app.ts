import { App } from 'aws-cdk-lib';
import { parseStackConfig, StackConfigError } from '../shared/deployment/stack-config';
import { acknowledgeNagFindings, addNagChecks } from './cdk-nag';
import { SignupSyncStack } from './signup-sync-stack';

const app = new App();
try {
  const config = parseStackConfig(app.node.tryGetContext('signupSync'));
  const stack = new SignupSyncStack(app, 'SignupSync', { config, description: 'signup-sync: signups -> SQS -> BigCommerce customers' });
  // cdk-nag AwsSolutions: `cdk synth` fails on any finding not acknowledged (with its reason) in cdk-nag.ts.
  addNagChecks(app);
  acknowledgeNagFindings(stack);
} catch (error) {
  if (error instanceof StackConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
