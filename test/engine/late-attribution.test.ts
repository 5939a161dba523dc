import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../shared/alert/finding';
import { DynamoTable } from '../../shared/aws/dynamo-table';
import { defaultConfig } from '../../shared/config/load';
import type { ConfigInput } from '../../shared/config/schema';
import { buildDetectContext } from '../../shared/detect/context';
import { Engine } from '../../shared/engine/engine';
import type { ObjectOutcome } from '../../shared/engine/types';
import { CollectingSink } from '../../shared/incident/sink';
import { AuditWatermark } from '../../shared/network/audit-watermark';
import type { Item, Table } from '../../shared/store';
import { keys } from '../../shared/store/keys';
import { MemoryTable } from '../../shared/store/memory-table';
import { unpackRows } from '../../shared/store/packing';
import { flowKey, flowObject, type LineInput, podStatus } from '../network/support';
import { type LocalDynamo, startDynalite } from '../support/dynalite';
import { FindingLog } from '../support/finding-log';
import { memorySource } from '../support/sources';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
/** The hour of the rollout: day 1, after the learning day and a rebaseline (the next is at hour 55). */
const ROLLOUT = 30;
const LAST_HOUR = 56;

const WEB_V1 = '10.0.1.57';
const WEB_V2 = '10.0.1.80';
const DNS = '10.0.1.10';
const RDS = '10.0.200.10';

const NETWORK: ConfigInput['network'] = {
  vpcCidrs: ['10.0.0.0/16'],
  labels: [{ cidr: '10.0.200.0/24', label: 'rds-subnets' }],
  stats: { minHours: 4, minDays: 2 },
};

const seconds = (time: number) => Math.floor(time / 1000);
const at = (hour: number, minute = 0) => T0 + hour * HOUR + minute * MINUTE;

/** One hour of the cluster's audit log: CoreDNS reporting in at the end of the hour, and the rollout's pod reports. */
function auditHour(hour: number): { key: string; body: string } {
  const events = [
    podStatus({
      namespace: 'kube-system',
      pod: 'coredns-5d78c9869d-abcde',
      ip: DNS,
      time: at(hour, 59),
      startTime: T0 - HOUR,
    }),
  ];
  if (hour === ROLLOUT) {
    // The new version's pod starts at :01 and its kubelet reports its address at :02.
    events.unshift(
      podStatus({
        namespace: 'shop',
        pod: 'web-6f7c9d8b4c-q8r2t',
        ip: WEB_V2,
        time: at(hour, 2),
        startTime: at(hour, 1),
      }),
    );
  }
  if (hour === 0) {
    events.unshift(
      podStatus({ namespace: 'shop', pod: 'web-7d9c8b6f5d-x2k4q', ip: WEB_V1, time: at(0), startTime: T0 - HOUR }),
    );
  }
  return {
    key: `audit/2026/11/hour-${String(hour).padStart(3, '0')}.jsonl`,
    body: events.map((e) => JSON.stringify(e)).join('\n'),
  };
}

/** One hour of flow logs: the web workload's old pod before the rollout, its new pod (and a new port) after it. */
function flowHour(hour: number): { key: string; body: string } {
  const web = hour < ROLLOUT ? WEB_V1 : WEB_V2;
  const lines: LineInput[] = [
    { src: web, dst: RDS, dstPort: 5432, start: seconds(at(hour, 10)) },
    { src: web, dst: DNS, dstPort: 53, protocol: 17, start: seconds(at(hour, 12)) },
  ];
  if (hour >= ROLLOUT) lines.push({ src: WEB_V2, dst: RDS, dstPort: 6379, start: seconds(at(hour, 20)) });
  return { key: flowKey(at(hour, 55), `h${hour}`), body: flowObject(lines) };
}

type Step = { kind: 'object'; key: string; body: string } | { kind: 'rebaseline'; time: number };

/**
 * The run in order: each hour's audit object, then its flow object; rebaselines after the learning
 * day and at the end. With `lateBy`, the audit log from the rollout's hour on is delivered `lateBy`
 * hours late: the flow objects of those hours come first.
 */
function delivery(lateBy = 0): Step[] {
  const steps: Step[] = [];
  const lateAudit: Step[] = [];
  for (let hour = 0; hour <= LAST_HOUR; hour++) {
    const audit: Step = { kind: 'object', ...auditHour(hour) };
    if (lateBy > 0 && hour >= ROLLOUT && hour < ROLLOUT + lateBy) lateAudit.push(audit);
    else {
      if (lateBy > 0 && hour === ROLLOUT + lateBy) steps.push(...lateAudit);
      steps.push(audit);
    }
    steps.push({ kind: 'object', ...flowHour(hour) });
    if (hour + 1 === 24 || hour + 1 === 55) steps.push({ kind: 'rebaseline', time: at(hour + 1) });
  }
  steps.push({ kind: 'rebaseline', time: at(LAST_HOUR + 1) });
  return steps;
}

async function run(steps: readonly Step[], input: ConfigInput = {}, table: Table = new MemoryTable()) {
  const config = defaultConfig({ learning: { days: 1 }, network: NETWORK, ...input });
  const engine = new Engine({
    config,
    table,
    context: buildDetectContext(config),
    sink: new CollectingSink(),
    clock: () => T0,
  });
  const log = new FindingLog(engine);
  const outcomes: ObjectOutcome[] = [];
  for (const step of steps) {
    if (step.kind === 'object') outcomes.push(await log.process(memorySource(step.key, step.body)));
    else await log.rebaseline(step.time);
  }
  return { log, table, outcomes };
}

/** What a finding says, without the count of events it stands for in its object. */
function findingsOf(log: FindingLog) {
  return log.findings
    .map((f: Finding) => ({ id: f.id, ruleId: f.ruleId, time: f.time, entities: f.entities }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

const sum = (a: unknown, b: unknown) => Number(a ?? 0) + Number(b ?? 0);

/**
 * The table as the rebaseline and detection read it. Items keyed by the object that wrote them
 * (observations, hourly edges, window counts) are summed over objects: an edge decided late is
 * written under its own id. The processed-object ledger is left out.
 */
function stateOf(table: MemoryTable) {
  const exact: Record<string, unknown> = {};
  const observations = new Map<string, number[]>();
  const hourlyEdges = new Map<string, unknown[]>();
  for (const item of table.items() as Iterable<Item>) {
    const prefix = item.pk.split('#')[0];
    // Delivery's bookkeeping is kept by the owner that found a finding: in order the flow object,
    // late the group of edges that waited. The findings themselves are compared apart. The
    // incident lock names whichever writer held it last; the incidents themselves are compared.
    if (prefix === 'OBJECT' || prefix === 'OUTBOX' || prefix === 'INCLOCK') continue;
    if (prefix === 'OBS') {
      for (const [kind, value, count, first, last] of unpackRows(item.packed)) {
        // Observations are sharded by the object that wrote them: an edge decided late is in another shard.
        const key = `${item.pk.slice(0, item.pk.lastIndexOf('#'))}|${kind}|${value}`;
        const o = observations.get(key);
        observations.set(
          key,
          o
            ? [sum(o[0], count), Math.min(Number(o[1]), Number(first)), Math.max(Number(o[2]), Number(last))]
            : [Number(count), Number(first), Number(last)],
        );
      }
      continue;
    }
    if (prefix === 'NETMAP') {
      for (const row of unpackRows(item.packed)) {
        const key = `${item.pk}|${row[1]}|${row[2]}`;
        const e = hourlyEdges.get(key);
        if (!e) hourlyEdges.set(key, [...row]);
        else {
          for (let i = 10; i <= 15; i++) e[i] = sum(e[i], row[i]);
          e[16] = Math.min(Number(e[16]), Number(row[16]));
          e[17] = Math.max(Number(e[17]), Number(row[17]));
        }
      }
      continue;
    }
    const { expiresAt: _expires, ...rest } = item;
    if (prefix === 'DEDUPE') delete rest.owner;
    exact[`${item.pk}|${item.sk}`] = rest;
  }
  return {
    exact,
    observations: Object.fromEntries([...observations].sort()),
    hourlyEdges: Object.fromEntries([...hourlyEdges].sort()),
  };
}

describe('Late attribution: flow edges wait for the audit log', () => {
  it('finds the same and learns the same when the audit log is 2 h or 24 h late as in order', async () => {
    // Prepare
    const inOrder = await run(delivery());
    // Act
    const late2 = await run(delivery(2));
    const late24 = await run(delivery(24));
    // Assess: the rollout's new port names the workload (again once its dedupe day is over, before the rebaseline learns it)
    const newPorts = inOrder.log.findings.filter((f) => f.ruleId === 'net.new-port');
    expect(newPorts.map((f) => [f.entities.source, f.entities.port, f.time])).toEqual([
      ['workload:shop/web', '6379/tcp', new Date(at(ROLLOUT, 20)).toISOString()],
      ['workload:shop/web', '6379/tcp', new Date(at(ROLLOUT + 24, 20)).toISOString()],
    ]);
    for (const late of [late2, late24]) {
      expect(findingsOf(late.log)).toEqual(findingsOf(inOrder.log));
      expect(stateOf(late.table as MemoryTable)).toEqual(stateOf(inOrder.table as MemoryTable));
    }
    // The items compared hold the baselines and the per-edge statistics, and nothing waits any more.
    const stored = Object.keys(stateOf(inOrder.table as MemoryTable).exact);
    expect(stored.filter((k) => k.startsWith('BL#vpc-0a#server-port')).length).toBeGreaterThan(0);
    expect(stored.filter((k) => k.startsWith('EDGEHIST#')).length).toBeGreaterThan(0);
    expect(Object.keys(stateOf(late24.table as MemoryTable).exact).filter((k) => k.startsWith('PENDING#'))).toEqual([]);
    expect(late24.outcomes.some((o) => (o.lateAttribution?.waiting ?? 0) > 0)).toBe(true);
  });

  it('keeps counting a flow log as delivering while its edges wait', async () => {
    // Prepare: a rebaseline in the middle of a day-long wait for the audit log
    const steps = delivery(24);
    steps.splice(stepsThrough(steps, 45), 0, { kind: 'rebaseline', time: at(46) });
    // Act
    const late = await run(steps);
    // Assess: the flow log delivered every hour, so it is not reported silent
    expect(late.log.findings.filter((f) => f.ruleId === 'net.log-health')).toEqual([]);
    expect(late.outcomes.find((o) => o.uri === flowHour(45).key)?.lateAttribution).toEqual({ waiting: 3, decided: 0 });
  });

  it('without waiting, the late audit log leaves extra findings and wrong hourly edges', async () => {
    // Prepare
    const inOrder = await run(delivery());
    // Act
    const late = await run(delivery(2), { network: { ...NETWORK, lateAudit: { maxWaitHours: 0 } } });
    // Assess: the new pod is an unknown address of its subnet for two hours
    const sources = late.log.findings.filter((f) => f.ruleId === 'net.new-port').map((f) => f.entities.source);
    expect(sources).toContain('subnet:10.0.1.0/24');
    expect(stateOf(late.table as MemoryTable).hourlyEdges).not.toEqual(
      stateOf(inOrder.table as MemoryTable).hourlyEdges,
    );
  });
});

describe('Late attribution: the wait is bounded', () => {
  it('decides an address the audit log never reports as it is, once the wait is over', async () => {
    // Prepare: the audit log stops after hour 25; from hour 26 an unreported address reaches the database on port 22
    const steps = delivery().filter(
      (step) => step.kind === 'object' && !(step.key.startsWith('audit/') && auditHourOf(step.key) > 25),
    );
    const { log, table, outcomes } = await run(steps.slice(0, stepsThrough(steps, 25)), {
      network: { ...NETWORK, lateAudit: { maxWaitHours: 3 } },
    });
    const stranger = (hour: number) => ({
      kind: 'object' as const,
      key: flowKey(at(hour, 50), `s${hour}`),
      body: flowObject([{ src: '10.0.3.7', dst: RDS, dstPort: 22, start: seconds(at(hour, 30)) }]),
    });
    const ssh = () => log.findings.filter((f) => f.ruleId === 'net.new-port' && f.entities.port === '22/tcp');
    // Act: three hours of waiting (26:30 is due at 26:35, decided once event time reaches 29:35)
    for (const hour of [26, 27, 28, 29])
      outcomes.push(await log.process(memorySource(stranger(hour).key, stranger(hour).body)));
    // Assess
    expect(ssh()).toEqual([]);
    expect(outcomes.at(-1)?.lateAttribution).toEqual({ waiting: 1, decided: 0 });
    // Act: an object from 29:50 on decides it
    const last = await log.process(
      memorySource(
        flowKey(at(29, 59), 'late'),
        flowObject([{ src: '10.0.3.8', dst: '192.0.2.10', dstPort: 443, start: seconds(at(29, 50)) }]),
      ),
    );
    // Assess: one finding, naming the address's subnet; hours 27 to 29 still wait
    expect(ssh().map((f) => [f.entities.source, f.time])).toEqual([
      ['subnet:10.0.3.0/24', new Date(at(26, 30)).toISOString()],
    ]);
    expect(last.lateAttribution).toEqual({ waiting: 1, decided: 1 });
    // Act: the rebaseline, run on its clock, decides what has waited long enough
    await log.rebaseline(at(40));
    // Assess
    expect(await table.query(keys.pendingEdges('eks'))).toEqual([]);
  });
});

describe('Late attribution: a group that cannot be decided', () => {
  it('is reported with its location and does not fail the object that found it', async () => {
    // Prepare: the flows of hour 3 wait for their audit log; their stored group is damaged
    const steps = delivery().filter((step) => step.kind === 'object');
    const { log, table } = await run([...steps.slice(0, stepsThrough(steps, 2)), { kind: 'object', ...flowHour(3) }]);
    const [item] = await table.query(keys.pendingEdges('eks'));
    if (!item) throw new Error('nothing waits');
    await table.put({ ...item, packed: new Uint8Array([1, 2, 3]) });
    // Act: the audit log of hour 3 arrives
    const audit = auditHour(3);
    const outcome = await log.process(memorySource(audit.key, audit.body));
    // Assess
    expect(outcome.stats.rejected['waiting-edges-error']).toBe(1);
    expect(outcome.stats.samples[0]).toMatchObject({ reason: 'waiting-edges-error', uri: 'PENDING#eks' });
    expect(await table.query(keys.pendingEdges('eks'))).toHaveLength(1);
  });
});

describe('Late attribution: two processors', () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(async () => {
    await dynamo.close();
  });

  it('decide each waiting group once when they race for it', async () => {
    // Prepare: hours 0 to 2 in order, then the flows of hours 3 to 6 before their audit log
    const table = new DynamoTable({ tableName: dynamo.tableName, client: dynamo.client });
    const steps = delivery().filter((step) => step.kind === 'object');
    const early = steps.slice(0, stepsThrough(steps, 2));
    const flows = [3, 4, 5, 6].map((hour) => ({ kind: 'object' as const, ...flowHour(hour) }));
    const first = await run([...early, ...flows], {}, table);
    const parked = await table.query(keys.pendingEdges('eks'));
    expect(parked).toHaveLength(4);
    const second = await run([], {}, table);
    // Act: the audit log catches up (as an audit processor would record it), and both processors settle at once
    await new AuditWatermark(table).advance('eks', at(6, 59));
    const [a, b] = await Promise.all([first.log.decideWaiting(at(7)), second.log.decideWaiting(at(7))]);
    // Assess: every group decided, by one of them
    expect(a.groups + b.groups).toBe(4);
    expect(a.edges + b.edges).toBe(8);
    expect(await table.query(keys.pendingEdges('eks'))).toEqual([]);
    expect(await first.log.decideWaiting(at(7))).toMatchObject({ groups: 0 });
  });
});

function auditHourOf(key: string): number {
  return Number(/hour-(\d+)/.exec(key)?.[1]);
}

/** How many steps come up to and including the flow object of `hour`. */
function stepsThrough(steps: readonly Step[], hour: number): number {
  return steps.findIndex((step) => step.kind === 'object' && step.key === flowHour(hour).key) + 1;
}
