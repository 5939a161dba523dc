import { describe, expect, it } from 'vitest';
import {
  AlertDeduper,
  type AlertSink,
  CollectingSink,
  type Finding,
  Outbox,
  type PublishResult,
} from '../../shared/alert';
import { defaultConfig } from '../../shared/config';
import { execIntoPod } from '../../shared/detect/audit/exec-into-pod';
import { publicIngress } from '../../shared/detect/net/public-ingress';
import { FindingDelivery } from '../../shared/engine/delivery';
import type { Draft } from '../../shared/engine/draft';
import { MemoryTable, type Table } from '../../shared/store';

function draft(input: { dedupeKey: string; time: string; severity?: Draft['detection']['severity'] }): Draft {
  return {
    detector: execIntoPod,
    detection: {
      summary: `alice ran a shell (${input.dedupeKey})`,
      entities: { user: 'alice', secret: undefined },
      evidence: 'x'.repeat(2000),
      dedupeKey: input.dedupeKey,
      ...(input.severity ? { severity: input.severity } : {}),
    },
    sample: { time: Date.parse(input.time), origin: { uri: 's3://bucket/audit/o.gz', line: 3 } },
    count: 2,
    identity: `audit-${input.dedupeKey}`,
    scope: 'shop-prod',
    cluster: 'shop-prod',
  };
}

/**
 * A sink that fails what it is told to: whole calls (`calls`, thrown) and single findings
 * (`entries`, by dedupe key, reported as failed), each failure once; keeps what it takes.
 */
class FlakySink implements AlertSink {
  readonly published: Finding[] = [];
  constructor(
    private calls: number,
    private readonly entries = new Set<string>(),
  ) {}
  async publish(findings: readonly Finding[]): Promise<PublishResult | undefined> {
    if (this.calls-- > 0) throw new Error('SNS is down');
    const failed = new Map<string, string>();
    for (const f of findings) {
      const key = String(f.summary.match(/\((.*)\)/)?.[1]);
      if (this.entries.delete(key)) failed.set(f.id, 'Throttled: rate exceeded');
      else this.published.push(f);
    }
    return failed.size > 0 ? { failed } : undefined;
  }
}

const CLOCK = Date.parse('2026-11-10T12:00:00Z');

function delivery(table: Table, sink: AlertSink, config = defaultConfig(), clock = () => CLOCK) {
  return new FindingDelivery(config, new AlertDeduper(table), new Outbox(table, clock, 60_000), sink, {
    retryDelaysMs: [0, 0],
  });
}

describe('FindingDelivery', () => {
  it('turns drafts into findings with the contract fields, the config override and the detector description', async () => {
    const config = defaultConfig({ detectors: { [execIntoPod.id]: { severity: 'critical' } } });
    const d = delivery(new MemoryTable(), new CollectingSink(), config);
    const finding = d.toFinding(draft({ dedupeKey: 'k1', time: '2026-11-10T10:00:00Z' }));
    expect(finding).toMatchObject({
      ruleId: 'audit.exec-into-pod',
      kind: 'rule',
      severity: 'critical',
      source: 'eks-audit',
      time: '2026-11-10T10:00:00.000Z',
      description: execIntoPod.description,
      entities: { cluster: 'shop-prod', user: 'alice' },
      count: 2,
      runbook: execIntoPod.runbook,
    });
    expect('secret' in finding.entities).toBe(false);
    expect(finding.evidence).toHaveLength(1000);
    expect(finding.roles).toBeUndefined();
    const flow: Draft = {
      ...draft({ dedupeKey: 'k2', time: '2026-11-10T10:00:00Z' }),
      detector: publicIngress,
      detection: {
        summary: 'x',
        entities: {},
        evidence: '',
        dedupeKey: 'k2',
        roles: { client: { address: '1.2.3.4' } },
      },
    };
    expect(d.toFinding(flow).roles).toEqual({ client: { address: '1.2.3.4' } });
  });

  it('sends each finding once per dedupe window, in event-time order, and counts the rest', async () => {
    const sink = new CollectingSink();
    const d = delivery(new MemoryTable(), sink);
    const first = await d.deliver('object-1', [
      draft({ dedupeKey: 'late', time: '2026-11-10T11:00:00Z' }),
      draft({ dedupeKey: 'early', time: '2026-11-10T10:00:00Z' }),
    ]);
    expect(first.sent.map((f) => f.time)).toEqual(['2026-11-10T10:00:00.000Z', '2026-11-10T11:00:00.000Z']);
    expect(sink.findings.map((f) => f.time)).toEqual(['2026-11-10T10:00:00.000Z', '2026-11-10T11:00:00.000Z']);
    const again = await d.deliver('object-2', [draft({ dedupeKey: 'early', time: '2026-11-10T10:05:00Z' })]);
    expect(again).toEqual({ sent: [], suppressed: 1, belowThreshold: [] });
    expect(sink.findings).toHaveLength(2);
  });

  it('counts a second draft of the same finding in one delivery as suppressed', async () => {
    const sink = new CollectingSink();
    const twice = [
      draft({ dedupeKey: 'a', time: '2026-11-10T10:00:00Z' }),
      draft({ dedupeKey: 'a', time: '2026-11-10T10:00:00Z' }),
    ];
    const result = await delivery(new MemoryTable(), sink).deliver('object-1', twice);
    expect(result.sent).toHaveLength(1);
    expect(result.suppressed).toBe(1);
    expect(sink.findings).toHaveLength(1);
  });

  it('counts findings below alerts.minSeverity without claiming or sending them', async () => {
    const table = new MemoryTable();
    const sink = new CollectingSink();
    const result = await delivery(table, sink, defaultConfig({ alerts: { minSeverity: 'high' } })).deliver('object-1', [
      draft({ dedupeKey: 'quiet', time: '2026-11-10T10:00:00Z', severity: 'low' }),
    ]);
    expect(result.belowThreshold.map((f) => f.severity)).toEqual(['low']);
    expect(result.sent).toEqual([]);
    expect(sink.findings).toEqual([]);
    expect([...table.items()]).toEqual([]);
  });

  it('publishes once when the whole call fails: the retry of the same owner sends what its outbox holds', async () => {
    const table = new MemoryTable();
    const sink = new FlakySink(3);
    const drafts = [
      draft({ dedupeKey: 'a', time: '2026-11-10T10:00:00Z' }),
      draft({ dedupeKey: 'b', time: '2026-11-10T10:01:00Z' }),
    ];
    await expect(delivery(table, sink).deliver('object-1', drafts)).rejects.toThrow('could not publish 2 finding(s)');
    const retry = await delivery(table, sink).deliver('object-1', drafts);
    expect(retry.sent).toHaveLength(2);
    expect(sink.published.map((f) => f.id)).toEqual(retry.sent.map((f) => f.id));
    // A third delivery of the owner sends nothing again and still reports what it sent.
    const third = await delivery(table, sink).deliver('object-1', drafts);
    expect(third.sent.map((f) => f.id)).toEqual(retry.sent.map((f) => f.id));
    expect(sink.published).toHaveLength(2);
  });

  it('retries only the entries the sink failed, with backoff, and never resends the others', async () => {
    const sink = new FlakySink(0, new Set(['b']));
    const slept: number[] = [];
    const table = new MemoryTable();
    const d = new FindingDelivery(
      defaultConfig(),
      new AlertDeduper(table),
      new Outbox(table, () => CLOCK, 60_000),
      sink,
      {
        retryDelaysMs: [100],
        sleep: async (ms) => {
          slept.push(ms);
        },
      },
    );
    const result = await d.deliver('object-1', [
      draft({ dedupeKey: 'a', time: '2026-11-10T10:00:00Z' }),
      draft({ dedupeKey: 'b', time: '2026-11-10T10:01:00Z' }),
      draft({ dedupeKey: 'c', time: '2026-11-10T10:02:00Z' }),
    ]);
    expect(result.sent).toHaveLength(3);
    expect(sink.published.map((f) => f.summary)).toEqual([
      'alice ran a shell (a)',
      'alice ran a shell (c)',
      'alice ran a shell (b)',
    ]);
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThanOrEqual(50);
    expect(slept[0]).toBeLessThanOrEqual(150);
  });

  it('leaves a finding held by another attempt to it, and takes it over once the lease runs out', async () => {
    const table = new MemoryTable();
    let now = CLOCK;
    const drafts = [draft({ dedupeKey: 'a', time: '2026-11-10T10:00:00Z' })];
    // The first attempt recorded and held the finding, then died before publishing.
    const dead = new FindingDelivery(defaultConfig(), new AlertDeduper(table), new Outbox(table, () => now, 60_000), {
      publish: () => new Promise<never>(() => undefined),
    });
    void dead.deliver('object-1', drafts);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const sink = new CollectingSink();
    await expect(delivery(table, sink, defaultConfig(), () => now).deliver('object-1', drafts)).rejects.toThrow(
      'held by another attempt',
    );
    expect(sink.findings).toEqual([]);
    now += 60_001;
    const late = await delivery(table, sink, defaultConfig(), () => now).deliver('object-1', drafts);
    expect(late.sent).toHaveLength(1);
    expect(sink.findings).toHaveLength(1);
  });

  it('gives the window to another object once, and a retry of the claiming object keeps it', async () => {
    const table = new MemoryTable();
    const sink = new FlakySink(3);
    const mine = [draft({ dedupeKey: 'a', time: '2026-11-10T10:00:00Z' })];
    await expect(delivery(table, sink).deliver('object-1', mine)).rejects.toThrow();
    // Another object with the same dedupe key is suppressed by object-1's claim ...
    const other = await delivery(table, sink).deliver('object-2', [
      draft({ dedupeKey: 'a', time: '2026-11-10T10:03:00Z' }),
    ]);
    expect(other.suppressed).toBe(1);
    // ... and object-1's retry still sends its finding.
    expect((await delivery(table, sink).deliver('object-1', mine)).sent).toHaveLength(1);
    expect(sink.published).toHaveLength(1);
  });
});
