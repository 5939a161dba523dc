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
}

/** One source's placement, as in the config's `sources.audit` / `sources.flow`. */
export interface LogSourceProps {
  /**
   * Name of an existing bucket to read from.
   * @default - the log bucket this construct creates (one, shared by both sources)
   */
  readonly bucketName?: string;
  /** Key prefix the logs land under: empty or ending with "/". */
  readonly prefix: string;
}

export interface LogBucketsProps {
  /** Where EKS audit logs land. */
  readonly audit: LogSourceProps;
  /** Where VPC flow logs land. */
  readonly flow: LogSourceProps;
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
  public readonly audit: LogLocation;
  /** Where VPC flow logs land. */
  public readonly flow: LogLocation;
  /** The bucket this construct created, if any source needed one. */
  public readonly createdBucket: s3.Bucket | undefined;
  /** Receives the created bucket's server access logs; only with a created bucket. */
  public readonly accessLogBucket: s3.Bucket | undefined;

  constructor(scope: Construct, id: string, props: LogBucketsProps) {
    super(scope, id);
    for (const [name, source] of Object.entries({ audit: props.audit, flow: props.flow })) {
      if (!/^$|\/$/.test(source.prefix)) throw new Error(`${id}: the ${name} prefix must be empty or end with "/"`);
    }
    const shared = props.audit.bucketName === props.flow.bucketName;
    if (
      shared &&
      (props.audit.prefix.startsWith(props.flow.prefix) || props.flow.prefix.startsWith(props.audit.prefix))
    ) {
      throw new Error(
        `${id}: audit prefix "${props.audit.prefix}" and flow prefix "${props.flow.prefix}" overlap in one bucket`,
      );
    }

    // Server access logs are delivered under a bucket policy, not the legacy LogDeliveryWrite ACL
    // (which the bucket-owner-enforced ownership below forbids), whatever the app's feature flags.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const needsCreated = props.audit.bucketName === undefined || props.flow.bucketName === undefined;
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

    const imported = new Map<string, s3.IBucket>();
    const locate = (source: LogSourceProps, importId: string): LogLocation => {
      if (source.bucketName === undefined) {
        if (!this.createdBucket) throw new Error(`${id}: no created bucket`);
        return { bucket: this.createdBucket, prefix: source.prefix, imported: false };
      }
      let bucket = imported.get(source.bucketName);
      if (!bucket) {
        bucket = s3.Bucket.fromBucketName(this, importId, source.bucketName);
        imported.set(source.bucketName, bucket);
      }
      return { bucket, prefix: source.prefix, imported: true };
    };
    this.audit = locate(props.audit, 'ImportedAuditBucket');
    this.flow = locate(props.flow, 'ImportedFlowBucket');
  }

  /** Every distinct bucket the logs are read from. */
  public get buckets(): s3.IBucket[] {
    return [...new Set([this.audit.bucket, this.flow.bucket])];
  }
}
