import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { S3_CREATE_DEFAULT_LOGGING_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { STACK_FLOW_FORMAT } from '../shared/ingest';
import type { LogLocation } from './log-buckets';

/** A VPC known only by its id: `FlowLogResourceType.fromVpc` wants an IVpc, which would mean a lookup. */
class ExistingVpc extends ec2.FlowLogResourceType {
  public readonly resourceType = 'VPC';
  constructor(public readonly resourceId: string) {
    super();
  }
}

export interface VpcFlowLogsProps {
  /** The VPCs to log (existing ones, by id). */
  readonly vpcIds: readonly string[];
  /**
   * Where the logs go: the flow bucket and prefix. With a created bucket, CDK adds the bucket-policy
   * statements that let log delivery write there; with an imported bucket, that policy is the
   * bucket owner's job.
   */
  readonly destination: LogLocation;
}

/**
 * VPC flow logs for existing VPCs, written to the flow prefix as plain-text gzip objects with a
 * header line, in Hive-style per-hour partitions. All traffic, accepted and rejected, at the
 * one-minute aggregation interval: REJECT spikes and bursts show up in minutes rather than being
 * smeared over ten, at the cost of more records for long-lived flows.
 */
export class VpcFlowLogs extends Construct {
  public readonly flowLogs: ec2.FlowLog[];

  constructor(scope: Construct, id: string, props: VpcFlowLogsProps) {
    super(scope, id);
    if (new Set(props.vpcIds).size !== props.vpcIds.length) throw new Error(`${id}: a VPC is listed twice`);
    // A created bucket gets the log-delivery statements in its CDK-managed policy. Without them
    // EC2 adds its own at creation, and the next deploy of the policy would silently remove them.
    this.node.setContext(S3_CREATE_DEFAULT_LOGGING_POLICY, true);
    const { bucket, prefix } = props.destination;
    this.flowLogs = props.vpcIds.map(
      (vpcId) =>
        new ec2.FlowLog(this, vpcId, {
          resourceType: new ExistingVpc(vpcId),
          destination: ec2.FlowLogDestination.toS3(bucket, prefix || undefined, {
            fileFormat: ec2.FlowLogFileFormat.PLAIN_TEXT,
            hiveCompatiblePartitions: true,
            perHourPartition: true,
          }),
          trafficType: ec2.FlowLogTrafficType.ALL,
          maxAggregationInterval: ec2.FlowLogMaxAggregationInterval.ONE_MINUTE,
          // The reader's own list, so the logs are written in the format it reads.
          logFormat: STACK_FLOW_FORMAT.map((field) => ec2.LogFormat.field(field)),
        }),
    );
  }
}
