/**
 * The rebaseline's work, measured on the sample scenario, per unit: `npm run bench` replays it with
 * the CLI (rebaselines at every midnight crossed, as `driftwatch analyze` runs them) and then runs
 * the day-15 rebaseline step by step (plan, each item, finish), counting each step's CPU time,
 * table units and requests. At that run every edge's hourly history is as long as it gets (14 days),
 * so the units per edge are those of a steady state. A short replay of the scenario scaled 5x (15
 * nodes) counts edges, entries and rows per node and day: the numbers to project to a large cluster.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { analyze } from '../cli/analyze';
import { generateScenario } from '../events/scenario/generate';
import { scenarioScale } from '../events/scenario/scale';
import type { ItemReport, WorkItem } from '../shared/baseline';
import { loadConfigFile } from '../shared/config';
import { buildDetectContext } from '../shared/detect';
import { Engine } from '../shared/engine';
import { CollectingSink } from '../shared/incident';
import { loadStateDir } from '../shared/store';
import { DAY_MS } from '../shared/util';
import type { UnitWork } from './cost';

const CONFIG = 'events/scenario/driftwatch.config.json';
/** The sample scenario's first day (events/scenario/generate.ts). */
const START = Date.parse('2026-11-01T00:00:00Z');
/** Batch sizes of DynamoDB's BatchGetItem and BatchWriteItem: a step's requests in round trips, at least. */
const BATCH_READ = 100;
const BATCH_WRITE = 25;

/** What one step (Plan, one item, Finish) took. */
export interface StepWork extends UnitWork {
  readRequests: number;
  writeRequests: number;
}

/** One run, step by step. */
export interface MeasuredRun {
  nodes: number;
  scopes: number;
  /** Days the run's items folded (distinct). */
  daysFolded: number;
  plan: StepWork;
  finish: StepWork;
  items: (StepWork & { report: ItemReport })[];
  edge: { folds: number; rows: number; work: StepWork };
  entry: { written: number; rows: number; work: StepWork };
}

const quiet = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

export function addWork(a: StepWork, b: StepWork): StepWork {
  return {
    readUnits: a.readUnits + b.readUnits,
    writeUnits: a.writeUnits + b.writeUnits,
    cpuSeconds: a.cpuSeconds + b.cpuSeconds,
    roundTrips: a.roundTrips + b.roundTrips,
    readRequests: a.readRequests + b.readRequests,
    writeRequests: a.writeRequests + b.writeRequests,
  };
}
const none = (): StepWork => ({
  readUnits: 0,
  writeUnits: 0,
  cpuSeconds: 0,
  roundTrips: 0,
  readRequests: 0,
  writeRequests: 0,
});

/**
 * Generates the scenario (`factor` times the sample's nodes and replicas, `days` days) into `dir`,
 * replays it with the sample config, and runs the rebaseline of the midnight after its last day
 * step by step.
 */
export async function measureRebaseline(dir: string, factor: number, days: number): Promise<MeasuredRun> {
  rmSync(dir, { recursive: true, force: true });
  const logs = join(dir, 'logs');
  const state = join(dir, 'state');
  await generateScenario({ outDir: logs, days, ...(factor > 1 ? { scale: scenarioScale(factor) } : {}) });
  await analyze({
    paths: [join(logs, 'audit'), join(logs, 'flow')],
    configPath: CONFIG,
    stateDir: state,
    format: 'json',
    stdout: quiet(),
    stderr: quiet(),
  });
  const config = loadConfigFile(CONFIG);
  const table = await loadStateDir(state);
  const engine = new Engine({ config, table, context: buildDetectContext(config), sink: new CollectingSink() });
  const step = async <T>(run: () => Promise<T>): Promise<{ result: T; work: StepWork }> => {
    const before = { ...table.counters };
    const cpu = process.cpuUsage();
    const result = await run();
    const used = process.cpuUsage(cpu);
    const readRequests = table.counters.readRequests - before.readRequests;
    const writeRequests = table.counters.writeRequests - before.writeRequests;
    return {
      result,
      work: {
        readUnits: table.counters.readUnits - before.readUnits,
        writeUnits: table.counters.writeUnits - before.writeUnits,
        cpuSeconds: (used.user + used.system) / 1e6,
        roundTrips: Math.ceil(readRequests / BATCH_READ) + Math.ceil(writeRequests / BATCH_WRITE),
        readRequests,
        writeRequests,
      },
    };
  };
  const now = START + days * DAY_MS;
  const plan = await step(() => engine.planRebaseline(now));
  const items: MeasuredRun['items'] = [];
  for (const item of plan.result.items as WorkItem[]) {
    const done = await step(() => engine.runWorkItem(plan.result, item));
    items.push({ ...done.work, report: done.result });
  }
  const finish = await step(() =>
    engine.finishRebaseline(
      plan.result,
      items.map((i) => i.report),
    ),
  );
  const edge = { folds: 0, rows: 0, work: none() };
  const entry = { written: 0, rows: 0, work: none() };
  for (const item of items) {
    const into = item.report.item.type === 'edges' ? edge : entry;
    into.work = addWork(into.work, item);
    into.rows += item.report.rowsRead;
    if (item.report.item.type === 'edges') edge.folds += item.report.edgesUpdated;
    else entry.written += item.report.entriesWritten;
  }
  return {
    nodes: scenarioScale(factor).nodes as number,
    scopes: plan.result.scopes.length,
    daysFolded: new Set(plan.result.items.flatMap((i) => i.days)).size,
    plan: plan.work,
    finish: finish.work,
    items,
    edge,
    entry,
  };
}

/** `work` divided by `n`: work per unit. */
export function per(work: StepWork, n: number): UnitWork {
  const d = Math.max(1, n);
  return {
    readUnits: work.readUnits / d,
    writeUnits: work.writeUnits / d,
    cpuSeconds: work.cpuSeconds / d,
    roundTrips: work.roundTrips / d,
  };
}
