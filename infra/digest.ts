import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Config } from '../shared/config';
import { CONFIG_ENV, defaultConfig } from '../shared/config';
import { keys } from '../shared/store';
import type { AlertTopic } from './alert-topic';
import { DriftwatchFunction } from './driftwatch-function';
import type { Watched } from './monitoring';
import { runtimeConfigJson } from './runtime-config';
import { ScheduledRun } from './scheduled-run';
import type { StateTable } from './state-table';

export interface DigestProps {
  /** The validated config: `incidents.digestSchedule`, the cluster name, `learning.days`. */
  readonly config: Config;
  /** The state table: incidents, the day's counters and learning are read there, the digest's outbox written. */
  readonly state: StateTable;
  /** The topic the digest is published to. */
  readonly alerts: AlertTopic;
  /** The stack's other dead-letter queues, by name; the digest reports how many messages wait in each, and in its own. */
  readonly deadLetterQueues: readonly Watched<sqs.IQueue>[];
}

/** What the digest writes: its outbox entries, `OUTBOX#digest#<day>` (the owner DailyDigest names). */
const DIGEST_OUTBOX = `${keys.outbox('digest#')}*`;

/**
 * The daily digest: a function on the `incidents.digestSchedule` schedule that publishes, per
 * cluster, the day before in one message (kind `digest`). It reads the table and the dead-letter
 * queues' depths and writes only its own outbox items, by the DynamoDB leading-key condition.
 */
export class Digest extends Construct {
  /** Schedule → the digest of the day before. */
  public readonly function: DriftwatchFunction;
  public readonly schedule: ScheduledRun;
  /** The digest's own dead-letter queues: schedule events not delivered, invocations failed past their retries. */
  public readonly deadLetterQueues: Watched<sqs.IQueue>[];

  constructor(scope: Construct, id: string, props: DigestProps) {
    super(scope, id);
    // The digest loads no threat list and reads no log object: its config leaves the lists and the
    // sources' buckets out (its role cannot read them), which leaves room for many clusters' ranges.
    const runtimeConfig: Config = {
      ...props.config,
      sources: defaultConfig().sources,
      threatIntel: { ...props.config.threatIntel, sources: [] },
    };
    this.function = new DriftwatchFunction(this, 'Function', {
      entry: 'functions/digest/index.ts',
      description: 'Runs on a schedule: publishes the daily digest of the day before',
      memorySize: 512,
      // As long as the digest's outbox lease (shared/engine/daily-digest.ts): a run that died
      // holding its digest has let go when Lambda retries it.
      timeout: Duration.minutes(2),
      asyncRetryAttempts: 2,
      environment: {
        TABLE_NAME: props.state.table.tableName,
        TOPIC_ARN: props.alerts.topic.topicArn,
        [CONFIG_ENV]: runtimeConfigJson(this, runtimeConfig),
      },
    });
    this.schedule = new ScheduledRun(this, 'Schedule', {
      schedule: props.config.incidents.digestSchedule,
      target: this.function,
      description: 'Driftwatch daily digest',
    });
    const failures = this.function.failureQueue;
    this.deadLetterQueues = [
      { name: 'DigestSchedule', resource: this.schedule.deadLetterQueue },
      ...(failures ? [{ name: 'DigestFailures', resource: failures }] : []),
    ];
    const queues = [...props.deadLetterQueues, ...this.deadLetterQueues];
    this.function.addEnvironment(
      'DEAD_LETTER_QUEUES',
      Stack.of(this).toJsonString(Object.fromEntries(queues.map((q) => [q.name, q.resource.queueUrl]))),
    );

    const table = props.state.table.tableArn;
    iam.Grant.addToPrincipal({
      grantee: this.function,
      actions: ['dynamodb:GetItem', 'dynamodb:Query'],
      resourceArns: [table],
    });
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'],
        resources: [table],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [DIGEST_OUTBOX] } },
      }),
    );
    props.alerts.grantPublish(this.function);
    iam.Grant.addToPrincipal({
      grantee: this.function,
      actions: ['sqs:GetQueueAttributes'],
      resourceArns: queues.map((q) => q.resource.queueArn),
    });
  }
}
