import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface SecureQueueProps {
  /**
   * A dead-letter queue keeps messages for the SQS maximum of 14 days, so there is time to look
   * at them and redrive.
   * @default false
   */
  readonly isDeadLetterQueue?: boolean;
  /**
   * Visibility timeout; for a Lambda event source, at least six times the function timeout.
   * @default Duration.seconds(30)
   */
  readonly visibilityTimeout?: Duration;
  /**
   * Where messages go after `maxReceiveCount` failed receives.
   * @default - no dead-letter queue (only for queues that are themselves dead-letter queues)
   */
  readonly deadLetterQueue?: sqs.DeadLetterQueue;
}

/**
 * An SQS queue as every Driftwatch queue must be: encrypted at rest with SQS-managed keys and
 * reachable only over TLS. SQS-managed SSE rather than KMS because S3 event notifications,
 * EventBridge and Lambda destinations can then send to it with no key-policy work, and the messages
 * hold only object keys and event envelopes, not log content.
 */
export class SecureQueue extends sqs.Queue {
  constructor(scope: Construct, id: string, props: SecureQueueProps = {}) {
    if (props.isDeadLetterQueue && props.deadLetterQueue) {
      throw new Error(`${id}: a dead-letter queue cannot have a dead-letter queue of its own`);
    }
    super(scope, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.isDeadLetterQueue ? Duration.days(14) : undefined,
      visibilityTimeout: props.visibilityTimeout,
      deadLetterQueue: props.deadLetterQueue,
    });
  }
  /**
   * Exactly `sqs:SendMessage` on this queue, for a sender that knows the URL. SQS-managed SSE needs
   * no KMS grant; `grantSendMessages` would add `sqs:GetQueueAttributes` and `sqs:GetQueueUrl`,
   * which such a sender never calls.
   */
  public grantSendMessage(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, 'sqs:SendMessage');
  }
}
