import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AlertSink, Finding, PublishResult } from '../alert';
import { renderEmail, renderSubject } from '../alert';

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
 * by which a subscriber can drop a message SNS itself delivered twice. `kind` is `incident`: email
 * filters take every kind but the daily digest, and a message without the attribute matches none.
 *
 * Never throws: the result names each finding SNS did not take (an entry it failed, or every
 * entry of a batch whose call failed), so the caller retries those alone.
 */
export class SnsPublisher implements AlertSink {
  constructor(private readonly options: SnsPublisherOptions) {}

  async publish(findings: readonly Finding[]): Promise<PublishResult | undefined> {
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

export function toEntry(finding: Finding, id: string) {
  let json = JSON.stringify(finding);
  if (Buffer.byteLength(json) > MAX_MESSAGE_BYTES / 2) {
    json = JSON.stringify({
      ...finding,
      evidence: finding.evidence.slice(0, 2000),
      entities: { cluster: finding.entities.cluster },
    });
  }
  const email = renderEmail(finding).slice(0, MAX_MESSAGE_BYTES / 4);
  return {
    Id: id,
    Subject: renderSubject(finding),
    MessageStructure: 'json',
    Message: JSON.stringify({ default: json, email }),
    MessageAttributes: {
      kind: { DataType: 'String', StringValue: 'incident' },
      severity: { DataType: 'String', StringValue: finding.severity },
      ruleId: { DataType: 'String', StringValue: finding.ruleId },
      cluster: { DataType: 'String', StringValue: String(finding.entities.cluster ?? 'unknown') },
      findingId: { DataType: 'String', StringValue: finding.id },
    },
  };
}
