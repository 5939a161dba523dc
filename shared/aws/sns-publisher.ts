import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { IncidentMessage, MessageSink, PublishResult } from '../incident';

/** SNS takes at most 10 messages per PublishBatch and 256 KB per message. */
const BATCH = 10;
const MAX_MESSAGE_BYTES = 250_000;

export interface SnsPublisherOptions {
  client: SNSClient;
  topicArn: string;
}

/**
 * Publishes findings to the alert topic. Each message carries the Finding as JSON for machine
 * subscribers and a readable body for email (SNS message structure `json`), plus the attributes
 * `severity`, `ruleId` and `cluster` that subscription filter policies match on, and `findingId`,
 * by which a subscriber can drop a message SNS itself delivered twice.
 *
 * Never throws: the result names each finding SNS did not take (an entry it failed, or every
 * entry of a batch whose call failed), so the caller retries those alone.
 */
export class SnsPublisher implements MessageSink {
  constructor(private readonly options: SnsPublisherOptions) {}

  async publish(findings: readonly IncidentMessage[]): Promise<PublishResult | undefined> {
    const failed = new Map<string, string>();
    for (let i = 0; i < findings.length; i += BATCH) {
      const batch = findings.slice(i, i + BATCH);
      try {
        const out = await this.options.client.send(
          new PublishBatchCommand({
            TopicArn: this.options.topicArn,
            PublishBatchRequestEntries: batch.map((finding, n) => toEntry(finding, `f${n}`)),
          }),
        );
        for (const entry of out.Failed ?? []) {
          const finding = batch[Number(entry.Id?.slice(1))];
          if (finding) failed.set(finding.id, `${entry.Code ?? 'Failed'}: ${entry.Message ?? ''}`.trim());
        }
      } catch (error) {
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        for (const finding of batch) failed.set(finding.id, reason);
      }
    }
    return failed.size > 0 ? { failed } : undefined;
  }
}

export function toEntry(message: IncidentMessage, id: string) {
  const json = JSON.stringify(message).slice(0, MAX_MESSAGE_BYTES / 2);
  return {
    Id: id,
    Subject: `[${message.severity.toUpperCase()}] ${message.kind}`.slice(0, 100),
    MessageStructure: 'json',
    Message: JSON.stringify({ default: json }),
    MessageAttributes: {
      kind: { DataType: 'String', StringValue: message.kind },
      severity: { DataType: 'String', StringValue: message.severity },
      ruleId: { DataType: 'String.Array', StringValue: JSON.stringify(message.ruleIds) },
      cluster: { DataType: 'String', StringValue: message.cluster },
      messageId: { DataType: 'String', StringValue: message.id },
    },
  };
}
