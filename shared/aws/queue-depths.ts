import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * How many messages wait in each of a set of queues (the dead-letter queues, for the digest): SQS's
 * `ApproximateNumberOfMessages`, visible messages only, as the DLQ alarms count them.
 */
export class QueueDepths {
  constructor(
    private readonly client: SQSClient,
    /** Queue URLs by the name the digest shows. */
    private readonly queues: Readonly<Record<string, string>>,
  ) {}

  /** Each queue's depth, by name. Throws when SQS does not answer for one: the run is retried. */
  async read(): Promise<Record<string, number>> {
    const entries = await Promise.all(
      Object.entries(this.queues).map(async ([name, url]) => {
        const out = await this.client.send(
          new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
        );
        return [name, Number(out.Attributes?.ApproximateNumberOfMessages ?? 0)] as const;
      }),
    );
    return Object.fromEntries(entries);
  }
}
