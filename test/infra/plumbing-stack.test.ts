import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowedResources, FIXTURES, logicalId, roleStatements, type Synthesized, synthesize } from './synth';

let synth: Synthesized;

beforeAll(() => {
  synth = synthesize(join(FIXTURES, 'plumbing.config.json'));
}, 180_000);

afterAll(() => synth?.dispose());

describe('DriftwatchStack with plumbing into the created bucket', () => {
  it('synthesizes with no unacknowledged cdk-nag or CloudFormation finding', () => {
    expect(synth.violations).toEqual([]);
    expect(synth.synthError).toBeUndefined();
  });

  it('lets VPC flow-log delivery write under the flow prefix through the CDK-managed bucket policy', () => {
    const bucket = logicalId(synth.template, 'AWS::S3::Bucket', 'StatefulLogsLogBucket');
    const policy = Object.values(synth.template.findResources('AWS::S3::BucketPolicy')).find(
      (p) => p.Properties.Bucket.Ref === bucket,
    );
    const statements = policy?.Properties.PolicyDocument.Statement as Record<string, unknown>[];
    const delivery = statements.filter(
      (s) => (s.Principal as { Service?: string }).Service === 'delivery.logs.amazonaws.com',
    );
    expect(delivery.map((s) => s.Action).sort()).toEqual([['s3:GetBucketAcl', 's3:ListBucket'], 's3:PutObject']);
    const put = delivery.find((s) => s.Action === 's3:PutObject');
    expect(JSON.stringify(put?.Resource)).toContain('/flow/AWSLogs/aws-account-id=');
    expect(put?.Condition).toMatchObject({ StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } });
  });

  it('points the flow log and Firehose at the created bucket', () => {
    const bucket = logicalId(synth.template, 'AWS::S3::Bucket', 'StatefulLogsLogBucket');
    synth.template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceId: 'vpc-0fedcba9876543210',
      LogDestination: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/flow/']] },
    });
    synth.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        BucketARN: { 'Fn::GetAtt': [bucket, 'Arn'] },
        Prefix: 'audit/staging/!{timestamp:yyyy/MM/dd/HH}/',
      }),
    });
    const firehose = roleStatements(synth.template, 'AuditLogSubscriptionDeliveryRole');
    expect(allowedResources(firehose, 's3:PutObject').sort()).toEqual([
      `<${bucket}.Arn>/audit/staging/*`,
      `<${bucket}.Arn>/firehose-errors/staging/*`,
    ]);
  });

  it('subscribes the email with the default minimum severity, medium', () => {
    synth.template.hasResourceProperties('AWS::SNS::Subscription', {
      Endpoint: 'oncall@example.com',
      FilterPolicy: { kind: [{ 'anything-but': ['digest'] }], severity: ['medium', 'high', 'critical'] },
    });
  });
});
