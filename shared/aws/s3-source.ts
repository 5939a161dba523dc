import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { LogKind, ObjectSource } from '../ingest';
import { ReaderError, stoppedReading } from '../ingest';
import { type ListFetcher, ListMissingError } from '../intel';
import type { S3ObjectRef } from './s3-events';
import { isMissingObject } from './threat-list-store';

/**
 * An S3 object as an {@link ObjectSource}: streamed with GetObject, ranged for sniffing and for
 * Parquet. The size comes from the notification (S3 puts it in every ObjectCreated record).
 * `signal` stops reading: a request in flight is cancelled, an open stream destroyed (a stalled
 * download ends too), and the readers stop at their next chunk with a thrown error, never
 * counted as damaged content.
 */
export function s3ObjectSource(client: S3Client, ref: S3ObjectRef, kind?: LogKind, signal?: AbortSignal): ObjectSource {
  const uri = `s3://${ref.bucket}/${ref.key}`;
  // Stopping is thrown as a ReaderError, which every reader passes on: never counted as damage.
  const stopped = () => stoppedReading(uri, signal as AbortSignal);
  const send = async (range: string | undefined) => {
    if (signal?.aborted) throw stopped();
    const out = await client.send(
      new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId, Range: range }),
      { abortSignal: signal },
    );
    if (!out.Body) throw new Error('empty body');
    return out.Body as AsyncIterable<Uint8Array> & { transformToByteArray(): Promise<Uint8Array> };
  };
  return {
    uri,
    kind,
    signal,
    size: ref.size,
    version: ref.versionId ?? ref.eTag ?? String(ref.size ?? ''),
    async readRange(start, end) {
      if (end <= start) return new Uint8Array(0);
      try {
        return await (await send(`bytes=${start}-${end - 1}`)).transformToByteArray();
      } catch (cause) {
        if (signal?.aborted) throw stopped();
        throw new ReaderError(`cannot read bytes ${start}-${end - 1} of ${uri}: ${(cause as Error).message}`, {
          cause,
        });
      }
    },
    async open(options) {
      try {
        const body = await send(options?.headBytes ? `bytes=0-${options.headBytes - 1}` : undefined);
        // In Node the SDK's body is the HTTP response stream.
        return signal ? abortable(body as unknown as Readable, signal, stopped) : body;
      } catch (cause) {
        if (signal?.aborted) throw stopped();
        throw new ReaderError(`cannot read ${uri}: ${(cause as Error).message}`, { cause });
      }
    },
  };
}

/** The body's chunks until `signal` aborts; then the body is destroyed and the iteration throws `stopped()`. */
async function* abortable(body: Readable, signal: AbortSignal, stopped: () => Error): AsyncGenerator<Uint8Array> {
  const stop = () => body.destroy(stopped());
  signal.addEventListener('abort', stop, { once: true });
  try {
    for await (const chunk of body) {
      // The abort event waits for the event loop; a stream whose data is already buffered may not.
      if (signal.aborted) throw stopped();
      yield chunk as Uint8Array;
    }
  } finally {
    signal.removeEventListener('abort', stop);
    body.destroy();
  }
}

export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match?.[1] || !match[2]) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: match[1], key: match[2] };
}

/** Reads threat lists from S3, with the ETag as the version. */
export function s3ListFetcher(client: S3Client): ListFetcher {
  const missing = (uri: string) => (error: unknown) => {
    throw isMissingObject(error) ? new ListMissingError(uri, { cause: error }) : error;
  };
  return {
    async fetch(uri) {
      const { bucket, key } = parseS3Uri(uri);
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key })).catch(missing(uri));
      return { text: (await out.Body?.transformToString('utf8')) ?? '', version: out.ETag ?? '' };
    },
    async version(uri) {
      const { bucket, key } = parseS3Uri(uri);
      const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).catch(missing(uri));
      return out.ETag ?? '';
    },
  };
}
