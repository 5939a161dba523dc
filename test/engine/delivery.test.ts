import { describe, expect, it } from 'vitest';
import { AlertDeduper, type Finding, Outbox } from '../../shared/alert';
import { type Config, defaultConfig } from '../../shared/config';
import { execIntoPod } from '../../shared/detect/audit/exec-into-pod';
import { publicIngress } from '../../shared/detect/net/public-ingress';
import { FindingDelivery } from '../../shared/engine/delivery';
import type { Draft } from '../../shared/engine/draft';
import {
  CollectingSink,
  IncidentBook,
  type IncidentMessage,
  IncidentsBusyError,
  type MessageSink,
  type PublishResult,
} from '../../shared/incident';
import type { Condition, Item, Key, QueryOptions, Table, Update } from '../../shared/store';
import { keys, MemoryTable } from '../../shared/store';

function draft(input: {
  dedupeKey: string;
  time: string;
  severity?: Draft['detection']['severity'];
  user?: string;
}): Draft {
  const user = input.user ?? 'alice';
  return {
    detector: execIntoPod,
    detection: {
      summary: `${user} ran a shell (${input.dedupeKey})`,
      entities: { user, secret: undefined },
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

/** Three findings of three identities: three incidents, three messages. */
const THREE = [
  draft({ dedupeKey: 'a', time: '2026-11-10T10:00:00Z', user: 'alice' }),
  draft({ dedupeKey: 'b', time: '2026-11-10T10:01:00Z', user: 'bob' }),
  draft({ dedupeKey: 'c', time: '2026-11-10T10:02:00Z', user: 'carol' }),
];

/**
 * A sink that fails what it is told to: whole calls (`calls`, thrown) and the messages about a
 * user (`entries`, reported as failed, each failure once per listed time); keeps what it takes.
 */
class FlakySink implements MessageSink {
  readonly published: IncidentMessage[] = [];
  constructor(
    private calls: number,
    private readonly entries: string[] = [],
  ) {}
  async publish(messages: readonly IncidentMessage[]): Promise<PublishResult | undefined> {
    if (this.calls-- > 0) throw new Error('SNS is down');
    const failed = new Map<string, string>();
    for (const m of messages) {
      const at = this.entries.findIndex((user) => m.incident?.entities.identities.includes(user));
      if (at >= 0) {
        this.entries.splice(at, 1);
        failed.set(m.id, 'Throttled: rate exceeded');
      } else this.published.push(m);
    }
    return failed.size > 0 ? { failed } : undefined;
  }
}

class InjectedFault extends Error {
  override readonly name = 'InjectedFault';
}

/**
 * A table whose first batch write that `matches` fails once: before it applies, or after it
 * applied (a timeout whose write went through).
 */
class CrashingTable implements Table {
  crashed = false;
  constructor(
    private readonly inner: Table,
    private readonly matches: (items: readonly Item[]) => boolean,
    private readonly mode: 'before' | 'after' = 'before',
  ) {}
  get counters() {
    return this.inner.counters;
  }
  get(key: Key) {
    return this.inner.get(key);
  }
  batchGet(keys: readonly Key[]) {
    return this.inner.batchGet(keys);
  }
  query(pk: string, options?: QueryOptions) {
    return this.inner.query(pk, options);
  }
  queryPages(pk: string, options?: QueryOptions) {
    return this.inner.queryPages(pk, options);
  }
  put(item: Item, condition?: Condition) {
    return this.inner.put(item, condition);
  }
  async batchPut(items: readonly Item[]) {
    if (this.crashed || !this.matches(items)) return this.inner.batchPut(items);
    this.crashed = true;
    if (this.mode === 'after') await this.inner.batchPut(items);
    throw new InjectedFault(`the batch write of ${items[0]?.pk} failed ${this.mode} it applied`);
  }
  update(key: Key, update: Update, condition?: Condition) {
    return this.inner.update(key, update, condition);
  }
  delete(key: Key) {
    return this.inner.delete(key);
  }
  batchDelete(keys: readonly Key[]) {
    return this.inner.batchDelete(keys);
  }
}

const CLOCK = Date.parse('2026-11-10T12:00:00Z');

function delivery(
  table: Table,
  sink: MessageSink,
  config: Config = defaultConfig(),
  clock = () => CLOCK,
  book = new IncidentBook(table, config, clock),
) {
  return new FindingDelivery(
    config,
    {
      deduper: new AlertDeduper(table),
      findings: new Outbox<Finding>(table, clock, 60_000),
      messages: new Outbox<IncidentMessage>(table, clock, 60_000),
      incidents: book,
    },
    sink,
    { retryDelaysMs: [0, 0] },
  );
}

/**
 * Which incident each finding is in, from the incidents themselves; fails when a finding is in
 * two incidents or twice in one.
 */
async function membership(table: Table): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const incident of await new IncidentBook(table, defaultConfig(), () => CLOCK).list()) {
    expect(new Set(incident.findings).size, `${incident.id} holds a finding twice`).toBe(incident.findings.length);
    for (const id of incident.findings) {
      expect(out[id], `${id} is in ${out[id]} and ${incident.id}`).toBeUndefined();
      out[id] = incident.id;
    }
  }
  return out;
}

/** Fails when a message id went twice. */
function idsOnce(messages: readonly IncidentMessage[]): string[] {
  const ids = messages.map((m) => m.id);
  expect(ids, 'a message id was published twice').toEqual([...new Set(ids)]);
  return ids;
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

  it('records each finding into an incident once per dedupe window, and tells the incident once', async () => {
    const table = new MemoryTable();
    const sink = new CollectingSink();
    const first = await delivery(table, sink).deliver('object-1', [
      draft({ dedupeKey: 'late', time: '2026-11-10T11:00:00Z' }),
      draft({ dedupeKey: 'early', time: '2026-11-10T10:00:00Z' }),
    ]);
    expect(first.sent.map((f) => f.time)).toEqual(['2026-11-10T10:00:00.000Z', '2026-11-10T11:00:00.000Z']);
    // Both findings are alice's: one incident, told once, with both findings in event-time order.
    const incidentId = first.sent[0]?.incidentId;
    expect(incidentId).toMatch(/^inc-/);
    expect(first.sent.map((f) => f.incidentId)).toEqual([incidentId, incidentId]);
    expect(sink.messages.map((m) => m.id)).toEqual([`${incidentId}#1`]);
    expect(sink.messages[0]?.findings.map((f) => f.time)).toEqual([
      '2026-11-10T10:00:00.000Z',
      '2026-11-10T11:00:00.000Z',
    ]);
    expect(first.messages.map((m) => m.id)).toEqual([`${incidentId}#1`]);
    const again = await delivery(table, sink).deliver('object-2', [
      draft({ dedupeKey: 'early', time: '2026-11-10T10:05:00Z' }),
    ]);
    expect(again).toEqual({ sent: [], messages: [], suppressed: 1, belowThreshold: [], muted: {} });
    expect(sink.messages).toHaveLength(1);
    expect(Object.values(await membership(table))).toEqual([incidentId, incidentId]);
  });

  it('counts a second draft of the same finding in one delivery as suppressed', async () => {
    const sink = new CollectingSink();
    const table = new MemoryTable();
    const twice = [
      draft({ dedupeKey: 'a', time: '2026-11-10T10:00:00Z' }),
      draft({ dedupeKey: 'a', time: '2026-11-10T10:00:00Z' }),
    ];
    const result = await delivery(table, sink).deliver('object-1', twice);
    expect(result.sent).toHaveLength(1);
    expect(result.suppressed).toBe(1);
    expect(sink.messages).toHaveLength(1);
    expect(Object.keys(await membership(table))).toEqual([result.sent[0]?.id]);
  });

  it('counts findings below alerts.minSeverity without claiming, recording or telling them', async () => {
    const table = new MemoryTable();
    const sink = new CollectingSink();
    const result = await delivery(table, sink, defaultConfig({ alerts: { minSeverity: 'high' } })).deliver('object-1', [
      draft({ dedupeKey: 'quiet', time: '2026-11-10T10:00:00Z', severity: 'low' }),
    ]);
    expect(result.belowThreshold.map((f) => f.severity)).toEqual(['low']);
    expect(result.sent).toEqual([]);
    expect(sink.messages).toEqual([]);
    expect([...table.items()]).toEqual([]);
  });

  it('publishes each message once when the whole call fails: the retry of the same owner sends what its outbox holds', async () => {
    const table = new MemoryTable();
    const sink = new FlakySink(3);
    await expect(delivery(table, sink).deliver('object-1', THREE)).rejects.toThrow('could not publish 3 message(s)');
    expect(sink.published).toEqual([]);
    const members = await membership(table);
    const retry = await delivery(table, sink).deliver('object-1', THREE);
    expect(retry.sent).toHaveLength(3);
    expect(idsOnce(sink.published)).toEqual(retry.sent.map((f) => `${f.incidentId}#1`));
    expect(retry.messages.map((m) => m.id)).toEqual(idsOnce(sink.published));
    // The findings joined their incidents in the failed attempt; the retry moved none of them.
    expect(await membership(table)).toEqual(members);
    expect(Object.keys(members).sort()).toEqual(retry.sent.map((f) => f.id).sort());
    // A third delivery of the owner sends nothing again and still reports the findings it recorded.
    const third = await delivery(table, sink).deliver('object-1', THREE);
    expect(third.sent.map((f) => f.id)).toEqual(retry.sent.map((f) => f.id));
    expect(third.messages).toEqual([]);
    expect(sink.published).toHaveLength(3);
  });

  it('retries only the messages the sink failed, with backoff, and never resends the others', async () => {
    const sink = new FlakySink(0, ['bob']);
    const slept: number[] = [];
    const table = new MemoryTable();
    const config = defaultConfig();
    const d = new FindingDelivery(
      config,
      {
        deduper: new AlertDeduper(table),
        findings: new Outbox<Finding>(table, () => CLOCK, 60_000),
        messages: new Outbox<IncidentMessage>(table, () => CLOCK, 60_000),
        incidents: new IncidentBook(table, config, () => CLOCK),
      },
      sink,
      {
        retryDelaysMs: [100],
        sleep: async (ms) => {
          slept.push(ms);
        },
      },
    );
    const result = await d.deliver('object-1', THREE);
    expect(result.sent).toHaveLength(3);
    expect(sink.published.map((m) => m.incident?.entities.identities)).toEqual([['alice'], ['carol'], ['bob']]);
    expect(result.messages.map((m) => m.id).sort()).toEqual(idsOnce(sink.published).sort());
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThanOrEqual(50);
    expect(slept[0]).toBeLessThanOrEqual(150);
  });

  it('publishes a message the sink failed past its retries once, in the retry of the same owner', async () => {
    const table = new MemoryTable();
    const sink = new FlakySink(0, ['bob', 'bob', 'bob']);
    await expect(delivery(table, sink).deliver('object-1', THREE)).rejects.toThrow('could not publish 1 message(s)');
    expect(sink.published.map((m) => m.incident?.entities.identities)).toEqual([['alice'], ['carol']]);
    const retry = await delivery(table, sink).deliver('object-1', THREE);
    expect(retry.messages.map((m) => m.incident?.entities.identities)).toEqual([['bob']]);
    expect(idsOnce(sink.published).sort()).toEqual(retry.sent.map((f) => `${f.incidentId}#1`).sort());
    expect(Object.keys(await membership(table))).toHaveLength(3);
  });

  describe('a crash after the messages went into the outbox', () => {
    const crashes: { name: string; at: (items: readonly Item[]) => boolean; mode: 'before' | 'after' }[] = [
      { name: 'the incidents were saved', at: (items) => items[0]?.pk === keys.incidents(), mode: 'before' },
      { name: 'the incidents were saved (applied)', at: (items) => items[0]?.pk === keys.incidents(), mode: 'after' },
      { name: 'the finding markers were written', at: (items) => /^FINDING#/.test(items[0]?.pk ?? ''), mode: 'before' },
      {
        name: 'the finding markers were written (applied)',
        at: (items) => /^FINDING#/.test(items[0]?.pk ?? ''),
        mode: 'after',
      },
    ];
    for (const { name, at, mode } of crashes) {
      it(`before ${name}: the retry sends the same message id once and each finding joins once`, async () => {
        const clean = new MemoryTable();
        const cleanSink = new CollectingSink();
        const cleanRun = await delivery(clean, cleanSink).deliver('object-1', THREE);
        const table = new MemoryTable();
        const crashing = new CrashingTable(table, at, mode);
        const sink = new CollectingSink();
        let now = CLOCK;
        await expect(delivery(crashing, sink, defaultConfig(), () => now).deliver('object-1', THREE)).rejects.toThrow(
          InjectedFault,
        );
        expect(crashing.crashed).toBe(true);
        expect(sink.messages).toEqual([]);
        // The messages wait in the owner's outbox, held by the attempt that died, until its lease runs out.
        expect((await table.query(keys.outbox('object-1#msg'))).map((i) => i.sk).sort()).toEqual(
          cleanSink.messages.map((m) => m.id).sort(),
        );
        now += 60_001;
        const retry = await delivery(crashing, sink, defaultConfig(), () => now).deliver('object-1', THREE);
        expect(idsOnce(sink.messages).sort()).toEqual(cleanSink.messages.map((m) => m.id).sort());
        expect(retry.sent.map((f) => f.incidentId)).toEqual(cleanRun.sent.map((f) => f.incidentId));
        expect(await membership(table)).toEqual(await membership(clean));
        // Every finding's marker names its incident, so a later sighting of it is an observation of that incident.
        for (const [findingId, incidentId] of Object.entries(await membership(clean))) {
          expect((await table.get(keys.findingIncident(findingId)))?.incidentId, findingId).toBe(incidentId);
        }
        // A third attempt finds everything done.
        await delivery(crashing, sink, defaultConfig(), () => now).deliver('object-1', THREE);
        expect(sink.messages).toHaveLength(3);
      });
    }
  });

  it('never publishes an id twice when another owner tells the incident between a crash and its retry', async () => {
    const table = new MemoryTable();
    const sink = new CollectingSink();
    let now = CLOCK;
    const at = (owner: string, drafts: readonly Draft[], on: Table = table) =>
      delivery(on, sink, defaultConfig(), () => now).deliver(owner, drafts);
    const opened = await at('object-1', [draft({ dedupeKey: 'a', time: '2026-11-10T10:00:00Z' })]);
    const incidentId = opened.sent[0]?.incidentId;
    // object-2 escalates alice's incident, writes its update to its outbox, and dies before saving the incident.
    const crashing = new CrashingTable(table, (items) => items[0]?.pk === keys.incidents());
    const escalation = [draft({ dedupeKey: 'b', time: '2026-11-10T10:10:00Z', severity: 'high' })];
    await expect(at('object-2', escalation, crashing)).rejects.toThrow(InjectedFault);
    // object-3 escalates it further before object-2's retry, and tells it.
    await at('object-3', [draft({ dedupeKey: 'c', time: '2026-11-10T10:20:00Z', severity: 'critical' })]);
    now += 60_001;
    await at('object-2', escalation);
    // object-2's update was never counted: its retry finds nothing new to tell, and #2 went once, object-3's.
    expect(idsOnce(sink.messages)).toEqual([`${incidentId}#1`, `${incidentId}#2`]);
    expect(sink.messages[1]?.reason).toBe('escalated from medium to critical');
    expect(Object.values(await membership(table))).toEqual([incidentId, incidentId, incidentId]);
  });

  it('never publishes an id twice when the news was a finding seen again, and another owner told the incident first', async () => {
    const table = new MemoryTable();
    const sink = new CollectingSink();
    let now = CLOCK;
    const at = (owner: string, drafts: readonly Draft[], on: Table = table) =>
      delivery(on, sink, defaultConfig(), () => now).deliver(owner, drafts);
    const opened = await at('object-1', [draft({ dedupeKey: 'a', time: '2026-11-10T10:00:00Z' })]);
    const incidentId = opened.sent[0]?.incidentId ?? '';
    await new IncidentBook(table, defaultConfig(), () => now).resolve(incidentId, { by: 'oncall' });
    // object-2 sees the same finding again after its dedupe window: news (reopened), never saved.
    const crashing = new CrashingTable(table, (items) => items[0]?.pk === keys.incidents());
    const again = [draft({ dedupeKey: 'a', time: '2026-11-10T11:30:00Z' })];
    await expect(at('object-2', again, crashing)).rejects.toThrow(InjectedFault);
    // object-3 reopens it with a finding of its own and tells it under the next id.
    await at('object-3', [draft({ dedupeKey: 'c', time: '2026-11-10T11:40:00Z' })]);
    now += 60_001;
    await at('object-2', again);
    expect(idsOnce(sink.messages)).toEqual([`${incidentId}#1`, `${incidentId}#2`]);
    expect(sink.messages[1]?.reason).toBe('reopened');
  });

  it('keeps a finding in one incident when another owner shares its key between a crash and its retry', async () => {
    const table = new MemoryTable();
    const sink = new CollectingSink();
    let now = CLOCK;
    const at = (owner: string, drafts: readonly Draft[], on: Table = table) =>
      delivery(on, sink, defaultConfig(), () => now).deliver(owner, drafts);
    // object-1 opens alice's incident, saves it, and dies before saving the keys that lead to it.
    const crashing = new CrashingTable(table, (items) => /^INCKEY#/.test(items[0]?.pk ?? ''));
    const mine = [draft({ dedupeKey: 'a', time: '2026-11-10T10:00:00Z' })];
    await expect(at('object-1', mine, crashing)).rejects.toThrow(InjectedFault);
    // object-2's finding of alice finds no incident by her key, and opens one.
    await at('object-2', [draft({ dedupeKey: 'b', time: '2026-11-10T10:10:00Z' })]);
    now += 60_001;
    const retry = await at('object-1', mine);
    // Both of alice's findings end in the incident object-1 opened; object-2's was merged into it.
    const members = await membership(table);
    expect(Object.keys(members)).toHaveLength(2);
    expect(new Set(Object.values(members))).toEqual(new Set([retry.sent[0]?.incidentId]));
    idsOnce(sink.messages);
  });

  it('leaves a message held by another attempt to it, and takes it over once the lease runs out', async () => {
    const table = new MemoryTable();
    let now = CLOCK;
    const drafts = [draft({ dedupeKey: 'a', time: '2026-11-10T10:00:00Z' })];
    // The first attempt recorded the finding and held its message, then died while publishing.
    const dead = delivery(table, { publish: () => new Promise<never>(() => undefined) }, defaultConfig(), () => now);
    void dead.deliver('object-1', drafts);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const sink = new CollectingSink();
    await expect(delivery(table, sink, defaultConfig(), () => now).deliver('object-1', drafts)).rejects.toThrow(
      'held by another attempt',
    );
    expect(sink.messages).toEqual([]);
    now += 60_001;
    const late = await delivery(table, sink, defaultConfig(), () => now).deliver('object-1', drafts);
    expect(late.sent).toHaveLength(1);
    expect(idsOnce(sink.messages)).toEqual([`${late.sent[0]?.incidentId}#1`]);
  });

  it('waits for the incident lock of a holder that died, and takes it once its lease (60 s) runs out', async () => {
    const table = new MemoryTable();
    let now = CLOCK;
    // A processor took the lock and died: nobody gives it back.
    await table.put({ ...keys.incidentLock(), holder: 'dead', leaseUntil: now + 60_000 });
    const book = () => new IncidentBook(table, defaultConfig(), () => now, { waitMs: 0, sleep: async () => undefined });
    const sink = new CollectingSink();
    const attempt = (owner: string, drafts: readonly Draft[]) =>
      delivery(table, sink, defaultConfig(), () => now, book()).deliver(owner, drafts);
    await expect(attempt('object-1', THREE)).rejects.toThrow(IncidentsBusyError);
    expect(sink.messages).toEqual([]);
    expect(await membership(table)).toEqual({});
    // Another object's findings wait the same way while the lease lasts.
    now += 59_000;
    const other = [draft({ dedupeKey: 'd', time: '2026-11-10T10:03:00Z', user: 'dave' })];
    await expect(attempt('object-2', other)).rejects.toThrow(IncidentsBusyError);
    // Past the lock's lease (and the leases the refused attempts left on their own findings).
    now += 60_001;
    expect((await attempt('object-2', other)).sent).toHaveLength(1);
    const retry = await attempt('object-1', THREE);
    expect(retry.sent).toHaveLength(3);
    expect(idsOnce(sink.messages)).toHaveLength(4);
    expect(Object.keys(await membership(table))).toHaveLength(4);
    expect((await table.get(keys.incidentLock()))?.leaseUntil).toBe(0);
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
    // ... and object-1's retry still tells its incident.
    expect((await delivery(table, sink).deliver('object-1', mine)).sent).toHaveLength(1);
    expect(sink.published).toHaveLength(1);
  });
});
