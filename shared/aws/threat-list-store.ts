import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { ConfigError, describeIssue } from '../config';
import { ListMissingError, type ListStore } from '../intel';

/** The key prefix of the fetched lists in the stack's threat-list bucket. */
export const THREAT_LIST_PREFIX = 'threat-lists/';

/** The fetcher's service name: the `service` dimension of its metrics, which the stack's alarm watches. */
export const THREAT_LIST_FETCH_SERVICE = 'threat-list-fetch';

/**
 * Lists that kept their last good copy in a run (0 when all refreshed). The fetcher publishes it
 * on every run, so that the alarm on it stays raised until a run refreshes every list.
 */
export const STALE_LISTS_METRIC = 'ThreatListsStale';

/** Where the stack's fetched lists live: `s3://<bucket>/<prefix><name>.txt`. */
export interface ThreatListLocation {
  bucket: string;
  /** Empty or ending with "/". */
  prefix: string;
}

/** The key of a fetched list; the stack grants access to exactly these keys. */
export function threatListKey(prefix: string, name: string): string {
  return `${prefix}${name}.txt`;
}

/** S3's answers for an object that does not exist: GetObject's and HeadObject's. */
export function isMissingObject(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === 'NoSuchKey' || name === 'NotFound';
}

/**
 * The fetched lists in a versioned bucket: a refresh puts a new version of the list's key, and
 * the one before stays as a noncurrent version. The processors read the key itself, so the copy
 * in use is always the last good one.
 */
export class S3ListStore implements ListStore {
  constructor(
    private readonly client: S3Client,
    private readonly location: ThreatListLocation,
  ) {}

  async read(name: string): Promise<string> {
    const Key = threatListKey(this.location.prefix, name);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key }));
      return (await out.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (isMissingObject(error)) throw new ListMissingError(`s3://${this.location.bucket}/${Key}`, { cause: error });
      throw error;
    }
  }

  /** The new copy's S3 version id; its ETag where the bucket keeps no versions (a local S3 in tests). */
  async write(name: string, text: string, about: { url: string; entries: number }): Promise<string | undefined> {
    const out = await this.client.send(
      new PutObjectCommand({
        Bucket: this.location.bucket,
        Key: threatListKey(this.location.prefix, name),
        Body: text,
        ContentType: 'text/plain; charset=utf-8',
        // Where the copy came from, for whoever looks at a version in the console.
        Metadata: { source: about.url, entries: String(about.entries) },
      }),
    );
    return out.VersionId ?? out.ETag;
  }
}

const FetcherEnvironmentSchema = z.object({
  THREAT_LIST_BUCKET: z.string().min(3),
  THREAT_LIST_PREFIX: z.string().regex(/^$|\/$/, 'must be empty or end with "/"'),
  /** The state table, where the fetcher notes each list's refresh status for the rebaseline. */
  TABLE_NAME: z.string().min(1),
});

/** The fetcher's environment, validated once at cold start. */
export function threatListEnvironment(env: NodeJS.ProcessEnv = process.env): ThreatListLocation & {
  tableName: string;
} {
  const parsed = FetcherEnvironmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`Lambda environment: ${describeIssue(parsed.error)}; redeploy the stack`);
  }
  return {
    bucket: parsed.data.THREAT_LIST_BUCKET,
    prefix: parsed.data.THREAT_LIST_PREFIX,
    tableName: parsed.data.TABLE_NAME,
  };
}
