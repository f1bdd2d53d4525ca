/** CDK entry point: `npx cdk synth` / `npx cdk deploy`. Settings come from context (`-c key=value`). */
import { App } from 'aws-cdk-lib';
import { configOf, type PulseSettings, SETTING_KEYS } from './config.js';
import { PulseStack } from './pulse-stack.js';

const app = new App();
const settings: PulseSettings = {};
for (const key of SETTING_KEYS) {
  const value: unknown = app.node.tryGetContext(key);
  if (value !== undefined) (settings as Record<string, unknown>)[key] = value;
}
new PulseStack(app, `Pulse-${configOf(settings).stage}`, {
  settings,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
app.synth();
