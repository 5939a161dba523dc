/**
 * What one day of processing costs at AWS list prices, from measured work: CPU seconds per
 * object, the table's request units, and the requests each object makes. Pure, so the bench and
 * its test share it.
 */

/** AWS list prices, us-east-1, as of the date in {@link PRICES_AS_OF}. */
export const PRICES = {
  /** Lambda arm64, per GB-second. */
  lambdaGbSecond: 0.0000133334,
  /** Lambda, per request. */
  lambdaRequest: 0.2 / 1e6,
  /** Lambda on arm64 gets one full vCPU at this much memory (MB), a share of it below. */
  lambdaFullVcpuMb: 1769,
  /** DynamoDB on-demand, per write request unit. */
  dynamoWriteUnit: 0.625 / 1e6,
  /** DynamoDB on-demand, per read request unit. */
  dynamoReadUnit: 0.125 / 1e6,
  /** S3 Standard, per GET (or other read) request. */
  s3Get: 0.0004 / 1000,
  /** SQS standard queue, per request (64 KB chunk). */
  sqsRequest: 0.4 / 1e6,
  /** SNS, per publish (64 KB chunk). */
  snsPublish: 0.5 / 1e6,
  /** GuardDuty first tier: VPC flow log analysis per GB, EKS audit log analysis per million events. */
  guardDutyFlowGb: 1.0,
  guardDutyAuditMillionEvents: 1.6,
} as const;
export const PRICES_AS_OF =
  '2026-11 (Lambda, S3, SQS, SNS unchanged since 2023; DynamoDB on-demand after the Nov 2024 cut)';

/** What processing one object took, measured. */
export interface ObjectWork {
  /** CPU seconds of the processor path (user + system) for one object. */
  cpuSeconds: number;
  records: number;
  /** Gzipped size of the object, and its text size. */
  compressedBytes: number;
  uncompressedBytes: number;
  /** DynamoDB request units for one object in steady state (baselines learned). */
  readUnits: number;
  writeUnits: number;
  /** Findings published for one object in steady state. */
  publishes: number;
  /** S3 GETs for one object (the sniff plus the read). */
  s3Gets: number;
}

export interface DayCost {
  objects: number;
  records: number;
  gigabytesCompressed: number;
  gigabytesUncompressed: number;
  lambdaGbSeconds: number;
  dollars: { lambda: number; dynamodb: number; s3: number; sqs: number; sns: number; total: number };
  /** $ per GB (uncompressed text, and gzipped) or per million events. */
  perGbUncompressed: number;
  perGbCompressed: number;
  perMillionRecords: number;
}

/**
 * One day: `objects` objects like the measured one. Lambda bills duration; a CPU-bound function
 * below one full vCPU runs `cpuSeconds × fullVcpuMb / memoryMb` seconds, so its GB-seconds are
 * the same at any memory up to that point (`cpuSeconds × 1.769 GB`); `cpuFactor` scales this
 * machine's CPU seconds to Graviton's. SQS: the S3 notification, the receive and the delete of
 * each message, plus the pollers' empty long polls (5 pollers, 20 s each, all day).
 */
export function dayCost(work: ObjectWork, objects: number, options: { memoryMb: number; cpuFactor?: number }): DayCost {
  const memoryGb = options.memoryMb / 1024;
  const vcpu = Math.min(1, options.memoryMb / PRICES.lambdaFullVcpuMb);
  const seconds = (work.cpuSeconds * (options.cpuFactor ?? 1)) / vcpu;
  const lambdaGbSeconds = seconds * memoryGb * objects;
  const idlePolls = 5 * (86_400 / 20);
  const dollars = {
    lambda: lambdaGbSeconds * PRICES.lambdaGbSecond + objects * PRICES.lambdaRequest,
    dynamodb: objects * (work.readUnits * PRICES.dynamoReadUnit + work.writeUnits * PRICES.dynamoWriteUnit),
    s3: objects * work.s3Gets * PRICES.s3Get,
    sqs: (objects * 3 + idlePolls) * PRICES.sqsRequest,
    sns: objects * work.publishes * PRICES.snsPublish,
    total: 0,
  };
  dollars.total = dollars.lambda + dollars.dynamodb + dollars.s3 + dollars.sqs + dollars.sns;
  const gigabytesCompressed = (objects * work.compressedBytes) / 1e9;
  const gigabytesUncompressed = (objects * work.uncompressedBytes) / 1e9;
  const records = objects * work.records;
  return {
    objects,
    records,
    gigabytesCompressed,
    gigabytesUncompressed,
    lambdaGbSeconds,
    dollars,
    perGbUncompressed: dollars.total / gigabytesUncompressed,
    perGbCompressed: dollars.total / gigabytesCompressed,
    perMillionRecords: dollars.total / (records / 1e6),
  };
}
