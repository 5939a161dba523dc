import { describe, expect, it } from 'vitest';
import { AlertDeduper, type AlertSink, CollectingSink, type Finding } from '../../shared/alert';
import { defaultConfig } from '../../shared/config';
import { execIntoPod } from '../../shared/detect/audit/exec-into-pod';
import { publicIngress } from '../../shared/detect/net/public-ingress';
import { FindingDelivery } from '../../shared/engine/delivery';
import type { Draft } from '../../shared/engine/draft';
import { MemoryTable } from '../../shared/store';

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

/** A sink that fails its first `failures` publishes, then keeps what it is given. */
class FlakySink implements AlertSink {
  readonly published: Finding[][] = [];
  constructor(private failures: number) {}
  async publish(findings: readonly Finding[]): Promise<void> {
    if (this.failures-- > 0) throw new Error('SNS is down');
    this.published.push([...findings]);
  }
}

describe('FindingDelivery', () => {
  it('turns drafts into findings with the contract fields, the config override and the detector description', async () => {
    const config = defaultConfig({ detectors: { [execIntoPod.id]: { severity: 'critical' } } });
    const delivery = new FindingDelivery(config, new AlertDeduper(new MemoryTable()), new CollectingSink());
    const finding = delivery.toFinding(draft({ dedupeKey: 'k1', time: '2026-11-10T10:00:00Z' }));
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
    expect(delivery.toFinding(flow).roles).toEqual({ client: { address: '1.2.3.4' } });
  });

  it('sends each finding once per dedupe window, in event-time order, and counts the rest', async () => {
    const sink = new CollectingSink();
    const delivery = new FindingDelivery(defaultConfig(), new AlertDeduper(new MemoryTable()), sink);
    const first = await delivery.deliver([
      draft({ dedupeKey: 'late', time: '2026-11-10T11:00:00Z' }),
      draft({ dedupeKey: 'early', time: '2026-11-10T10:00:00Z' }),
    ]);
    expect(first.sent.map((f) => f.time)).toEqual(['2026-11-10T10:00:00.000Z', '2026-11-10T11:00:00.000Z']);
    const again = await delivery.deliver([draft({ dedupeKey: 'early', time: '2026-11-10T10:05:00Z' })]);
    expect(again).toEqual({ sent: [], suppressed: 1, belowThreshold: [] });
    expect(sink.findings).toHaveLength(2);
  });

  it('counts findings below alerts.minSeverity without claiming or sending them', async () => {
    const table = new MemoryTable();
    const sink = new CollectingSink();
    const delivery = new FindingDelivery(
      defaultConfig({ alerts: { minSeverity: 'high' } }),
      new AlertDeduper(table),
      sink,
    );
    const result = await delivery.deliver([
      draft({ dedupeKey: 'quiet', time: '2026-11-10T10:00:00Z', severity: 'low' }),
    ]);
    expect(result.belowThreshold.map((f) => f.severity)).toEqual(['low']);
    expect(result.sent).toEqual([]);
    expect(sink.findings).toEqual([]);
    expect([...table.items()]).toEqual([]);
  });

  it('gives every claim back when publishing fails, so the retry sends the same findings', async () => {
    const sink = new FlakySink(1);
    const delivery = new FindingDelivery(defaultConfig(), new AlertDeduper(new MemoryTable()), sink);
    const drafts = [
      draft({ dedupeKey: 'a', time: '2026-11-10T10:00:00Z' }),
      draft({ dedupeKey: 'b', time: '2026-11-10T10:01:00Z' }),
    ];
    await expect(delivery.deliver(drafts)).rejects.toThrow('SNS is down');
    const retry = await delivery.deliver(drafts);
    expect(retry.sent.map((f) => f.id)).toHaveLength(2);
    expect(sink.published).toHaveLength(1);
    expect(sink.published[0]?.map((f) => f.id)).toEqual(retry.sent.map((f) => f.id));
  });
});
