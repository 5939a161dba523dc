import { describe, expect, it } from 'vitest';
import { AlertDeduper, type Finding, Outbox } from '../../shared/alert';
import type { Severity } from '../../shared/config';
import { defaultConfig } from '../../shared/config/load';
import { execIntoPod } from '../../shared/detect/audit/exec-into-pod';
import { newIdentity } from '../../shared/detect/audit/new-identity';
import { FindingDelivery } from '../../shared/engine/delivery';
import type { Draft } from '../../shared/engine/draft';
import { DraftCap } from '../../shared/engine/rollup';
import { CollectingSink, IncidentBook, type IncidentMessage } from '../../shared/incident';
import { MemoryTable } from '../../shared/store/memory-table';

const T0 = Date.parse('2026-11-02T10:00:00Z');

function draft(n: number, options: { severity?: Severity; detector?: Draft['detector']; count?: number } = {}): Draft {
  return {
    detector: options.detector ?? execIntoPod,
    detection: {
      severity: options.severity ?? 'medium',
      summary: `user-${n} ran exec in pod shop/api-${n}.`,
      entities: { user: `user-${n}`, namespace: 'shop', name: `api-${n}` },
      evidence: `create /api/v1/namespaces/shop/pods/api-${n}/exec -> 101`,
      dedupeKey: `user-${n}|shop/api-${n}|exec`,
    },
    sample: { time: T0 + n * 1000, origin: { uri: 's3://logs/audit/1.gz', line: 1, record: n } },
    count: options.count ?? 1,
    identity: `audit-${n}`,
    scope: 'shop-prod',
    cluster: 'shop-prod',
  };
}

function capped(drafts: readonly Draft[], objectId = 'object-1', overrides = {}): Draft[] {
  const cap = new DraftCap(defaultConfig(overrides), objectId);
  for (const d of drafts) cap.add(d);
  return cap.drafts();
}

function toFinding(d: Draft) {
  const table = new MemoryTable();
  const config = defaultConfig();
  return new FindingDelivery(
    config,
    {
      deduper: new AlertDeduper(table),
      findings: new Outbox<Finding>(table, Date.now, 60_000),
      messages: new Outbox<IncidentMessage>(table, Date.now, 60_000),
      incidents: new IncidentBook(table, config, Date.now),
    },
    new CollectingSink(),
  ).toFinding(d);
}

describe('DraftCap', () => {
  it('leaves drafts at or under the cap as they came, in their order, groups interleaved', () => {
    // Prepare: 25 of one detector (the default cap) interleaved with 3 of another.
    const drafts = Array.from({ length: 25 }, (_, n) => draft(n));
    drafts.splice(3, 0, draft(100, { detector: newIdentity }));
    drafts.splice(10, 0, draft(101, { detector: newIdentity }), draft(102, { detector: newIdentity }));

    // Act
    const out = capped(drafts);

    // Assess: the very same drafts, in the same order.
    expect(out).toEqual(drafts);
    expect(out.every((d, i) => d === drafts[i])).toBe(true);
  });

  it('rolls a detector past its cap into one draft with the findings and events it stands for', () => {
    const drafts = Array.from({ length: 300 }, (_, n) => draft(n, { count: 2 }));
    drafts.push(draft(500, { detector: newIdentity }));

    const out = capped(drafts);

    expect(out).toHaveLength(2);
    const [rolled, other] = out as [Draft, Draft];
    expect(other.detector.id).toBe('audit.new-identity');
    expect(rolled.rollup?.findings).toBe(300);
    expect(rolled.count).toBe(600);
    expect(rolled.detection.entities.rolledUp).toBe(300);
    expect(rolled.detection.title).toContain('300 findings rolled up');
    expect(rolled.detection.summary).toMatch(/^Roll-up: one log object gave 300 findings of audit.exec-into-pod/);
    // The earliest event dates it.
    expect(rolled.sample.time).toBe(T0);
  });

  it('keeps a handful of samples, the most severe first', () => {
    const drafts = Array.from({ length: 200 }, (_, n) => draft(n, { severity: n === 150 ? 'critical' : 'medium' }));

    const [rolled] = capped(drafts) as [Draft];

    const samples = rolled.detection.entities.samples as { user: string }[];
    expect(samples).toHaveLength(5);
    expect(samples[0]?.user).toBe('user-150');
    expect(samples.slice(1).map((s) => s.user)).toEqual(['user-0', 'user-1', 'user-2', 'user-3']);
    expect(rolled.detection.severity).toBe('critical');
    expect(rolled.detection.evidence.length).toBeLessThanOrEqual(1000);
  });

  it('gives a roll-up the same id whatever the order of its findings, and another object another id', () => {
    const drafts = Array.from({ length: 60 }, (_, n) => draft(n));
    const shuffled = [...drafts].reverse();

    const first = capped(drafts)[0] as Draft;
    const again = capped(shuffled)[0] as Draft;
    const elsewhere = capped(drafts, 'object-2')[0] as Draft;

    expect(toFinding(again)).toEqual(toFinding(first));
    expect(toFinding(elsewhere).id).not.toBe(toFinding(first).id);
  });

  it('follows a detector own cap from the config', () => {
    const drafts = Array.from({ length: 8 }, (_, n) => draft(n));

    const out = capped(drafts, 'object-1', { detectors: { 'audit.exec-into-pod': { rollupCap: 5 } } });
    const loose = capped(drafts, 'object-1', { alerts: { rollup: { cap: 8 } } });

    expect(out).toHaveLength(1);
    expect(out[0]?.rollup?.findings).toBe(8);
    expect(loose).toHaveLength(8);
  });

  it('merges a roll-up an evaluator already made with the drafts around it', () => {
    const early = capped(Array.from({ length: 40 }, (_, n) => draft(n)))[0] as Draft;

    const out = capped([early, draft(1000), draft(1001)]);

    expect(out).toHaveLength(1);
    expect(out[0]?.rollup?.findings).toBe(42);
    expect(toFinding(out[0] as Draft).id).toBe(toFinding(early).id);
  });
});
