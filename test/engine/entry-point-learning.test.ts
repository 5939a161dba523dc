import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../shared/config';
import { defaultConfig } from '../../shared/config/load';
import { buildDetectContext } from '../../shared/detect/context';
import { ENTRY_POINT_MIN_DAYS } from '../../shared/detect/net/lib/entry-points';
import { Engine } from '../../shared/engine/engine';
import { CollectingSink } from '../../shared/incident/sink';
import { MemoryTable } from '../../shared/store/memory-table';
import { DAY_MS } from '../../shared/util/time';
import { flowKey, flowObject, type LineInput, podStatus } from '../network/support';
import { FindingLog } from '../support/finding-log';
import { memorySource } from '../support/sources';

const DAY0 = Date.parse('2026-11-01T00:00:00Z');
const HOUR = 3_600_000;
const ALB = '10.0.0.37';
const POD = '10.0.1.60';
const DATABASE = '10.0.200.10';

const seconds = (time: number) => Math.floor(time / 1000);

/** Connections from `sources` distinct public /24s, opened to `server` on `port` on day `day`. */
function publicTraffic(day: number, server: string, port: number, sources = 16): LineInput[] {
  return Array.from({ length: sources }, (_, i) => ({
    src: `${20 + i}.${60 + day}.${7 + i}.${9 + i}`,
    srcPort: 50_000 + i,
    dst: server,
    dstPort: port,
    start: seconds(DAY0 + day * DAY_MS + 10 * HOUR + i * 60_000),
    direction: 'ingress' as const,
  }));
}

/**
 * An engine with no network config (no entry points, no VPC ranges): what a team trying Driftwatch
 * on a running cluster starts with. Flows never wait for the audit log: the pod IP map is filled first.
 */
function setUp(network: ConfigInput['network'] = {}) {
  const config = defaultConfig({ network: { lateAudit: { maxWaitHours: 0 }, ...network } });
  const engine = new Engine({
    config,
    table: new MemoryTable(),
    context: buildDetectContext(config),
    sink: new CollectingSink(),
  });
  const log = new FindingLog(engine);
  return {
    engine,
    log,
    /** The pod shop/web holds {@link POD} from the first day. */
    async podHoldsAddress() {
      const status = podStatus({
        namespace: 'shop',
        pod: 'web-7d9c8b6f5d-x2k4q',
        ip: POD,
        time: DAY0,
        startTime: DAY0,
      });
      await log.process(memorySource('audit-pods.jsonl', JSON.stringify(status)));
    },
    /** One day's flow object, then the rebaseline after the day. */
    async day(day: number, lines: LineInput[]) {
      const before = log.findings.length;
      if (lines.length > 0) {
        await log.process(memorySource(flowKey(DAY0 + day * DAY_MS + 10 * HOUR, `d${day}`), flowObject(lines)));
      }
      const found = log.findings.slice(before);
      await log.rebaseline(DAY0 + (day + 1) * DAY_MS + HOUR);
      return found;
    },
    async learned() {
      return (await engine.learnedEntryPoints()).map((e) => e.address);
    },
  };
}

const ruleIds = (findings: readonly { ruleId: string }[]) => findings.map((f) => f.ruleId);

describe('learned entry points', () => {
  it(`learns a load balancer after ${ENTRY_POINT_MIN_DAYS} days of public web traffic, not before, and then stays quiet`, async () => {
    // Prepare
    const { day, learned } = setUp();
    const fired: number[] = [];
    // Act
    for (let d = 0; d < 7; d++) {
      if (ruleIds(await day(d, publicTraffic(d, ALB, 443))).includes('net.public-ingress')) fired.push(d);
      if (d === ENTRY_POINT_MIN_DAYS - 2) expect(await learned()).toEqual([]);
    }
    const day9 = await day(9, publicTraffic(9, ALB, 443));
    // Assess: it fired on each day before it was learned, and never after
    expect(fired).toEqual([0, 1, 2, 3, 4]);
    expect(await learned()).toEqual([ALB]);
    expect(ruleIds(day9)).not.toContain('net.public-ingress');
  });

  it('treats a learned entry point like a configured one on the exposure path', async () => {
    // Prepare
    const { day, podHoldsAddress } = setUp();
    await podHoldsAddress();
    for (let d = 0; d < 7; d++) await day(d, publicTraffic(d, ALB, 443));
    // Act: the load balancer forwards to shop/web, which connects to a database port
    const start = seconds(DAY0 + 9 * DAY_MS + 11 * HOUR);
    const day9 = await day(9, [
      { src: ALB, srcPort: 41_000, dst: POD, dstPort: 8080, start },
      { src: POD, srcPort: 42_000, dst: DATABASE, dstPort: 5432, start: start + 60 },
    ]);
    // Assess
    const path = day9.find((f) => f.ruleId === 'net.exposure-path');
    expect(path?.summary).toContain(`through public entry point ${ALB}`);
  });

  it('never learns a pod, however much public web traffic it takes', async () => {
    // Prepare
    const { day, learned, podHoldsAddress } = setUp();
    await podHoldsAddress();
    // Act
    for (let d = 0; d < 7; d++) await day(d, publicTraffic(d, POD, 443));
    const day9 = await day(9, publicTraffic(9, POD, 443));
    // Assess
    expect(await learned()).toEqual([]);
    expect(day9.find((f) => f.ruleId === 'net.public-ingress')).toMatchObject({
      severity: 'high',
      entities: { dstWorkload: 'shop/web' },
    });
  });

  it('fires for an address first exposed after learning, and never learns a port other than 80 and 443', async () => {
    // Prepare
    const { day, learned } = setUp();
    for (let d = 0; d < 7; d++) await day(d, [...publicTraffic(d, ALB, 443), ...publicTraffic(d, '10.0.0.50', 9090)]);
    // Act
    const day9 = await day(9, [...publicTraffic(9, '10.0.0.99', 443), ...publicTraffic(9, '10.0.0.50', 9090)]);
    // Assess
    expect(await learned()).toEqual([ALB]);
    expect(day9.filter((f) => f.ruleId === 'net.public-ingress').map((f) => f.entities.dstAddr)).toEqual(
      expect.arrayContaining(['10.0.0.99', '10.0.0.50']),
    );
  });

  it('does not learn an address only one network calls, nor one exposed on too few days', async () => {
    // Prepare
    const { day, learned } = setUp();
    // Act: one partner calls 10.0.0.60 every day; 10.0.0.70 takes the internet's traffic on 4 days only
    for (let d = 0; d < 7; d++) {
      const partner = publicTraffic(d, '10.0.0.60', 443).map((l, i) => ({ ...l, src: `198.51.100.${i + 1}` }));
      await day(d, [...partner, ...(d < ENTRY_POINT_MIN_DAYS - 1 ? publicTraffic(d, '10.0.0.70', 443) : [])]);
    }
    // Assess
    expect(await learned()).toEqual([]);
  });

  it('learns nothing with network.learnEntryPoints false', async () => {
    // Prepare
    const { day, learned } = setUp({ learnEntryPoints: false });
    // Act
    for (let d = 0; d < 7; d++) await day(d, publicTraffic(d, ALB, 443));
    const day9 = await day(9, publicTraffic(9, ALB, 443));
    // Assess
    expect(await learned()).toEqual([]);
    expect(ruleIds(day9)).toContain('net.public-ingress');
  });
});
