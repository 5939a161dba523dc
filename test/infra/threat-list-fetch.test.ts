import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load';
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

const FETCHED = ['tor-exit', 'firehol-level1', 'spamhaus-drop', 'mining-pools'];

/** The ARN of a fetched list's object in the threat-list bucket. */
function listArn(bucket: string, name: string): string {
  return `<${bucket}.Arn>/threat-lists/${name}.txt`;
}

/** The config one function was deployed with. */
function functionConfig(synth: Synthesized, prefix: string) {
  const fn =
    synth.template.findResources('AWS::Lambda::Function')[logicalId(synth.template, 'AWS::Lambda::Function', prefix)];
  return parseConfig(JSON.parse(flatten(fn?.Properties.Environment.Variables.DRIFTWATCH_CONFIG)));
}

describe('ThreatListFetch off (the default)', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize();
  }, 180_000);
  afterAll(() => synth?.dispose());

  it('synthesizes no fetcher, no schedule for it and no threat-list bucket', () => {
    expect(synth.stack.threatListFetch).toBeUndefined();
    const functions = Object.keys(synth.template.findResources('AWS::Lambda::Function'));
    expect(functions.filter((id) => id.startsWith('ThreatListFetch'))).toEqual([]);
    const rules = Object.values(synth.template.findResources('AWS::Events::Rule'));
    expect(rules.map((r) => r.Properties.Description)).not.toContain('Driftwatch threat-list refresh');
    expect(
      Object.keys(synth.template.findResources('AWS::S3::Bucket')).filter((id) => id.includes('ThreatList')),
    ).toEqual([]);
    expect(functionConfig(synth, 'ProcessorsFlowProcessor').threatIntel.sources).toEqual([]);
  });
});

describe('ThreatListFetch on', () => {
  let synth: Synthesized;
  let bucket: string;
  beforeAll(() => {
    synth = synthesize(join(FIXTURES, 'threat-list-fetch.config.json'));
    bucket = logicalId(synth.template, 'AWS::S3::Bucket', 'ThreatListFetchBucket');
  }, 180_000);
  afterAll(() => synth?.dispose());

  it('stays clean under cdk-nag', () => {
    expect(synth.violations).toEqual([]);
    expect(synth.synthError).toBeUndefined();
  });

  it('keeps the lists in a versioned, encrypted, private, TLS-only bucket whose old copies age out', () => {
    synth.template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 90 } })]),
      },
    });
    const policy = Object.values(synth.template.findResources('AWS::S3::BucketPolicy')).find(
      (p) => flatten(p.Properties.Bucket) === `<${bucket}>`,
    );
    expect(policy?.Properties.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
      ]),
    );
  });

  it('runs the fetcher on the configured schedule, with a dead-letter queue', () => {
    const fetcher = logicalId(synth.template, 'AWS::Lambda::Function', 'ThreatListFetchFunction');
    const rule = Object.values(synth.template.findResources('AWS::Events::Rule')).find(
      (r) => r.Properties.Description === 'Driftwatch threat-list refresh',
    );
    expect(rule?.Properties.ScheduleExpression).toBe('rate(4 hours)');
    expect(rule?.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [fetcher, 'Arn'] },
        DeadLetterConfig: { Arn: expect.anything() },
      }),
    ]);
  });

  it('lets the fetcher read and write the listed keys, list the bucket, note statuses, and nothing else', () => {
    const statements = roleStatements(synth.template, 'ThreatListFetchFunctionRole');
    const keys = FETCHED.map((name) => listArn(bucket, name));
    expect(allowedResources(statements, 's3:GetObject').sort()).toEqual([...keys].sort());
    expect(allowedResources(statements, 's3:PutObject').sort()).toEqual([...keys].sort());
    expect(allowedResources(statements, 's3:ListBucket')).toEqual([`<${bucket}.Arn>`]);
    // Beside its logs, traces and failure queue, S3 and the status items.
    const actions = [...allowedActions(statements)].filter((a) => !/^(logs|xray|sqs):/.test(a));
    expect(actions.sort()).toEqual(['dynamodb:UpdateItem', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
  });

  it('lets the fetcher update the state table’s threat-list statuses only: no read, no other partition', () => {
    // Prepare
    const table = logicalId(synth.template, 'AWS::DynamoDB::Table', 'StatefulState');
    const fetcher = logicalId(synth.template, 'AWS::Lambda::Function', 'ThreatListFetchFunction');
    // Act
    const statements = roleStatements(synth.template, 'ThreatListFetchFunctionRole').filter((s) =>
      s.actions.some((a) => a.startsWith('dynamodb:')),
    );
    const environment = synth.template.findResources('AWS::Lambda::Function')[fetcher]?.Properties.Environment;
    // Assess
    expect(statements).toEqual([
      {
        effect: 'Allow',
        actions: ['dynamodb:UpdateItem'],
        resources: [`<${table}.Arn>`],
        condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['THREATLIST'] } },
      },
    ]);
    expect(flatten(environment.Variables.TABLE_NAME)).toBe(`<${table}>`);
  });

  it('hands the processors the fetched lists as optional sources beside the config’s own, and lets them read them', () => {
    for (const fn of [
      'ProcessorsAuditProcessor',
      'ProcessorsFlowProcessor',
      'RebaselinePlanFunction',
      'RebaselineItemFunction',
      'RebaselineFinishFunction',
    ]) {
      const sources = functionConfig(synth, fn).threatIntel.sources;
      expect(sources.map((s) => s.name)).toEqual(['fixture-threats', ...FETCHED]);
      expect(sources.slice(1)).toEqual(
        FETCHED.map((name) => ({ s3Uri: `s3://<${bucket}>/threat-lists/${name}.txt`, name, optional: true })),
      );
      const statements = roleStatements(synth.template, `${fn}Role`);
      expect(allowedResources(statements, 's3:GetObject')).toEqual(
        expect.arrayContaining(FETCHED.map((name) => listArn(bucket, name))),
      );
      expect(allowedActions(statements).has('s3:PutObject')).toBe(false);
    }
  });

  it('hands the fetcher only its lists, not the rest of the config', () => {
    const config = functionConfig(synth, 'ThreatListFetchFunction');
    expect(config.threatIntel.fetch.lists).toEqual([
      'tor-exit',
      'firehol-level1',
      'spamhaus-drop',
      { name: 'mining-pools', url: 'https://lists.example.com/mining-pools.txt' },
    ]);
    expect(config.clusterName).toBe('eks');
  });

  it('alarms the operations topic while a list keeps an old copy, and on the fetcher’s errors', () => {
    const operations = logicalId(synth.template, 'AWS::SNS::Topic', 'StatefulAlertsOperationsTopic');
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Driftwatch',
      MetricName: 'ThreatListsStale',
      Dimensions: [{ Name: 'service', Value: 'threat-list-fetch' }],
      Threshold: 1,
      TreatMissingData: 'ignore',
      AlarmActions: [{ Ref: operations }],
    });
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Dimensions: [
        {
          Name: 'FunctionName',
          Value: { Ref: logicalId(synth.template, 'AWS::Lambda::Function', 'ThreatListFetchFunction') },
        },
      ],
    });
  });
});
