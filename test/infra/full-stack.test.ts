import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load';
import { STACK_FLOW_FORMAT } from '../../shared/ingest/flow-reader';
import {
  allowedActions,
  allowedResources,
  FIXTURES,
  flatten,
  logicalId,
  roleStatements,
  type Synthesized,
  synthesize,
} from './synth';

let synth: Synthesized;

beforeAll(() => {
  // platform@ takes alerts and the digest; digest@ only the digest.
  synth = synthesize(join(FIXTURES, 'full.config.json'), {
    digestEmails: ['digest@example.com', 'Platform@example.com'],
  });
}, 180_000);

afterAll(() => synth?.dispose());

const AUDIT_OBJECTS = 'arn:<AWS::Partition>:s3:::acme-eks-audit-logs/eks/audit/*';
const FLOW_OBJECTS = 'arn:<AWS::Partition>:s3:::acme-vpc-flow-logs/vpc/flow/*';
const S3_THREAT_LIST = 'arn:<AWS::Partition>:s3:::acme-threat-intel/lists/firehol_level1.netset';

/** The reader's list of the stack's fields, as CloudFormation spells a flow log's format. */
const FLOW_LOG_FORMAT = STACK_FLOW_FORMAT.map((field) => `\${${field}}`).join(' ');

/** The threat-list object the asset step uploaded: `<assets bucket>/<hash>.netset`. */
function threatListAsset(): { bucket: string; key: string } {
  const fn =
    synth.template.findResources('AWS::Lambda::Function')[
      logicalId(synth.template, 'AWS::Lambda::Function', 'ProcessorsAuditProcessor')
    ];
  const config = JSON.parse(flatten(fn?.Properties.Environment.Variables.DRIFTWATCH_CONFIG));
  const uri: string = config.threatIntel.sources[0].s3Uri;
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match?.[1] || !match[2]) throw new Error(`not an s3 URI: ${uri}`);
  return { bucket: match[1], key: match[2] };
}

describe('DriftwatchStack with a full config', () => {
  describe('cdk-nag', () => {
    it('synthesizes with no unacknowledged AwsSolutions finding, error or warning', () => {
      expect(synth.violations.filter((v) => v.plugin === 'AwsSolutions')).toEqual([]);
      expect(synth.synthError).toBeUndefined();
    });

    it('leaves CloudFormation validation clean too', () => {
      expect(synth.violations).toEqual([]);
    });
  });

  describe('imported buckets', () => {
    it('creates no bucket and notifies each imported bucket for its own prefix', () => {
      const { template } = synth;
      template.resourceCountIs('AWS::S3::Bucket', 0);
      template.resourceCountIs('AWS::S3::BucketPolicy', 0);
      for (const [bucket, prefix, queue] of [
        ['acme-eks-audit-logs', 'eks/audit/', 'AuditIngestionQueue'],
        ['acme-vpc-flow-logs', 'vpc/flow/', 'FlowIngestionQueue'],
      ] as const) {
        template.hasResourceProperties('Custom::S3BucketNotifications', {
          BucketName: bucket,
          // Notifications of the bucket's owner are kept, not replaced.
          Managed: false,
          NotificationConfiguration: {
            QueueConfigurations: [
              {
                Events: ['s3:ObjectCreated:*'],
                Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: prefix }] } },
                QueueArn: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', queue), 'Arn'] },
              },
            ],
          },
        });
      }
    });

    it('outputs the imported bucket names', () => {
      const outputs = synth.template.findOutputs('*');
      expect(outputs.AuditLogBucketName?.Value).toBe('acme-eks-audit-logs');
      expect(outputs.FlowLogBucketName?.Value).toBe('acme-vpc-flow-logs');
      expect(outputs.AccessLogBucketName).toBeUndefined();
    });
  });

  describe('alert emails', () => {
    const alertTopic = () => ({ Ref: logicalId(synth.template, 'AWS::SNS::Topic', 'StatefulAlertsTopic') });
    const notDigest = [{ 'anything-but': ['digest'] }];

    it.each([
      ['secops@example.com', ['high', 'critical']],
      // Taking `info` does not bring the digest (severity info): the kind filter keeps it out.
      ['audit@example.com', ['info', 'low', 'medium', 'high', 'critical']],
    ])('subscribes %s with a severity filter allowing %j, and no digest', (address, severities) => {
      synth.template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: address,
        TopicArn: alertTopic(),
        FilterPolicy: { kind: notDigest, severity: severities },
      });
    });

    it('gives an address in both lists one subscription: its alerts or the digest', () => {
      synth.template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'platform@example.com',
        TopicArn: alertTopic(),
        FilterPolicy: {
          $or: [{ kind: ['digest'] }, { kind: notDigest, severity: ['medium', 'high', 'critical'] }],
        },
      });
      const onAlertTopic = Object.values(synth.template.findResources('AWS::SNS::Subscription')).filter(
        (s) =>
          JSON.stringify(s.Properties.TopicArn) === JSON.stringify(alertTopic()) &&
          String(s.Properties.Endpoint).toLowerCase() === 'platform@example.com',
      );
      expect(onAlertTopic).toHaveLength(1);
    });

    it('subscribes a digest-only address to the digest alone, and not to pipeline alarms', () => {
      const digest = Object.values(synth.template.findResources('AWS::SNS::Subscription')).filter(
        (s) => s.Properties.Endpoint === 'digest@example.com',
      );
      expect(digest.map((s) => s.Properties)).toEqual([
        expect.objectContaining({ TopicArn: alertTopic(), FilterPolicy: { kind: ['digest'] } }),
      ]);
    });

    it('subscribes every email to the operations topic without a filter, so alarms reach them', () => {
      const topic = logicalId(synth.template, 'AWS::SNS::Topic', 'StatefulAlertsOperationsTopic');
      const ops = Object.values(synth.template.findResources('AWS::SNS::Subscription')).filter(
        (s) => JSON.stringify(s.Properties.TopicArn) === JSON.stringify({ Ref: topic }),
      );
      expect(ops.map((s) => s.Properties.Endpoint).sort()).toEqual([
        'audit@example.com',
        'platform@example.com',
        'secops@example.com',
      ]);
      for (const s of ops) expect(s.Properties.FilterPolicy).toBeUndefined();
    });

    it('subscribes nobody else', () => {
      synth.template.resourceCountIs('AWS::SNS::Subscription', 7);
    });
  });

  describe('rebaseline schedule', () => {
    it('uses the configured expression, and starts the state machine', () => {
      synth.template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'cron(30 2 * * ? *)',
        Targets: [
          Match.objectLike({
            Arn: { Ref: logicalId(synth.template, 'AWS::StepFunctions::StateMachine', 'RebaselineStateMachine') },
          }),
        ],
      });
    });

    it('folds the configured number of work items at once', () => {
      const machine = Object.values(synth.template.findResources('AWS::StepFunctions::StateMachine'))[0];
      const definition = JSON.parse(flatten(machine?.Properties.DefinitionString));
      expect(definition.States.Fold.MaxConcurrency).toBe(25);
    });
  });

  describe('digest schedule', () => {
    it('uses the configured expression', () => {
      synth.template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'cron(15 6 * * ? *)',
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [logicalId(synth.template, 'AWS::Lambda::Function', 'DigestFunction'), 'Arn'] },
          }),
        ],
      });
    });

    it('leaves the threat lists out of the digest: its config has none and its role reads no S3', () => {
      const fn =
        synth.template.findResources('AWS::Lambda::Function')[
          logicalId(synth.template, 'AWS::Lambda::Function', 'DigestFunction')
        ];
      const config = parseConfig(JSON.parse(flatten(fn?.Properties.Environment.Variables.DRIFTWATCH_CONFIG)));
      expect(config.threatIntel.sources).toEqual([]);
      expect(config.clusterName).toBe('shop-prod');
      const actions = allowedActions(roleStatements(synth.template, 'DigestFunctionRole'));
      expect([...actions].filter((a) => a.startsWith('s3:'))).toEqual([]);
    });
  });

  describe('threat lists', () => {
    it('uploads the local list as an asset and hands the functions its S3 location under the same name', () => {
      const fn =
        synth.template.findResources('AWS::Lambda::Function')[
          logicalId(synth.template, 'AWS::Lambda::Function', 'ProcessorsFlowProcessor')
        ];
      const config = parseConfig(JSON.parse(flatten(fn?.Properties.Environment.Variables.DRIFTWATCH_CONFIG)));
      expect(config.threatIntel.sources).toEqual([
        {
          s3Uri: expect.stringMatching(
            /^s3:\/\/cdk-[a-z0-9]+-assets-<AWS::AccountId>-<AWS::Region>\/[0-9a-f]{64}\.netset$/,
          ),
          name: 'fixture-threats',
        },
        { s3Uri: 's3://acme-threat-intel/lists/firehol_level1.netset' },
      ]);
      expect(config.identities.execAllowlist).toEqual(['alice']);
      const { key } = threatListAsset();
      const staged = join(synth.outdir, `asset.${key}`);
      expect(existsSync(staged)).toBe(true);
      expect(readFileSync(staged, 'utf8')).toBe(readFileSync(join(FIXTURES, 'threat-list.netset'), 'utf8'));
    });

    it('lets every function read exactly the two lists', () => {
      const { bucket, key } = threatListAsset();
      for (const role of [
        'ProcessorsAuditProcessorRole',
        'ProcessorsFlowProcessorRole',
        'RebaselinePlanFunctionRole',
        'RebaselineItemFunctionRole',
        'RebaselineFinishFunctionRole',
      ]) {
        const statements = roleStatements(synth.template, role);
        expect(allowedResources(statements, 's3:GetObject')).toEqual(
          expect.arrayContaining([`arn:<AWS::Partition>:s3:::${bucket}/${key}`, S3_THREAT_LIST]),
        );
      }
    });
  });

  describe('least privilege with imported buckets', () => {
    it('reads the audit and flow prefixes of the imported buckets only from their processors', () => {
      const audit = roleStatements(synth.template, 'ProcessorsAuditProcessorRole');
      const flow = roleStatements(synth.template, 'ProcessorsFlowProcessorRole');
      expect(allowedResources(audit, 's3:GetObject')).toContain(AUDIT_OBJECTS);
      expect(allowedResources(audit, 's3:GetObject')).not.toContain(FLOW_OBJECTS);
      expect(allowedResources(flow, 's3:GetObject')).toContain(FLOW_OBJECTS);
      expect(allowedResources(flow, 's3:GetObject')).not.toContain(AUDIT_OBJECTS);
      for (const step of ['Plan', 'Item', 'Finish']) {
        const rebaseline = roleStatements(synth.template, `Rebaseline${step}FunctionRole`);
        const rebaselineObjects = allowedResources(rebaseline, 's3:GetObject');
        expect(rebaselineObjects).not.toContain(AUDIT_OBJECTS);
        expect(rebaselineObjects).not.toContain(FLOW_OBJECTS);
        // Plan and Finish publish findings (edges that waited, a flow log that went silent); no step reads a log object.
        expect(allowedActions(rebaseline).has('sns:Publish')).toBe(step !== 'Item');
        expect(allowedActions(rebaseline).has('s3:GetObjectVersion')).toBe(false);
      }
    });
  });

  describe('audit log plumbing', () => {
    it('subscribes the cluster log group, audit events only, to Firehose', () => {
      const { template } = synth;
      const stream = logicalId(template, 'AWS::KinesisFirehose::DeliveryStream', 'AuditLogSubscription');
      template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
        LogGroupName: '/aws/eks/shop-prod/cluster',
        FilterPattern: '{ ($.kind = "Event") && ($.apiVersion = "audit.k8s.io/*") }',
        DestinationArn: { 'Fn::GetAtt': [stream, 'Arn'] },
        RoleArn: {
          'Fn::GetAtt': [logicalId(template, 'AWS::IAM::Role', 'AuditLogSubscriptionSubscriptionRole'), 'Arn'],
        },
      });
      const logsRole = roleStatements(template, 'AuditLogSubscriptionSubscriptionRole');
      expect([...allowedActions(logsRole)].sort()).toEqual(['firehose:PutRecord', 'firehose:PutRecordBatch']);
      expect(allowedResources(logsRole, 'firehose:PutRecord')).toEqual([`<${stream}.Arn>`]);
    });

    it('delivers to the audit prefix, uncompressed, every 60 s or 5 MiB, encrypted, errors elsewhere', () => {
      synth.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
        DeliveryStreamType: 'DirectPut',
        DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
        ExtendedS3DestinationConfiguration: Match.objectLike({
          BucketARN: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::acme-eks-audit-logs']] },
          Prefix: 'eks/audit/shop-prod/!{timestamp:yyyy/MM/dd/HH}/',
          ErrorOutputPrefix: 'firehose-errors/shop-prod/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/',
          CompressionFormat: 'UNCOMPRESSED',
          BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 5 },
          CloudWatchLoggingOptions: Match.objectLike({ Enabled: true }),
        }),
      });
    });

    it('lets Firehose write only under its two prefixes, and delete nothing', () => {
      const statements = roleStatements(synth.template, 'AuditLogSubscriptionDeliveryRole');
      expect(allowedResources(statements, 's3:PutObject').sort()).toEqual(
        [
          'arn:<AWS::Partition>:s3:::acme-eks-audit-logs/eks/audit/shop-prod/*',
          'arn:<AWS::Partition>:s3:::acme-eks-audit-logs/firehose-errors/shop-prod/*',
        ].sort(),
      );
      const actions = allowedActions(statements);
      expect([...actions].filter((a) => a.includes('Delete') || a.endsWith('*'))).toEqual([]);
    });
  });

  describe('VPC flow logs', () => {
    it.each(['vpc-0a1b2c3d4e5f67890', 'vpc-0123456789abcdef0'])(
      'logs all traffic of %s to the flow prefix in the format the reader reads, hourly Hive partitions',
      (vpcId) => {
        synth.template.hasResourceProperties('AWS::EC2::FlowLog', {
          ResourceId: vpcId,
          ResourceType: 'VPC',
          TrafficType: 'ALL',
          MaxAggregationInterval: 60,
          LogDestinationType: 's3',
          LogDestination: {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::acme-vpc-flow-logs/vpc/flow/']],
          },
          LogFormat: FLOW_LOG_FORMAT,
          DestinationOptions: { fileFormat: 'plain-text', hiveCompatiblePartitions: true, perHourPartition: true },
        });
      },
    );
  });

  describe('monitoring', () => {
    it('still alarms on every DLQ, function and rebaseline execution through the topic', () => {
      const alarms = Object.values(synth.template.findResources('AWS::CloudWatch::Alarm'));
      // Five DLQs, five functions (not the rebaseline's work items), the rebaseline's executions.
      expect(alarms).toHaveLength(11);
      const topic = logicalId(synth.template, 'AWS::SNS::Topic', 'StatefulAlertsOperationsTopic');
      for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
    });
  });
});
