import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { IncidentMessage, MessageSink, PublishResult } from '../incident';
import { renderDigestEmail, renderDigestSubject } from '../incident';
import { printable } from '../util';

/** SNS takes at most 10 messages per PublishBatch and 256 KB per message. */
const BATCH = 10;
const MAX_MESSAGE_BYTES = 250_000;
/** Incident lines per digest list kept when a digest would not fit a message. */
const DIGEST_LINES_WHEN_CUT = 100;

/** What an email subscriber reads. */
export interface RenderedMessage {
  subject: string;
  email: string;
}

export interface SnsMessagePublisherOptions {
  client: SNSClient;
  topicArn: string;
  /**
   * The subject and email text of a message.
   * @default digests rendered in full; other kinds by {@link renderPlain}
   */
  render?: (message: IncidentMessage) => RenderedMessage;
}

/**
 * Publishes incident messages (and the daily digest) to the alert topic: the message as JSON for
 * machine subscribers and as text for email (message structure `json`), with the attributes
 * subscription filter policies match on: `kind`, `severity`, `cluster`, `ruleId` (a string array),
 * and `messageId`, by which a subscriber can drop a copy SNS itself delivered twice.
 *
 * Never throws: the result names each message SNS did not take, so the caller retries those alone.
 */
export class SnsMessagePublisher implements MessageSink {
  private readonly render: (message: IncidentMessage) => RenderedMessage;

  constructor(private readonly options: SnsMessagePublisherOptions) {
    this.render = options.render ?? renderMessage;
  }

  async publish(messages: readonly IncidentMessage[]): Promise<PublishResult | undefined> {
    const failed = new Map<string, string>();
    for (let i = 0; i < messages.length; i += BATCH) {
      const batch = messages.slice(i, i + BATCH);
      try {
        const out = await this.options.client.send(
          new PublishBatchCommand({
            TopicArn: this.options.topicArn,
            PublishBatchRequestEntries: batch.map((message, n) => this.entry(message, `m${n}`)),
          }),
        );
        for (const entry of out.Failed ?? []) {
          const message = batch[Number(entry.Id?.slice(1))];
          if (message) failed.set(message.id, `${entry.Code ?? 'Failed'}: ${entry.Message ?? ''}`.trim());
        }
      } catch (error) {
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        for (const message of batch) failed.set(message.id, reason);
      }
    }
    return failed.size > 0 ? { failed } : undefined;
  }

  private entry(message: IncidentMessage, id: string) {
    const { subject, email } = this.render(message);
    return {
      Id: id,
      Subject: subject,
      MessageStructure: 'json',
      Message: JSON.stringify({ default: fitted(message), email: email.slice(0, MAX_MESSAGE_BYTES / 4) }),
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: message.kind },
        severity: { DataType: 'String', StringValue: message.severity },
        cluster: { DataType: 'String', StringValue: message.cluster },
        ruleId: { DataType: 'String.Array', StringValue: JSON.stringify(message.ruleIds) },
        messageId: { DataType: 'String', StringValue: message.id },
      },
    };
  }
}

/**
 * The message as JSON within half a message: findings are dropped from the end (the newest come
 * first) and a digest's incident lists are cut until it fits.
 */
function fitted(message: IncidentMessage): string {
  let json = JSON.stringify(message);
  const fits = () => Buffer.byteLength(json) <= MAX_MESSAGE_BYTES / 2;
  let findings = message.findings.length;
  while (!fits() && findings > 0) {
    findings = Math.floor(findings / 2);
    json = JSON.stringify({ ...message, findings: message.findings.slice(0, findings) });
  }
  if (!fits() && message.digest) {
    const digest = message.digest;
    const cut = { ...digest };
    for (const list of ['opened', 'updated', 'stillOpen'] as const)
      cut[list] = digest[list].slice(0, DIGEST_LINES_WHEN_CUT);
    json = JSON.stringify({ ...message, findings: [], digest: cut });
  }
  return json;
}

/** Digests in full; other kinds plainly, until the incident rendering is connected here. */
function renderMessage(message: IncidentMessage): RenderedMessage {
  if (message.kind === 'digest' && message.digest) {
    return { subject: renderDigestSubject(message.digest), email: renderDigestEmail(message.digest) };
  }
  return renderPlain(message);
}

/** A subject and text from the message's own fields, for kinds with no rendering of their own. */
function renderPlain(message: IncidentMessage): RenderedMessage {
  const title = message.incident?.title ?? message.reason;
  const subject = `[${message.severity.toUpperCase()}] ${title} [${message.cluster}]`
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
  const email = [
    printable(`${message.severity.toUpperCase()}: ${title}`, 300),
    '',
    `Why this message: ${printable(message.reason, 500)}`,
    `Cluster: ${printable(message.cluster, 200)}`,
    `Rules: ${message.ruleIds.map((r) => printable(r, 200)).join(', ')}`,
    ...message.findings.map((f) => `  ${f.time} [${f.severity}] ${printable(f.title, 300)}`),
  ].join('\n');
  return { subject: subject.length > 100 ? `${subject.slice(0, 97)}...` : subject, email };
}
