import type { Config } from './schema';

/** Where one source's logs land: a bucket (or the one the stack creates) and a key prefix in it. */
export interface SourceBucket {
  /** The bucket's name; undefined means the log bucket the stack creates. */
  readonly bucketName?: string;
  /** Key prefix, empty or ending with "/". */
  readonly prefix: string;
  /** The account that owns the bucket when it is not the stack's. */
  readonly account?: string;
  /** The KMS key the objects are encrypted with, when they are (SSE-KMS). */
  readonly kmsKeyArn?: string;
}

/** The two log sources of `sources`. */
export type LogSourceKind = 'audit' | 'flow';

/**
 * Every bucket and prefix a source reads, whichever form the config uses: the list of `buckets`,
 * or the one bucket of `bucketName` and `prefix`. The schema guarantees one form or the other, so
 * a source always has at least one.
 */
export function sourceBuckets(config: Config, kind: LogSourceKind): SourceBucket[] {
  const source = config.sources[kind];
  if (source.buckets) return source.buckets.map((bucket) => ({ ...bucket }));
  const { bucketName, prefix = '', account, kmsKeyArn } = source;
  return [
    {
      ...(bucketName !== undefined ? { bucketName } : {}),
      prefix,
      ...(account !== undefined ? { account } : {}),
      ...(kmsKeyArn !== undefined ? { kmsKeyArn } : {}),
    },
  ];
}
