import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { STALE_LISTS_METRIC, THREAT_LIST_FETCH_SERVICE, THREAT_LIST_PREFIX, threatListKey } from '../shared/aws';
import type { Config, ThreatIntelSource } from '../shared/config';
import { CONFIG_ENV, fetchedLists } from '../shared/config';
import { keys } from '../shared/store';
import { DriftwatchFunction } from './driftwatch-function';
import type { Watched } from './monitoring';
import { ScheduledRun } from './scheduled-run';

export interface ThreatListFetchProps {
  /** The config's `threatIntel.fetch`: the lists, the schedule and the shrink guard. */
  readonly settings: Config['threatIntel']['fetch'];
  /** Where the alarm on lists that could not be refreshed is sent: the operations topic. */
  readonly alarmTopic: sns.ITopic;
  /**
   * The state table: the fetcher notes each list's refresh status there, and may write nothing
   * else; the rebaseline reads it and reports a list that stays stale.
   */
  readonly table: dynamodb.ITable;
  /**
   * Receives the threat-list bucket's server access logs.
   * @default - none (the bucket holds public lists only the fetcher writes)
   */
  readonly accessLogBucket?: s3.IBucket;
}

/**
 * The opt-in fetcher of public threat lists (`threatIntel.fetch.enabled`): a function on a
 * schedule downloads each list and keeps it in a versioned bucket, at `threat-lists/<name>.txt`.
 * The processors read those keys as optional lists (empty until the first run), so fetched lists
 * need no config edit. A list that fails to refresh keeps its last good copy and is counted in
 * the `ThreatListsStale` metric; the alarm on it tells the operations topic, and stays raised
 * until a run refreshes every list. Each list's refresh status goes to the state table, where the
 * rebaseline turns a list stale for longer than `staleAfterHours` into a `net.threat-list-stale` finding.
 */
export class ThreatListFetch extends Construct {
  /** Versioned: each refresh is a new version of its key, and the copies before it stay for 90 days. */
  public readonly bucket: s3.Bucket;
  /** Schedule → refresh every list. */
  public readonly function: DriftwatchFunction;
  public readonly schedule: ScheduledRun;
  /** Raised while a list keeps an old copy (or has none) because its last refresh failed. */
  public readonly staleAlarm: cloudwatch.Alarm;
  /** The fetched lists as the processors' config names them: optional `s3Uri` sources. */
  public readonly sources: ThreatIntelSource[];
  /** The fetcher's dead-letter queues: schedule events not delivered, invocations failed past their retries. */
  public readonly deadLetterQueues: Watched<sqs.IQueue>[];
  private readonly objectArns: string[];

  constructor(scope: Construct, id: string, props: ThreatListFetchProps) {
    super(scope, id);
    const lists = fetchedLists(props.settings.lists);

    // Server access logs go under a bucket policy, as for the log bucket (see LogBuckets).
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      ...(props.accessLogBucket
        ? { serverAccessLogsBucket: props.accessLogBucket, serverAccessLogsPrefix: 'threat-list-bucket/' }
        : {}),
      lifecycleRules: [
        {
          id: 'age-out-old-copies',
          noncurrentVersionExpiration: Duration.days(90),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });
    if (!props.accessLogBucket) {
      Validations.of(this.bucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason:
          'Only the fetcher writes it, with public lists; the stack has no access-log bucket when both log sources are imported.',
      });
    }

    this.objectArns = lists.map((list) => this.bucket.arnForObjects(threatListKey(THREAT_LIST_PREFIX, list.name)));
    this.sources = lists.map((list) => ({
      s3Uri: this.bucket.s3UrlForObject(threatListKey(THREAT_LIST_PREFIX, list.name)),
      name: list.name,
      optional: true,
    }));

    const runtimeConfig = { threatIntel: { fetch: props.settings } };
    this.function = new DriftwatchFunction(this, 'Function', {
      entry: 'functions/threat-list-fetch/index.ts',
      description: 'Runs on a schedule: refreshes the public threat lists the processors read',
      memorySize: 512,
      // Thirty seconds per list, the lists fetched at once.
      timeout: Duration.minutes(2),
      asyncRetryAttempts: 2,
      environment: {
        THREAT_LIST_BUCKET: this.bucket.bucketName,
        THREAT_LIST_PREFIX,
        TABLE_NAME: props.table.tableName,
        [CONFIG_ENV]: Stack.of(this).toJsonString(runtimeConfig),
      },
    });
    // UpdateItem on the status partition only: the fetcher reads nothing from the table, and
    // cannot touch baselines, incidents or dedupe windows.
    iam.Grant.addToPrincipal({
      grantee: this.function,
      actions: ['dynamodb:UpdateItem'],
      resourceArns: [props.table.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [keys.threatLists()] } },
    });
    iam.Grant.addToPrincipal({
      grantee: this.function,
      actions: ['s3:GetObject', 's3:PutObject'],
      resourceArns: this.objectArns,
    });
    this.grantListBucket(this.function);

    this.schedule = new ScheduledRun(this, 'Schedule', {
      schedule: props.settings.schedule,
      target: this.function,
      description: 'Driftwatch threat-list refresh',
    });
    const failures = this.function.failureQueue;
    this.deadLetterQueues = [
      { name: 'ThreatListSchedule', resource: this.schedule.deadLetterQueue },
      ...(failures ? [{ name: 'ThreatListFailures', resource: failures }] : []),
    ];

    this.staleAlarm = new cloudwatch.Alarm(this, 'StaleAlarm', {
      alarmDescription:
        'Driftwatch: a threat list could not be refreshed and keeps its last good copy (or has none yet). ' +
        "The threat-list fetcher's log names the list and the reason.",
      metric: new cloudwatch.Metric({
        namespace: 'Driftwatch',
        metricName: STALE_LISTS_METRIC,
        dimensionsMap: { service: THREAT_LIST_FETCH_SERVICE },
        period: Duration.hours(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // One data point per run, hours apart: between runs the alarm keeps the state the last run set.
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    });
    this.staleAlarm.addAlarmAction(new SnsAction(props.alarmTopic));
  }

  /**
   * Lets `grantee` read the fetched lists: s3:GetObject on each list's key (HeadObject included),
   * and s3:ListBucket so that a list not fetched yet answers "no such key" instead of "access
   * denied". The bucket holds nothing but these public lists.
   */
  public grantRead(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: this.objectArns });
    this.grantListBucket(grantee);
  }

  private grantListBucket(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:ListBucket'],
      // Unconditioned: S3 decides between 404 and 403 by the ListBucket right as such, and a
      // condition on s3:prefix (absent from a GetObject) would deny it.
      resourceArns: [this.bucket.bucketArn],
    });
  }
}
