import { App } from 'aws-cdk-lib';
import { StackConfigError } from '../shared/deployment/stack-config';
import { addNagChecks } from './cdk-nag';
import { addSignupSyncStacks } from './signup-sync-app';

const app = new App();
try {
  addSignupSyncStacks(app, app.node.tryGetContext('signupSync'), {
    defaultRegion: process.env['CDK_DEFAULT_REGION'],
    defaultAccount: process.env['CDK_DEFAULT_ACCOUNT'],
  });
  // cdk-nag AwsSolutions: `cdk synth` fails on any finding not acknowledged (with its reason) in cdk-nag.ts.
  addNagChecks(app);
} catch (error) {
  if (error instanceof StackConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
