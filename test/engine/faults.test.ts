/**
 * Fault injection over the sample scenario: every table write of an object that produces findings
 * fails once (before it applies, or after it applied with the error still returned), the alert
 * sink fails whole calls and single entries, two deliveries of one object race while one of them
 * fails, and a rebaseline runs between a failed attempt and its retry. After retries, every
 * finding of the clean run is published exactly once and the table is the clean run's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSource, inDeliveryOrder, listFiles } from '../../cli/local-files';
import { Schedule } from '../../cli/schedule';
import { generateScenario } from '../../events/scenario/generate';
import type { AlertSink, Finding, PublishResult } from '../../shared/alert';
import { CollectingSink } from '../../shared/incident';
import { type Config, loadConfigFile } from '../../shared/config';
import { buildDetectContext, type DetectContext } from '../../shared/detect';
import { DeliveryError, Engine } from '../../shared/engine';
import type { ObjectSource } from '../../shared/ingest';
import { ThreatIntelProvider } from '../../shared/intel';
import type { Condition, Item, Key, QueryOptions, Table, Update } from '../../shared/store';
import { MemoryTable } from '../../shared/store';
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
 * A table whose `failAt`-th write (counting put, batchPut, update, delete and batchDelete) fails
 * once: before it reaches the table, or after it applied (a timeout whose write went through).
 */
class FaultyTable implements Table {
  writes = 0;
  failAt = 0;
  mode: FaultMode = 'before';

  constructor(private readonly inner: Table) {}

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
  put(item: Item, condition?: Condition) {
    return this.write(() => this.inner.put(item, condition));
  }
  batchPut(items: readonly Item[]) {
    return this.write(() => this.inner.batchPut(items));
  }
  update(key: Key, update: Update, condition?: Condition) {
    return this.write(() => this.inner.update(key, update, condition));
  }
  delete(key: Key) {
    return this.write(() => this.inner.delete(key));
  }
  batchDelete(keys: readonly Key[]) {
    return this.write(() => this.inner.batchDelete(keys));
  }

  private async write<T>(apply: () => Promise<T>): Promise<T> {
    this.writes++;
    if (this.writes !== this.failAt) return apply();
    if (this.mode === 'before') throw new InjectedFault(`write ${this.writes} failed before it applied`);
    await apply();
    throw new InjectedFault(`write ${this.writes} timed out after it applied`);
  }
}

/**
 * A sink that records every finding it accepts. It can fail the next `failCalls` calls whole, and
 * fail entries whose id is in `failEntries` (each such entry fails `entryFailures` times).
 */
class RecordingSink implements AlertSink {
  readonly accepted: Finding[] = [];
  failCalls = 0;
  readonly failEntries = new Map<string, number>();

  async publish(findings: readonly Finding[]): Promise<PublishResult | undefined> {
    if (this.failCalls > 0) {
      this.failCalls--;
      throw new Error('SNS: service unavailable');
    }
    const failed = new Map<string, string>();
    for (const finding of findings) {
      const left = this.failEntries.get(finding.id) ?? 0;
      if (left > 0) {
        this.failEntries.set(finding.id, left - 1);
        failed.set(finding.id, 'Throttled: rate exceeded');
      } else this.accepted.push(finding);
    }
    return failed.size > 0 ? { failed } : undefined;
  }
}

interface Case {
  /** The object, and the table as it stood before the object in the replay. */
  source: ObjectSource;
  time: number;
  /** How far event time had come when the object was done: where waiting edges are settled. */
  settleAt: number;
  before: Item[];
  clean: { ids: string[]; table: string[]; writes: number };
}

let config: Config;
let context: DetectContext;
let dir: string;
const cases: Case[] = [];

function engineOn(table: Table, sink: AlertSink, clock: () => number): Engine {
  return new Engine({ config, table, context, sink, clock, delivery: { retryDelaysMs: [0, 0] } });
}

function tableFrom(items: readonly Item[]): MemoryTable {
  const table = new MemoryTable();
  table.load(structuredClone(items));
  return table;
}

/**
 * Processes the object until it is done, as SQS redelivers a failed record: a retry that finds
 * another attempt's publishing lease comes back after the visibility timeout. Flow edges that
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
      if (!(error instanceof DeliveryError || error instanceof InjectedFault)) throw error;
      clock.now += VISIBILITY_MS;
    }
  }
  throw new Error('not done after 5 attempts');
}

/**
 * The table as the clean run left it. Wall-clock bookkeeping (when the marker and the outbox
 * entries were written, and the TTLs counted from then) moves when a retry waits out a lease;
 * everything else must be equal.
 */
function comparable(items: Iterable<Item>, clockMoved: boolean): string[] {
  if (!clockMoved) return canonicalItems(items);
  return canonicalItems(
    [...items].map((item) => {
      if (!/^(OBJECT|OUTBOX)#/.test(item.pk)) return item;
      const { processedAt: _p, sentAt: _s, expiresAt: _e, ...rest } = item;
      return rest;
    }),
  );
}

/** One fresh cell of a write-fault matrix: the table as it stood before the object, and which write fails how. */
interface WriteFault {
  where: string;
  table: MemoryTable;
  faulty: FaultyTable;
  sink: RecordingSink;
  clock: { now: number };
}

/** A fresh cell for every write of the object's clean run, in each mode. */
function* writeFaults(c: Case, modes: readonly FaultMode[] = ['before', 'after']): Generator<WriteFault> {
  for (let failAt = 1; failAt <= c.clean.writes; failAt++) {
    for (const mode of modes) {
      const table = tableFrom(c.before);
      const faulty = new FaultyTable(table);
      faulty.failAt = failAt;
      faulty.mode = mode;
      yield {
        where: `${c.source.uri} write ${failAt} ${mode}`,
        table,
        faulty,
        sink: new RecordingSink(),
        clock: { now: NOW },
      };
    }
  }
}

function expectExactlyOnce(sink: RecordingSink, c: Case): void {
  expect(sink.accepted.map((f) => f.id).sort()).toEqual(c.clean.ids);
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
  const sink = new CollectingSink();
  const engine = engineOn(table, sink, () => NOW);
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
    // One object per source and kind of finding (rule or anomaly) is enough to reach every stage.
    const kinds = [...new Set(outcome.findings.map((f) => `${f.source}/${f.kind}`))].filter((k) => !picked.has(k));
    if (kinds.length === 0 || object.time === undefined) continue;
    for (const kind of kinds) picked.add(kind);
    const replay = tableFrom(before);
    const faulty = new FaultyTable(replay);
    const cleanSink = new RecordingSink();
    const clean = await engineOn(faulty, cleanSink, () => NOW).process(fileSource(object.path));
    cases.push({
      source: fileSource(object.path),
      time: object.time,
      settleAt: clean.lastEventTime ?? object.time,
      before: structuredClone(before),
      clean: {
        ids: cleanSink.accepted.map((f) => f.id).sort(),
        table: canonicalItems(replay.items()),
        writes: faulty.writes,
      },
    });
  }
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('exactly-once delivery under faults, over the sample scenario', () => {
  it('picks objects of both sources whose findings are rules and anomalies', () => {
    console.log(
      cases
        .map((c) => `${c.source.uri.split('/').at(-1)}: ${c.clean.ids.length} findings, ${c.clean.writes} writes`)
        .join('\n'),
    );
    const kinds = new Set(cases.map((c) => c.source.uri.includes('/flow') || c.source.uri.includes('vpcflow')));
    expect(cases.length).toBeGreaterThanOrEqual(3);
    expect(kinds.size).toBe(2);
    for (const c of cases) expect(c.clean.ids.length).toBeGreaterThan(0);
  });

  it('a failure at every table write, before and after it applies, loses and doubles nothing', async () => {
    let cells = 0;
    for (const c of cases) {
      for (const { where, table, faulty, sink, clock } of writeFaults(c)) {
        await untilDone(
          engineOn(faulty, sink, () => clock.now),
          c,
          clock,
        );
        expect(sink.accepted.map((f) => f.id).sort(), where).toEqual(c.clean.ids);
        expect(comparable(table.items(), clock.now !== NOW), where).toEqual(cleanTable(c, clock.now !== NOW));
        cells++;
      }
    }
    console.log(`table-write faults: ${cells} cells over ${cases.length} objects`);
    expect(cells).toBeGreaterThan(0);
  }, 300_000);

  it('SNS failing whole calls, or single entries, past its retries publishes each finding once', async () => {
    let cells = 0;
    for (const c of cases) {
      const scenarios: ((sink: RecordingSink) => void)[] = [
        (sink) => {
          sink.failCalls = 1;
        },
        (sink) => {
          sink.failCalls = 10;
        },
        ...c.clean.ids.map((id) => (sink: RecordingSink) => {
          sink.failEntries.set(id, 10);
        }),
        (sink) => {
          for (const id of c.clean.ids) sink.failEntries.set(id, 1);
        },
      ];
      for (const [n, inject] of scenarios.entries()) {
        const table = tableFrom(c.before);
        const sink = new RecordingSink();
        inject(sink);
        const clock = { now: NOW };
        const attempts = await untilDone(
          engineOn(table, sink, () => clock.now),
          c,
          clock,
        );
        // Each attempt retries what failed three times; ten failures need a redelivery.
        const where = `${c.source.uri} sns scenario ${n} (${attempts} attempts)`;
        sink.failCalls = 0;
        sink.failEntries.clear();
        expectExactlyOnce(sink, c);
        expect(comparable(table.items(), clock.now !== NOW), where).toEqual(cleanTable(c, clock.now !== NOW));
        cells++;
      }
    }
    console.log(`sns faults: ${cells} cells`);
  }, 120_000);

  it('two concurrent deliveries of one object, one failing at any write, publish each finding once', async () => {
    let cells = 0;
    for (const c of cases) {
      for (const { where, table, faulty, sink, clock } of writeFaults(c)) {
        const a = engineOn(faulty, sink, () => clock.now);
        const b = engineOn(table, sink, () => clock.now);
        const settled = await Promise.allSettled([a.process(c.source), b.process(c.source)]);
        for (const result of settled) {
          if (
            result.status === 'rejected' &&
            !(result.reason instanceof DeliveryError || result.reason instanceof InjectedFault)
          ) {
            throw result.reason;
          }
        }
        // SQS redelivers whichever failed; by then the other may have finished the object.
        if (settled[0].status === 'rejected') await untilDone(a, c, clock);
        if (settled[1].status === 'rejected') await untilDone(b, c, clock);
        expect(sink.accepted.map((f) => f.id).sort(), `${where}, concurrent`).toEqual(c.clean.ids);
        cells++;
      }
    }
    console.log(`concurrent-delivery faults: ${cells} cells`);
  }, 300_000);

  it('a rebaseline between a failed attempt and its retry neither loses findings nor learns early', async () => {
    let cells = 0;
    for (const c of cases) {
      const rebaselineAt = c.time + 3_600_000;
      // The clean run: the object, then the same two rebaselines.
      const cleanTableState = tableFrom(c.before);
      const cleanEngine = engineOn(cleanTableState, new RecordingSink(), () => NOW);
      await cleanEngine.process(c.source);
      await cleanEngine.rebaseline(rebaselineAt);
      await cleanEngine.rebaseline(rebaselineAt + 60_000);
      for (const { where, table, faulty, sink, clock } of writeFaults(c, ['before'])) {
        const engine = engineOn(faulty, sink, () => clock.now);
        const first = await engine.process(c.source).then(
          () => true,
          () => false,
        );
        if (first) continue; // the fault was absorbed in place: nothing to retry
        await engine.rebaseline(rebaselineAt);
        await untilDone(engine, c, clock);
        await engine.rebaseline(rebaselineAt + 60_000);
        expect(sink.accepted.map((f) => f.id).sort(), `${where}, rebaseline between`).toEqual(c.clean.ids);
        expect(comparable(table.items(), clock.now !== NOW), `${where}, rebaseline between`).toEqual(
          comparable(cleanTableState.items(), clock.now !== NOW),
        );
        cells++;
      }
    }
    console.log(`rebaseline-between faults: ${cells} cells`);
    expect(cells).toBeGreaterThan(0);
  }, 300_000);
});

function cleanTable(c: Case, clockMoved: boolean): string[] {
  if (!clockMoved) return c.clean.table;
  return comparable(
    c.clean.table.map((line) => JSON.parse(line) as Item),
    true,
  );
}
