import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Construct } from 'constructs';
import type { LogLocation } from './log-buckets';
import { SecureQueue } from './secure-queue';

/** Failed receives before a message moves to the DLQ. */
export const MAX_RECEIVE_COUNT = 3;

export interface IngestionQueueProps {
  /**
   * The buckets and prefixes whose new objects are announced. The stack configures the
   * notifications of its own buckets; a bucket of another account (`account`) notifies the queue
   * itself, as its owner configures it, and the queue's policy lets exactly that bucket send.
   */
  readonly sources: readonly LogLocation[];
  /**
   * The function that processes the announced objects. It gets the DLQ's URL in
   * `DEAD_LETTER_QUEUE_URL` and may send to it (a record failing on its last receive, with its reason).
   */
  readonly consumer: lambda.Function;
  /** Records per invocation. */
  readonly batchSize: number;
  /**
   * How long the poller waits to fill a batch.
   * @default - none: a batch goes as soon as messages are there
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Most concurrent invocations the event source starts (2 to 1000). Bounds the write burst a
   * backlog sends to DynamoDB.
   * @default - no limit beyond the function's
   */
  readonly maxConcurrency?: number;
}

/**
 * One source's ingestion path: S3 "object created" notifications for each of its prefixes go to
 * an SQS queue (with a DLQ after three failed receives), and the consumer takes them in batches,
 * reporting failed records one by one so only those are retried. On a record's last receive the
 * consumer sends it to the DLQ itself, with its reason as message attributes, so it holds exactly
 * `sqs:SendMessage` on the DLQ; the redrive policy still moves a message whose send failed.
 */
export class IngestionQueue extends Construct {
  public readonly queue: SecureQueue;
  public readonly deadLetterQueue: SecureQueue;

  constructor(scope: Construct, id: string, props: IngestionQueueProps) {
    super(scope, id);
    const timeout = props.consumer.timeout;
    if (!timeout) throw new Error(`${id}: the consumer must have a timeout to size the visibility timeout from`);
    if (props.batchSize < 1 || props.batchSize > 10) {
      // Above 10 a batching window becomes mandatory and one slow object holds up more records.
      throw new Error(`${id}: batchSize must be 1 to 10`);
    }
    this.deadLetterQueue = new SecureQueue(this, 'DeadLetterQueue', { isDeadLetterQueue: true });
    // AWS's guidance for Lambda consumers: six times the function timeout plus the batching window,
    // so a message is not handed out again while a retried invocation may still hold it.
    const visibilitySeconds = timeout.toSeconds() * 6 + (props.maxBatchingWindow?.toSeconds() ?? 0);
    this.queue = new SecureQueue(this, 'Queue', {
      visibilityTimeout: Duration.seconds(visibilitySeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    props.consumer.addEnvironment('DEAD_LETTER_QUEUE_URL', this.deadLetterQueue.queueUrl);
    this.deadLetterQueue.grantSendMessage(props.consumer);

    for (const source of props.sources.filter((s) => s.account === undefined)) {
      source.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new SqsDestination(this.queue), {
        prefix: source.prefix || undefined,
      });
    }
    this.allowOtherAccounts(props.sources);
    props.consumer.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: props.batchSize,
        maxBatchingWindow: props.maxBatchingWindow,
        maxConcurrency: props.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
  }

  /**
   * Lets S3 send notifications of the other accounts' buckets: one statement per account, allowing
   * only S3, only `sqs:SendMessage`, and only for that account's named buckets (`aws:SourceArn`
   * and `aws:SourceAccount` together, so a bucket of the same name in another account cannot
   * send). The queue's TLS-only statement still applies to everyone.
   */
  private allowOtherAccounts(sources: readonly LogLocation[]): void {
    const bucketsByAccount = new Map<string, Set<string>>();
    for (const source of sources) {
      if (source.account === undefined) continue;
      const arns = bucketsByAccount.get(source.account) ?? new Set<string>();
      arns.add(source.bucket.bucketArn);
      bucketsByAccount.set(source.account, arns);
    }
    for (const [account, bucketArns] of bucketsByAccount) {
      this.queue.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `S3Notifications${account}`,
          principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [this.queue.queueArn],
          conditions: {
            ArnEquals: { 'aws:SourceArn': [...bucketArns] },
            StringEquals: { 'aws:SourceAccount': account },
          },
        }),
      );
    }
  }
}
