/** CDK entry point: `npx cdk synth` / `npx cdk deploy`. Configuration comes from context. */
import { App } from 'aws-cdk-lib';
import { readConfig } from './config.js';
import { PulseStack } from './pulse-stack.js';

const app = new App();
const config = readConfig((key) => app.node.tryGetContext(key));
new PulseStack(app, `Pulse-${config.stage}`, {
  config,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
app.synth();
