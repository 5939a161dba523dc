/**
 * Fault injection over the sample scenario: every table write of an object that produces findings
 * fails once (before it applies, or after it applied with the error still returned), the message
 * sink fails whole calls and single entries, two deliveries of one object race while one of them
 * fails, and a rebaseline runs between a failed attempt and its retry. After retries, every finding
 * of the clean run is in the incident the clean run put it in (and in no other), each incident
 * holds the clean run's findings, every message id of the clean run is published exactly once, and
 * the table is the clean run's. Where SNS took a message but the attempt could not mark it sent,
 * the message may repeat, never be lost. Two racing deliveries may split an object's findings
 * between them: then the grouping and the incidents told are the clean run's, and no id goes twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSource, inDeliveryOrder, listFiles } from '../../cli/local-files';
import { Schedule } from '../../cli/schedule';
import { generateScenario } from '../../events/scenario/generate';
import { type Config, loadConfigFile } from '../../shared/config';
import { buildDetectContext, type DetectContext } from '../../shared/detect';
import { DeliveryError, Engine } from '../../shared/engine';
import {
  type Incident,
  type IncidentMessage,
  IncidentsBusyError,
  type MessageSink,
  type PublishResult,
} from '../../shared/incident';
import type { ObjectSource } from '../../shared/ingest';
import { ThreatIntelProvider } from '../../shared/intel';
import type { Condition, Item, Key, QueryOptions, Table, Update } from '../../shared/store';
import { keys, MemoryTable } from '../../shared/store';
import { canonicalItems } from '../support/table-snapshot';

const CONFIG = 'events/scenario/driftwatch.config.json';
/** The wall clock of every run: markers, leases and TTLs written from it compare equal. */
const NOW = Date.UTC(2026, 11, 1);
/** A retry comes after the queue's visibility timeout, which is longer than any publishing lease. */
const VISIBILITY_MS = 30 * 60_000;

type FaultMode = 'before' | 'after';

class InjectedFault extends Error {
  override readonly name = 'InjectedFault';
}

/**
 * A table whose `failAt`-th write (counting put, batchPut, update, delete and batchDelete) fails:
 * before it reaches the table, or after it applied (a timeout whose write went through); `times`
 * consecutive writes from there fail the same way (an outage the in-place retries do not outlast).
 * It names each write (`written`), and lets time pass for an attempt that waits for the incident
 * lock (`waited`), as the waiting would.
 */
class FaultyTable implements Table {
  writes = 0;
  failAt = 0;
  times = 1;
  mode: FaultMode = 'before';
  readonly written: string[] = [];
  /** The items it wrote or tried to write, `pk sk`: where two runs from one table can differ. */
  readonly touched = new Set<string>();

  constructor(
    private readonly inner: Table,
    private readonly waited: () => void = () => undefined,
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
  async put(item: Item, condition?: Condition) {
    this.touch([item]);
    const taken = await this.write(`put ${item.pk}`, () => this.inner.put(item, condition));
    if (!taken && item.pk === keys.incidentLock().pk) this.waited();
    return taken;
  }
  batchPut(items: readonly Item[]) {
    this.touch(items);
    return this.write(`batchPut ${items[0]?.pk}`, () => this.inner.batchPut(items));
  }
  update(key: Key, update: Update, condition?: Condition) {
    this.touch([key]);
    return this.write(`update ${key.pk}`, () => this.inner.update(key, update, condition));
  }
  delete(key: Key) {
    this.touch([key]);
    return this.write(`delete ${key.pk}`, () => this.inner.delete(key));
  }
  batchDelete(keys: readonly Key[]) {
    this.touch(keys);
    return this.write(`batchDelete ${keys[0]?.pk}`, () => this.inner.batchDelete(keys));
  }

  private touch(keys: readonly Key[]): void {
    for (const key of keys) this.touched.add(keyOf(key));
  }

  private async write<T>(name: string, apply: () => Promise<T>): Promise<T> {
    this.writes++;
    this.written.push(name);
    if (this.writes < this.failAt || this.writes >= this.failAt + this.times) return apply();
    if (this.mode === 'before') throw new InjectedFault(`write ${this.writes} (${name}) failed before it applied`);
    await apply();
    throw new InjectedFault(`write ${this.writes} (${name}) timed out after it applied`);
  }
}

/**
 * A sink that records every message it accepts. It can fail the next `failCalls` calls whole,
 * fail entries whose id is in `failEntries` (each such entry fails `entryFailures` times), and
 * accept the next `lostAnswers` calls and then time out (SNS took them; the answer was lost).
 */
class RecordingSink implements MessageSink {
  readonly accepted: IncidentMessage[] = [];
  failCalls = 0;
  lostAnswers = 0;
  readonly failEntries = new Map<string, number>();

  async publish(messages: readonly IncidentMessage[]): Promise<PublishResult | undefined> {
    if (this.failCalls > 0) {
      this.failCalls--;
      throw new Error('SNS: service unavailable');
    }
    const failed = new Map<string, string>();
    for (const message of messages) {
      const left = this.failEntries.get(message.id) ?? 0;
      if (left > 0) {
        this.failEntries.set(message.id, left - 1);
        failed.set(message.id, 'Throttled: rate exceeded');
      } else this.accepted.push(message);
    }
    if (this.lostAnswers > 0) {
      this.lostAnswers--;
      throw new Error('SNS: socket timed out');
    }
    return failed.size > 0 ? { failed } : undefined;
  }

  ids(): string[] {
    return this.accepted.map((m) => m.id).sort();
  }
}

/** Which incident each finding is in, and each incident's findings (merged incidents too, as they keep them). */
interface Incidents {
  /** Finding id → the one open, acknowledged or resolved incident that holds it. */
  of: Record<string, string>;
  /** Incident id → its findings, in time order. */
  findings: Record<string, string[]>;
}

async function incidentsIn(table: Table): Promise<Incidents> {
  const out: Incidents = { of: {}, findings: {} };
  for (const item of await table.query(keys.incidents())) {
    const incident = JSON.parse(String(item.incident)) as Incident;
    out.findings[incident.id] = incident.findings;
    if (incident.status === 'merged') continue;
    for (const id of incident.findings) {
      // A finding in two incidents is the failure this suite looks for.
      expect(out.of[id], `${id} is in ${out.of[id]} and ${incident.id}`).toBeUndefined();
      out.of[id] = incident.id;
    }
  }
  return out;
}

interface Case {
  /** The object, and the table as it stood before the object in the replay. */
  source: ObjectSource;
  /** Why it was picked: the sources and kinds of its findings, and what they did to incidents. */
  traits: string[];
  time: number;
  /** How far event time had come when the object was done: where waiting edges are settled. */
  settleAt: number;
  before: Item[];
  clean: {
    /** Ids of the messages the object published. */
    messages: string[];
    incidents: Incidents;
    /** The groups of findings its messages told of. */
    told: string[];
    table: TableState;
    /** Each write of the clean run, by kind and partition (`batchPut OUTBOX#<owner>#msg`, ...). */
    written: string[];
    writes: number;
  };
}

let config: Config;
let context: DetectContext;
let dir: string;
const cases: Case[] = [];

function engineOn(table: Table, sink: MessageSink, clock: () => number): Engine {
  return new Engine({ config, table, context, sink, clock, delivery: { retryDelaysMs: [0, 0] } });
}

/** A table holding `items`. They are shared, not copied: a MemoryTable replaces an item it writes, never changes it in place. */
function tableFrom(items: readonly Item[]): MemoryTable {
  const table = new MemoryTable();
  table.load(items);
  return table;
}

function keyOf(key: Key): string {
  return `${key.pk} ${key.sk}`;
}

/** A failure SQS redelivers: the engine's own, or the injected one. */
function retryable(error: unknown): boolean {
  return error instanceof DeliveryError || error instanceof IncidentsBusyError || error instanceof InjectedFault;
}

/**
 * Processes the object until it is done, as SQS redelivers a failed record: a retry comes back
 * after the visibility timeout, past any publishing lease and the incident lock's. Flow edges that
 * waited for the audit log and that a fault left undecided (their group is reported, not failed,
 * and tried again after its lease) are decided once the lease has run out, as the next object or
 * rebaseline would.
 */
async function untilDone(engine: Engine, c: Case, clock: { now: number }): Promise<number> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    try {
      await engine.process(c.source);
      const before = clock.now;
      clock.now += VISIBILITY_MS;
      if ((await engine.decideWaiting(c.settleAt)).groups === 0) clock.now = before;
      return attempt;
    } catch (error) {
      if (!retryable(error)) throw error;
      clock.now += VISIBILITY_MS;
    }
  }
  throw new Error('not done after 5 attempts');
}

/**
 * The items at `at` (or all), canonical. Wall-clock bookkeeping (when the marker and the outbox
 * entries were written, and the TTLs counted from then) moves when a retry waits out a lease;
 * everything else must be equal. The incident lock is left out: its holder is a random name,
 * and a holder that failed to give it back leaves its lease (which runs out) behind. So are the
 * digest's daily counters: they count at least once (a retried object may count twice), which
 * docs/RELIABILITY.md says.
 */
function comparable(items: Iterable<Item>, clockMoved: boolean, at?: ReadonlySet<string>): string[] {
  const lock = keys.incidentLock().pk;
  const kept = [...items].filter(
    (item) => item.pk !== lock && !item.pk.startsWith('DAILY#') && (!at || at.has(keyOf(item))),
  );
  if (!clockMoved) return canonicalItems(kept);
  return canonicalItems(
    kept.map((item) => {
      if (!/^(OBJECT|OUTBOX)#/.test(item.pk)) return item;
      const { processedAt: _p, sentAt: _s, expiresAt: _e, ...rest } = item;
      return rest;
    }),
  );
}

/** A table as a run left it, and the items the run wrote. */
interface TableState {
  items: Item[];
  touched: ReadonlySet<string>;
}

/**
 * The table is the clean run's. Both runs started from the same items, so only items one of them
 * wrote can differ: those are compared (comparing all of them, thousands, costs most of a cell).
 */
function expectSameTable(
  table: MemoryTable,
  touched: ReadonlySet<string>,
  clean: TableState,
  clock: { now: number },
  where: string,
): void {
  const at = new Set([...touched, ...clean.touched]);
  const moved = clock.now !== NOW;
  expect(comparable(table.items(), moved, at), where).toEqual(comparable(clean.items, moved, at));
}

/** One fresh cell of a write-fault matrix: the table as it stood before the object, and which write fails how. */
interface WriteFault {
  where: string;
  /** What the failing write was in the clean run. */
  write: string;
  table: MemoryTable;
  faulty: FaultyTable;
  sink: RecordingSink;
  clock: { now: number };
}

/** How long an attempt that is refused the incident lock waits before it asks again, as the test lets time pass. */
const LOCK_WAIT_MS = 10_000;

/** A fresh cell for every write of the object's clean run, in each mode. */
function* writeFaults(c: Case, modes: readonly FaultMode[] = ['before', 'after']): Generator<WriteFault> {
  for (let failAt = 1; failAt <= c.clean.writes; failAt++) {
    for (const mode of modes) {
      const table = tableFrom(c.before);
      const clock = { now: NOW };
      const faulty = new FaultyTable(table, () => {
        clock.now += LOCK_WAIT_MS;
      });
      faulty.failAt = failAt;
      faulty.mode = mode;
      const write = c.clean.written[failAt - 1] ?? '';
      yield {
        where: `${c.source.uri} write ${failAt} (${write}) ${mode}`,
        write,
        table,
        faulty,
        sink: new RecordingSink(),
        clock,
      };
    }
  }
}

/** (a) and (c): every finding is in the incident the clean run put it in, and each incident holds the clean run's findings. */
async function expectSameIncidents(table: Table, c: Case, where: string): Promise<void> {
  const incidents = await incidentsIn(table);
  expect(incidents.of, where).toEqual(c.clean.incidents.of);
  expect(incidents.findings, where).toEqual(c.clean.incidents.findings);
}

/** What joined what: each incident's findings, without the incidents' names. */
function grouping(incidents: Incidents): string[] {
  const groups = new Map<string, string[]>();
  for (const [finding, incident] of Object.entries(incidents.of))
    groups.set(incident, [...(groups.get(incident) ?? []), finding]);
  return [...groups.values()].map((g) => g.sort().join(' ')).sort();
}

/** The groups of findings the published messages told of (by the incident each message was about, wherever it ended). */
function told(sink: RecordingSink, incidents: Incidents): string[] {
  const groups = grouping(incidents);
  const out = new Set<string>();
  for (const m of sink.accepted) {
    const first = m.incident?.findings[0];
    const group = groups.find((g) => first !== undefined && g.split(' ').includes(first));
    if (group) out.add(group);
  }
  return [...out].sort();
}

/** Fails when a message id was published twice. */
function expectNoIdTwice(sink: RecordingSink, where: string): void {
  expect(sink.ids(), where).toEqual([...new Set(sink.ids())]);
}

/** (b) and (c): each message id of the clean run published once, and nothing else. */
function expectEachMessageOnce(sink: RecordingSink, c: Case, where: string): void {
  expect(sink.ids(), where).toEqual(c.clean.messages);
}

beforeAll(async () => {
  config = loadConfigFile(CONFIG);
  const intel = await new ThreatIntelProvider({
    sources: config.threatIntel.sources,
    baseDir: 'events/scenario',
  }).get();
  context = buildDetectContext(config, intel);
  dir = mkdtempSync(join(tmpdir(), 'driftwatch-faults-'));
  await generateScenario({ outDir: dir });
  // Replay the scenario as the CLI does, keeping the objects that produce findings of each source.
  const table = new MemoryTable();
  const engine = engineOn(table, new RecordingSink(), () => NOW);
  const schedule = new Schedule(config.rebaseline.schedule);
  const picked = new Set<string>();
  let clock: number | undefined;
  for (const object of await inDeliveryOrder(listFiles([dir]))) {
    if (object.time !== undefined) {
      clock ??= object.time;
      const crossed = [...schedule.between(clock, object.time)].at(-1);
      if (crossed !== undefined) await engine.rebaseline(crossed);
      clock = Math.max(clock, object.time);
    }
    const before = [...table.items()];
    const outcome = await engine.process(object.source);
    if (outcome.findings.length === 0 || object.time === undefined) continue;
    // One object per source and kind of finding (rule or anomaly), and one whose findings update an
    // incident another object opened, and one whose findings join one without news, reach every stage.
    const traits = [
      ...outcome.findings.map((f) => `${f.source}/${f.kind}`),
      ...(outcome.messages.some((m) => m.kind === 'update') ? ['update'] : []),
      ...(outcome.messages.length === 0 ? ['quiet'] : []),
    ].filter((trait) => !picked.has(trait));
    if (traits.length === 0) continue;
    for (const trait of traits) picked.add(trait);
    const replay = tableFrom(before);
    const faulty = new FaultyTable(replay);
    const cleanSink = new RecordingSink();
    const clean = await engineOn(faulty, cleanSink, () => NOW).process(fileSource(object.path));
    cases.push({
      source: fileSource(object.path),
      traits: [...new Set(traits)],
      time: object.time,
      settleAt: clean.lastEventTime ?? object.time,
      before,
      clean: {
        messages: cleanSink.ids(),
        incidents: await incidentsIn(replay),
        told: told(cleanSink, await incidentsIn(replay)),
        table: { items: [...replay.items()], touched: faulty.touched },
        written: faulty.written,
        writes: faulty.writes,
      },
    });
  }
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('exactly-once incidents and messages under faults, over the sample scenario', () => {
  it('picks objects of both sources, with rules and anomalies, that open, update and quietly join incidents', () => {
    console.log(
      cases
        .map(
          (c) =>
            `${c.source.uri.split('/').at(-1)} (${c.traits.join(', ')}): ${Object.keys(c.clean.incidents.of).length} ` +
            `findings in incidents, ${c.clean.messages.length} messages, ${c.clean.writes} writes`,
        )
        .join('\n'),
    );
    expect(new Set(cases.flatMap((c) => c.traits))).toEqual(
      new Set(['eks-audit/rule', 'eks-audit/anomaly', 'vpc-flow/rule', 'vpc-flow/anomaly', 'update', 'quiet']),
    );
    // The writes of incidents are among those the matrix fails: the lock, the message outbox, the incidents, the markers.
    const written = new Set(cases.flatMap((c) => c.clean.written));
    for (const write of [
      `put ${keys.incidentLock().pk}`,
      `update ${keys.incidentLock().pk}`,
      `batchPut ${keys.incidents()}`,
    ]) {
      expect(written, write).toContain(write);
    }
    expect([...written].some((w) => /^put OUTBOX#.*#msg$/.test(w))).toBe(true);
    expect([...written].some((w) => /^batchPut FINDING#/.test(w))).toBe(true);
  });

  it('a failure at every table write, before and after it applies, loses and doubles nothing', async () => {
    let cells = 0;
    let lockReleases = 0;
    for (const c of cases) {
      for (const { where, write, table, faulty, sink, clock } of writeFaults(c)) {
        await untilDone(
          engineOn(faulty, sink, () => clock.now),
          c,
          clock,
        );
        expectEachMessageOnce(sink, c, where);
        await expectSameIncidents(table, c, where);
        expectSameTable(table, faulty.touched, c.clean.table, clock, where);
        if (write === `update ${keys.incidentLock().pk}`) lockReleases++;
        cells++;
      }
    }
    console.log(`table-write faults: ${cells} cells over ${cases.length} objects`);
    // A lock its holder failed to give back did not wedge the retries: its lease ran out.
    expect(lockReleases).toBeGreaterThan(0);
    expect(cells).toBeGreaterThan(0);
  }, 300_000);

  it('SNS failing whole calls, or single entries, past its retries publishes each message once', async () => {
    let cells = 0;
    for (const c of cases) {
      const scenarios: ((sink: RecordingSink) => void)[] = [
        (sink) => {
          sink.failCalls = 1;
        },
        (sink) => {
          sink.failCalls = 10;
        },
        ...c.clean.messages.map((id) => (sink: RecordingSink) => {
          sink.failEntries.set(id, 10);
        }),
        (sink) => {
          for (const id of c.clean.messages) sink.failEntries.set(id, 1);
        },
      ];
      for (const [n, inject] of scenarios.entries()) {
        const table = tableFrom(c.before);
        const recording = new FaultyTable(table);
        const sink = new RecordingSink();
        inject(sink);
        const clock = { now: NOW };
        const attempts = await untilDone(
          engineOn(recording, sink, () => clock.now),
          c,
          clock,
        );
        // Each attempt retries what failed three times; ten failures need a redelivery.
        const where = `${c.source.uri} sns scenario ${n} (${attempts} attempts)`;
        expectEachMessageOnce(sink, c, where);
        await expectSameIncidents(table, c, where);
        expectSameTable(table, recording.touched, c.clean.table, clock, where);
        cells++;
      }
    }
    console.log(`sns faults: ${cells} cells`);
  }, 120_000);

  it('SNS took a message but its answer was lost, or marking it sent failed past the retries: it may repeat, never be lost', async () => {
    let cells = 0;
    let repeated = 0;
    for (const c of cases.filter((c) => c.clean.messages.length > 0)) {
      const markSent = c.clean.written.findIndex((w) => /^batchPut OUTBOX#.*#msg$/.test(w)) + 1;
      expect(markSent, c.source.uri).toBeGreaterThan(0);
      const scenarios: { name: string; inject: (sink: RecordingSink, faulty: FaultyTable) => void }[] = [
        {
          name: 'the answer was lost, three times',
          inject: (sink) => {
            sink.lostAnswers = 3;
          },
        },
        {
          name: 'marking the messages sent failed three times',
          inject: (_sink, faulty) => {
            faulty.failAt = markSent;
            faulty.times = 3;
          },
        },
      ];
      for (const { name, inject } of scenarios) {
        const table = tableFrom(c.before);
        const faulty = new FaultyTable(table);
        const sink = new RecordingSink();
        inject(sink, faulty);
        const clock = { now: NOW };
        const attempts = await untilDone(
          engineOn(faulty, sink, () => clock.now),
          c,
          clock,
        );
        const where = `${c.source.uri}: ${name} (${attempts} attempts)`;
        expect(attempts, where).toBeGreaterThan(1);
        expect([...new Set(sink.ids())].sort(), where).toEqual(c.clean.messages);
        if (sink.ids().length > c.clean.messages.length) repeated++;
        await expectSameIncidents(table, c, where);
        cells++;
      }
    }
    console.log(`at-least-once cells: ${cells}, ${repeated} of them repeated a message`);
    // The documented case is real: the suite would notice if it stopped repeating (or started losing).
    expect(repeated).toBe(cells);
  }, 120_000);

  it('two concurrent deliveries of one object, one failing at any write, record each finding once and publish no id twice', async () => {
    let cells = 0;
    let split = 0;
    for (const c of cases) {
      for (const { where, table, faulty, sink, clock } of writeFaults(c)) {
        const a = engineOn(faulty, sink, () => clock.now);
        const b = engineOn(
          new FaultyTable(table, () => {
            clock.now += LOCK_WAIT_MS;
          }),
          sink,
          () => clock.now,
        );
        const settled = await Promise.allSettled([a.process(c.source), b.process(c.source)]);
        for (const result of settled) {
          if (result.status === 'rejected' && !retryable(result.reason)) throw result.reason;
        }
        // SQS redelivers whichever failed; by then the other may have finished the object.
        if (settled[0].status === 'rejected') await untilDone(a, c, clock);
        if (settled[1].status === 'rejected') await untilDone(b, c, clock);
        // Each attempt records the findings it holds: when the two split an object's findings, the
        // incident is named after the first finding recorded, and may be told twice (opened, then
        // updated), under two ids. What joined what, and which incidents were told, stay the clean run's.
        const incidents = await incidentsIn(table);
        expectNoIdTwice(sink, `${where}, concurrent`);
        expect(grouping(incidents), `${where}, concurrent`).toEqual(grouping(c.clean.incidents));
        expect(told(sink, incidents), `${where}, concurrent`).toEqual(c.clean.told);
        if (sink.ids().join() !== c.clean.messages.join()) split++;
        cells++;
      }
    }
    console.log(`concurrent-delivery faults: ${cells} cells, ${split} of them split an object's findings`);
  }, 300_000);

  it('a rebaseline between a failed attempt and its retry neither loses findings nor learns early', async () => {
    let cells = 0;
    for (const c of cases) {
      const rebaselineAt = c.time + 3_600_000;
      // The clean run: the object, then the same two rebaselines.
      const cleanTableState = tableFrom(c.before);
      const cleanRecording = new FaultyTable(cleanTableState);
      const cleanSink = new RecordingSink();
      const cleanEngine = engineOn(cleanRecording, cleanSink, () => NOW);
      await cleanEngine.process(c.source);
      await cleanEngine.rebaseline(rebaselineAt);
      await cleanEngine.rebaseline(rebaselineAt + 60_000);
      const cleanIncidents = await incidentsIn(cleanTableState);
      const clean = { ...c, clean: { ...c.clean, messages: cleanSink.ids(), incidents: cleanIncidents } };
      for (const { where, table, faulty, sink, clock } of writeFaults(c, ['before'])) {
        const engine = engineOn(faulty, sink, () => clock.now);
        const first = await engine.process(c.source).then(
          () => true,
          () => false,
        );
        if (first) continue; // the fault was absorbed in place: nothing to retry
        // SQS redelivers after the visibility timeout; the rebaseline runs in between.
        clock.now += VISIBILITY_MS;
        await engine.rebaseline(rebaselineAt);
        await untilDone(engine, c, clock);
        await engine.rebaseline(rebaselineAt + 60_000);
        expectEachMessageOnce(sink, clean, `${where}, rebaseline between`);
        await expectSameIncidents(table, clean, `${where}, rebaseline between`);
        expectSameTable(
          table,
          faulty.touched,
          { items: [...cleanTableState.items()], touched: cleanRecording.touched },
          clock,
          `${where}, rebaseline between`,
        );
        cells++;
      }
    }
    console.log(`rebaseline-between faults: ${cells} cells`);
    expect(cells).toBeGreaterThan(0);
  }, 300_000);
});
