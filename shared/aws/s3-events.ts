import { z } from 'zod';
import { printable } from '../util';

/** The parts of an S3 event notification record Driftwatch uses. */
const S3RecordSchema = z.object({
  eventName: z.string(),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().optional(),
      eTag: z.string().optional(),
      versionId: z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});

const S3NotificationSchema = z.union([
  z.object({ Records: z.array(S3RecordSchema) }),
  // Sent once when a notification is configured; carries no object.
  z.object({ Event: z.literal('s3:TestEvent') }),
]);

export interface S3ObjectRef {
  bucket: string;
  /** The object key, URL-decoded. */
  key: string;
  size?: number;
  eTag?: string;
  versionId?: string;
}

export class EventFormatError extends Error {
  override readonly name = 'EventFormatError';
}

/**
 * A notification's key, URL-decoded. S3 always encodes keys correctly, so a bad `%` escape means
 * the message did not come from S3 as it is: an {@link EventFormatError} naming the key, which
 * fails the record (kept in the DLQ for a look), never a bare `URIError`.
 */
function decodeKey(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch (cause) {
    throw new EventFormatError(
      `S3 notification names object key "${printable(raw, 300)}", which is not valid URL encoding (a malformed % escape)`,
      { cause },
    );
  }
}

/**
 * The objects an SQS message body announces. S3 URL-encodes keys in notifications, with `+` for
 * spaces. Throws {@link EventFormatError} for a body that is not an S3 notification.
 */
export function objectsFromNotification(body: string): S3ObjectRef[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (cause) {
    throw new EventFormatError('SQS message body is not JSON', { cause });
  }
  const parsed = S3NotificationSchema.safeParse(json);
  if (!parsed.success) {
    throw new EventFormatError(`SQS message body is not an S3 event notification: ${parsed.error.issues[0]?.message}`);
  }
  if (!('Records' in parsed.data)) return [];
  return parsed.data.Records.filter((r) => r.eventName.startsWith('ObjectCreated')).map((r) => ({
    bucket: r.s3.bucket.name,
    key: decodeKey(r.s3.object.key),
    size: r.s3.object.size,
    eTag: r.s3.object.eTag,
    versionId: r.s3.object.versionId,
  }));
}
