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
  /**
   * Step Functions Standard, per state transition ($0.025 per 1,000; the 4,000 free a month left
   * out, as they are per account). A Distributed Map is charged one transition per child execution
   * it starts, and each Standard child its own transitions (AWS docs, "Transitions": "Transitions
   * in Distributed Map state").
   */
  stepFunctionsTransition: 0.025 / 1000,
  /** GuardDuty first tier: VPC flow log analysis per GB, EKS audit log analysis per million events. */
  guardDutyFlowGb: 1.0,
  guardDutyAuditMillionEvents: 1.6,
} as const;
export const PRICES_AS_OF =
  '2026-11 (Lambda, S3, SQS, SNS, Step Functions unchanged since 2023; DynamoDB on-demand after the Nov 2024 cut)';

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

/**
 * Transitions of one rebaseline execution besides its items (infra/rebaseline-workflow.ts): Claim,
 * Plan, the Fold map state itself and Finish.
 */
export const REBASELINE_PARENT_TRANSITIONS = 4;
/**
 * Transitions per work item: the Distributed Map's one for starting its child execution, and the
 * child's one state (FoldItem). A retry of the item adds one more; {@link RebaselineWork.retries}.
 */
export const REBASELINE_ITEM_TRANSITIONS = 2;

/** One day of rebaseline work, counted (measured, or projected from a measurement). */
export interface RebaselineWork {
  /** Executions of the state machine a day (one per schedule firing). */
  runs: number;
  /** Work items over the day's runs: one child execution and one Item invocation each. */
  items: number;
  /** Item attempts that failed and were retried over the day (each one more transition and invocation). */
  retries?: number;
  /** CPU seconds of all the items together, and of the runs' Plan and Finish steps together. */
  itemCpuSeconds: number;
  stepCpuSeconds: number;
  /**
   * Round trips to the table (batch calls, query pages) over the day: a Lambda waits for each, and
   * is billed for the wait. With {@link RebaselineCostOptions.roundTripMs} they add duration.
   */
  roundTrips: number;
  readUnits: number;
  writeUnits: number;
}

export interface RebaselineCostOptions {
  /** The Item, Plan and Finish functions' memory (all three the same in infra/rebaseline-workflow.ts). */
  memoryMb: number;
  /** Time waited per table round trip (an assumption: DynamoDB's batch calls take a few ms each). */
  roundTripMs: number;
  cpuFactor?: number;
}

export interface RebaselineDayCost {
  lambdaGbSeconds: number;
  invocations: number;
  transitions: number;
  dollars: { lambda: number; dynamodb: number; stepFunctions: number; total: number };
}

/**
 * What a day of rebaselines costs. Lambda bills each function's duration: its CPU time at its share
 * of a vCPU (as {@link dayCost}) plus the time it waits on the table, all at `memoryMb`; one request
 * per item attempt and per Plan and Finish. DynamoDB bills the units. Step Functions bills each
 * execution's own transitions and two per item attempt (see {@link REBASELINE_ITEM_TRANSITIONS}).
 */
export function rebaselineDayCost(work: RebaselineWork, options: RebaselineCostOptions): RebaselineDayCost {
  const memoryGb = options.memoryMb / 1024;
  const vcpu = Math.min(1, options.memoryMb / PRICES.lambdaFullVcpuMb);
  const cpu = (work.itemCpuSeconds + work.stepCpuSeconds) * (options.cpuFactor ?? 1);
  const seconds = cpu / vcpu + (work.roundTrips * options.roundTripMs) / 1000;
  const lambdaGbSeconds = seconds * memoryGb;
  const attempts = work.items + (work.retries ?? 0);
  const invocations = attempts + 2 * work.runs;
  const transitions = REBASELINE_PARENT_TRANSITIONS * work.runs + REBASELINE_ITEM_TRANSITIONS * attempts;
  const dollars = {
    lambda: lambdaGbSeconds * PRICES.lambdaGbSecond + invocations * PRICES.lambdaRequest,
    dynamodb: work.readUnits * PRICES.dynamoReadUnit + work.writeUnits * PRICES.dynamoWriteUnit,
    stepFunctions: transitions * PRICES.stepFunctionsTransition,
    total: 0,
  };
  dollars.total = dollars.lambda + dollars.dynamodb + dollars.stepFunctions;
  return { lambdaGbSeconds, invocations, transitions, dollars };
}

/** GuardDuty's price for a day of `flowGb` of flow logs and `auditEvents` audit events, at its first tier. */
export function guardDutyDay(flowGb: number, auditEvents: number): { flow: number; audit: number; total: number } {
  const flow = flowGb * PRICES.guardDutyFlowGb;
  const audit = (auditEvents / 1e6) * PRICES.guardDutyAuditMillionEvents;
  return { flow, audit, total: flow + audit };
}

/** Work per unit: one edge's day folded into its hourly history, or one baseline entry written. */
export interface UnitWork {
  readUnits: number;
  writeUnits: number;
  cpuSeconds: number;
  roundTrips: number;
}

/** A cluster's rebaseline, counted per node and day from a scaled scenario, to project to `nodes`. */
export interface RebaselineScale {
  nodes: number;
  /** Distinct edges and baseline entries a node's day brings. */
  edgesPerNodeDay: number;
  entriesPerNodeDay: number;
  /** Days each run folds (the previous day stays pending, so it is folded again). */
  daysPerRun: number;
  runsPerDay: number;
  /**
   * Rows per node and day of each item of the scaled scenario's plan (a scope's observations, or a
   * scope's shard of hourly edges): at `nodes`, each splits into parts of `rowsPerItem` rows.
   */
  itemRowsPerNodeDay: readonly number[];
  rowsPerItem: number;
}

/**
 * A day of rebaselines at `scale.nodes`, from work per unit: edges and entries grow with the nodes,
 * each costing what one cost in the measurement (whose histories were full); Plan and Finish cost
 * in proportion to the entries (they list and prune them); items split by rows as the planner does.
 */
export function projectRebaseline(
  unit: { edge: UnitWork; entry: UnitWork; stepsPerEntry: UnitWork },
  scale: RebaselineScale,
): RebaselineWork & { edgeFolds: number; entries: number } {
  const perRun = scale.nodes * scale.daysPerRun;
  const edgeFolds = scale.edgesPerNodeDay * perRun * scale.runsPerDay;
  const entries = scale.entriesPerNodeDay * perRun * scale.runsPerDay;
  const itemsPerRun = scale.itemRowsPerNodeDay.reduce(
    (sum, rows) => sum + Math.max(1, Math.ceil((rows * perRun) / scale.rowsPerItem)),
    0,
  );
  const total = (field: keyof UnitWork) =>
    edgeFolds * unit.edge[field] + entries * (unit.entry[field] + unit.stepsPerEntry[field]);
  return {
    runs: scale.runsPerDay,
    items: itemsPerRun * scale.runsPerDay,
    itemCpuSeconds: edgeFolds * unit.edge.cpuSeconds + entries * unit.entry.cpuSeconds,
    stepCpuSeconds: entries * unit.stepsPerEntry.cpuSeconds,
    roundTrips: total('roundTrips'),
    readUnits: total('readUnits'),
    writeUnits: total('writeUnits'),
    edgeFolds,
    entries,
  };
}
