/**
 * CDK entry point: `npx cdk synth` / `npx cdk deploy`. Settings come from context (`-c key=value`).
 *
 * cdk-nag's AwsSolutions and Serverless packs validate the app at synth: any finding that
 * is not acknowledged (infra/defaults.ts NAG_REASONS, recorded with
 * `Validations.of(construct).acknowledge`) fails the synth, warnings included, and the
 * report is written to cdk.out.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { configOf, type PulseSettings, SETTING_KEYS } from './config.js';
import { PulseStack } from './pulse-stack.js';

const app = new App();
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
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
