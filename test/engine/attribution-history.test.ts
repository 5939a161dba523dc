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

/** The audit log: CoreDNS reports every hour; the web pod, running since before the logs, only at `reportHour`. */
function auditHour(hour: number, reportHour: number | undefined): { key: string; body: string } {
  const events = [
    podStatus({
      namespace: 'kube-system',
      pod: 'coredns-5d78c9869d-abcde',
      ip: DNS,
      time: at(hour, 59),
      startTime: T0 - HOUR,
    }),
  ];
  if (hour === reportHour) {
    events.unshift(
      podStatus({
        namespace: 'shop',
        pod: 'web-7d9c8b6f5d-x2k4q',
        ip: WEB,
        time: at(hour, 5),
        startTime: T0 - 40 * 24 * HOUR,
      }),
    );
  }
  return {
    key: `audit/2026/11/hour-${String(hour).padStart(3, '0')}.jsonl`,
    body: events.map((e) => JSON.stringify(e)).join('\n'),
  };
}

/** The web pod's steady traffic: the database, the cache and DNS, every hour. */
function flowHour(hour: number, extra: readonly LineInput[] = []): { key: string; body: string } {
  const lines: LineInput[] = [
    ...extra,
    { src: WEB, dst: RDS, dstPort: 5432, start: seconds(at(hour, 10)) },
    { src: WEB, dst: CACHE, dstPort: 6379, start: seconds(at(hour, 11)) },
    { src: WEB, dst: DNS, dstPort: 53, protocol: 17, start: seconds(at(hour, 12)) },
  ];
  return { key: flowKey(at(hour, 55), `h${hour}`), body: flowObject(lines) };
}

async function run(reportHour: number | undefined, extra: (hour: number) => LineInput[] = () => []) {
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
    const audit = auditHour(hour, reportHour);
    await log.process(memorySource(audit.key, audit.body));
    const flow = flowHour(hour, extra(hour));
    await log.process(memorySource(flow.key, flow.body));
    if (hour + 1 === 24) await log.rebaseline(at(24));
  }
  return log;
}

describe('Attribution keeps history', () => {
  it('names the long-running pod once the kubelet reports it, and its old connections stay known', async () => {
    // Act
    const log = await run(REPORT_HOUR);
    // Assess: the pod is named from its report on, and nothing it always did is new
    const named = log.findings.filter((f) => f.entities.source === 'workload:shop/web');
    expect(named).toEqual([]);
    expect(log.findings.filter((f) => f.ruleId === 'net.new-port')).toEqual([]);
  });

  it('still finds a port the workload never used, before or after its name was known', async () => {
    // Prepare: after the report, the web pod also reaches the database on the MySQL port
    const extra = (hour: number): LineInput[] =>
      hour === REPORT_HOUR + 2 ? [{ src: WEB, dst: RDS, dstPort: 3306, start: seconds(at(hour, 20)) }] : [];
    // Act
    const log = await run(REPORT_HOUR, extra);
    // Assess
    const newPorts = log.findings.filter((f) => f.ruleId === 'net.new-port');
    expect(newPorts.map((f) => [f.entities.source, f.entities.port])).toEqual([['workload:shop/web', '3306/tcp']]);
  });

  it('gives a pod reported as it starts no inherited history: a new pod on a known address is judged as itself', async () => {
    // Prepare: the same traffic, but the pod reported at hour 30 started then (a fresh pod reusing the address)
    const config = defaultConfig({ learning: { days: 1 }, network: NETWORK });
    const engine = new Engine({
      config,
      table: new MemoryTable(),
      context: buildDetectContext(config),
      sink: new CollectingSink(),
      clock: () => T0,
    });
    const log = new FindingLog(engine);
    // Act
    for (let hour = 0; hour <= LAST_HOUR; hour++) {
      const events = [
        podStatus({
          namespace: 'kube-system',
          pod: 'coredns-5d78c9869d-abcde',
          ip: DNS,
          time: at(hour, 59),
          startTime: T0 - HOUR,
        }),
      ];
      if (hour === REPORT_HOUR) {
        events.unshift(
          podStatus({
            namespace: 'shop',
            pod: 'web-7d9c8b6f5d-x2k4q',
            ip: WEB,
            time: at(hour, 2),
            startTime: at(hour, 1),
          }),
        );
      }
      await log.process(
        memorySource(
          `audit/2026/11/hour-${String(hour).padStart(3, '0')}.jsonl`,
          events.map((e) => JSON.stringify(e)).join('\n'),
        ),
      );
      const flow = flowHour(hour);
      await log.process(memorySource(flow.key, flow.body));
      if (hour + 1 === 24) await log.rebaseline(at(24));
    }
    // Assess: the new workload's connections are new to it
    const newPorts = log.findings.filter((f) => f.ruleId === 'net.new-port');
    expect(newPorts.map((f) => f.entities.source)).toContain('workload:shop/web');
  });
});
