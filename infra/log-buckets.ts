import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';

/** Where one kind of log lands: a bucket and a key prefix inside it. */
export interface LogLocation {
  readonly bucket: s3.IBucket;
  /** Key prefix, empty or ending with "/". */
  readonly prefix: string;
  /** True when the bucket belongs to someone else and was imported by name. */
  readonly imported: boolean;
  /**
   * The account that owns the bucket when it is not the stack's. That owner applies the bucket's
   * notifications (this stack cannot), and reads are only allowed from a bucket it owns.
   */
  readonly account?: string;
  /** The KMS key the objects are encrypted with (SSE-KMS): readers may decrypt with it through S3. */
  readonly kmsKeyArn?: string;
}

/** One bucket and prefix of a source, as `sourceBuckets` reads them from the config's `sources`. */
export interface LogSourceProps {
  /**
   * Name of an existing bucket to read from.
   * @default - the log bucket this construct creates (one, shared by every source that names none)
   */
  readonly bucketName?: string;
  /** Key prefix the logs land under: empty or ending with "/". */
  readonly prefix: string;
  /**
   * The account that owns the bucket, when it is not the stack's.
   * @default - the stack's account
   */
  readonly account?: string;
  /**
   * The KMS key of the objects, when they are encrypted with one.
   * @default - SSE-S3: reading needs no key
   */
  readonly kmsKeyArn?: string;
}

export interface LogBucketsProps {
  /** Where EKS audit logs land: one or more buckets and prefixes. */
  readonly audit: readonly LogSourceProps[];
  /** Where VPC flow logs land: one or more buckets and prefixes. */
  readonly flow: readonly LogSourceProps[];
}

/**
 * The log buckets: imported by name, or one created bucket shared by every source that names none,
 * plus the bucket that receives the created bucket's server access logs.
 *
 * A created bucket keeps versioning off: every object is a write-once log delivery, so versions
 * would only add storage, and the processors already key their "seen" markers on ETag. Objects go
 * to Infrequent Access after 30 days (they are read once, on arrival) and expire after a year.
 */
export class LogBuckets extends Construct {
  /** Where EKS audit logs land. */
  public readonly audit: readonly LogLocation[];
  /** Where VPC flow logs land. */
  public readonly flow: readonly LogLocation[];
  /** The bucket this construct created, if any source needed one. */
  public readonly createdBucket: s3.Bucket | undefined;
  /** Receives the created bucket's server access logs; only with a created bucket. */
  public readonly accessLogBucket: s3.Bucket | undefined;

  constructor(scope: Construct, id: string, props: LogBucketsProps) {
    super(scope, id);
    const all = [
      ...props.audit.map((source) => ({ kind: 'audit', source })),
      ...props.flow.map((source) => ({ kind: 'flow', source })),
    ];
    for (const { kind, source } of all) {
      if (!/^$|\/$/.test(source.prefix)) throw new Error(`${id}: the ${kind} prefix must be empty or end with "/"`);
    }
    all.forEach(({ kind, source }, i) => {
      for (const other of all.slice(0, i)) {
        if (other.source.bucketName !== source.bucketName) continue;
        const [a, b] = [other.source.prefix, source.prefix];
        if (a.startsWith(b) || b.startsWith(a)) {
          throw new Error(`${id}: ${other.kind} prefix "${a}" and ${kind} prefix "${b}" overlap in one bucket`);
        }
      }
    });

    // Server access logs are delivered under a bucket policy, not the legacy LogDeliveryWrite ACL
    // (which the bucket-owner-enforced ownership below forbids), whatever the app's feature flags.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const needsCreated = all.some(({ source }) => source.bucketName === undefined);
    if (needsCreated) {
      this.accessLogBucket = new s3.Bucket(this, 'AccessLogBucket', {
        // Server access logging delivers only to SSE-S3 buckets.
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforceSSL: true,
        minimumTLSVersion: 1.2,
        removalPolicy: RemovalPolicy.RETAIN,
        lifecycleRules: [
          { id: 'expire', expiration: Duration.days(365), abortIncompleteMultipartUploadAfter: Duration.days(7) },
        ],
      });
      this.createdBucket = new s3.Bucket(this, 'LogBucket', {
        // SSE-S3: VPC flow-log delivery and Firehose write to it without KMS key-policy grants,
        // and the processors read it with s3:GetObject alone.
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforceSSL: true,
        minimumTLSVersion: 1.2,
        versioned: false,
        removalPolicy: RemovalPolicy.RETAIN,
        serverAccessLogsBucket: this.accessLogBucket,
        serverAccessLogsPrefix: 'log-bucket/',
        lifecycleRules: [
          {
            id: 'age-out-logs',
            transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) }],
            expiration: Duration.days(365),
            abortIncompleteMultipartUploadAfter: Duration.days(7),
          },
        ],
      });
    } else {
      this.accessLogBucket = undefined;
      this.createdBucket = undefined;
    }

    // Each bucket is imported once, whichever sources read it. The first audit and flow imports keep
    // the ids they had when each source named one bucket, so existing stacks keep their resources.
    const imported = new Map<string, s3.IBucket>();
    const locate = (source: LogSourceProps, importId: string): LogLocation => {
      const placement = {
        prefix: source.prefix,
        ...(source.account !== undefined ? { account: source.account } : {}),
        ...(source.kmsKeyArn !== undefined ? { kmsKeyArn: source.kmsKeyArn } : {}),
      };
      if (source.bucketName === undefined) {
        if (!this.createdBucket) throw new Error(`${id}: no created bucket`);
        return { bucket: this.createdBucket, imported: false, ...placement };
      }
      let bucket = imported.get(source.bucketName);
      if (!bucket) {
        bucket = s3.Bucket.fromBucketAttributes(this, importId, {
          bucketName: source.bucketName,
          account: source.account,
        });
        imported.set(source.bucketName, bucket);
      }
      return { bucket, imported: true, ...placement };
    };
    const importId = (kind: string, i: number) => `Imported${kind}Bucket${i === 0 ? '' : i + 1}`;
    this.audit = props.audit.map((source, i) => locate(source, importId('Audit', i)));
    this.flow = props.flow.map((source, i) => locate(source, importId('Flow', i)));
  }

  /** Every distinct bucket the logs are read from. */
  public get buckets(): s3.IBucket[] {
    return [...new Set([...this.audit, ...this.flow].map((location) => location.bucket))];
  }
}
