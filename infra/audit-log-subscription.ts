import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { LogLocation } from './log-buckets';
import { acknowledgeWildcardResource } from './nag';

export interface AuditLogSubscriptionProps {
  /** The EKS cluster whose control-plane log group (`/aws/eks/<name>/cluster`) is subscribed. */
  readonly clusterName: string;
  /** Where the audit events are written: the audit bucket and prefix. */
  readonly destination: LogLocation;
  /**
   * Where Firehose writes what it could not deliver. Must lie outside the audit prefix, or the
   * audit processor would be sent Firehose's error records.
   */
  readonly errorOutputPrefix: string;
  /**
   * How long Firehose's own error log is kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Streams the cluster's audit events into the audit prefix: a CloudWatch Logs subscription filter
 * on the existing control-plane log group feeds a Firehose delivery stream that writes to S3.
 *
 * The control-plane log group must exist (audit logging turned on for the cluster) and have a free
 * subscription-filter slot (CloudWatch allows two per log group).
 */
export class AuditLogSubscription extends Construct {
  public readonly deliveryStream: firehose.CfnDeliveryStream;
  public readonly subscriptionFilter: logs.SubscriptionFilter;
  /** Firehose's error log: delivery failures to S3 show here. */
  public readonly errorLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: AuditLogSubscriptionProps) {
    super(scope, id);
    const { bucket, prefix } = props.destination;
    if (!prefix)
      throw new Error(`${id}: the audit prefix must not be empty (Firehose's error output needs a place outside it)`);
    if (props.errorOutputPrefix.startsWith(prefix) || prefix.startsWith(props.errorOutputPrefix)) {
      throw new Error(`${id}: errorOutputPrefix "${props.errorOutputPrefix}" overlaps the audit prefix "${prefix}"`);
    }
    const stack = Stack.of(this);
    const cluster = props.clusterName;
    const dataPrefix = `${prefix}${cluster}/`;
    const errorPrefix = `${props.errorOutputPrefix}${cluster}/`;

    this.errorLogGroup = new logs.LogGroup(this, 'ErrorLog', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    const errorStream = this.errorLogGroup.addStream('S3Delivery');

    // The L2 DeliveryStream grants read-write on the whole bucket (DeleteObject included, on the
    // flow prefix too); this role may only write objects under its own two prefixes.
    const role = new iam.Role(this, 'DeliveryRole', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `Firehose: writes ${cluster} audit events to S3`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [bucket.bucketArn],
      }),
    );
    const objectArns = [bucket.arnForObjects(`${dataPrefix}*`), bucket.arnForObjects(`${errorPrefix}*`)];
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        resources: objectArns,
      }),
    );
    this.errorLogGroup.grantWrite(role);

    this.deliveryStream = new firehose.CfnDeliveryStream(this, 'DeliveryStream', {
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: bucket.bucketArn,
        roleArn: role.roleArn,
        prefix: `${dataPrefix}!{timestamp:yyyy/MM/dd/HH}/`,
        errorOutputPrefix: `${errorPrefix}!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/`,
        // CloudWatch Logs already gzips what it sends; the audit reader takes that as it is.
        compressionFormat: 'UNCOMPRESSED',
        // Objects land at most a minute after the events; a busy cluster fills 5 MiB sooner.
        bufferingHints: { intervalInSeconds: 60, sizeInMBs: 5 },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: this.errorLogGroup.logGroupName,
          logStreamName: errorStream.logStreamName,
        },
      },
    });
    this.deliveryStream.node.addDependency(role);

    const clusterLogs = logs.LogGroup.fromLogGroupName(this, 'ClusterLogGroup', `/aws/eks/${cluster}/cluster`);
    // A subscription filter cannot select log streams, and the control-plane group mixes the audit
    // stream with plain-text component logs. Only audit events are JSON with kind "Event" and an
    // audit.k8s.io apiVersion, so this pattern keeps them and drops everything else.
    const auditEventsOnly = logs.FilterPattern.all(
      logs.FilterPattern.stringValue('$.kind', '=', 'Event'),
      logs.FilterPattern.stringValue('$.apiVersion', '=', 'audit.k8s.io/*'),
    );
    // CloudWatch Logs assumes this role to put records; only for log groups of this account and
    // region (the documented confused-deputy guard).
    const subscriptionRole = new iam.Role(this, 'SubscriptionRole', {
      assumedBy: new iam.ServicePrincipal('logs.amazonaws.com', {
        conditions: { StringLike: { 'aws:SourceArn': stack.formatArn({ service: 'logs', resource: '*' }) } },
      }),
      description: `CloudWatch Logs: sends ${cluster} audit events to Firehose`,
    });
    subscriptionRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        resources: [this.deliveryStream.attrArn],
      }),
    );
    // A destination of our own rather than logs-destinations' FirehoseDestination: that one wants
    // the L2 stream, whose import leaves an unused mapping in the template.
    const destination: logs.ILogSubscriptionDestination = {
      bind: () => ({ arn: this.deliveryStream.attrArn, role: subscriptionRole }),
    };
    this.subscriptionFilter = new logs.SubscriptionFilter(this, 'AuditEvents', {
      logGroup: clusterLogs,
      destination,
      filterPattern: auditEventsOnly,
      filterName: 'driftwatch-audit-events',
    });
    // CloudWatch Logs tests the role when the filter is created, so the policy must exist first.
    this.subscriptionFilter.node.addDependency(subscriptionRole);

    for (const arn of objectArns) {
      acknowledgeWildcardResource(
        role,
        arn,
        'Firehose names each object itself (time path, random suffix); the role may write only under this prefix.',
      );
    }
  }
}
