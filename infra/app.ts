import { App } from 'aws-cdk-lib';
import { SignupSyncStack } from './signup-sync-stack';
import { parseStackConfig, StackConfigError } from './stack-config';

const app = new App();
try {
  const config = parseStackConfig(app.node.tryGetContext('signupSync'));
  new SignupSyncStack(app, 'SignupSync', { config, description: 'signup-sync: signups -> SQS -> BigCommerce customers' });
} catch (error) {
  if (error instanceof StackConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
