import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDeployConfig } from '../../infra/config';
import { IngestionQueue } from '../../infra/ingestion-queue';
import { LogBuckets } from '../../infra/log-buckets';
import { runtimeConfigJson } from '../../infra/runtime-config';
import { ConfigError } from '../../shared/config/errors';
import { defaultConfig, loadConfigFile, parseConfig } from '../../shared/config/load';
import { flatten, logicalId, roleStatements, type Statement, type Synthesized, synthesize } from './synth';

/** The ten-cluster example: five accounts, one KMS-encrypted bucket each, two clusters per bucket. */
const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'multi-account', 'driftwatch.config.json');

interface ExampleBucket {
  bucketName: string;
  prefix: string;
  account: string;
  kmsKeyArn: string;
}
const example = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as {
  sources: { audit: { buckets: ExampleBucket[] }; flow: { buckets: ExampleBucket[] } };
  network: { clusters: { name: string }[] };
};

const objectsArn = (b: ExampleBucket) => `arn:<AWS::Partition>:s3:::${b.bucketName}/${b.prefix}*`;
const bucketArn = (name: string) => `arn:<AWS::Partition>:s3:::${name}`;
const S3_IN_REGION = 's3.<AWS::Region>.amazonaws.com';

/** The statements of a resource policy, with references flattened. */
function queuePolicyStatements(synth: Synthesized, queuePrefix: string): Record<string, unknown>[] {
  const queue = logicalId(synth.template, 'AWS::SQS::Queue', queuePrefix);
  const policy = Object.values(synth.template.findResources('AWS::SQS::QueuePolicy')).find((p) =>
    (p.Properties.Queues as unknown[]).some((q) => flatten(q) === `<${queue}>`),
  );
  return JSON.parse(JSON.stringify(policy?.Properties.PolicyDocument.Statement), (_key, value) =>
    value !== null && typeof value === 'object' && !Array.isArray(value) && ('Fn::Join' in value || 'Ref' in value)
      ? flatten(value)
      : value,
  );
}

/** Allow statements for `action`, resources flattened, with their conditions. */
function allows(statements: readonly Statement[], action: string): Statement[] {
  return statements.filter((s) => s.effect === 'Allow' && s.actions.includes(action));
}

/** The condition values of a statement, with references flattened. */
function conditionOf(statement: Statement): Record<string, Record<string, unknown>> {
  return JSON.parse(JSON.stringify(statement.condition ?? {}), (_key, value) =>
    value !== null && typeof value === 'object' && !Array.isArray(value) && ('Fn::Join' in value || 'Ref' in value)
      ? flatten(value)
      : value,
  );
}

describe('DriftwatchStack with ten clusters whose buckets are in five other accounts', () => {
  let synth: Synthesized;

  beforeAll(() => {
    synth = synthesize(EXAMPLE);
  }, 180_000);

  afterAll(() => synth?.dispose());

  it('synthesizes the example with no unacknowledged cdk-nag or CloudFormation finding', () => {
    expect(synth.synthError).toBeUndefined();
    expect(synth.violations).toEqual([]);
  });

  it('creates no bucket and configures no notification: each owner points its bucket at the queues', () => {
    synth.template.resourceCountIs('AWS::S3::Bucket', 0);
    synth.template.resourceCountIs('Custom::S3BucketNotifications', 0);
    const outputs = Object.keys(synth.template.findOutputs('*'));
    expect(outputs).toEqual(
      expect.arrayContaining(['AuditQueueArn', 'FlowQueueArn', 'AuditProcessorRoleArn', 'FlowProcessorRoleArn']),
    );
    // A bucket name per source says nothing when there are ten.
    expect(outputs).not.toContain('AuditLogBucketName');
  });

  it.each([
    ['audit', 'AuditIngestionQueue'],
    ['flow', 'FlowIngestionQueue'],
  ] as const)(
    'lets S3 send to the %s queue for exactly the named buckets of each account, over TLS only',
    (kind, queue) => {
      // Prepare
      const expected = new Map<string, Set<string>>();
      for (const b of example.sources[kind].buckets) {
        expected.set(b.account, (expected.get(b.account) ?? new Set()).add(bucketArn(b.bucketName)));
      }
      // Act
      const statements = queuePolicyStatements(synth, queue);
      const allowed = statements.filter((s) => s.Effect === 'Allow');
      // Assess: S3 only, SendMessage only, one statement per account with its buckets and its account.
      expect(allowed).toHaveLength(expected.size);
      for (const statement of allowed) {
        expect(statement.Principal).toEqual({ Service: 's3.amazonaws.com' });
        expect(statement.Action).toBe('sqs:SendMessage');
        const condition = statement.Condition as {
          ArnEquals: { 'aws:SourceArn': string[] };
          StringEquals: { 'aws:SourceAccount': string };
        };
        const account = condition.StringEquals['aws:SourceAccount'];
        expect([...(expected.get(account) ?? [])].sort()).toEqual([...condition.ArnEquals['aws:SourceArn']].sort());
        expected.delete(account);
      }
      expect(expected.size).toBe(0);
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 'sqs:*',
          Principal: { AWS: '*' },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    },
  );

  it.each([
    ['audit', 'ProcessorsAuditProcessorRole'],
    ['flow', 'ProcessorsFlowProcessorRole'],
  ] as const)(
    'lets the %s processor read objects under its prefixes only, in buckets their accounts own',
    (kind, role) => {
      const statements = roleStatements(synth.template, role);
      const reads = allows(statements, 's3:GetObject');
      const granted = reads.flatMap((s) =>
        s.resources.map((resource) => ({
          resource,
          owner: conditionOf(s).StringEquals?.['s3:ResourceAccount'],
          actions: [...s.actions].sort(),
        })),
      );
      expect(granted.sort((a, b) => a.resource.localeCompare(b.resource))).toEqual(
        example.sources[kind].buckets
          .map((b) => ({ resource: objectsArn(b), owner: b.account, actions: ['s3:GetObject', 's3:GetObjectVersion'] }))
          .sort((a, b) => a.resource.localeCompare(b.resource)),
      );
      // No other S3 action, and nothing on a whole bucket.
      const s3Actions = new Set(statements.flatMap((s) => s.actions).filter((a) => a.startsWith('s3:')));
      expect([...s3Actions].sort()).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
    },
  );

  it.each([
    ['audit', 'ProcessorsAuditProcessorRole'],
    ['flow', 'ProcessorsFlowProcessorRole'],
  ] as const)(
    'lets the %s processor decrypt with the named keys only, through S3, for its own objects',
    (kind, role) => {
      const statements = roleStatements(synth.template, role);
      const decrypts = allows(statements, 'kms:Decrypt').filter((s) =>
        s.resources.every((r) => r.startsWith('arn:aws')),
      );
      const keys = [...new Set(example.sources[kind].buckets.map((b) => b.kmsKeyArn))].sort();
      expect(decrypts.flatMap((s) => s.resources).sort()).toEqual(keys);
      for (const statement of decrypts) {
        expect(statement.actions).toEqual(['kms:Decrypt']);
        const condition = conditionOf(statement);
        expect(condition.StringEquals?.['kms:ViaService']).toBe(S3_IN_REGION);
        const mine = example.sources[kind].buckets.filter((b) => b.kmsKeyArn === statement.resources[0]);
        expect([...((condition.ArnLike?.['kms:EncryptionContext:aws:s3:arn'] ?? []) as string[])].sort()).toEqual(
          [...new Set(mine.flatMap((b) => [bucketArn(b.bucketName), objectsArn(b)]))].sort(),
        );
      }
      // Any other key the role may use is the stack's own (the alert topic's), never a source's.
      const others = allows(statements, 'kms:Decrypt').filter((s) => !decrypts.includes(s));
      for (const s of others) expect(s.resources.every((r) => r.startsWith('<Stateful'))).toBe(true);
    },
  );

  it.each(['RebaselinePlanFunction', 'RebaselineItemFunction', 'RebaselineFinishFunction'])(
    'gives the rebaseline (%s) no access to any log object or key',
    (role) => {
      const statements = roleStatements(synth.template, role);
      expect(statements.length).toBeGreaterThan(0);
      expect(allows(statements, 's3:GetObject').flatMap((s) => s.resources)).not.toEqual(
        expect.arrayContaining([expect.stringContaining('eks-logs')]),
      );
      expect(allows(statements, 'kms:Decrypt').flatMap((s) => s.resources)).not.toEqual(
        expect.arrayContaining([expect.stringContaining(':kms:')]),
      );
    },
  );

  it("hands the functions the clusters and prefixes, but no account or key, within Lambda's 4 KB", () => {
    const fn =
      synth.template.findResources('AWS::Lambda::Function')[
        logicalId(synth.template, 'AWS::Lambda::Function', 'ProcessorsAuditProcessor')
      ];
    const raw = flatten(fn?.Properties.Environment.Variables.DRIFTWATCH_CONFIG);
    const config = parseConfig(JSON.parse(raw));
    expect(config.network.clusters.map((c) => c.name)).toEqual(example.network.clusters.map((c) => c.name));
    expect(config.sources.audit.buckets?.map((b) => b.prefix)).toEqual(
      example.sources.audit.buckets.map((b) => b.prefix),
    );
    expect(raw).not.toContain('kmsKeyArn');
    expect(raw).not.toContain('"account"');
  });
});

describe('runtimeConfigJson', () => {
  it.each([
    ['the defaults', defaultConfig()],
    ['the ten-cluster example', loadConfigFile(EXAMPLE)],
  ])('gives back %s when parsed, less the accounts and keys, in fewer bytes', (_what, config) => {
    // Act
    const stack = new Stack(new App(), 'Test');
    const json = stack.resolve(runtimeConfigJson(stack, config)) as string;
    const parsed = parseConfig(JSON.parse(json));
    // Assess
    const strip = (buckets: { account?: string; kmsKeyArn?: string }[] | undefined) =>
      buckets?.map(({ account: _a, kmsKeyArn: _k, ...rest }) => rest);
    expect(parsed).toEqual({
      ...config,
      sources: {
        audit: {
          ...config.sources.audit,
          ...(config.sources.audit.buckets ? { buckets: strip(config.sources.audit.buckets) } : {}),
        },
        flow: {
          ...config.sources.flow,
          ...(config.sources.flow.buckets ? { buckets: strip(config.sources.flow.buckets) } : {}),
        },
      },
    });
    expect(json.length).toBeLessThan(JSON.stringify(config).length / 2);
  });
});

describe('IngestionQueue with buckets in this account and in others', () => {
  it('configures notifications only on its own buckets and lets the others send by account', () => {
    // Prepare
    const stack = new Stack(new App(), 'Test');
    const logs = new LogBuckets(stack, 'Logs', {
      audit: [
        { bucketName: 'local-audit', prefix: 'audit/' },
        { bucketName: 'team-a-logs', prefix: 'eks/a/', account: '111122223333' },
        { bucketName: 'team-a-logs', prefix: 'eks/b/', account: '111122223333' },
        { bucketName: 'team-b-logs', prefix: '', account: '444455556666' },
      ],
      flow: [{ bucketName: 'local-audit', prefix: 'flow/' }],
    });
    const consumer = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('export const handler = async () => {};'),
      timeout: Duration.minutes(1),
    });
    // Act
    new IngestionQueue(stack, 'Q', { sources: logs.audit, consumer, batchSize: 1 });
    const template = Template.fromStack(stack);
    // Assess: one notification, on the local bucket; one statement per other account.
    const notifications = Object.values(template.findResources('Custom::S3BucketNotifications'));
    expect(notifications.map((n) => n.Properties.BucketName)).toEqual(['local-audit']);
    const statements = Object.values(template.findResources('AWS::SQS::QueuePolicy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Sid?: string; Condition?: Record<string, unknown> }[],
    );
    const byAccount = statements.filter((s) => s.Sid?.startsWith('S3Notifications'));
    expect(byAccount.map((s) => s.Sid)).toEqual(['S3Notifications111122223333', 'S3Notifications444455556666']);
    expect(JSON.stringify(byAccount[0]?.Condition)).toContain('team-a-logs');
    expect(JSON.stringify(byAccount[0]?.Condition)).not.toContain('team-b-logs');
  });
});

describe('config of several source buckets', () => {
  const bucket = (prefix: string, more: Record<string, string> = {}) => ({
    bucketName: 'acme-shop-eks-logs',
    prefix,
    account: '111122223333',
    ...more,
  });
  const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

  function load(config: unknown): string {
    const dir = mkdtempSync(join(tmpdir(), 'driftwatch-multi-'));
    const file = join(dir, 'driftwatch.config.json');
    writeFileSync(file, JSON.stringify(config));
    try {
      loadDeployConfig(file, dir);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).not.toContain('\n');
      return message;
    }
    throw new Error('expected a ConfigError');
  }

  it.each([
    [
      'a KMS alias instead of a key ARN',
      {
        sources: { audit: { buckets: [bucket('a/', { kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:alias/logs' })] } },
      },
      /sources\.audit\.buckets\[0\]\.kmsKeyArn: must be a KMS key ARN such as arn:aws:kms:/,
    ],
    [
      'an account id that is not one',
      { sources: { flow: { buckets: [bucket('f/', { account: '1111-2222-3333' })] } } },
      /sources\.flow\.buckets\[0\]\.account: must be a 12-digit AWS account id/,
    ],
    [
      'the same bucket and prefix twice',
      { sources: { audit: { buckets: [bucket('eks/a/'), bucket('eks/b/'), bucket('eks/a/')] } } },
      /sources\.audit\.buckets\[2\]: bucket acme-shop-eks-logs with prefix "eks\/a\/" is already listed as sources\.audit\.buckets\[0\]/,
    ],
    [
      'overlapping prefixes of one source in one bucket',
      { sources: { audit: { buckets: [bucket('eks/'), bucket('eks/shop-prod/')] } } },
      /sources\.audit\.buckets\[0\]\.prefix "eks\/" and sources\.audit\.buckets\[1\]\.prefix "eks\/shop-prod\/" overlap in the same bucket/,
    ],
    [
      'an audit prefix over a flow prefix in one bucket',
      {
        sources: { audit: { buckets: [bucket('logs/')] }, flow: { buckets: [bucket('logs/flow/')] } },
      },
      /sources\.audit\.buckets\[0\]\.prefix "logs\/" and sources\.flow\.buckets\[0\]\.prefix "logs\/flow\/" overlap/,
    ],
    [
      'one bucket given two owners',
      { sources: { audit: { buckets: [bucket('a/'), bucket('b/', { account: '999988887777' })] } } },
      /sources\.audit\.buckets\[1\]\.account: bucket acme-shop-eks-logs has account 999988887777 here but 111122223333/,
    ],
    [
      'a bucket name beside the list',
      { sources: { audit: { bucketName: 'other', buckets: [bucket('a/')] } } },
      /sources\.audit\.bucketName: goes in each entry of "buckets"/,
    ],
    [
      'an account for the bucket the stack creates',
      { sources: { audit: { prefix: 'audit/', account: '111122223333' } } },
      /sources\.audit\.account: only an existing bucket has an owner/,
    ],
    [
      'plumbing with buckets in other accounts',
      { sources: { flow: { buckets: [bucket('f/', { kmsKeyArn: KEY })] } }, plumbing: { vpcIds: ['vpc-0abc'] } },
      /plumbing\.vpcIds writes to one flow bucket in this account/,
    ],
  ])('reports %s in one line', (_what, config, message) => {
    expect(load(config)).toMatch(message);
  });

  it('accepts the one-bucket form, with or without an account and key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftwatch-multi-'));
    const file = join(dir, 'driftwatch.config.json');
    writeFileSync(
      file,
      JSON.stringify({
        sources: { audit: { bucketName: 'acme-audit', prefix: 'eks/', account: '111122223333', kmsKeyArn: KEY } },
      }),
    );
    expect(loadDeployConfig(file, dir).config.sources).toEqual({
      audit: { bucketName: 'acme-audit', prefix: 'eks/', account: '111122223333', kmsKeyArn: KEY },
      flow: { prefix: 'flow/' },
    });
  });
});
