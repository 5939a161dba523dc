import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../shared/config/load';
import type { ConfigInput } from '../../shared/config/schema';
import { buildDetectContext } from '../../shared/detect/context';
import { Engine } from '../../shared/engine/engine';
import { CollectingSink } from '../../shared/incident/sink';
import { MemoryTable } from '../../shared/store/memory-table';
import { flowKey, flowObject, type LineInput, podStatus } from '../network/support';
import { FindingLog } from '../support/finding-log';
import { memorySource } from '../support/sources';

/**
 * Cause 3 of "right with no config": a pod that started before the logs is never named during
 * learning, so its traffic is learned by address and subnet. When a kubelet report finally names
 * it, its old connections must not become new.
 */
const HOUR = 3_600_000;
const MINUTE = 60_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
/** Day 1 after the learning day and its rebaseline: the kubelet reports the long-running pod (a container restart). */
const REPORT_HOUR = 30;
const LAST_HOUR = 40;

const WEB = '10.0.1.57';
const DNS = '10.0.1.10';
const RDS = '10.0.200.10';
const CACHE = '10.0.2.31';

const NETWORK: ConfigInput['network'] = {
  vpcCidrs: ['10.0.0.0/16'],
  labels: [{ cidr: '10.0.200.0/24', label: 'rds-subnets' }],
  stats: { minHours: 4, minDays: 2 },
};

const seconds = (time: number) => Math.floor(time / 1000);
const at = (hour: number, minute = 0) => T0 + hour * HOUR + minute * MINUTE;

type AuditEventInput = Record<string, unknown>;

/** CoreDNS's hourly report, in every audit object. */
const coreDns = (hour: number) =>
  podStatus({
    namespace: 'kube-system',
    pod: 'coredns-5d78c9869d-abcde',
    ip: DNS,
    time: at(hour, 59),
    startTime: T0 - HOUR,
  });

/** The web pod, running since 40 days before the logs, reported by its kubelet at `hour`. */
const longRunningWeb = (hour: number, phase?: string) =>
  podStatus({
    namespace: 'shop',
    pod: 'web-7d9c8b6f5d-x2k4q',
    ip: WEB,
    time: at(hour, 5),
    startTime: T0 - 40 * 24 * HOUR,
    ...(phase ? { phase } : {}),
  });

/** The web pod's steady traffic from `address`: the database, the cache and DNS. */
const steadyTraffic = (hour: number, address = WEB): LineInput[] => [
  { src: address, dst: RDS, dstPort: 5432, start: seconds(at(hour, 10)) },
  { src: address, dst: CACHE, dstPort: 6379, start: seconds(at(hour, 11)) },
  { src: address, dst: DNS, dstPort: 53, protocol: 17, start: seconds(at(hour, 12)) },
];

/**
 * Replays hours 0 to {@link LAST_HOUR} (each hour's audit object, then its flow object) with a
 * learning day and a rebaseline after it. Returns the new-port findings as [source, port].
 */
async function replay(
  audit: (hour: number) => AuditEventInput[],
  flows: (hour: number) => LineInput[],
): Promise<string[][]> {
  const config = defaultConfig({ learning: { days: 1 }, network: NETWORK });
  const engine = new Engine({
    config,
    table: new MemoryTable(),
    context: buildDetectContext(config),
    sink: new CollectingSink(),
    clock: () => T0,
  });
  const log = new FindingLog(engine);
  for (let hour = 0; hour <= LAST_HOUR; hour++) {
    const events = [...audit(hour), coreDns(hour)];
    await log.process(
      memorySource(
        `audit/2026/11/hour-${String(hour).padStart(3, '0')}.jsonl`,
        events.map((e) => JSON.stringify(e)).join('\n'),
      ),
    );
    await log.process(memorySource(flowKey(at(hour, 55), `h${hour}`), flowObject(flows(hour))));
    if (hour + 1 === 24) await log.rebaseline(at(24));
  }
  return log.findings
    .filter((f) => f.ruleId === 'net.new-port')
    .map((f) => [String(f.entities.source), String(f.entities.port)]);
}

describe('Attribution keeps history', () => {
  it('names the long-running pod once the kubelet reports it, and its old connections stay known', async () => {
    // Act
    const newPorts = await replay((hour) => (hour === REPORT_HOUR ? [longRunningWeb(hour)] : []), steadyTraffic);
    // Assess
    expect(newPorts).toEqual([]);
  });

  it('still finds a port the workload never used, even one its subnet neighbours used', async () => {
    // Prepare: after the report, the web pod also reaches the database on the MySQL port, which
    // only a neighbour in its /24 (another unnamed address) used while learning
    const flows = (hour: number): LineInput[] => [
      ...steadyTraffic(hour),
      ...(hour < 24 ? [{ src: '10.0.1.99', dst: RDS, dstPort: 3306, start: seconds(at(hour, 15)) }] : []),
      ...(hour === REPORT_HOUR + 2 ? [{ src: WEB, dst: RDS, dstPort: 3306, start: seconds(at(hour, 20)) }] : []),
    ];
    // Act
    const newPorts = await replay((hour) => (hour === REPORT_HOUR ? [longRunningWeb(hour)] : []), flows);
    // Assess
    expect(newPorts).toEqual([['workload:shop/web', '3306/tcp']]);
  });

  it('gives a pod reported as it starts no inherited history: a new pod on a known address is judged as itself', async () => {
    // Prepare: the pod reported at the report hour started then (a fresh pod reusing the address)
    const fresh = (hour: number) =>
      hour === REPORT_HOUR
        ? [
            podStatus({
              namespace: 'shop',
              pod: 'web-7d9c8b6f5d-x2k4q',
              ip: WEB,
              time: at(hour, 2),
              startTime: at(hour, 1),
            }),
          ]
        : [];
    // Act
    const newPorts = await replay(fresh, steadyTraffic);
    // Assess
    expect(newPorts.map(([source]) => source)).toContain('workload:shop/web');
  });

  it('keeps the history through a rollout: the new pod inherits what the old, unnamed pod learned', async () => {
    // Prepare: at the report hour the web workload rolls out: the old pod's last report (it ran
    // before the logs) and the new pod's first, on another address
    const NEW_WEB = '10.0.1.80';
    const newPod = (hour: number) =>
      podStatus({
        namespace: 'shop',
        pod: 'web-6f7c9d8b4c-q8r2t',
        ip: NEW_WEB,
        time: at(hour, 2),
        startTime: at(hour, 1),
      });
    const flows = (hour: number) => steadyTraffic(hour, hour < REPORT_HOUR ? WEB : NEW_WEB);
    // Act
    const withHistory = await replay(
      (hour) => (hour === REPORT_HOUR ? [newPod(hour), longRunningWeb(hour, 'Succeeded')] : []),
      flows,
    );
    const without = await replay((hour) => (hour === REPORT_HOUR ? [newPod(hour)] : []), flows);
    // Assess: the old pod's last report hands its history to the workload; without it every port is new
    expect(withHistory).toEqual([]);
    expect(without).toEqual(
      expect.arrayContaining([
        ['workload:shop/web', '5432/tcp'],
        ['workload:shop/web', '6379/tcp'],
      ]),
    );
  });
});
