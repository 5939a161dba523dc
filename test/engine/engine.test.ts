import { beforeEach, describe, expect, it } from 'vitest';
import type { WorkItem } from '../../shared/baseline/rebaseline-plan';
import { defaultConfig } from '../../shared/config/load';
import type { Config } from '../../shared/config/schema';
import { buildDetectContext } from '../../shared/detect/context';
import { Engine } from '../../shared/engine/engine';
import { CollectingSink } from '../../shared/incident/sink';
import { STACK_FLOW_HEADER } from '../../shared/ingest/flow-reader';
import { ThreatIntel } from '../../shared/intel/threat-intel';
import { MemoryTable } from '../../shared/store/memory-table';
import { DAY_MS } from '../../shared/util/time';
import { FindingLog, openings } from '../support/finding-log';
import { gzip, rawAuditEvent } from '../support/formats';
import { memorySource } from '../support/sources';
import { canonicalItems } from '../support/table-snapshot';

const DAY0 = Date.parse('2026-11-01T00:00:00Z');

/** A create of a Deployment with one image, at `day` days (and `hour` hours) after DAY0. */
function deploy(image: string, day: number, hour = 10, id = `${image}-${day}-${hour}`): string {
  const time = new Date(DAY0 + day * DAY_MS + hour * 3_600_000).toISOString();
  return JSON.stringify(
    rawAuditEvent({
      auditID: id,
      verb: 'create',
      user: { username: 'system:serviceaccount:ci:deployer', groups: ['system:serviceaccounts'] },
      objectRef: { resource: 'deployments', namespace: 'shop', name: 'web', apiGroup: 'apps', apiVersion: 'v1' },
      requestObject: { kind: 'Deployment', spec: { template: { spec: { containers: [{ name: 'c', image }] } } } },
      requestReceivedTimestamp: time,
    }),
  );
}

function flowLine(src: string, dst: string, dport: number, day: number, bytes = 500): string {
  const start = Math.floor((DAY0 + day * DAY_MS + 10 * 3_600_000) / 1000);
  return `5 123456789012 eni-0a 10.0.1.1 10.0.1.2 44321 ${dport} 6 5 ${bytes} ${start} ${start + 60} ACCEPT OK vpc-0a subnet-0a i-0a 2 IPv4 ${src} ${dst} eu-west-1 euw1-az1 - - egress 8`;
}

describe('Engine', () => {
  let table: MemoryTable;
  let sink: CollectingSink;
  let engine: Engine;
  /** What the engine found, call after call. */
  let log: FindingLog;
  let config: Config;

  beforeEach(() => {
    table = new MemoryTable();
    sink = new CollectingSink();
    // The deployer of these events is the pipeline, as the CI/CD identities say. The image tests
    // watch the registry baseline; the other baselines the same events feed are off.
    config = defaultConfig({
      network: { vpcCidrs: ['10.0.0.0/16'] },
      identities: { cicd: ['system:serviceaccount:ci:*'] },
      detectors: {
        'audit.new-image-repository': { enabled: false },
        'audit.new-workload-creator': { enabled: false },
      },
    });
    const intel = new ThreatIntel();
    intel.addList('test-list', '198.51.100.66\n');
    engine = new Engine({ config, table, context: buildDetectContext(config, intel), sink });
    log = new FindingLog(engine);
  });

  it('stays silent during learning, learns on rebaseline, then flags only what is new', async () => {
    await log.process(memorySource('day0', deploy('nginx:1.27', 0)));
    await log.process(memorySource('day3', deploy('quay.io/prometheus/prometheus:v2', 3)));
    expect(log.findings).toEqual([]);
    await log.rebaseline(DAY0 + 4 * DAY_MS);

    await log.process(
      memorySource('day9', [deploy('nginx:1.28', 9), deploy('ghcr.io/evil/miner:1', 9, 11)].join('\n')),
    );
    expect(log.findings.map((f) => [f.ruleId, f.entities.registry])).toEqual([['audit.new-image-registry', 'ghcr.io']]);
    const [finding] = log.findings;
    expect(finding?.kind).toBe('anomaly');
    expect(finding?.baseline?.known).toEqual(expect.arrayContaining(['docker.io', 'quay.io']));
    expect(finding?.baseline?.since).toBe('2026-11-01T10:00:00.000Z');
    expect(finding?.origin).toEqual({ uri: 'day9', line: 2 });
  });

  it('does not flag during the learning period, measured in event time', async () => {
    await log.process(memorySource('a', deploy('nginx:1', 0)));
    await log.process(memorySource('b', deploy('ghcr.io/x/y:1', 6, 23)));
    expect(log.findings).toEqual([]);
    await log.process(memorySource('c', deploy('registry.gitlab.com/x/y:1', 7, 11)));
    expect(log.findings.map((f) => f.entities.registry)).toEqual(['registry.gitlab.com']);
  });

  it('sends a rule hit once per dedupe window and counts the rest as suppressed', async () => {
    const exec = (id: string, minute: number) =>
      JSON.stringify(
        rawAuditEvent({
          auditID: id,
          verb: 'create',
          objectRef: { resource: 'pods', subresource: 'exec', namespace: 'shop', name: 'web-1' },
          responseStatus: { code: 101 },
          requestURI: '/api/v1/namespaces/shop/pods/web-1/exec?command=sh',
          requestReceivedTimestamp: new Date(DAY0 + minute * 60_000).toISOString(),
        }),
      );
    const first = await log.process(memorySource('o1', [exec('e1', 0), exec('e2', 5)].join('\n')));
    expect(first.findings).toHaveLength(1);
    expect(first.findings[0]?.count).toBe(2);
    const second = await log.process(memorySource('o2', exec('e3', 30)));
    expect(second.findings).toHaveLength(0);
    expect(second.suppressed).toBe(1);
    const later = await log.process(memorySource('o3', exec('e4', 61)));
    expect(later.findings).toHaveLength(1);
    // Both findings joined one incident, whose opening was sent once.
    expect(later.findings[0]?.incidentId).toBe(first.findings[0]?.incidentId);
    expect(openings(sink.messages)).toEqual({ [String(first.findings[0]?.incidentId)]: 1 });
  });

  it('processes a redelivered object once: no second alert, no double-counted observations', async () => {
    const source = memorySource('s3://b/audit/1.gz', gzip(deploy('nginx:1', 0)), 'etag-1');
    const first = await log.process(source);
    expect(first.skipped).toBeUndefined();
    const again = await log.process(source);
    expect(again.skipped).toBe('already-processed');
    // Even when the ledger is lost (a crash before the marker), observations are keyed by object.
    for (const item of table.items()) if (item.pk.startsWith('OBJECT#')) await table.delete(item);
    await log.process(source);
    await log.rebaseline(DAY0 + DAY_MS);
    const [entry] = await engine.baselines.entries('eks', 'image-registry');
    expect(entry).toMatchObject({ value: 'docker.io', count: 1, days: 1 });
  });

  it('rebaselines from a plan passed as JSON, its items in any order and one item twice (after every other), as rebaseline() does in one go', async () => {
    // Prepare: the same objects in two engines' tables.
    const other = new MemoryTable();
    const split = new Engine({ config, table: other, context: buildDetectContext(config), sink: new CollectingSink() });
    const objects = [
      memorySource('a', [deploy('nginx:1', 0), deploy('quay.io/x/y:1', 1)].join('\n')),
      memorySource('f', gzip([STACK_FLOW_HEADER, flowLine('10.0.64.5', '140.82.112.3', 443, 1)].join('\n'))),
    ];
    for (const object of objects) {
      await engine.process(object);
      await split.process(object);
    }
    const now = DAY0 + 3 * DAY_MS;
    // Act
    const whole = await engine.rebaseline(now, 'run-1');
    const plan = JSON.parse(JSON.stringify(await split.planRebaseline(now, 'run-1')));
    const reports = [];
    for (const item of [...plan.items].reverse())
      reports.push(await split.runWorkItem(plan, JSON.parse(JSON.stringify(item))));
    // A retry of an item, as a Step Functions retry would run it, after every other.
    await split.runWorkItem(plan, plan.items.at(-1) as WorkItem);
    const finished = await split.finishRebaseline(plan, reports);
    // Assess
    // Two days of observations, in one item: its days are folded oldest first.
    expect(plan.items.flatMap((item: WorkItem) => item.days).length).toBeGreaterThan(1);
    expect(reports.every((r) => r.writeUnits >= 0 && r.durationMs >= 0)).toBe(true);
    expect(finished).toEqual(whole);
    expect(whole.daysFolded).toBeGreaterThan(0);
    expect(whole.entriesWritten).toBeGreaterThan(0);
    // The ledger's markers and the incident lock's holder differ by wall clock and by chance.
    const items = (t: MemoryTable) =>
      canonicalItems([...t.items()].filter((i) => !i.pk.startsWith('OBJECT#') && i.pk !== 'INCLOCK'));
    expect(items(other)).toEqual(items(table));
  });

  it('aggregates flow records into edges and matches the threat list', async () => {
    const body = [
      STACK_FLOW_HEADER,
      flowLine('10.0.64.5', '198.51.100.66', 443, 0),
      flowLine('10.0.64.5', '198.51.100.66', 443, 0, 900),
      flowLine('10.0.64.5', '10.0.200.10', 5432, 0),
    ].join('\n');
    const outcome = await log.process(memorySource('flow.log.gz', gzip(body)));
    expect(outcome.kind).toBe('flow');
    expect(outcome.edges).toBe(2);
    expect(log.findings.map((f) => [f.ruleId, f.severity, f.entities.dstAddr, f.count])).toEqual([
      ['net.threat-intel-match', 'critical', '198.51.100.66', 1],
    ]);
    expect(log.findings[0]?.evidence).toContain('2 flow records, 1400 bytes sent');
  });

  it('flags a new external destination block after learning, not one the baseline knows', async () => {
    const day = (d: number, dst: string) =>
      memorySource(`flow-${d}-${dst}`, [STACK_FLOW_HEADER, flowLine('10.0.64.5', dst, 443, d)].join('\n'));
    await log.process(day(0, '140.82.112.3'));
    await log.rebaseline(DAY0 + DAY_MS);
    await log.process(day(8, '140.82.112.9'));
    await log.process(day(8, '93.184.216.34'));
    expect(log.findings.map((f) => [f.ruleId, f.entities.destinationBlock])).toEqual([
      ['net.new-external-destination', '93.184.216.0/24'],
    ]);
  });

  it('applies config overrides: disabled detectors and severities', async () => {
    config = defaultConfig({
      detectors: {
        'audit.rbac-change': { severity: 'critical' },
        'audit.exec-into-pod': { enabled: false },
        'audit.manual-delete': { enabled: false },
      },
    });
    engine = new Engine({ config, table, context: buildDetectContext(config), sink });
    log = new FindingLog(engine);
    const body = [
      JSON.stringify(rawAuditEvent({ verb: 'delete', objectRef: { resource: 'roles', namespace: 'x', name: 'r' } })),
      JSON.stringify(
        rawAuditEvent({
          verb: 'create',
          objectRef: { resource: 'pods', subresource: 'exec', namespace: 'x', name: 'p' },
        }),
      ),
    ].join('\n');
    await log.process(memorySource('o', body));
    expect(log.findings.map((f) => [f.ruleId, f.severity])).toEqual([['audit.rbac-change', 'critical']]);
  });

  it('reports an object that is neither log kind without reading it as one, whatever queue it came by', async () => {
    const outcome = await log.process(memorySource('junk.bin', Buffer.from([0, 1, 2, 3, 250, 251])));
    expect(outcome.skipped).toBe('unknown-kind');
    expect(outcome.kind).toBe('unknown');
    expect(outcome.stats.rejected['unrecognized-content']).toBe(1);
    const byAuditQueue = await log.process({ ...memorySource('junk2.bin', Buffer.from([0, 9, 9])), kind: 'audit' });
    expect(byAuditQueue).toMatchObject({ skipped: 'unknown-kind', kind: 'unknown' });
  });
});
