import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outbox } from '../../shared/alert/outbox';
import { DynamoTable } from '../../shared/aws/dynamo-table';
import { BaselineStore } from '../../shared/baseline/baseline-store';
import { learningStatus } from '../../shared/baseline/learning-status';
import { DailyCounts, type DayTotals } from '../../shared/incident/daily-counts';
import { buildDigest, digestMessage } from '../../shared/incident/digest';
import { MessageDelivery, MessageDeliveryError } from '../../shared/incident/message-delivery';
import { renderEmail, renderSubject } from '../../shared/incident/render';
import type { PublishResult } from '../../shared/incident/sink';
import type { Incident, IncidentMessage } from '../../shared/incident/types';
import { MemoryTable } from '../../shared/store/memory-table';
import type { Table } from '../../shared/store/types';
import { type LocalDynamo, startDynalite } from '../support/dynalite';
import { anIncident } from '../support/incidents';

const DAY = '2026-11-14';
const NO_COUNTS: DayTotals = { objects: 0, rejected: 0, below: {}, muted: {} };

function incident(id: string, fields: Partial<Incident> & { firstSeen: string; lastSeen: string }): Incident {
  return anIncident(id, {
    findings: ['f1', 'f2'],
    rules: ['audit.exec-into-pod'],
    keys: ['identity:alice'],
    ...fields,
  });
}

const ids = (lines: { id: string }[]) => lines.map((l) => l.id);

describe('buildDigest', () => {
  it('sorts incidents into opened, updated and still open at the edges of the UTC day', () => {
    // Prepare: incidents on both sides of midnight, at the first and the last millisecond of the day.
    const incidents = [
      incident('opened-at-start', { firstSeen: '2026-11-14T00:00:00.000Z', lastSeen: '2026-11-14T00:00:00.000Z' }),
      incident('opened-at-end', { firstSeen: '2026-11-14T23:59:59.999Z', lastSeen: '2026-11-15T03:00:00.000Z' }),
      incident('next-day', { firstSeen: '2026-11-15T00:00:00.000Z', lastSeen: '2026-11-15T00:00:00.000Z' }),
      incident('updated-at-start', { firstSeen: '2026-11-13T23:59:59.999Z', lastSeen: '2026-11-14T00:00:00.000Z' }),
      incident('updated-at-end', { firstSeen: '2026-11-01T10:00:00.000Z', lastSeen: '2026-11-14T23:59:59.999Z' }),
      incident('quiet-before', { firstSeen: '2026-11-10T10:00:00.000Z', lastSeen: '2026-11-13T23:59:59.999Z' }),
      incident('quiet-acknowledged', {
        firstSeen: '2026-11-10T10:00:00.000Z',
        lastSeen: '2026-11-12T10:00:00.000Z',
        status: 'acknowledged',
      }),
      incident('quiet-resolved', {
        firstSeen: '2026-11-10T10:00:00.000Z',
        lastSeen: '2026-11-12T10:00:00.000Z',
        status: 'resolved',
      }),
    ];
    // Act
    const digest = buildDigest({ day: DAY, cluster: 'shop-prod', incidents, counts: NO_COUNTS, learning: [] });
    // Assess
    expect(ids(digest.opened).sort()).toEqual(['opened-at-end', 'opened-at-start']);
    expect(ids(digest.updated).sort()).toEqual(['updated-at-end', 'updated-at-start']);
    expect(ids(digest.stillOpen).sort()).toEqual(['quiet-acknowledged', 'quiet-before']);
  });

  it('counts an incident updated in the day as updated even when a later finding moved lastSeen past it', () => {
    const timeline = (time: string) => ({
      findingId: time,
      ruleId: 'r',
      severity: 'high' as const,
      time,
      title: 't',
      summary: 's',
      keys: [],
    });
    const incidents = [
      incident('touched', {
        firstSeen: '2026-11-10T10:00:00.000Z',
        lastSeen: '2026-11-15T05:00:00.000Z',
        timeline: [timeline('2026-11-10T10:00:00.000Z'), timeline('2026-11-14T12:00:00.000Z')],
      }),
      incident('untouched', {
        firstSeen: '2026-11-10T10:00:00.000Z',
        lastSeen: '2026-11-15T05:00:00.000Z',
        timeline: [timeline('2026-11-10T10:00:00.000Z'), timeline('2026-11-15T05:00:00.000Z')],
      }),
    ];
    const digest = buildDigest({ day: DAY, cluster: 'shop-prod', incidents, counts: NO_COUNTS, learning: [] });
    expect(ids(digest.updated)).toEqual(['touched']);
    expect(ids(digest.stillOpen)).toEqual(['untouched']);
  });

  it('leaves out merged incidents and those of other clusters', () => {
    const incidents = [
      incident('merged', {
        firstSeen: '2026-11-14T10:00:00.000Z',
        lastSeen: '2026-11-14T10:00:00.000Z',
        status: 'merged',
      }),
      incident('elsewhere', {
        firstSeen: '2026-11-14T10:00:00.000Z',
        lastSeen: '2026-11-14T10:00:00.000Z',
        cluster: 'shop-staging',
      }),
    ];
    const digest = buildDigest({ day: DAY, cluster: 'shop-prod', incidents, counts: NO_COUNTS, learning: [] });
    expect([...digest.opened, ...digest.updated, ...digest.stillOpen]).toEqual([]);
  });

  it('writes one line per incident, the most severe first, with its number of findings', () => {
    const incidents = [
      incident('medium', {
        firstSeen: '2026-11-14T10:00:00.000Z',
        lastSeen: '2026-11-14T11:00:00.000Z',
        severity: 'medium',
      }),
      incident('critical', {
        firstSeen: '2026-11-14T09:00:00.000Z',
        lastSeen: '2026-11-14T09:30:00.000Z',
        severity: 'critical',
        findings: ['a', 'b', 'c'],
      }),
    ];
    const digest = buildDigest({ day: DAY, cluster: 'shop-prod', incidents, counts: NO_COUNTS, learning: [] });
    expect(digest.opened).toEqual([
      {
        id: 'critical',
        title: 'incident critical',
        severity: 'critical',
        status: 'open',
        firstSeen: '2026-11-14T09:00:00.000Z',
        lastSeen: '2026-11-14T09:30:00.000Z',
        findings: 3,
      },
      expect.objectContaining({ id: 'medium', findings: 2 }),
    ]);
  });

  it('carries the counters, learning and pipeline health, and says when the DLQs were not read', () => {
    const counts: DayTotals = {
      objects: 120,
      rejected: 2,
      below: { 'net.new-port': 7 },
      muted: { 'ci-exec': 3 },
    };
    const learning = [
      { scope: 'vpc-0a1b', learningUntil: '2026-11-20T00:00:00.000Z', learned: false },
      { scope: 'shop-prod', learningUntil: '2026-11-01T00:00:00.000Z', learned: true },
    ];
    const read = buildDigest({
      day: DAY,
      cluster: 'shop-prod',
      incidents: [],
      counts,
      learning,
      deadLetters: { AuditIngestion: 4 },
    });
    expect(read).toMatchObject({
      day: DAY,
      cluster: 'shop-prod',
      belowThreshold: { 'net.new-port': 7 },
      muted: { 'ci-exec': 3 },
      learning: [learning[1], learning[0]],
      health: { objects: 120, rejected: 2, deadLetters: { AuditIngestion: 4 } },
    });
    const unread = buildDigest({ day: DAY, cluster: 'shop-prod', incidents: [], counts, learning });
    expect(unread.health).toEqual({ objects: 120, rejected: 2 });
  });
});

describe('digestMessage', () => {
  it('is an info message of kind digest whose id names the cluster and the day', () => {
    const digest = buildDigest({ day: DAY, cluster: 'shop-prod', incidents: [], counts: NO_COUNTS, learning: [] });
    expect(digestMessage(digest)).toEqual({
      id: 'digest#shop-prod#2026-11-14',
      kind: 'digest',
      severity: 'info',
      cluster: 'shop-prod',
      ruleIds: ['digest'],
      reason: 'daily digest',
      findings: [],
      digest,
    });
  });
});

describe('renderDigest', () => {
  it('escapes control characters from the logs and keeps the subject one ASCII line of 100 characters at most', () => {
    const incidents = [
      incident('evil', {
        firstSeen: '2026-11-14T10:00:00.000Z',
        lastSeen: '2026-11-14T10:00:00.000Z',
        title: 'exec by \u001b[31malice\u202e',
      }),
    ];
    const digest = buildDigest({
      day: DAY,
      cluster: `prod-\u00e9${'x'.repeat(120)}`,
      incidents: incidents.map((i) => ({ ...i, cluster: `prod-\u00e9${'x'.repeat(120)}` })),
      counts: { ...NO_COUNTS, below: { 'rule\u0007': 2 } },
      learning: [{ scope: 'vpc-1', learned: false }],
    });
    const email = renderEmail(digestMessage(digest));
    expect(email).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(email).toContain('exec by');
    expect(email).toContain('vpc-1');
    const subject = renderSubject(digestMessage(digest));
    expect(subject).toMatch(/^Driftwatch digest 2026-11-14 \[prod-\?x+/);
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });
});

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo?.close();
});

const tables: [string, () => Table][] = [
  ['MemoryTable', () => new MemoryTable()],
  ['DynamoTable on dynalite', () => new DynamoTable({ tableName: dynamo.tableName, client: dynamo.client })],
];

describe.each(tables)('DailyCounts on %s', (_name, makeTable) => {
  // Each case counts a day of its own: the dynalite table is shared by the cases.
  let next = 0;
  const freshDay = () => `2026-10-${String(++next).padStart(2, '0')}`;

  it('adds counters per day and cluster, per rule and per suppression, and reads them back', async () => {
    const counts = new DailyCounts(makeTable());
    const day = freshDay();
    await counts.add(day, 'shop-prod', { objects: 1, below: { 'net.new-port': 2 }, muted: { 'ci#exec.1': 1 } });
    await counts.add(day, 'shop-prod', { objects: 1, rejected: 1, below: { 'net.new-port': 1, 'audit.x': 1 } });
    await counts.add(day, 'shop-staging', { objects: 5 });
    expect(await counts.read(day, 'shop-prod')).toEqual({
      objects: 2,
      rejected: 1,
      below: { 'net.new-port': 3, 'audit.x': 1 },
      muted: { 'ci#exec.1': 1 },
    });
    expect(await counts.readDay(day)).toEqual(
      new Map([
        ['shop-prod', await counts.read(day, 'shop-prod')],
        ['shop-staging', { objects: 5, rejected: 0, below: {}, muted: {} }],
      ]),
    );
  });

  it('counts every one of many adds made at once', async () => {
    const counts = new DailyCounts(makeTable());
    const day = freshDay();
    await Promise.all(
      Array.from({ length: 20 }, () => counts.add(day, 'shop-prod', { objects: 1, below: { r: 2 }, muted: { s: 1 } })),
    );
    expect(await counts.read(day, 'shop-prod')).toEqual({
      objects: 20,
      rejected: 0,
      below: { r: 40 },
      muted: { s: 20 },
    });
  });

  it('reads zeros for a day with nothing counted, and writes nothing for counts of zero', async () => {
    const table = makeTable();
    const counts = new DailyCounts(table);
    const day = freshDay();
    await counts.add(day, 'shop-prod', { objects: 0, below: {} });
    expect(await table.query(`DAILY#${day}`)).toEqual([]);
    expect(await counts.read(day, 'shop-prod')).toEqual(NO_COUNTS);
  });

  it('expires a day 35 days after it began, however late it was counted', async () => {
    const table = makeTable();
    const day = freshDay();
    await new DailyCounts(table).add(day, 'shop-prod', { objects: 1 });
    const [item] = await table.query(`DAILY#${day}`);
    expect(item?.expiresAt).toBe(Date.parse(`${day}T00:00:00.000Z`) / 1000 + 35 * 86_400);
  });
});

describe('learningStatus', () => {
  it('says per scope until when it learns, or that it learned, from its first event', async () => {
    // Prepare: a cluster first seen 10 days before now, a VPC first seen 2 days before.
    const now = Date.parse('2026-11-15T07:00:00.000Z');
    const store = new BaselineStore({ table: new MemoryTable() });
    await store.noteEvents('shop-prod', now - 10 * 86_400_000);
    await store.noteEvents('vpc-0a1b', now - 2 * 86_400_000);
    // Act
    const lines = await learningStatus(store, 7, now);
    // Assess
    expect(lines).toEqual([
      { scope: 'shop-prod', learningUntil: '2026-11-12T07:00:00.000Z', learned: true },
      { scope: 'vpc-0a1b', learningUntil: '2026-11-20T07:00:00.000Z', learned: false },
    ]);
    // Learned from the very end of the period on, as the anomaly detectors count it.
    expect(await learningStatus(store, 7, Date.parse('2026-11-20T07:00:00.000Z'))).toContainEqual({
      scope: 'vpc-0a1b',
      learningUntil: '2026-11-20T07:00:00.000Z',
      learned: true,
    });
  });
});

describe('MessageDelivery', () => {
  const message = (id: string): IncidentMessage => ({
    id,
    kind: 'digest',
    severity: 'info',
    cluster: 'shop-prod',
    ruleIds: ['digest'],
    reason: 'daily digest',
    findings: [],
  });

  /** A sink that fails every message for its first `failures` calls. */
  function flakySink(failures: number) {
    const sent: IncidentMessage[] = [];
    let calls = 0;
    return {
      sent,
      async publish(messages: readonly IncidentMessage[]): Promise<PublishResult | undefined> {
        if (++calls <= failures) return { failed: new Map(messages.map((m) => [m.id, 'Throttled'])) };
        sent.push(...messages);
        return undefined;
      },
    };
  }

  const noWait = { retryDelaysMs: [0, 0, 0], sleep: async () => {} };

  it('publishes once across attempts: the retry of a delivery that went publishes nothing', async () => {
    const table = new MemoryTable();
    const sink = flakySink(0);
    const delivery = new MessageDelivery(new Outbox<IncidentMessage>(table, Date.now, 60_000), sink, noWait);
    expect((await delivery.deliver('digest#d', [message('a')])).published).toHaveLength(1);
    const again = await delivery.deliver('digest#d', [message('a')]);
    expect(again).toEqual({ published: [], alreadySent: [message('a')] });
    expect(sink.sent).toEqual([message('a')]);
  });

  it('retries what the sink failed, and after failing through every retry gives it back for the next attempt', async () => {
    const table = new MemoryTable();
    const sink = flakySink(4);
    const delivery = new MessageDelivery(new Outbox<IncidentMessage>(table, Date.now, 60_000), sink, noWait);
    await expect(delivery.deliver('digest#d', [message('a')])).rejects.toThrow(MessageDeliveryError);
    // The lease was given back: the next attempt publishes at once, the message its predecessor recorded.
    const next = await delivery.deliver('digest#d', [{ ...message('a'), reason: 'rebuilt' }]);
    expect(next.published).toEqual([message('a')]);
    expect(sink.sent).toEqual([message('a')]);
  });

  it('leaves a message another attempt holds to it, and says so', async () => {
    const table = new MemoryTable();
    const outbox = new Outbox<IncidentMessage>(table, Date.now, 60_000);
    // Another attempt recorded the message and holds it.
    await outbox.add('digest#d', message('a'));
    const sink = flakySink(0);
    await expect(new MessageDelivery(outbox, sink, noWait).deliver('digest#d', [message('a')])).rejects.toThrow(
      /held by another attempt/,
    );
    expect(sink.sent).toEqual([]);
  });
});
