import { describe, expect, it } from 'vitest';
import {
  dayCost,
  guardDutyDay,
  type ObjectWork,
  PRICES,
  projectRebaseline,
  type RebaselineWork,
  rebaselineDayCost,
  type UnitWork,
} from '../../bench/cost';

const work: ObjectWork = {
  cpuSeconds: 10,
  records: 1_000_000,
  compressedBytes: 30e6,
  uncompressedBytes: 200e6,
  readUnits: 1000,
  writeUnits: 2000,
  publishes: 4,
  s3Gets: 2,
};

describe('dayCost', () => {
  it('bills a CPU-bound function the same GB-seconds at any memory below one full vCPU', () => {
    const small = dayCost(work, 100, { memoryMb: 512 });
    const large = dayCost(work, 100, { memoryMb: 1024 });
    expect(small.lambdaGbSeconds).toBeCloseTo(large.lambdaGbSeconds, 6);
    expect(large.lambdaGbSeconds).toBeCloseTo(100 * 10 * (PRICES.lambdaFullVcpuMb / 1024), 6);
    // Past one vCPU a single thread gets no faster, so more memory costs more.
    expect(dayCost(work, 100, { memoryMb: 3538 }).lambdaGbSeconds).toBeCloseTo(2 * large.lambdaGbSeconds, 6);
  });

  it('adds up each service from the counted work and derives the unit prices', () => {
    const day = dayCost(work, 100, { memoryMb: 1024 });
    expect(day.dollars.dynamodb).toBeCloseTo(100 * (1000 * 0.125e-6 + 2000 * 0.625e-6), 9);
    expect(day.dollars.s3).toBeCloseTo(100 * 2 * 0.0004e-3, 12);
    expect(day.dollars.sns).toBeCloseTo(100 * 4 * 0.5e-6, 12);
    expect(day.dollars.sqs).toBeCloseTo((300 + 5 * 4320) * 0.4e-6, 12);
    const { lambda, dynamodb, s3, sqs, sns } = day.dollars;
    expect(day.dollars.total).toBeCloseTo(lambda + dynamodb + s3 + sqs + sns, 12);
    expect(day.perGbUncompressed).toBeCloseTo(day.dollars.total / 20, 12);
    expect(day.perGbCompressed).toBeCloseTo(day.dollars.total / 3, 12);
    expect(day.perMillionRecords).toBeCloseTo(day.dollars.total / 100, 12);
  });

  it('scales the CPU time by a factor for another processor', () => {
    expect(dayCost(work, 1, { memoryMb: 1024, cpuFactor: 1.5 }).lambdaGbSeconds).toBeCloseTo(
      1.5 * dayCost(work, 1, { memoryMb: 1024 }).lambdaGbSeconds,
      9,
    );
  });
});

const rebaseline: RebaselineWork = {
  runs: 1,
  items: 10,
  itemCpuSeconds: 20,
  stepCpuSeconds: 2,
  roundTrips: 1000,
  readUnits: 4_000_000,
  writeUnits: 1_000_000,
};

describe('rebaselineDayCost', () => {
  it('bills CPU at the share of a vCPU plus the wait on the table, at the functions memory', () => {
    const day = rebaselineDayCost(rebaseline, { memoryMb: 1024, roundTripMs: 10 });
    const seconds = 22 / (1024 / PRICES.lambdaFullVcpuMb) + 10;
    expect(day.lambdaGbSeconds).toBeCloseTo(seconds * 1, 6);
    // No wait: CPU only; past one vCPU, more memory costs more.
    expect(rebaselineDayCost(rebaseline, { memoryMb: 1024, roundTripMs: 0 }).lambdaGbSeconds).toBeCloseTo(
      22 * (PRICES.lambdaFullVcpuMb / 1024),
      6,
    );
    expect(rebaselineDayCost(rebaseline, { memoryMb: 2048, roundTripMs: 10 }).lambdaGbSeconds).toBeGreaterThan(
      day.lambdaGbSeconds,
    );
  });

  it('counts four transitions a run and two an item attempt, and an invocation per attempt plus Plan and Finish', () => {
    const day = rebaselineDayCost(rebaseline, { memoryMb: 1024, roundTripMs: 0 });
    expect(day.transitions).toBe(4 + 2 * 10);
    expect(day.invocations).toBe(10 + 2);
    const retried = rebaselineDayCost({ ...rebaseline, runs: 2, retries: 3 }, { memoryMb: 1024, roundTripMs: 0 });
    expect(retried.transitions).toBe(2 * 4 + 2 * 13);
    expect(retried.invocations).toBe(13 + 4);
    expect(retried.dollars.stepFunctions).toBeCloseTo(34 * 0.000025, 12);
  });

  it('adds up Lambda, DynamoDB and Step Functions', () => {
    const day = rebaselineDayCost(rebaseline, { memoryMb: 1024, roundTripMs: 10 });
    expect(day.dollars.dynamodb).toBeCloseTo(4_000_000 * 0.125e-6 + 1_000_000 * 0.625e-6, 9);
    expect(day.dollars.lambda).toBeCloseTo(day.lambdaGbSeconds * PRICES.lambdaGbSecond + 12 * 0.2e-6, 12);
    const { lambda, dynamodb, stepFunctions } = day.dollars;
    expect(day.dollars.total).toBeCloseTo(lambda + dynamodb + stepFunctions, 12);
  });
});

describe('projectRebaseline', () => {
  const unit = (n: number): UnitWork => ({ readUnits: n, writeUnits: 2 * n, cpuSeconds: n / 1000, roundTrips: n / 10 });
  const scale = {
    nodes: 1000,
    edgesPerNodeDay: 5,
    entriesPerNodeDay: 3,
    daysPerRun: 2,
    runsPerDay: 1,
    itemRowsPerNodeDay: [10, 150],
    rowsPerItem: 100_000,
  };

  it('grows edges and entries with nodes and the days each run folds, at the measured work per unit', () => {
    const work = projectRebaseline({ edge: unit(4), entry: unit(1), stepsPerEntry: unit(0.5) }, scale);
    expect(work.edgeFolds).toBe(5 * 1000 * 2);
    expect(work.entries).toBe(3 * 1000 * 2);
    expect(work.readUnits).toBeCloseTo(10_000 * 4 + 6_000 * 1.5, 9);
    expect(work.writeUnits).toBeCloseTo(10_000 * 8 + 6_000 * 3, 9);
    expect(work.itemCpuSeconds).toBeCloseTo(10_000 * 0.004 + 6_000 * 0.001, 9);
    expect(work.stepCpuSeconds).toBeCloseTo(6_000 * 0.0005, 9);
    expect(work.roundTrips).toBeCloseTo(10_000 * 0.4 + 6_000 * 0.15, 9);
  });

  it('splits each item of the scaled plan into parts of at most rowsPerItem rows', () => {
    // 10 rows x 2,000 node-days = 20,000 rows: one part; 150 x 2,000 = 300,000: three.
    expect(projectRebaseline({ edge: unit(1), entry: unit(1), stepsPerEntry: unit(0) }, scale).items).toBe(4);
    const twice = projectRebaseline(
      { edge: unit(1), entry: unit(1), stepsPerEntry: unit(0) },
      { ...scale, runsPerDay: 2 },
    );
    expect(twice.items).toBe(8);
    expect(twice.runs).toBe(2);
    expect(twice.edgeFolds).toBe(2 * 10_000);
    // An item with no rows counted is still one item, as the planner makes it.
    expect(
      projectRebaseline(
        { edge: unit(1), entry: unit(1), stepsPerEntry: unit(0) },
        { ...scale, itemRowsPerNodeDay: [0, 0] },
      ).items,
    ).toBe(2);
  });
});

describe('guardDutyDay', () => {
  it('prices flow logs per GB and audit events per million at the first tier', () => {
    const price = guardDutyDay(12, 20e6);
    expect(price.flow).toBeCloseTo(12 * PRICES.guardDutyFlowGb, 9);
    expect(price.audit).toBeCloseTo(20 * PRICES.guardDutyAuditMillionEvents, 9);
    expect(price.total).toBeCloseTo(12 + 32, 9);
  });
});
