import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { Config } from '../shared/config';
import { CONFIG_ENV } from '../shared/config';
import type { AlertTopic } from './alert-topic';
import { DriftwatchFunction } from './driftwatch-function';
import { MAX_RECEIVE_COUNT } from './ingestion-queue';
import type { LogLocation } from './log-buckets';
import { acknowledgeWildcardResource } from './nag';
import { runtimeConfigJson } from './runtime-config';
import { PROCESSOR_TUNING } from './runtime-tuning';
import type { StateTable } from './state-table';
import { TABLE_ACTIONS } from './state-table';
import type { ThreatLists } from './threat-lists';

export interface ProcessorsProps {
  /** The validated config; handed to every function as JSON in `DRIFTWATCH_CONFIG`. */
  readonly config: Config;
  /** Threat lists: their S3 locations replace local paths in the functions' config. */
  readonly threatLists: ThreatLists;
  /** The state table. */
  readonly state: StateTable;
  /** The alert topic the processors publish findings to. */
  readonly alerts: AlertTopic;
  /** Where the audit processor reads objects: one or more buckets and prefixes. */
  readonly auditLogs: readonly LogLocation[];
  /** Where the flow processor reads objects: one or more buckets and prefixes. */
  readonly flowLogs: readonly LogLocation[];
}

/**
 * The two processors and exactly the access each needs: they read objects under their own prefix,
 * read and write the table with the store's actions only, and publish to the topic. The rebaseline's
 * functions (`RebaselineWorkflow`) get {@link Processors.environment}, the same config.
 */
export class Processors extends Construct {
  /** SQS (audit-prefix notifications) → EKS audit objects → findings. */
  public readonly auditProcessor: DriftwatchFunction;
  /** SQS (flow-prefix notifications) → VPC flow-log objects → findings. */
  public readonly flowProcessor: DriftwatchFunction;
  /**
   * What every function that runs the engine gets: the table, the topic and the config with the
   * threat lists at their S3 locations.
   */
  public readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: ProcessorsProps) {
    super(scope, id);
    const runtimeConfig: Config = {
      ...props.config,
      threatIntel: { ...props.config.threatIntel, sources: props.threatLists.runtimeSources },
    };
    const environment = {
      TABLE_NAME: props.state.table.tableName,
      // Some rebaseline steps publish nothing, but the shared runtime validates TOPIC_ARN at cold start.
      TOPIC_ARN: props.alerts.topic.topicArn,
      [CONFIG_ENV]: runtimeConfigJson(this, runtimeConfig),
      ...PROCESSOR_TUNING,
    };
    // The processors send a record's last failure to the DLQ with its reason: they must know which
    // receive is the last. The DLQ's URL (DEAD_LETTER_QUEUE_URL) and the right to send to it come
    // from the IngestionQueue that feeds each processor.
    const processorEnvironment = { ...environment, MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT) };
    this.environment = environment;

    // Memory and timeouts come from `npm run bench` (docs/PERFORMANCE.md). Both processors are
    // CPU-bound and single-threaded; up to 1,769 MB Lambda gives CPU in proportion to memory, so
    // GB-seconds per object are the same at any size up to there and more memory only shortens
    // the run. Audit objects are Firehose deliveries of at most ~5 MiB gzip (60 s buffers), a few
    // seconds of CPU; 1024 MB is several times the measured peak.
    this.auditProcessor = new DriftwatchFunction(this, 'AuditProcessor', {
      entry: 'functions/audit-processor/index.ts',
      description: 'Reads EKS audit-log objects named by S3 notifications and publishes findings',
      memorySize: 1024,
      timeout: Duration.minutes(5),
      environment: processorEnvironment,
    });
    // Flow-log objects reach 75 MB gzip (2.5M records): 12.5-15 CPU seconds, and it completes within
    // 256 MB under the heap limits Lambda sets for that size. 1769 MB is one full vCPU, so that
    // object takes ~15 s instead of ~25 s at 1024 MB for the same GB-seconds. Five minutes is 20 times
    // the largest object's run.
    this.flowProcessor = new DriftwatchFunction(this, 'FlowProcessor', {
      entry: 'functions/flow-processor/index.ts',
      description: 'Reads VPC flow-log objects named by S3 notifications and publishes findings',
      memorySize: 1769,
      timeout: Duration.minutes(5),
      environment: processorEnvironment,
    });

    const readObjects = (fn: DriftwatchFunction, location: LogLocation) => {
      const objects = location.bucket.arnForObjects(`${location.prefix}*`);
      // The reader passes the notification's VersionId, and reading a version takes
      // s3:GetObjectVersion: needed when an imported bucket has versioning on. A bucket of another
      // account is read only while that account owns it: a bucket deleted and its name taken by a
      // stranger would otherwise feed the processors its objects.
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          resources: [objects],
          ...(location.account !== undefined
            ? { conditions: { StringEquals: { 's3:ResourceAccount': location.account } } }
            : {}),
        }),
      );
      acknowledgeWildcardResource(
        fn.executionRole,
        objects,
        'Log objects arrive under the prefix with names chosen by the delivering service; reads are limited to that prefix.',
      );
    };
    for (const [fn, locations] of [
      [this.auditProcessor, props.auditLogs],
      [this.flowProcessor, props.flowLogs],
    ] as const) {
      props.state.table.grant(fn, ...TABLE_ACTIONS);
      props.alerts.grantPublish(fn);
      props.threatLists.grantRead(fn);
      for (const location of locations) readObjects(fn, location);
      decryptObjects(fn, locations);
    }
  }
}

/**
 * `kms:Decrypt` on exactly the keys the locations name, one statement per key, and only as S3 asks
 * for it while serving an object of those locations: `kms:ViaService` is S3 in the stack's region
 * (S3 notifies only a queue of its own region, so every bucket is there), and S3's encryption
 * context is the object's ARN, or the bucket's with an S3 Bucket Key.
 */
function decryptObjects(fn: DriftwatchFunction, locations: readonly LogLocation[]): void {
  const contextsByKey = new Map<string, Set<string>>();
  for (const location of locations) {
    if (location.kmsKeyArn === undefined) continue;
    const contexts = contextsByKey.get(location.kmsKeyArn) ?? new Set<string>();
    contexts.add(location.bucket.bucketArn);
    contexts.add(location.bucket.arnForObjects(`${location.prefix}*`));
    contextsByKey.set(location.kmsKeyArn, contexts);
  }
  for (const [keyArn, contexts] of contextsByKey) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${Stack.of(fn).region}.amazonaws.com` },
          ArnLike: { 'kms:EncryptionContext:aws:s3:arn': [...contexts] },
        },
      }),
    );
  }
}
