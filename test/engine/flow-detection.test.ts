import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Finding } from '../../shared/alert/finding';
import { defaultConfig } from '../../shared/config/load';
import type { Config, ConfigInput } from '../../shared/config/schema';
import { buildDetectContext } from '../../shared/detect/context';
import { publicIngress } from '../../shared/detect/net/public-ingress';
import { Engine } from '../../shared/engine/engine';
import { CollectingSink } from '../../shared/incident/sink';
import { STACK_FLOW_HEADER } from '../../shared/ingest/flow-reader';
import { MemoryTable } from '../../shared/store/memory-table';
import { flowKey, flowLine, flowObject, type LineInput, podStatus } from '../network/support';
import { FindingLog, openings } from '../support/finding-log';
import { memorySource } from '../support/sources';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const LB_ENI = 'eni-0b1c';

const NETWORK: ConfigInput['network'] = {
  vpcCidrs: ['10.0.0.0/16'],
  labels: [{ cidr: '10.0.200.0/24', label: 'rds-subnets' }],
  sensitive: { cidrs: [{ cidr: '10.0.200.0/24', label: 'rds-subnets' }] },
  entryPoints: { interfaces: [LB_ENI] },
  stats: { minHours: 4, minDays: 2 },
};

const seconds = (time: number) => Math.floor(time / 1000);

describe('Engine: network analysis', () => {
  let table: MemoryTable;
  let sink: CollectingSink;
  /** The engine, and what it found, call after call. */
  let log: FindingLog;

  function setUp(input: ConfigInput = {}) {
    table = new MemoryTable();
    sink = new CollectingSink();
    const config: Config = defaultConfig({ learning: { days: 1 }, network: NETWORK, ...input });
    log = new FindingLog(new Engine({ config, table, context: buildDetectContext(config), sink }));
  }

  beforeEach(() => setUp());

  const flow = (time: number, lines: LineInput[], suffix = String(time)) =>
    log.process(memorySource(flowKey(time, suffix), flowObject(lines)));
  const byRule = (ruleId: string): Finding[] => log.findings.filter((f) => f.ruleId === ruleId);

  it('names the workload behind a pod IP, from the kubelet status patches of the audit log', async () => {
    // Prepare
    await log.process(
      memorySource(
        'audit-1.jsonl',
        [
          JSON.stringify(
            podStatus({
              namespace: 'shop',
              pod: 'web-7d9c8b6f5d-x2k4q',
              ip: '10.0.1.57',
              time: T0 + HOUR,
              startTime: T0,
            }),
          ),
        ].join('\n'),
      ),
    );
    // Act: a flow the audit log has already passed (later ones wait for it: late-attribution.test.ts)
    const outcome = await flow(T0 + HOUR / 2, [
      { src: '10.0.1.57', dst: '192.0.2.10', dstPort: 3333, start: seconds(T0 + HOUR / 2) },
    ]);
    // Assess
    expect(byRule('net.mining-pool-port')[0]).toMatchObject({
      severity: 'high',
      entities: {
        srcAddr: '10.0.1.57',
        srcWorkload: 'shop/web',
        srcNamespace: 'shop',
        srcPod: 'web-7d9c8b6f5d-x2k4q',
        srcOwner: 'Deployment/web',
        dstAddr: '192.0.2.10',
        dstPort: 3333,
      },
    });
    expect(outcome.network).toEqual({
      hourlyEdges: ['egress|workload:shop/web|external:192.0.2.0/24|3333|6'],
      entities: ['workload:shop/web', 'external:192.0.2.0/24'],
      addressesLookedUp: 1,
      addressesAttributed: 1,
      relayedEdges: 0,
    });
  });

  it('adds up a port scan spread over two objects', async () => {
    const probes = (from: number, count: number, at: number): LineInput[] =>
      Array.from({ length: count }, (_, i) => ({
        src: '10.0.3.7',
        dst: '10.0.2.47',
        dstPort: from + i,
        start: seconds(at),
        action: 'REJECT',
        packets: 1,
        bytes: 44,
      }));
    await flow(T0 + HOUR, probes(100, 12, T0 + HOUR));
    expect(byRule('net.port-scan')).toEqual([]);
    await flow(T0 + HOUR + 5 * 60_000, probes(200, 12, T0 + HOUR + 4 * 60_000), 'b');
    expect(byRule('net.port-scan')).toEqual([expect.objectContaining({ severity: 'high', count: 24 })]);
    expect(byRule('net.port-scan')[0]?.entities).toMatchObject({
      srcAddr: '10.0.3.7',
      dstAddr: '10.0.2.47',
      portCount: 24,
    });
  });

  it('finds an exposure path when the public side and the sensitive side arrive in different objects', async () => {
    // Prepare: the load balancer forwards to 10.0.1.57; hours later, 10.0.1.57 reaches the database.
    await flow(T0 + HOUR, [
      { src: '10.0.0.37', dst: '10.0.1.57', dstPort: 8080, start: seconds(T0 + HOUR), eni: LB_ENI },
    ]);
    expect(byRule('net.exposure-path')).toEqual([]);
    // Act
    await flow(T0 + 5 * HOUR, [{ src: '10.0.1.57', dst: '10.0.200.10', dstPort: 5432, start: seconds(T0 + 5 * HOUR) }]);
    // Assess
    const [finding] = byRule('net.exposure-path');
    // No client of the load balancer in this object to name: the internet, through it.
    expect(finding?.entities).toMatchObject({
      path: [
        'internet via public entry point 10.0.0.37',
        'public entry point 10.0.0.37',
        '10.0.1.57',
        'rds-subnets (10.0.200.0/24)',
      ],
      exposure: { entryPoint: 'public entry point 10.0.0.37', workload: '10.0.1.57', port: 5432 },
    });
    expect(finding?.time).toBe(new Date(T0 + 5 * HOUR).toISOString());
  });

  it('names a public client of the load balancer as the path’s source when the object shows one', async () => {
    await flow(T0 + HOUR, [
      {
        src: '198.51.100.9',
        srcPort: 51000,
        dst: '10.0.0.37',
        dstPort: 443,
        start: seconds(T0 + HOUR),
        eni: LB_ENI,
        direction: 'ingress',
      },
      { src: '10.0.0.37', dst: '10.0.1.57', dstPort: 8080, start: seconds(T0 + HOUR), eni: LB_ENI },
      { src: '10.0.1.57', dst: '10.0.200.10', dstPort: 5432, start: seconds(T0 + HOUR) + 30 },
    ]);
    expect(byRule('net.exposure-path')[0]?.entities).toMatchObject({
      publicAddress: '198.51.100.9',
      path: ['198.51.100.0/24', 'public entry point 10.0.0.37', '10.0.1.57', 'rds-subnets (10.0.200.0/24)'],
    });
    expect(byRule('net.public-ingress')).toEqual([]);
  });

  it('finds it the other way round too, straight from the internet, and not past the window', async () => {
    setUp({ network: { ...NETWORK, exposure: { windowDays: 1 } } });
    await flow(T0 + HOUR, [{ src: '10.0.1.60', dst: '10.0.2.9', dstPort: 6379, start: seconds(T0 + HOUR) }]);
    await flow(T0 + 3 * DAY, [
      {
        src: '198.51.100.9',
        srcPort: 51000,
        dst: '10.0.1.60',
        dstPort: 9090,
        start: seconds(T0 + 3 * DAY),
        direction: 'ingress',
      },
    ]);
    expect(byRule('net.exposure-path')).toEqual([]);
    await flow(T0 + 3 * DAY + HOUR, [
      { src: '10.0.1.60', dst: '10.0.2.9', dstPort: 6379, start: seconds(T0 + 3 * DAY + HOUR) },
    ]);
    expect(byRule('net.exposure-path')).toHaveLength(1);
    expect(byRule('net.public-ingress')).toHaveLength(1);
  });

  it('makes one public-ingress finding of many internet clients, counting every one of them', async () => {
    setUp({ network: NETWORK });
    const describeCalls = vi.spyOn(publicIngress, 'detect');
    await flow(
      T0 + HOUR,
      Array.from({ length: 30 }, (_, i) => ({
        src: `198.51.100.${i + 1}`,
        srcPort: 51000 + i,
        dst: '10.0.1.60',
        dstPort: 9090,
        start: seconds(T0 + HOUR) + i,
        direction: 'ingress' as const,
      })),
    );
    const [finding, ...rest] = byRule('net.public-ingress');
    expect(rest).toEqual([]);
    // The first client describes the finding; the other 29 are counted without being described again.
    expect(finding).toMatchObject({ count: 30, severity: 'medium' });
    expect(finding?.summary).toContain('198.51.100.1 connected from the internet');
    expect(describeCalls).toHaveBeenCalledTimes(1);
    describeCalls.mockRestore();
  });

  /** One egress object per hour from 10.0.2.20 to 140.82.112.3:443, `bytes` sent, with rebaselines at midnight. */
  async function hourly(
    days: number,
    hours: readonly number[],
    bytes: (day: number, hour: number) => number,
    rejects = 0,
  ) {
    for (let d = 0; d < days; d++) {
      if (d > 0) await log.rebaseline(T0 + d * DAY);
      for (const h of hours) {
        const at = T0 + d * DAY + h * HOUR;
        const lines: LineInput[] = [
          { src: '10.0.2.20', dst: '140.82.112.3', dstPort: 443, start: seconds(at), bytes: bytes(d, h) },
        ];
        for (let i = 0; i < rejects; i++)
          lines.push({
            src: '10.0.2.20',
            dst: '10.0.2.30',
            srcPort: 40000 + i,
            dstPort: 8443,
            start: seconds(at),
            action: 'REJECT',
            packets: 1,
            bytes: 60,
          });
        if (rejects === 0)
          lines.push({ src: '10.0.2.20', dst: '10.0.2.30', dstPort: 8443, start: seconds(at), bytes: 900 });
        await flow(at, lines);
      }
    }
  }

  it('flags an hour far above the edge’s hourly statistics, once the edge has a history', async () => {
    // Prepare: three days of small uploads at 10:00 and 11:00 and 12:00.
    await hourly(3, [10, 11, 12], () => 4_000);
    await log.rebaseline(T0 + 3 * DAY);
    // Act: a busy hour under the floor, then 900 MB.
    await flow(T0 + 3 * DAY + 10 * HOUR, [
      {
        src: '10.0.2.20',
        dst: '140.82.112.3',
        dstPort: 443,
        start: seconds(T0 + 3 * DAY + 10 * HOUR),
        bytes: 30_000_000,
      },
    ]);
    expect(byRule('net.volume-spike')).toEqual([]);
    await flow(T0 + 3 * DAY + 11 * HOUR, [
      {
        src: '10.0.2.20',
        dst: '140.82.112.3',
        dstPort: 443,
        start: seconds(T0 + 3 * DAY + 11 * HOUR),
        bytes: 900_000_000,
      },
    ]);
    // Assess
    const [finding] = byRule('net.volume-spike');
    expect(finding).toMatchObject({
      kind: 'anomaly',
      severity: 'medium',
      entities: { bytesOut: 900_000_000, expectedBytes: 4_000 },
    });
    expect(finding?.baseline?.expected).toContain('median 4000');
  });

  it('stays silent while an edge is new or the scope is learning', async () => {
    // A brand-new edge with a huge hour on day 0 (learning) and on day 3 (no history).
    await flow(T0 + HOUR, [
      { src: '10.0.2.21', dst: '140.82.112.9', dstPort: 443, start: seconds(T0 + HOUR), bytes: 900_000_000 },
    ]);
    await log.rebaseline(T0 + 3 * DAY);
    await flow(T0 + 3 * DAY + HOUR, [
      { src: '10.0.2.22', dst: '140.82.112.9', dstPort: 443, start: seconds(T0 + 3 * DAY + HOUR), bytes: 900_000_000 },
    ]);
    expect(byRule('net.volume-spike')).toEqual([]);
  });

  it('flags REJECTs between internal endpoints far above the edge’s baseline', async () => {
    await hourly(3, [10, 11, 12], () => 4_000);
    await log.rebaseline(T0 + 3 * DAY);
    const at = T0 + 3 * DAY + 10 * HOUR;
    await flow(
      at,
      Array.from({ length: 40 }, (_, i) => ({
        src: '10.0.2.20',
        dst: '10.0.2.30',
        srcPort: 40000 + i,
        dstPort: 8443,
        start: seconds(at),
        action: 'REJECT' as const,
        packets: 1,
        bytes: 60,
      })),
    );
    expect(byRule('net.reject-spike')).toEqual([expect.objectContaining({ severity: 'medium' })]);
    expect(byRule('net.reject-spike')[0]?.entities).toMatchObject({ rejected: 40, expectedRejected: 0, dstPort: 8443 });
  });

  it('reports SKIPDATA, and a flow log that stops arriving, once a day', async () => {
    // Prepare: an object with SKIPDATA records beside its traffic.
    const skip = `5 123456789012 eni-0a - - - - - - - ${seconds(T0 + HOUR)} ${seconds(T0 + HOUR) + 59} - SKIPDATA vpc-0a - - - - - - - - - - - -`;
    await log.process(
      memorySource(
        flowKey(T0 + HOUR),
        [
          STACK_FLOW_HEADER,
          flowLine({ src: '10.0.1.5', dst: '10.0.2.9', dstPort: 443, start: seconds(T0 + HOUR) }),
          skip,
        ].join('\n'),
      ),
    );
    expect(byRule('net.log-health')).toEqual([
      expect.objectContaining({
        severity: 'low',
        entities: expect.objectContaining({ flowLogId: 'fl-0abc', skipdata: 1 }),
      }),
    ]);
    // Act: rebaselines 2 hours and 10 hours after the last record, then a day later.
    const quiet = await log.rebaseline(T0 + 3 * HOUR);
    const silent = await log.rebaseline(T0 + 11 * HOUR);
    const again = await log.rebaseline(T0 + 12 * HOUR);
    // Assess
    expect(quiet.findings).toBeUndefined();
    expect(silent.findings).toEqual([
      expect.objectContaining({ ruleId: 'net.log-health', severity: 'medium', title: 'Flow log stopped arriving' }),
    ]);
    expect(again.findings).toBeUndefined();
    const stopped = log.findings.filter((f) => f.title === 'Flow log stopped arriving');
    expect(stopped).toHaveLength(1);
    expect(openings(sink.messages)[String(stopped[0]?.incidentId)]).toBe(1);
  });
});
