import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../shared/config/load';
import type { ConfigInput } from '../../shared/config/schema';
import { buildDetectContext } from '../../shared/detect/context';
import { Engine } from '../../shared/engine/engine';
import type { ObjectOutcome } from '../../shared/engine/types';
import { CollectingSink } from '../../shared/incident/sink';
import { AuditWatermark } from '../../shared/network/audit-watermark';
import { MemoryTable } from '../../shared/store/memory-table';
import { flowKey, flowObject, podStatus } from '../network/support';
import { FindingLog } from '../support/finding-log';
import { cwlData } from '../support/formats';
import { memorySource } from '../support/sources';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const at = (hour: number, minute = 0) => T0 + hour * HOUR + minute * MINUTE;
const seconds = (time: number) => Math.floor(time / 1000);

/** The address both clusters' `shop/web` pods hold in turn: cluster a's from hour 1 to 2, cluster b's from hour 3. */
const SHARED = '10.0.1.57';
/** An address of cluster b's range that no audit log reports. */
const UNREPORTED_B = '10.0.70.9';
const POOL = '198.51.100.7';

/** Both clusters run the same manifests: the same pod name in the same namespace. */
const WEB_POD = 'web-7d9c8b6f5d-x2k4q';

const CLUSTERS: ConfigInput['network'] = {
  vpcCidrs: ['10.0.0.0/16'],
  clusters: [
    { name: 'a', cidrs: ['10.0.0.0/18'] },
    { name: 'b', cidrs: ['10.0.64.0/18'] },
  ],
};

/** One Firehose delivery of a cluster's audit log (its log group names the cluster). */
function audit(cluster: 'a' | 'b', hour: number, events: Record<string, unknown>[]) {
  const coredns = podStatus({
    namespace: 'kube-system',
    pod: 'coredns-5d78c9869d-abcde',
    ip: cluster === 'a' ? '10.0.1.10' : '10.0.64.10',
    hostIp: cluster === 'a' ? '10.0.1.23' : '10.0.64.23',
    time: at(hour, 59),
    startTime: T0 - HOUR,
    uid: `uid-coredns-${cluster}`,
  });
  return memorySource(
    `audit/${cluster}/hour-${hour}.json`,
    cwlData(
      [...events, coredns].map((e) => JSON.stringify(e)),
      cluster,
    ),
  );
}

function web(cluster: 'a' | 'b', time: number, phase?: string) {
  return podStatus({
    namespace: 'shop',
    pod: WEB_POD,
    ip: SHARED,
    hostIp: cluster === 'a' ? '10.0.1.23' : '10.0.64.23',
    time,
    startTime: cluster === 'a' ? at(1) : at(3),
    uid: `uid-web-${cluster}`,
    ...(phase ? { phase } : {}),
  });
}

/** A flow object of hour `hour`: each source reaches the mining pool's port. */
function flows(hour: number, sources: readonly string[]) {
  return memorySource(
    flowKey(at(hour, 50), `h${hour}`),
    flowObject(sources.map((src) => ({ src, dst: POOL, dstPort: 3333, start: seconds(at(hour, 30)) }))),
  );
}

function engineOf(network: ConfigInput['network'] = CLUSTERS) {
  const config = defaultConfig({ clusterName: 'a', learning: { days: 1 }, network });
  const table = new MemoryTable();
  const engine = new Engine({
    config,
    table,
    context: buildDetectContext(config),
    sink: new CollectingSink(),
    clock: () => T0,
  });
  return { log: new FindingLog(engine), table };
}

/**
 * Cluster a's pod holds the shared address from hour 1 and stops at hour 2; cluster b's takes it
 * at hour 3. With `bLate`, cluster b's audit log runs behind: its report of the pod arrives after
 * the flows of hour 4 that used it.
 */
async function replay(network?: ConfigInput['network'], bLate = false) {
  const { log, table } = engineOf(network);
  const outcomes: Record<string, ObjectOutcome> = {};
  outcomes.a1 = await log.process(audit('a', 1, [web('a', at(1, 2))]));
  outcomes.b1 = await log.process(audit('b', 1, []));
  outcomes.a2 = await log.process(audit('a', 2, [web('a', at(2), 'Succeeded')]));
  outcomes.flow1 = await log.process(flows(1, [SHARED]));
  outcomes.a5 = await log.process(audit('a', 5, []));
  if (!bLate) outcomes.b5 = await log.process(audit('b', 5, [web('b', at(3, 1))]));
  outcomes.flow4 = await log.process(flows(4, [SHARED, UNREPORTED_B]));
  if (bLate) outcomes.b5 = await log.process(audit('b', 5, [web('b', at(3, 1))]));
  return { log, table, outcomes };
}

function mining(log: FindingLog) {
  return log.findings
    .filter((f) => f.ruleId === 'net.mining-pool-port')
    .map((f) => ({ time: f.time, cluster: f.entities.cluster, source: f.entities.srcEntity }))
    .sort((x, y) => `${x.time}${x.source}`.localeCompare(`${y.time}${y.source}`));
}

describe('Engine: clusters never mix', () => {
  it('names each flow after the workload of the cluster that held the address at its time', async () => {
    // Act
    const { log, outcomes } = await replay();
    // Assess
    expect(mining(log)).toEqual([
      { time: new Date(at(1, 30)).toISOString(), cluster: 'a', source: 'shop/web' },
      { time: new Date(at(4, 30)).toISOString(), cluster: 'b', source: UNREPORTED_B },
      { time: new Date(at(4, 30)).toISOString(), cluster: 'b', source: 'b:shop/web' },
    ]);
    expect(outcomes.flow1?.network?.entities).toContain('workload:shop/web');
    expect(outcomes.flow4?.network?.entities).toContain('workload:b:shop/web');
    expect(outcomes.flow4?.network?.entities).not.toContain('workload:shop/web');
  });

  it('waits for the second cluster’s audit log, not only the configured one’s, to name its hourly edges', async () => {
    // Act
    const { outcomes } = await replay(CLUSTERS, true);
    // Assess: hour 4 waited while cluster b's log was behind, and was named as cluster b's once it caught up
    expect(outcomes.flow4?.lateAttribution).toEqual({ waiting: 2, decided: 0 });
    expect(outcomes.b5?.lateAttribution).toEqual({ waiting: 0, decided: 2 });
    expect(outcomes.b5?.network?.entities).toContain('workload:b:shop/web');
    expect(outcomes.b5?.network?.entities).not.toContain('workload:shop/web');
  });

  it('keeps a watermark per listed cluster, and the configured one for any other log group', async () => {
    const { table } = await replay();
    const watermarks = new AuditWatermark(table);
    expect(await watermarks.get('a')).toBe(at(5, 59));
    expect(await watermarks.get('b')).toBe(at(5, 59));
    expect(await watermarks.least(['a', 'b'], 48 * HOUR)).toBe(at(5, 59));
  });

  it('with no second cluster listed, names every workload as before and decides on the configured log alone', async () => {
    // Act
    const { log, outcomes } = await replay({ vpcCidrs: ['10.0.0.0/16'] }, true);
    // Assess: cluster b's log moved the configured watermark, so hour 4 was named before b's report (as before)
    expect(outcomes.flow4?.lateAttribution).toBeUndefined();
    expect(mining(log).map((f) => [f.cluster, f.source])).toEqual([
      ['a', 'shop/web'],
      ['a', SHARED],
      ['a', UNREPORTED_B],
    ]);
  });
});
