import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';

/** An error text longer than this is cut, so the attributes stay small beside the body. */
export const MAX_ERROR_CHARS = 1024;

/** Why a record was dead-lettered, and on which receive: the message attributes of the DLQ copy. */
export interface DeadLetterReason {
  /** The failure reason, as in the logs and the `RecordsFailed.<reason>` metric. */
  reason: string;
  /** The error message: the processor's own text (object URIs, keys, limits), never log content. */
  error: string;
  /** The receive the record failed on: the queue's last. */
  receiveCount: number;
}

/**
 * Sends a record that failed on its last receive to the ingestion queue's dead-letter queue
 * itself, with why: the original body, and the attributes `reason`, `error` (at most
 * {@link MAX_ERROR_CHARS} characters), `receiveCount` and `sourceMessageId`. The redrive policy
 * would move the message without them. Throws when SQS does not take it; the caller then fails the
 * record so the redrive still moves it.
 */
export class DeadLetterQueue {
  constructor(
    private readonly client: SQSClient,
    readonly queueUrl: string,
  ) {}

  /** Sends the record; resolves to the DLQ copy's message id. */
  async send(record: SQSRecord, why: DeadLetterReason): Promise<string | undefined> {
    const out = await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: record.body,
        MessageAttributes: {
          reason: { DataType: 'String', StringValue: why.reason },
          error: { DataType: 'String', StringValue: attributeText(why.error) || '(no message)' },
          receiveCount: { DataType: 'Number', StringValue: String(why.receiveCount) },
          sourceMessageId: { DataType: 'String', StringValue: record.messageId },
        },
      }),
    );
    return out.MessageId;
  }
}

/** Control characters but tab and line breaks, U+FFFE, U+FFFF, and surrogates that are not part of a pair. */
const REFUSED =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The text as an SQS attribute value: characters SQS refuses (control characters other than tab
 * and line breaks, lone surrogates, U+FFFE and U+FFFF) become U+FFFD, and it is cut to
 * {@link MAX_ERROR_CHARS} characters, never inside a surrogate pair.
 */
export function attributeText(text: string): string {
  const clean = text.replace(REFUSED, '\uFFFD');
  const chars = Array.from(clean);
  return chars.length > MAX_ERROR_CHARS ? `${chars.slice(0, MAX_ERROR_CHARS - 1).join('')}…` : clean;
}
