import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { PulseStack } from '../../infra/pulse-stack.js';
const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
new PulseStack(app, 'Test', {});
app.synth({ skipValidation: true } as never);
for (const pack of [new AwsSolutionsChecks(), new ServerlessChecks()]) {
  const r = pack.validateScope(app);
  for (const v of r.violations) {
    console.log(`${v.severity.padEnd(7)} ${v.ruleName} :: ${v.description}`);
    for (const res of v.violatingResources) console.log(`          ${res.constructPath}`);
  }
}
