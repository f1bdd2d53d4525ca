/** Synthesizes the Pulse stack for template assertions (without bundling the functions). */
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, type NagPack, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { PulseSettings } from '#infra/config.js';
import { PulseStack } from '#infra/pulse-stack.js';

/** An app holding the Pulse stack `Test` for the given context values (functions not bundled). */
export function pulseApp(context: Record<string, unknown> = {}): { app: App; stack: PulseStack } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new PulseStack(app, 'Test', { settings: context as PulseSettings });
  return { app, stack };
}

/** The stack's template for the given context values. */
export function synthTemplate(context: Record<string, unknown> = {}): Template {
  return Template.fromStack(pulseApp(context).stack);
}

/** The cdk-nag rule packs infra/app.ts validates the app with at synth. */
export function nagPacks(): NagPack[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks()];
}

/** One unacknowledged cdk-nag finding: rule id (with the finding in brackets), severity, resource path. */
export interface NagFinding {
  rule: string;
  severity: string;
  path: string;
}

/** Every finding of {@link nagPacks} on the synthesized `app` that no acknowledgement covers. */
export function nagFindings(app: App): NagFinding[] {
  app.synth();
  return nagPacks().flatMap((pack) =>
    pack.validateScope(app).violations.flatMap((v) =>
      v.violatingResources.map((r) => ({
        rule: v.ruleName,
        severity: v.severity ?? 'error',
        path: r.constructPath ?? '',
      })),
    ),
  );
}

/** An acknowledgement recorded with `Validations.of(construct).acknowledge`. */
export interface Acknowledgement {
  /** Path of the construct it applies to (and below). */
  path: string;
  id: string;
  reason: string;
}

/** Every acknowledgement recorded in the tree of `root`. */
export function acknowledgements(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: c.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/** The server access logging of a Pulse bucket: to the pipeline's access-logs bucket, under `<prefix>/`. */
export function accessLogged(prefix: string): Record<string, unknown> {
  return {
    LoggingConfiguration: {
      DestinationBucketName: { Ref: Match.stringLikeRegexp('^AccessLogsBucket') },
      LogFilePrefix: `${prefix}/`,
    },
  };
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
