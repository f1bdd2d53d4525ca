/** Synthesizes the Pulse stack for template assertions (without bundling the functions). */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { PulseSettings } from '../../infra/config.js';
import { PulseStack } from '../../infra/pulse-stack.js';

/** The stack's template for the given context values. */
export function synthTemplate(context: Record<string, unknown> = {}): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new PulseStack(app, 'Test', { settings: context as PulseSettings });
  return Template.fromStack(stack);
}

/** The properties every Pulse bucket has (infra/defaults.ts SECURE_BUCKET), plus `extra`. */
export function secureBucket(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    BucketEncryption: {
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    },
    VersioningConfiguration: { Status: 'Enabled' },
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    },
    ...extra,
  };
}
