import { type MessageAttributeValue, PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import {
  type IncidentMessage,
  incidentJson,
  type MessageSink,
  type PublishResult,
  renderEmail,
  renderSubject,
  toChatNotification,
} from '../incident';
import { printable } from '../util';

/**
 * SNS takes at most 10 messages per PublishBatch, and 256 KiB (262,144 bytes) both per message and
 * for the whole batch, bodies and attributes together. We keep a margin under both.
 */
const BATCH = 10;
const MAX_BATCH_BYTES = 256_000;
const MAX_ENTRY_BYTES = 240_000;

/**
 * How much room the JSON body and the email get, tried in order until the entry fits: JSON
 * escaping of the three bodies inside one JSON `Message` can nearly double a quote-heavy body.
 */
interface Fit {
  json: number;
  email: number;
}
const FITS: readonly Fit[] = [
  { json: 120_000, email: 60_000 },
  { json: 60_000, email: 30_000 },
];
const SMALLEST_FIT: Fit = { json: 20_000, email: 10_000 };

export interface SnsPublisherOptions {
  client: SNSClient;
  topicArn: string;
}

interface Entry {
  Id: string;
  Subject: string;
  MessageStructure: 'json';
  Message: string;
  MessageAttributes: Record<string, MessageAttributeValue>;
}

/**
 * Publishes incident messages to the alert topic, one SNS message per IncidentMessage. With message
 * structure `json`, each protocol gets its own body: `default` the message as JSON for machine
 * subscribers, `email` the plain-text email, `https` the Amazon Q Developer (AWS Chatbot) custom
 * notification, since Chatbot subscribes over HTTPS. Attributes `kind`, `severity`, `ruleId` (a
 * string array) and `cluster` are what subscription filter policies match on; `messageId` lets a
 * subscriber drop a message SNS itself delivered twice.
 *
 * Never throws: the result names each message SNS did not take (an entry it failed, or every entry
 * of a batch whose call failed), so the caller retries those alone.
 */
export class SnsPublisher implements MessageSink {
  constructor(private readonly options: SnsPublisherOptions) {}

  async publish(messages: readonly IncidentMessage[]): Promise<PublishResult | undefined> {
    const failed = new Map<string, string>();
    for (const batch of batches(messages, failed)) {
      try {
        const out = await this.options.client.send(
          new PublishBatchCommand({
            TopicArn: this.options.topicArn,
            PublishBatchRequestEntries: batch.map(({ entry }) => entry),
          }),
        );
        for (const result of out.Failed ?? []) {
          const message = batch.find(({ entry }) => entry.Id === result.Id)?.message;
          if (message) failed.set(message.id, `${result.Code ?? 'Failed'}: ${result.Message ?? ''}`.trim());
        }
      } catch (error) {
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        for (const { message } of batch) failed.set(message.id, reason);
      }
    }
    return failed.size > 0 ? { failed } : undefined;
  }
}

/**
 * Entries in batches of at most 10 whose sizes add up to less than SNS's batch limit. A message
 * that cannot be rendered is failed alone, with the reason, and the others still go.
 */
function batches(
  messages: readonly IncidentMessage[],
  failed: Map<string, string>,
): { message: IncidentMessage; entry: Entry }[][] {
  const out: { message: IncidentMessage; entry: Entry }[][] = [];
  let current: { message: IncidentMessage; entry: Entry }[] = [];
  let currentBytes = 0;
  for (const [n, message] of messages.entries()) {
    let entry: Entry;
    try {
      entry = toEntry(message, `m${n}`);
    } catch (error) {
      failed.set(message.id, `not rendered: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    const size = entryBytes(entry);
    if (current.length === BATCH || (current.length > 0 && currentBytes + size > MAX_BATCH_BYTES)) {
      out.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push({ message, entry });
    currentBytes += size;
  }
  if (current.length) out.push(current);
  return out;
}

/** What SNS counts: the body and every attribute's name, type and value. */
function entryBytes(entry: Entry): number {
  let size = Buffer.byteLength(entry.Message) + Buffer.byteLength(entry.Subject);
  for (const [name, value] of Object.entries(entry.MessageAttributes)) {
    size +=
      Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? '');
  }
  return size;
}

/** At most `max` UTF-8 bytes of the text, cut on a character boundary, with a note when cut. */
function clipBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  const note = '\n\n[Truncated: the JSON message carries the rest.]';
  let cut = Buffer.from(text)
    .subarray(0, max - note.length)
    .toString('utf8');
  // A character cut in two decodes as U+FFFD: drop it.
  if (cut.endsWith('\uFFFD')) cut = cut.slice(0, -1);
  return `${cut}${note}`;
}

function attribute(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}

function toEntry(message: IncidentMessage, id: string): Entry {
  const ruleIds = message.kind === 'digest' ? ['digest'] : message.ruleIds;
  const MessageAttributes: Record<string, MessageAttributeValue> = {
    kind: attribute(message.kind),
    severity: attribute(message.severity),
    // A String.Array attribute is a JSON array in a string; filter policies match its elements.
    ruleId: { DataType: 'String.Array', StringValue: JSON.stringify(ruleIds) },
    // SNS refuses empty values and control characters in attributes.
    cluster: attribute(printable(message.cluster, 256) || 'unknown'),
    messageId: attribute(message.id),
  };
  const email = renderEmail(message);
  const https = JSON.stringify(toChatNotification(message));
  const build = (fit: Fit): Entry => ({
    Id: id,
    Subject: renderSubject(message),
    MessageStructure: 'json',
    Message: JSON.stringify({ default: incidentJson(message, fit.json), email: clipBytes(email, fit.email), https }),
    MessageAttributes,
  });
  for (const fit of FITS) {
    const entry = build(fit);
    if (entryBytes(entry) <= MAX_ENTRY_BYTES) return entry;
  }
  // Always small enough: 20 KB of JSON and 10 KB of email, escaped, beside a bounded chat notification.
  return build(SMALLEST_FIT);
}
