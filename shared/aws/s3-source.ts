import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { LogKind, ObjectSource } from '../ingest';
import { ReaderError } from '../ingest';
import type { ListFetcher } from '../intel';
import type { S3ObjectRef } from './s3-events';

/**
 * An S3 object as an {@link ObjectSource}: streamed with GetObject, ranged for sniffing and for
 * Parquet. The size comes from the notification (S3 puts it in every ObjectCreated record).
 */
export function s3ObjectSource(client: S3Client, ref: S3ObjectRef, kind?: LogKind): ObjectSource {
  const uri = `s3://${ref.bucket}/${ref.key}`;
  return {
    uri,
    kind,
    size: ref.size,
    version: ref.versionId ?? ref.eTag ?? String(ref.size ?? ''),
    async readRange(start, end) {
      if (end <= start) return new Uint8Array(0);
      try {
        const out = await client.send(
          new GetObjectCommand({
            Bucket: ref.bucket,
            Key: ref.key,
            VersionId: ref.versionId,
            Range: `bytes=${start}-${end - 1}`,
          }),
        );
        if (!out.Body) throw new Error('empty body');
        return await out.Body.transformToByteArray();
      } catch (cause) {
        throw new ReaderError(`cannot read bytes ${start}-${end - 1} of ${uri}: ${(cause as Error).message}`, {
          cause,
        });
      }
    },
    async open(options) {
      try {
        const out = await client.send(
          new GetObjectCommand({
            Bucket: ref.bucket,
            Key: ref.key,
            VersionId: ref.versionId,
            Range: options?.headBytes ? `bytes=0-${options.headBytes - 1}` : undefined,
          }),
        );
        if (!out.Body) throw new Error('empty body');
        return out.Body as AsyncIterable<Uint8Array>;
      } catch (cause) {
        throw new ReaderError(`cannot read ${uri}: ${(cause as Error).message}`, { cause });
      }
    },
  };
}

export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match?.[1] || !match[2]) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: match[1], key: match[2] };
}

/** Reads threat lists from S3, with the ETag as the version. */
export function s3ListFetcher(client: S3Client): ListFetcher {
  return {
    async fetch(uri) {
      const { bucket, key } = parseS3Uri(uri);
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return { text: (await out.Body?.transformToString('utf8')) ?? '', version: out.ETag ?? '' };
    },
    async version(uri) {
      const { bucket, key } = parseS3Uri(uri);
      const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return out.ETag ?? '';
    },
  };
}
