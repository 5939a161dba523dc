/**
 * How much one rebaseline work item costs: `npm run bench:rebaseline -- STATE_DIR [--config FILE]
 * [--now ISO] [--all-days] [--rows-per-item N] [--in-process]`. Loads the CLI's state folder (from
 * `driftwatch analyze ... --state DIR`), plans a rebaseline at `now` (default: the day after the
 * newest pending day) and runs each item in a fresh child process, printing per item its rows,
 * entries, table units, duration and the heap the item itself took (sampled: the peak above the
 * heap after loading the state, which an item in a Lambda does not hold). `--all-days` marks every
 * day the state still holds observations or hourly edges for as pending again (with its row
 * counters), so a finished replay's whole history is refolded; `--in-process` runs the items one
 * after another in this process instead (faster, less exact). The state folder is not changed.
 */
import { execFileSync } from 'node:child_process';
import { type ItemReport, planItems, ROWS_PER_ITEM, type WorkItem } from '../shared/baseline';
import { type Config, defaultConfig, loadConfigFile } from '../shared/config';
import { buildDetectContext } from '../shared/detect';
import { Engine, type EngineRebaselinePlan } from '../shared/engine';
import { CollectingSink } from '../shared/incident';
import { HourlyEdgeStore } from '../shared/network';
import { keys, loadStateDir, type MemoryTable } from '../shared/store';
import { DAY_MS, dayStart } from '../shared/util';

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const stateDir = args[0];
if (!stateDir || stateDir.startsWith('--')) {
  console.error(
    'usage: tsx bench/rebaseline-items.ts STATE_DIR [--config FILE] [--now ISO] [--all-days] [--rows-per-item N] [--in-process]',
  );
  process.exit(2);
}
const configPath = option('--config');
const config: Config = configPath ? loadConfigFile(configPath) : defaultConfig();

/** Every day with observations or hourly edges in the state, pending again, with its rows counted. */
function pendAllDays(table: MemoryTable): void {
  const days = new Map<string, Map<string, number>>();
  for (const item of table.items()) {
    const match = /^(OBS|NETMAP)#(.+)#(\d{4}-\d{2}-\d{2})#\d+$/.exec(item.pk);
    if (!match) continue;
    const meta = match[1] === 'OBS' ? keys.scopeMeta(match[2] as string) : keys.hourlyEdgeMeta(match[2] as string);
    const id = `${meta.pk}\u0000${meta.sk}`;
    const rows = days.get(id) ?? new Map<string, number>();
    rows.set(match[3] as string, (rows.get(match[3] as string) ?? 0) + Number(item.rows ?? 0));
    days.set(id, rows);
  }
  const loaded = [];
  for (const [id, rows] of days) {
    const [pk, sk] = id.split('\u0000') as [string, string];
    const existing = [...table.items()].find((i) => i.pk === pk && i.sk === sk) ?? { pk, sk };
    const item: Record<string, unknown> = { ...existing, pendingDays: new Set(rows.keys()) };
    for (const [day, n] of rows) item[keys.pendingRows(day)] = n;
    loaded.push(item as { pk: string; sk: string });
  }
  table.load(loaded);
}

async function engineOn(table: MemoryTable): Promise<Engine> {
  return new Engine({ config, table, context: buildDetectContext(config), sink: new CollectingSink() });
}

/**
 * The children's young generation, 1 MB: V8 then collects short-lived garbage (decoded pages, batch
 * requests) as it goes, so the sampled peak is what the item holds, not when V8 chose to collect.
 */
const SEMI_SPACE = ['--max-semi-space-size=1'];

/** The heap an item takes: sampled every few milliseconds while it runs, above the heap before it. */
async function measured(run: () => Promise<ItemReport>): Promise<ItemReport & { peakHeapMb: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 2);
  try {
    const report = await run();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    return { ...report, peakHeapMb: Math.round(((peak - base) / 1_048_576) * 10) / 10 };
  } finally {
    clearInterval(timer);
  }
}

async function loaded(): Promise<{ table: MemoryTable; engine: Engine }> {
  const table = await loadStateDir(stateDir as string);
  if (args.includes('--all-days')) pendAllDays(table);
  return { table, engine: await engineOn(table) };
}

const childItem = option('--item');
if (childItem) {
  // A child: one item of the plan, on a fresh load of the state.
  const { engine } = await loaded();
  const plan = JSON.parse(option('--plan') as string) as EngineRebaselinePlan;
  const report = await measured(() => engine.runWorkItem(plan, JSON.parse(childItem) as WorkItem));
  process.stdout.write(`${JSON.stringify(report)}\n`);
} else {
  const { table, engine } = await loaded();
  const nowArg = option('--now');
  const hourly = new HourlyEdgeStore(table);
  const pending: string[] = [];
  for (const scope of await engine.baselines.scopes()) {
    pending.push(...(await engine.baselines.meta(scope)).pendingDays, ...(await hourly.pendingDays(scope)));
  }
  // By default the day after the newest pending day: every pending day is due.
  const newest = pending.sort().at(-1);
  const now = nowArg ? Date.parse(nowArg) : newest ? dayStart(newest) + DAY_MS : Date.now();
  const plan = await engine.planRebaseline(now);
  const rowsPerItem = Number(option('--rows-per-item') ?? ROWS_PER_ITEM);
  if (rowsPerItem !== ROWS_PER_ITEM) {
    plan.items = await planItems({ baselines: engine.baselines, hourly }, plan.scopes, plan.now, rowsPerItem);
  }
  console.log(`plan at ${new Date(plan.now).toISOString()}: ${plan.items.length} items, ${plan.scopes.length} scopes`);
  console.log(
    'type          scope                      day         shard part  rows   entries edges  readU  writeU  ms     heapMB',
  );
  const lean = { run: plan.run, now: plan.now, items: [], scopes: plan.scopes };
  // In the order a parallel run keeps: day by day.
  for (const item of plan.items) {
    const report: ItemReport & { peakHeapMb: number } = args.includes('--in-process')
      ? await measured(() => engine.runWorkItem(plan, item))
      : JSON.parse(
          execFileSync(
            process.execPath,
            [
              '--expose-gc',
              ...SEMI_SPACE,
              '--import',
              'tsx',
              'bench/rebaseline-items.ts',
              ...args,
              '--item',
              JSON.stringify(item),
              '--plan',
              JSON.stringify(lean),
            ],
            { encoding: 'utf8', maxBuffer: 1 << 26 },
          )
            .trim()
            .split('\n')
            .at(-1) as string,
        );
    const shard = item.type === 'edges' ? String(item.shard) : '*';
    console.log(
      [
        item.type.padEnd(13),
        item.scope.slice(0, 26).padEnd(26),
        item.days.join(','),
        shard.padStart(5),
        `${item.part}/${item.parts}`.padStart(5),
        String(report.rowsRead).padStart(6),
        String(report.entriesWritten).padStart(7),
        String(report.edgesUpdated).padStart(5),
        String(report.readUnits).padStart(6),
        String(report.writeUnits).padStart(7),
        String(Math.round(report.durationMs)).padStart(6),
        String(report.peakHeapMb).padStart(8),
      ].join(' '),
    );
  }
}
