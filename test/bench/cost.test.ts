import { describe, expect, it } from 'vitest';
import { dayCost, type ObjectWork, PRICES } from '../../bench/cost';

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
