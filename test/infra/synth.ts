import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadDeployConfig } from '../../infra/config';
import { DriftwatchStack } from '../../infra/driftwatch-stack';

export const FIXTURES = join(import.meta.dirname, 'fixtures');
const PROJECT_ROOT = join(import.meta.dirname, '..', '..');

/** The feature flags the real app runs with. */
export function cdkContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context;
}

export interface Violation {
  readonly plugin: string;
  readonly rule: string;
  readonly severity: string;
  readonly paths: string[];
}

/** A cdk-nag finding acknowledged in code: where, which finding, and why. */
export interface Acknowledgment {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

export interface Synthesized {
  readonly stack: DriftwatchStack;
  /** Every AwsSolutions acknowledgment recorded on the construct tree. */
  readonly acknowledgments: Acknowledgment[];
  readonly template: Template;
  readonly outdir: string;
  /** Unacknowledged findings of every validation plugin (cdk-nag's AwsSolutions, CloudFormation Validate). */
  readonly violations: Violation[];
  /** The error synthesis threw (validation failure), if any. */
  readonly synthError: Error | undefined;
  /** Removes the cloud assembly and the scratch folders. */
  dispose(): void;
}

/**
 * Builds the app as `infra/app.ts` does, for a config file (or the defaults, read from an empty
 * folder) and the context's digest emails, with cdk-nag's AwsSolutions checks registered, and
 * synthesizes it once.
 */
export function synthesize(configFile?: string, options: { digestEmails?: string[] } = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'driftwatch-synth-'));
  const app = new App({ outdir, context: cdkContext() });
  const emptyCwd = mkdtempSync(join(tmpdir(), 'driftwatch-cwd-'));
  const { config, baseDir } = loadDeployConfig(configFile, emptyCwd);
  const stack = new DriftwatchStack(app, 'Driftwatch', {
    config,
    configDir: baseDir,
    digestEmails: options.digestEmails,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  let synthError: Error | undefined;
  try {
    app.synth();
  } catch (error) {
    synthError = error as Error;
  }
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: {
      pluginName: string;
      violations: { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }[];
    }[];
  };
  const violations = report.pluginReports.flatMap((plugin) =>
    plugin.violations.map((v) => ({
      plugin: plugin.pluginName,
      rule: v.ruleName,
      severity: v.severity,
      paths: v.violatingConstructs.map((c) => c.constructPath),
    })),
  );
  const template = Template.fromJSON(JSON.parse(readFileSync(join(outdir, 'Driftwatch.template.json'), 'utf8')));
  const acknowledgments = app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      // aws-cdk-lib files an unprefixed id under "Annotation::"; cdk-nag reads it from there.
      .map(([id, reason]) => ({
        path: construct.node.path,
        id: id.replace(/^(annotation|AwsSolutions)::/i, ''),
        reason,
      }))
      .filter((ack) => ack.id.startsWith('AwsSolutions-')),
  );
  const dispose = () => {
    for (const dir of [outdir, emptyCwd]) rmSync(dir, { recursive: true, force: true });
  };
  return { stack, template, outdir, violations, synthError, acknowledgments, dispose };
}

/**
 * A CloudFormation value as one string: references become `<LogicalId>` / `<LogicalId.Attr>`,
 * joins are joined and `${X}` in Fn::Sub becomes `<X>`.
 */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const join = record['Fn::Join'] as [string, unknown[]] | undefined;
    if (join) return join[1].map(flatten).join(join[0]);
    const getAtt = record['Fn::GetAtt'] as [string, string] | undefined;
    if (getAtt) return `<${getAtt[0]}.${getAtt[1]}>`;
    if (typeof record.Ref === 'string') return `<${record.Ref}>`;
    const sub = record['Fn::Sub'];
    if (typeof sub === 'string') return sub.replace(/\$\{([^}]+)\}/g, '<$1>');
  }
  return JSON.stringify(value);
}

/** The logical id of the one resource of `type` whose logical id starts with `prefix`. */
export function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1)
    throw new Error(`expected one ${type} starting with ${prefix}, found ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
}

export interface Statement {
  readonly effect: string;
  readonly actions: string[];
  readonly resources: string[];
  readonly condition?: unknown;
}

/** Every statement of the identity policies attached to the role whose logical id starts with `rolePrefix`. */
export function roleStatements(template: Template, rolePrefix: string): Statement[] {
  const roleId = logicalId(template, 'AWS::IAM::Role', rolePrefix);
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
    (policy.Properties.Roles as unknown[]).some((role) => flatten(role) === `<${roleId}>`),
  );
  const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
  return policies.flatMap((policy) =>
    (policy.Properties.PolicyDocument.Statement as Record<string, unknown>[]).map((s) => ({
      effect: s.Effect as string,
      actions: asArray(s.Action as string | string[]),
      resources: asArray(s.Resource).map(flatten),
      ...(s.Condition ? { condition: s.Condition } : {}),
    })),
  );
}

/** The resources `action` is allowed on, for a role, without condition. */
export function allowedResources(statements: readonly Statement[], action: string): string[] {
  return statements
    .filter((s) => s.effect === 'Allow' && s.actions.includes(action) && s.condition === undefined)
    .flatMap((s) => s.resources);
}

/** Every action a role is allowed. */
export function allowedActions(statements: readonly Statement[]): Set<string> {
  return new Set(statements.filter((s) => s.effect === 'Allow').flatMap((s) => s.actions));
}
