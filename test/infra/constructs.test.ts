import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { AlertTopic } from '../../infra/alert-topic';
import { AuditLogSubscription } from '../../infra/audit-log-subscription';
import { DriftwatchFunction } from '../../infra/driftwatch-function';
import { IngestionQueue } from '../../infra/ingestion-queue';
import { LogBuckets, type LogLocation } from '../../infra/log-buckets';
import { ScheduledRun } from '../../infra/scheduled-run';
import { SecureQueue } from '../../infra/secure-queue';
import { VpcFlowLogs } from '../../infra/vpc-flow-logs';

function stack(): Stack {
  return new Stack(new App(), 'Test');
}

/** The one location of a source that names one bucket. */
function first(locations: readonly LogLocation[]): LogLocation {
  const [location] = locations;
  if (!location) throw new Error('no location');
  return location;
}

function inlineFunction(scope: Stack, timeout?: Duration): lambda.Function {
  return new lambda.Function(scope, 'Fn', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('export const handler = async () => {};'),
    timeout,
  });
}

describe('LogBuckets', () => {
  it('throws on overlapping prefixes in the created bucket', () => {
    expect(() => new LogBuckets(stack(), 'Logs', { audit: [{ prefix: 'a/' }], flow: [{ prefix: 'a/b/' }] })).toThrow(
      /overlap in one bucket/,
    );
  });

  it('throws on a prefix without a trailing slash', () => {
    expect(
      () => new LogBuckets(stack(), 'Logs', { audit: [{ prefix: 'audit' }], flow: [{ prefix: 'flow/' }] }),
    ).toThrow(/audit prefix must be empty or end with "\/"/);
  });

  it('imports a bucket named by both sources once and creates nothing', () => {
    const logs = new LogBuckets(stack(), 'Logs', {
      audit: [{ bucketName: 'shared-logs', prefix: 'a/' }],
      flow: [{ bucketName: 'shared-logs', prefix: 'f/' }],
    });
    expect(first(logs.audit).bucket).toBe(first(logs.flow).bucket);
    expect(logs.createdBucket).toBeUndefined();
    expect(logs.buckets).toHaveLength(1);
  });

  it('creates a bucket for the source that names none and imports the other', () => {
    const logs = new LogBuckets(stack(), 'Logs', {
      audit: [{ prefix: 'a/' }],
      flow: [{ bucketName: 'flows', prefix: 'f/' }],
    });
    expect(first(logs.audit).imported).toBe(false);
    expect(first(logs.audit).bucket).toBe(logs.createdBucket);
    expect(first(logs.flow).imported).toBe(true);
  });
});

describe('IngestionQueue', () => {
  it('throws without a consumer timeout to size the visibility timeout from', () => {
    const scope = stack();
    const logs = new LogBuckets(scope, 'Logs', { audit: [{ prefix: 'a/' }], flow: [{ prefix: 'f/' }] });
    const consumer = inlineFunction(scope);
    expect(() => new IngestionQueue(scope, 'Q', { sources: logs.audit, consumer, batchSize: 1 })).toThrow(/timeout/);
  });

  it('throws on a batch size above 10', () => {
    const scope = stack();
    const logs = new LogBuckets(scope, 'Logs', { audit: [{ prefix: 'a/' }], flow: [{ prefix: 'f/' }] });
    const consumer = inlineFunction(scope, Duration.minutes(1));
    expect(() => new IngestionQueue(scope, 'Q', { sources: logs.audit, consumer, batchSize: 11 })).toThrow(
      /batchSize must be 1 to 10/,
    );
  });
});

describe('AuditLogSubscription', () => {
  it('throws when the error prefix would fall inside the audit prefix', () => {
    const scope = stack();
    const logs = new LogBuckets(scope, 'Logs', { audit: [{ prefix: 'logs/' }], flow: [{ prefix: 'flow/' }] });
    expect(
      () =>
        new AuditLogSubscription(scope, 'Sub', {
          clusterName: 'prod',
          destination: first(logs.audit),
          errorOutputPrefix: 'logs/errors/',
        }),
    ).toThrow(/overlaps the audit prefix/);
  });
});

describe('AlertTopic', () => {
  it('throws on an address subscribed twice', () => {
    expect(
      () =>
        new AlertTopic(stack(), 'Alerts', {
          emails: [
            { address: 'a@example.com', minSeverity: 'low' },
            { address: 'A@example.com', minSeverity: 'high' },
          ],
        }),
    ).toThrow(/subscribed twice/);
  });

  it('throws on an address given the digest twice', () => {
    expect(() => new AlertTopic(stack(), 'Alerts', { digestEmails: ['d@example.com', 'D@example.com'] })).toThrow(
      /gets the digest twice/,
    );
  });
});

describe('ScheduledRun', () => {
  it('throws on something that is not a schedule expression', () => {
    const scope = stack();
    expect(
      () => new ScheduledRun(scope, 'S', { schedule: '0 0 * * *', target: inlineFunction(scope), description: 'd' }),
    ).toThrow(/not an EventBridge schedule expression/);
  });
});

describe('SecureQueue', () => {
  it('throws when a dead-letter queue is given a dead-letter queue', () => {
    const scope = stack();
    const dlq = new SecureQueue(scope, 'Dlq', { isDeadLetterQueue: true });
    expect(
      () =>
        new SecureQueue(scope, 'Q', {
          isDeadLetterQueue: true,
          deadLetterQueue: { queue: dlq, maxReceiveCount: 3 },
        }),
    ).toThrow(/cannot have a dead-letter queue/);
  });
});

describe('VpcFlowLogs', () => {
  it('throws on a VPC listed twice', () => {
    const scope = stack();
    const logs = new LogBuckets(scope, 'Logs', { audit: [{ prefix: 'a/' }], flow: [{ prefix: 'f/' }] });
    expect(() => new VpcFlowLogs(scope, 'Flow', { vpcIds: ['vpc-1', 'vpc-1'], destination: first(logs.flow) })).toThrow(
      /listed twice/,
    );
  });
});

describe('DriftwatchFunction', () => {
  it("throws, before bundling, when the environment would pass Lambda's 4 KB limit", () => {
    expect(
      () =>
        new DriftwatchFunction(stack(), 'Fn', {
          entry: 'functions/rebaseline-item/index.ts',
          description: 'too much config',
          memorySize: 128,
          timeout: Duration.seconds(10),
          environment: { DRIFTWATCH_CONFIG: JSON.stringify({ identities: { cicd: Array(400).fill('ci-deployer') } }) },
        }),
    ).toThrow(/over Lambda's 4 KB limit/);
  });

  it('holds a variable added after construction (a queue URL) to the same limit', () => {
    // Prepare: a function whose environment fits.
    const fn = new DriftwatchFunction(stack(), 'Fn', {
      entry: 'functions/rebaseline-item/index.ts',
      description: 'grows later',
      memorySize: 128,
      timeout: Duration.seconds(10),
      environment: { SMALL: 'x' },
    });
    // Act / Assess: one more small variable fits; one past the limit throws, naming the function.
    expect(() => fn.addEnvironment('ALSO_SMALL', 'y')).not.toThrow();
    expect(() => fn.addEnvironment('DEAD_LETTER_QUEUES', 'q'.repeat(4096))).toThrow(/Fn: .* over Lambda's 4 KB limit/);
  }, 60_000);

  it('throws on more async retries than Lambda allows', () => {
    expect(
      () =>
        new DriftwatchFunction(stack(), 'Fn', {
          entry: 'functions/rebaseline-item/index.ts',
          description: 'retries',
          memorySize: 128,
          timeout: Duration.seconds(10),
          asyncRetryAttempts: 3,
        }),
    ).toThrow(/asyncRetryAttempts must be 0, 1 or 2/);
  });
});
