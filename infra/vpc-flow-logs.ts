import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { S3_CREATE_DEFAULT_LOGGING_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import type { LogLocation } from './log-buckets';

/**
 * The fields Driftwatch asks for, in order: the version 2 defaults, then what maps traffic to
 * workloads (`pkt-srcaddr`/`pkt-dstaddr` carry pod IPs), to places and to AWS services.
 */
export const FLOW_LOG_FIELDS: readonly ec2.LogFormat[] = [
  ec2.LogFormat.VERSION,
  ec2.LogFormat.ACCOUNT_ID,
  ec2.LogFormat.INTERFACE_ID,
  ec2.LogFormat.SRC_ADDR,
  ec2.LogFormat.DST_ADDR,
  ec2.LogFormat.SRC_PORT,
  ec2.LogFormat.DST_PORT,
  ec2.LogFormat.PROTOCOL,
  ec2.LogFormat.PACKETS,
  ec2.LogFormat.BYTES,
  ec2.LogFormat.START_TIMESTAMP,
  ec2.LogFormat.END_TIMESTAMP,
  ec2.LogFormat.ACTION,
  ec2.LogFormat.LOG_STATUS,
  ec2.LogFormat.VPC_ID,
  ec2.LogFormat.SUBNET_ID,
  ec2.LogFormat.INSTANCE_ID,
  ec2.LogFormat.TCP_FLAGS,
  ec2.LogFormat.TRAFFIC_TYPE,
  ec2.LogFormat.PKT_SRC_ADDR,
  ec2.LogFormat.PKT_DST_ADDR,
  ec2.LogFormat.REGION,
  ec2.LogFormat.AZ_ID,
  ec2.LogFormat.PKT_SRC_AWS_SERVICE,
  ec2.LogFormat.PKT_DST_AWS_SERVICE,
  ec2.LogFormat.FLOW_DIRECTION,
  ec2.LogFormat.TRAFFIC_PATH,
];

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
          logFormat: [...FLOW_LOG_FIELDS],
        }),
    );
  }
}
