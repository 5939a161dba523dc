import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RECEIVE_COUNT } from '../../infra/ingestion-queue';
import { PROCESSOR_TUNING } from '../../infra/runtime-tuning';
import { TABLE_ACTIONS } from '../../infra/state-table';
import { parseConfig } from '../../shared/config/load';
import {
  allowedActions,
  allowedResources,
  flatten,
  logicalId,
  roleStatements,
  type Synthesized,
  synthesize,
} from './synth';

let synth: Synthesized;

beforeAll(() => {
  synth = synthesize();
}, 180_000);

afterAll(() => synth?.dispose());

/** Every dead-letter queue of the stack, by logical-id prefix: alarmed on, and counted in the digest. */
const DEAD_LETTER_QUEUES = [
  'AuditIngestionDeadLetterQueue',
  'FlowIngestionDeadLetterQueue',
  'RebaselineScheduleDeadLetterQueue',
  'DigestScheduleDeadLetterQueue',
  'DigestFunctionFailureQueue',
];

/** The roles of the rebaseline's three steps. */
const REBASELINE_ROLES = ['RebaselinePlanFunctionRole', 'RebaselineItemFunctionRole', 'RebaselineFinishFunctionRole'];

const denyInsecureTransport = expect.arrayContaining([
  expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
]);

describe('DriftwatchStack with the default config', () => {
  describe('cdk-nag', () => {
    it('synthesizes with no unacknowledged AwsSolutions finding, error or warning', () => {
      // Prepare / Act: synthesize() ran the AwsSolutions pack as a validation plugin.
      // Assess
      expect(synth.violations.filter((v) => v.plugin === 'AwsSolutions')).toEqual([]);
      expect(synth.synthError).toBeUndefined();
    });

    it('leaves CloudFormation validation clean too', () => {
      expect(synth.violations).toEqual([]);
    });
  });

  describe('log buckets', () => {
    it('creates one log bucket, encrypted, private, TLS-only, unversioned, aged out, logged and retained', () => {
      const { template } = synth;
      template.resourceCountIs('AWS::S3::Bucket', 2);
      const accessLogBucket = logicalId(template, 'AWS::S3::Bucket', 'StatefulLogsAccessLogBucket');
      template.hasResource('AWS::S3::Bucket', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
          },
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          VersioningConfiguration: Match.absent(),
          LoggingConfiguration: { DestinationBucketName: { Ref: accessLogBucket }, LogFilePrefix: 'log-bucket/' },
          LifecycleConfiguration: {
            Rules: [
              Match.objectLike({
                Status: 'Enabled',
                ExpirationInDays: 365,
                AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
                Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
              }),
            ],
          },
        },
      });
    });

    it('denies plain HTTP (and TLS before 1.2) on both buckets', () => {
      const policies = synth.template.findResources('AWS::S3::BucketPolicy');
      expect(Object.keys(policies)).toHaveLength(2);
      for (const policy of Object.values(policies)) {
        expect(policy.Properties.PolicyDocument.Statement).toEqual(denyInsecureTransport);
        expect(policy.Properties.PolicyDocument.Statement).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
          ]),
        );
      }
    });

    it('sends object-created notifications for each prefix of the shared bucket to its own queue', () => {
      const { template } = synth;
      const bucket = logicalId(template, 'AWS::S3::Bucket', 'StatefulLogsLogBucket');
      const auditQueue = logicalId(template, 'AWS::SQS::Queue', 'AuditIngestionQueue');
      const flowQueue = logicalId(template, 'AWS::SQS::Queue', 'FlowIngestionQueue');
      template.hasResourceProperties('Custom::S3BucketNotifications', {
        BucketName: { Ref: bucket },
        NotificationConfiguration: {
          QueueConfigurations: [
            {
              Events: ['s3:ObjectCreated:*'],
              Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'audit/' }] } },
              QueueArn: { 'Fn::GetAtt': [auditQueue, 'Arn'] },
            },
            {
              Events: ['s3:ObjectCreated:*'],
              Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'flow/' }] } },
              QueueArn: { 'Fn::GetAtt': [flowQueue, 'Arn'] },
            },
          ],
        },
      });
    });
  });

  describe('ingestion queues', () => {
    it.each([
      ['AuditIngestion', 1810],
      ['FlowIngestion', 1800],
    ])(
      '%s: SQS-managed SSE, a DLQ after 3 receives, visibility 6x the 5-minute timeout plus the window',
      (name, visibility) => {
        const { template } = synth;
        const dlq = logicalId(template, 'AWS::SQS::Queue', `${name}DeadLetterQueue`);
        template.hasResourceProperties('AWS::SQS::Queue', {
          SqsManagedSseEnabled: true,
          VisibilityTimeout: visibility,
          RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] }, maxReceiveCount: 3 },
        });
        template.hasResourceProperties('AWS::SQS::Queue', {
          SqsManagedSseEnabled: true,
          MessageRetentionPeriod: 14 * 24 * 3600,
          RedrivePolicy: Match.absent(),
        });
      },
    );

    it('lets S3 send only from the log bucket, and nobody without TLS, on every queue', () => {
      const policies = Object.values(synth.template.findResources('AWS::SQS::QueuePolicy'));
      // Two ingestion queues, their DLQs, the two schedule DLQs and the digest's failure queue.
      expect(policies).toHaveLength(7);
      for (const policy of policies) expect(policy.Properties.PolicyDocument.Statement).toEqual(denyInsecureTransport);
      const bucket = logicalId(synth.template, 'AWS::S3::Bucket', 'StatefulLogsLogBucket');
      synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 's3.amazonaws.com' },
              Action: Match.arrayWith(['sqs:SendMessage']),
              Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucket, 'Arn'] } } },
            }),
          ]),
        },
      });
    });

    it('feeds each processor with partial batch responses and bounded concurrency', () => {
      const { template } = synth;
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'AuditIngestionQueue'), 'Arn'] },
        FunctionName: { Ref: logicalId(template, 'AWS::Lambda::Function', 'ProcessorsAuditProcessor') },
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 10 },
      });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'FlowIngestionQueue'), 'Arn'] },
        FunctionName: { Ref: logicalId(template, 'AWS::Lambda::Function', 'ProcessorsFlowProcessor') },
        BatchSize: 1,
        MaximumBatchingWindowInSeconds: Match.absent(),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });
  });

  describe('processors', () => {
    it.each([
      ['ProcessorsAuditProcessor', 1024, 300],
      ['ProcessorsFlowProcessor', 1769, 300],
      ['RebaselinePlanFunction', 1024, 900],
      ['RebaselineItemFunction', 1024, 600],
      ['RebaselineFinishFunction', 1024, 900],
    ])('%s: Node.js 24 on arm64, %i MB, %i s, traced, JSON logs to its own group', (prefix, memory, timeout) => {
      const { template } = synth;
      const fn = template.findResources('AWS::Lambda::Function')[logicalId(template, 'AWS::Lambda::Function', prefix)];
      expect(fn?.Properties).toMatchObject({
        Runtime: expect.stringMatching(/^nodejs(2[2-9]|[3-9]\d)\.x$/),
        Architectures: ['arm64'],
        MemorySize: memory,
        Timeout: timeout,
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: {
          LogFormat: 'JSON',
          LogGroup: { Ref: expect.stringMatching(new RegExp(`^${prefix}LogGroup`)) },
        },
      });
      const env = fn?.Properties.Environment.Variables;
      const processor = prefix.startsWith('Processors');
      expect(Object.keys(env).sort()).toEqual([
        ...(processor ? ['DEAD_LETTER_QUEUE_URL'] : []),
        'DRIFTWATCH_CONFIG',
        'MALLOC_MMAP_THRESHOLD_',
        ...(processor ? ['MAX_RECEIVE_COUNT'] : []),
        'NODE_OPTIONS',
        'TABLE_NAME',
        'TOPIC_ARN',
      ]);
      // A processor logs a record's last failure as going to the DLQ: its count must be the queue's.
      if (processor) expect(env.MAX_RECEIVE_COUNT).toBe(String(MAX_RECEIVE_COUNT));
      // A processor sends a record's last failure, with its reason, to the DLQ of the queue that feeds it.
      if (processor) {
        const source = prefix === 'ProcessorsAuditProcessor' ? 'AuditIngestion' : 'FlowIngestion';
        expect(env.DEAD_LETTER_QUEUE_URL).toEqual({
          Ref: logicalId(template, 'AWS::SQS::Queue', `${source}DeadLetterQueue`),
        });
      }
      // The benchmark's memory probe runs with this; the functions must get the same.
      expect(env.MALLOC_MMAP_THRESHOLD_).toBe(PROCESSOR_TUNING.MALLOC_MMAP_THRESHOLD_);
      expect(env.TABLE_NAME).toEqual({ Ref: logicalId(template, 'AWS::DynamoDB::Table', 'StatefulStateTable') });
      expect(env.TOPIC_ARN).toEqual({ Ref: logicalId(template, 'AWS::SNS::Topic', 'StatefulAlertsTopic') });
    });

    it('passes the validated default config to the functions as JSON', () => {
      const fn =
        synth.template.findResources('AWS::Lambda::Function')[
          logicalId(synth.template, 'AWS::Lambda::Function', 'ProcessorsAuditProcessor')
        ];
      const config = parseConfig(JSON.parse(flatten(fn?.Properties.Environment.Variables.DRIFTWATCH_CONFIG)));
      expect(config.rebaseline.schedule).toBe('cron(0 0 * * ? *)');
      expect(config.threatIntel.sources).toEqual([]);
    });

    it('keeps one month of logs per function', () => {
      const groups = synth.template.findResources('AWS::Logs::LogGroup');
      // Two processors, the rebaseline's three steps and its state machine, the digest.
      expect(Object.values(groups).map((g) => g.Properties.RetentionInDays)).toEqual([30, 30, 30, 30, 30, 30, 30]);
    });

    it('reserves no concurrency (new accounts reject it); the state machine, not Lambda, retries the rebaseline', () => {
      const { template } = synth;
      const functions = template.findResources('AWS::Lambda::Function');
      const reserved = Object.values(functions).filter(
        (fn) => fn.Properties.ReservedConcurrentExecutions !== undefined,
      );
      expect(reserved).toHaveLength(0);
      // Only the digest is invoked asynchronously; the rebaseline's steps are invoked by Step Functions.
      const invokeConfigs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig'));
      expect(invokeConfigs.map((c) => c.Properties.FunctionName)).toEqual([
        { Ref: logicalId(template, 'AWS::Lambda::Function', 'DigestFunction') },
      ]);
    });

    it('bundled every handler with the local esbuild as minified ESM with the require banner', () => {
      const functions = synth.template.findResources('AWS::Lambda::Function');
      const ours = Object.entries(functions).filter(([id]) => /^(Processors|Rebaseline)/.test(id));
      expect(ours).toHaveLength(5);
      for (const [, fn] of ours) {
        const hash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
        const bundle = join(synth.outdir, `asset.${hash}`, 'index.mjs');
        expect(existsSync(bundle)).toBe(true);
        expect(existsSync(`${bundle}.map`)).toBe(true);
        const code = readFileSync(bundle, 'utf8');
        expect(
          code.startsWith("import { createRequire } from 'module'; const require = createRequire(import.meta.url);"),
        ).toBe(true);
        // The SDK is bundled, not left to the runtime.
        expect(code).not.toMatch(/from\s*"@aws-sdk\//);
      }
    });
  });

  describe('state table', () => {
    it('is on-demand with pk/sk, TTL on expiresAt, PITR, SSE, and retained', () => {
      synth.template.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
          DeletionProtectionEnabled: true,
        },
      });
    });
  });

  describe('alert topic', () => {
    it('is encrypted with its own rotating key and TLS-only', () => {
      const { template } = synth;
      const key = logicalId(template, 'AWS::KMS::Key', 'StatefulAlertsKey');
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    it('lets CloudWatch alarms of this account use the key', () => {
      synth.template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
            }),
          ]),
        },
      });
    });

    it('has no subscriptions without emails in the config', () => {
      synth.template.resourceCountIs('AWS::SNS::Subscription', 0);
    });
  });

  describe('rebaseline schedule', () => {
    it('starts the state machine on the default cron with the scheduled time, with retries and a DLQ on the target', () => {
      const { template } = synth;
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'cron(0 0 * * ? *)',
        Targets: [
          Match.objectLike({
            Arn: { Ref: logicalId(template, 'AWS::StepFunctions::StateMachine', 'RebaselineStateMachine') },
            RoleArn: Match.anyValue(),
            InputTransformer: { InputPathsMap: { time: '$.time' }, InputTemplate: '{"time":<time>}' },
            DeadLetterConfig: {
              Arn: {
                'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'RebaselineScheduleDeadLetterQueue'), 'Arn'],
              },
            },
            RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 },
          }),
        ],
      });
    });
  });

  describe('daily digest', () => {
    it('runs on the default digest schedule with retries and a DLQ on the target', () => {
      const { template } = synth;
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'cron(0 7 * * ? *)',
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [logicalId(template, 'AWS::Lambda::Function', 'DigestFunction'), 'Arn'] },
            DeadLetterConfig: {
              Arn: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'DigestScheduleDeadLetterQueue'), 'Arn'] },
            },
            RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 },
          }),
        ],
      });
    });

    it('is a house function: Node.js 22+ on arm64, 512 MB, 2 minutes, traced, failures to a queue', () => {
      const { template } = synth;
      const id = logicalId(template, 'AWS::Lambda::Function', 'DigestFunction');
      expect(template.findResources('AWS::Lambda::Function')[id]?.Properties).toMatchObject({
        Runtime: expect.stringMatching(/^nodejs(2[2-9]|[3-9]\d)\.x$/),
        Architectures: ['arm64'],
        MemorySize: 512,
        Timeout: 120,
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.stringMatching(/^DigestFunctionLogGroup/) } },
      });
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: id },
        MaximumRetryAttempts: 2,
        DestinationConfig: {
          OnFailure: {
            Destination: {
              'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'DigestFunctionFailureQueue'), 'Arn'],
            },
          },
        },
      });
    });

    it('hands the function every DLQ by name, and a config without threat lists', () => {
      const { template } = synth;
      const id = logicalId(template, 'AWS::Lambda::Function', 'DigestFunction');
      const env = template.findResources('AWS::Lambda::Function')[id]?.Properties.Environment.Variables;
      expect(Object.keys(env).sort()).toEqual([
        'DEAD_LETTER_QUEUES',
        'DRIFTWATCH_CONFIG',
        'NODE_OPTIONS',
        'TABLE_NAME',
        'TOPIC_ARN',
      ]);
      const queues = JSON.parse(flatten(env.DEAD_LETTER_QUEUES));
      expect(queues).toEqual({
        AuditIngestion: `<${logicalId(template, 'AWS::SQS::Queue', 'AuditIngestionDeadLetterQueue')}>`,
        FlowIngestion: `<${logicalId(template, 'AWS::SQS::Queue', 'FlowIngestionDeadLetterQueue')}>`,
        RebaselineSchedule: `<${logicalId(template, 'AWS::SQS::Queue', 'RebaselineScheduleDeadLetterQueue')}>`,
        DigestSchedule: `<${logicalId(template, 'AWS::SQS::Queue', 'DigestScheduleDeadLetterQueue')}>`,
        DigestFailures: `<${logicalId(template, 'AWS::SQS::Queue', 'DigestFunctionFailureQueue')}>`,
      });
      const config = parseConfig(JSON.parse(flatten(env.DRIFTWATCH_CONFIG)));
      expect(config.incidents.digestSchedule).toBe('cron(0 7 * * ? *)');
      expect(config.threatIntel.sources).toEqual([]);
    });
  });

  describe('monitoring', () => {
    it('alarms on every DLQ, every function error and every rebaseline execution not succeeded, notifying the operations topic', () => {
      const { template } = synth;
      const topic = logicalId(template, 'AWS::SNS::Topic', 'StatefulAlertsOperationsTopic');
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
      expect(alarms).toHaveLength(11);
      for (const alarm of alarms) {
        expect(alarm.Properties).toMatchObject({
          AlarmActions: [{ Ref: topic }],
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          EvaluationPeriods: 1,
          TreatMissingData: 'notBreaching',
        });
      }
      const byMetric = (name: string) => alarms.filter((a) => a.Properties.MetricName === name);
      for (const alarm of [...byMetric('ApproximateNumberOfMessagesVisible'), ...byMetric('Errors')]) {
        expect(alarm.Properties.Period).toBe(300);
      }
      expect(byMetric('ApproximateNumberOfMessagesVisible')).toHaveLength(5);
      // Not the rebaseline's work items: they are retried, and a failure past the retries fails the execution.
      expect(
        byMetric('Errors')
          .map((a) => flatten(a.Properties.Dimensions[0].Value))
          .sort(),
      ).toEqual(
        [
          'DigestFunction',
          'ProcessorsAuditProcessor',
          'ProcessorsFlowProcessor',
          'RebaselineFinishFunction',
          'RebaselinePlanFunction',
        ]
          .map((prefix) => `<${logicalId(template, 'AWS::Lambda::Function', prefix)}>`)
          .sort(),
      );
      // The execution alarm: failed, timed out and aborted, summed over five minutes.
      const executions = alarms.filter((a) => a.Properties.Metrics !== undefined);
      expect(executions).toHaveLength(1);
      const metrics = executions[0]?.Properties.Metrics as {
        Id: string;
        Expression?: string;
        MetricStat?: { Metric: { MetricName: string; Dimensions: { Value: unknown }[] }; Period: number; Stat: string };
      }[];
      expect(metrics.find((m) => m.Expression)?.Expression).toBe(
        'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
      );
      const stateMachine = `<${logicalId(template, 'AWS::StepFunctions::StateMachine', 'RebaselineStateMachine')}>`;
      const stats = metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat] : []));
      expect(stats.map((m) => m.Metric.MetricName).sort()).toEqual([
        'ExecutionsAborted',
        'ExecutionsFailed',
        'ExecutionsTimedOut',
      ]);
      for (const stat of stats) {
        expect(stat).toMatchObject({ Period: 300, Stat: 'Sum' });
        expect(flatten(stat.Metric.Dimensions[0]?.Value)).toBe(stateMachine);
      }
      const dlqs = byMetric('ApproximateNumberOfMessagesVisible').map((a) => flatten(a.Properties.Dimensions[0].Value));
      expect(dlqs.sort()).toEqual(
        DEAD_LETTER_QUEUES.map((prefix) => `<${logicalId(template, 'AWS::SQS::Queue', prefix)}.QueueName>`).sort(),
      );
    });

    it('has a dashboard', () => {
      synth.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    });
  });

  describe('least privilege', () => {
    it('gives the processors and the rebaseline steps exactly the store actions they call, never Scan or table admin', () => {
      const table = logicalId(synth.template, 'AWS::DynamoDB::Table', 'StatefulStateTable');
      // The rebaseline's steps: Plan all of them, an item its streamed reads and batches, Finish no single delete.
      const expected: Record<string, readonly string[]> = {
        ProcessorsAuditProcessorRole: TABLE_ACTIONS,
        ProcessorsFlowProcessorRole: TABLE_ACTIONS,
        RebaselinePlanFunctionRole: TABLE_ACTIONS,
        RebaselineItemFunctionRole: ['dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'],
        RebaselineFinishFunctionRole: TABLE_ACTIONS.filter((a) => a !== 'dynamodb:DeleteItem'),
      };
      for (const [role, actions] of Object.entries(expected)) {
        const statements = roleStatements(synth.template, role);
        const dynamo = [...allowedActions(statements)].filter((a) => a.startsWith('dynamodb:')).sort();
        expect(dynamo).toEqual([...actions].sort());
        for (const action of actions) expect(allowedResources(statements, action)).toEqual([`<${table}.Arn>`]);
        for (const forbidden of ['dynamodb:Scan', 'dynamodb:DeleteTable', 'dynamodb:UpdateTable', 'dynamodb:*']) {
          expect(allowedActions(statements).has(forbidden)).toBe(false);
        }
      }
    });

    it('lets each processor read only its own prefix and publish to the topic', () => {
      const bucket = logicalId(synth.template, 'AWS::S3::Bucket', 'StatefulLogsLogBucket');
      const topic = logicalId(synth.template, 'AWS::SNS::Topic', 'StatefulAlertsTopic');
      const key = logicalId(synth.template, 'AWS::KMS::Key', 'StatefulAlertsKey');
      for (const [role, prefix] of [
        ['ProcessorsAuditProcessorRole', 'audit/'],
        ['ProcessorsFlowProcessorRole', 'flow/'],
      ] as const) {
        const statements = roleStatements(synth.template, role);
        expect(allowedResources(statements, 's3:GetObject')).toEqual([`<${bucket}.Arn>/${prefix}*`]);
        expect(allowedResources(statements, 's3:GetObjectVersion')).toEqual([`<${bucket}.Arn>/${prefix}*`]);
        expect(allowedResources(statements, 'sns:Publish')).toEqual([`<${topic}>`]);
        expect(allowedResources(statements, 'kms:GenerateDataKey')).toEqual([`<${key}.Arn>`]);
        const actions = allowedActions(statements);
        for (const forbidden of ['s3:PutObject', 's3:DeleteObject', 's3:ListBucket', 's3:*', 'sns:*']) {
          expect(actions.has(forbidden)).toBe(false);
        }
      }
    });

    it('lets each processor only send to its own DLQ: sqs:SendMessage, no KMS (SQS-managed SSE)', () => {
      for (const [role, source] of [
        ['ProcessorsAuditProcessorRole', 'AuditIngestion'],
        ['ProcessorsFlowProcessorRole', 'FlowIngestion'],
      ] as const) {
        const statements = roleStatements(synth.template, role);
        const dlq = logicalId(synth.template, 'AWS::SQS::Queue', `${source}DeadLetterQueue`);
        const queue = logicalId(synth.template, 'AWS::SQS::Queue', `${source}Queue`);
        expect(allowedResources(statements, 'sqs:SendMessage')).toEqual([`<${dlq}.Arn>`]);
        // On the DLQ exactly SendMessage; the source queue only what Lambda's poller takes.
        const onDlq = statements.filter((s) => s.resources.includes(`<${dlq}.Arn>`));
        expect(onDlq.flatMap((s) => s.actions)).toEqual(['sqs:SendMessage']);
        const sqsActions = statements.filter((s) => s.actions.some((a) => a.startsWith('sqs:')));
        expect(sqsActions.flatMap((s) => s.resources).sort()).toEqual([`<${dlq}.Arn>`, `<${queue}.Arn>`].sort());
        // The SNS topic's key is the only key a processor may use.
        const key = logicalId(synth.template, 'AWS::KMS::Key', 'StatefulAlertsKey');
        const kms = statements.filter((s) => s.actions.some((a) => a.startsWith('kms:')));
        expect([...new Set(kms.flatMap((s) => s.resources))]).toEqual([`<${key}.Arn>`]);
      }
    });

    it('gives the rebaseline no S3 access; Plan and Finish publish on the alert topic, a work item cannot', () => {
      const topic = logicalId(synth.template, 'AWS::SNS::Topic', 'StatefulAlertsTopic');
      for (const role of REBASELINE_ROLES) {
        const statements = roleStatements(synth.template, role);
        const actions = allowedActions(statements);
        expect([...actions].filter((a) => a.startsWith('s3:'))).toEqual([]);
        if (role === 'RebaselineItemFunctionRole') {
          // Prepare / Assess: the item's role has no SNS action at all, nor the topic key.
          expect([...actions].filter((a) => /^(sns|kms):/.test(a))).toEqual([]);
        } else {
          // Plan: edges that waited for the audit log; Finish: flow logs that stopped arriving.
          expect([...actions].filter((a) => a.startsWith('sns:'))).toEqual(['sns:Publish']);
          expect(allowedResources(statements, 'sns:Publish')).toEqual([`<${topic}>`]);
        }
      }
    });

    it('lets the digest read the table, write only its outbox items, publish, and read the depth of exactly the DLQs', () => {
      const { template } = synth;
      const statements = roleStatements(template, 'DigestFunctionRole');
      const table = `<${logicalId(template, 'AWS::DynamoDB::Table', 'StatefulStateTable')}.Arn>`;
      // Reads: unconditioned, on the table only.
      const reads = statements.filter(
        (s) => s.condition === undefined && s.actions.some((a) => a.startsWith('dynamodb:')),
      );
      expect(reads.flatMap((s) => s.actions).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
      expect(reads.flatMap((s) => s.resources)).toEqual([table]);
      // Writes: only items whose partition key is one of the digest's outboxes.
      const writes = statements.filter((s) => s.condition !== undefined);
      expect(writes).toEqual([
        {
          effect: 'Allow',
          actions: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          resources: [table],
          condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['OUTBOX#digest#*'] } },
        },
      ]);
      const actions = allowedActions(statements);
      for (const forbidden of ['dynamodb:Scan', 'dynamodb:DeleteItem', 'dynamodb:BatchGetItem', 'dynamodb:*']) {
        expect(actions.has(forbidden)).toBe(false);
      }
      expect([...actions].filter((a) => a.startsWith('s3:'))).toEqual([]);
      // Publish on the alert topic, with its key.
      expect([...actions].filter((a) => a.startsWith('sns:'))).toEqual(['sns:Publish']);
      expect(allowedResources(statements, 'sns:Publish')).toEqual([
        `<${logicalId(template, 'AWS::SNS::Topic', 'StatefulAlertsTopic')}>`,
      ]);
      const kms = statements.filter((s) => s.actions.some((a) => a.startsWith('kms:')));
      expect(kms.flatMap((s) => s.actions).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
      expect(kms.flatMap((s) => s.resources)).toEqual([
        `<${logicalId(template, 'AWS::KMS::Key', 'StatefulAlertsKey')}.Arn>`,
      ]);
      // GetQueueAttributes on the six DLQs and nothing else; the rest of SQS only on its own failure queue.
      const dlqs = DEAD_LETTER_QUEUES.map((prefix) => `<${logicalId(template, 'AWS::SQS::Queue', prefix)}.Arn>`);
      expect([...new Set(allowedResources(statements, 'sqs:GetQueueAttributes'))].sort()).toEqual(dlqs.sort());
      const failureQueue = `<${logicalId(template, 'AWS::SQS::Queue', 'DigestFunctionFailureQueue')}.Arn>`;
      const otherSqs = statements.filter((s) =>
        s.actions.some((a) => a.startsWith('sqs:') && a !== 'sqs:GetQueueAttributes'),
      );
      expect(otherSqs.flatMap((s) => s.resources)).toEqual([failureQueue]);
    });

    it('allows "*" resources only for X-Ray, which has no resource-level permissions', () => {
      for (const role of [
        'ProcessorsAuditProcessorRole',
        'ProcessorsFlowProcessorRole',
        ...REBASELINE_ROLES,
        'DigestFunctionRole',
      ]) {
        const wildcard = roleStatements(synth.template, role).filter((s) => s.resources.includes('*'));
        expect(wildcard.flatMap((s) => s.actions).sort()).toEqual([
          'xray:PutTelemetryRecords',
          'xray:PutTraceSegments',
        ]);
      }
    });

    it('uses no managed policies on the function roles', () => {
      for (const role of [
        'ProcessorsAuditProcessorRole',
        'ProcessorsFlowProcessorRole',
        ...REBASELINE_ROLES,
        'DigestFunctionRole',
      ]) {
        const id = logicalId(synth.template, 'AWS::IAM::Role', role);
        expect(synth.template.findResources('AWS::IAM::Role')[id]?.Properties.ManagedPolicyArns).toBeUndefined();
      }
    });
  });

  describe('stack', () => {
    it('outputs the topic, table, bucket names and queue URLs', () => {
      const outputs = synth.template.findOutputs('*');
      expect(Object.keys(outputs).sort()).toEqual(
        [
          'AccessLogBucketName',
          'AlertTopicArn',
          'AuditLogBucketName',
          'OperationsTopicArn',
          'AuditQueueUrl',
          'FlowLogBucketName',
          'FlowQueueUrl',
          'StateTableName',
        ].sort(),
      );
    });

    it('tags resources app=driftwatch', () => {
      synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
        Tags: Match.arrayWith([{ Key: 'app', Value: 'driftwatch' }]),
      });
      synth.template.hasResourceProperties('AWS::Lambda::Function', {
        Tags: Match.arrayWith([{ Key: 'app', Value: 'driftwatch' }]),
      });
    });

    it('is environment-agnostic and creates no optional plumbing by default', () => {
      expect(synth.stack.environment).toBe('aws://unknown-account/unknown-region');
      synth.template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 0);
      synth.template.resourceCountIs('AWS::Logs::SubscriptionFilter', 0);
      synth.template.resourceCountIs('AWS::EC2::FlowLog', 0);
    });
  });
});
