import { dirname, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { type Command, InvalidArgumentError } from 'commander';
import type { Finding } from '../shared/alert';
import { type ItemReport, planItems, type RebaselinePlan, type WorkItem } from '../shared/baseline';
import type { Config } from '../shared/config';
import { buildDetectContext, type DetectContext } from '../shared/detect';
import { Engine, type EngineRebaselineReport } from '../shared/engine';
import { CollectingSink, FanOutSink, type MessageSink } from '../shared/incident';
import { ThreatIntelProvider } from '../shared/intel';
import { HourlyEdgeStore, hourlyEdgeTtlDays } from '../shared/network';
import { OBSERVATION_SHARDS, type Table } from '../shared/store';
import { iso, printable } from '../shared/util';
import { DEFAULT_THREAT_LIST_DIR, threatListsIn } from './analyze';
import { CountedTable } from './counted-table';
import { UsageError } from './errors';
import { tableHeader, tableRow } from './output';
import { openStore, replayClock } from './store';

/** Items in flight at once by default: a few keep DynamoDB busy without throttling a small table. */
const DEFAULT_CONCURRENCY = 4;
/** More than this would only queue on the SDK's sockets (50 by default) and throttle the table. */
const MAX_CONCURRENCY = 32;

/** What `driftwatch rebaseline` runs, on which store. */
export interface RebaselineOptions {
  /** The embedded store of `driftwatch analyze --state DIR`. */
  stateDir?: string;
  /** The deployed stack's DynamoDB state table, used with the caller's AWS credentials. */
  tableName?: string;
  /** The deployed table's (and topic's) region. */
  region?: string;
  configPath?: string;
  /** The run's time (ISO). @default the replay's clock for a state folder, the clock for a table */
  now?: string;
  /** The run's name, for exactly-once delivery of its findings. @default manual#<now> */
  run?: string;
  /** Print the plan and exit: nothing is written, nothing delivered. */
  planOnly?: boolean;
  json?: boolean;
  /** Items in flight at once. @default 4 */
  concurrency?: number;
  /** Also publish the run's incident messages to this SNS topic (the deployed stack's alert topic). */
  topicArn?: string;
  /** Fold the items only: no waiting edges decided, no days marked folded, no prune, nothing delivered. */
  itemsOnly?: boolean;
  stdout: Writable;
  /** Progress, one line per item, and notes; never mixed with the JSON of `--json`. */
  stderr: Writable;
  /** The time now, for a deployed table. @default Date.now */
  clock?: () => number;
}

/** An item of the plan with the rows it is expected to read (the writers' row counters, split by its part). */
type PlannedItem = WorkItem & { rows: number };

/** `--json`'s output of a run. */
interface RunOutput {
  run: string;
  now: string;
  mode: 'full' | 'items-only';
  items: ItemReport[];
  report?: EngineRebaselineReport;
}

/**
 * `driftwatch rebaseline`: the deployed state machine's plan, items and finish, run in process on
 * a state folder or on the deployed table, the items `concurrency` at a time as the map runs them.
 * Each item runs on an engine of its own over a counted view of the table, so its report's units
 * are its own, as a Lambda's are.
 */
export async function rebaseline(options: RebaselineOptions): Promise<number> {
  checkFlags(options);
  const { table, config, save } = await openStore('rebaseline', options, true);
  const now = await runTime(options, table);
  const run = options.run ?? `manual#${iso(now)}`;
  if (options.planOnly) {
    const planned = await plannedItems(table, config, now);
    printPlan(options, run, now, planned);
    return 0;
  }
  const delivering = !options.itemsOnly;
  const collected = new CollectingSink();
  const sinks: MessageSink[] = [collected];
  if (delivering && options.topicArn) sinks.push(await snsSink(options.topicArn, options.region));
  const context = delivering ? await detectContext(config, options) : buildDetectContext(config);
  const engine = new Engine({ config, table, context, sink: new FanOutSink(sinks) });
  // Items only: the plan without deciding the waiting edges, which would deliver their findings.
  const plan: RebaselinePlan = delivering
    ? await engine.planRebaseline(now, run)
    : {
        run,
        now,
        items: (await plannedItems(table, config, now)).items.map(withoutRows),
        scopes: await engine.baselines.scopes(),
      };
  const reports = await runItems(
    plan,
    table,
    options,
    (view) => new Engine({ config, table: view, context, sink: collected }),
  );
  const report = delivering ? await engine.finishRebaseline(plan, reports) : undefined;
  await save();
  printRun(options, { run, now: iso(now), mode: delivering ? 'full' : 'items-only', items: reports, report });
  return 0;
}

/** Refuses flag combinations that would do something else than asked, above all publish by accident. */
function checkFlags(options: RebaselineOptions): void {
  if (options.topicArn && options.itemsOnly) {
    throw new UsageError('give --topic-arn (run all, findings published) or --items-only (fold only), not both');
  }
  if (options.planOnly && (options.topicArn || options.itemsOnly)) {
    throw new UsageError('--plan only prints the plan; drop --topic-arn and --items-only');
  }
  if (options.region && !options.tableName) throw new UsageError('--region goes with --table');
  if (options.tableName && !options.planOnly && !options.topicArn && !options.itemsOnly) {
    throw new UsageError(
      "--table needs --topic-arn ARN (the stack's alert topic: the finish publishes the run's findings) " +
        'or --items-only (fold the items only; the next scheduled run finishes them)',
    );
  }
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    throw new UsageError(`--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}`);
  }
}

/**
 * The run's time: `--now`, else a replay's last event time (a replay's day is not today), else the
 * clock for the deployed table. A state folder no replay wrote has no time of its own.
 */
async function runTime(options: RebaselineOptions, table: Table): Promise<number> {
  if (options.now !== undefined) {
    const now = Date.parse(options.now);
    if (Number.isNaN(now)) {
      throw new UsageError(
        `--now ${printable(options.now, 60)} is not a date-time; give ISO, e.g. 2026-11-05T00:00:00Z`,
      );
    }
    return now;
  }
  if (options.tableName) return (options.clock ?? Date.now)();
  const replayed = await replayClock(table);
  if (replayed === undefined) {
    throw new UsageError('the --state folder has no replay clock (driftwatch analyze writes it); give --now ISO');
  }
  return replayed;
}

/**
 * The items a plan made now would have, with their expected rows, without writing: the waiting
 * edges a run decides first may add edge rows to them.
 */
async function plannedItems(
  table: Table,
  config: Config,
  now: number,
): Promise<{ scopes: string[]; items: PlannedItem[] }> {
  const engine = new Engine({ config, table, context: buildDetectContext(config), sink: new CollectingSink() });
  const hourly = new HourlyEdgeStore(table, { ttlDays: hourlyEdgeTtlDays(config) });
  const scopes = await engine.baselines.scopes();
  const items = await planItems({ baselines: engine.baselines, hourly }, scopes, now);
  const rowsOf = new Map<string, Record<string, number>>();
  for (const scope of scopes) {
    rowsOf.set(`edges\u0000${scope}`, (await hourly.pending(scope)).rows);
    rowsOf.set(`observations\u0000${scope}`, (await engine.baselines.meta(scope)).pendingRows);
  }
  return {
    scopes,
    items: items.map((item) => {
      const rows = rowsOf.get(`${item.type}\u0000${item.scope}`) ?? {};
      const perDay = item.days.reduce((sum, day) => sum + (rows[day] ?? 0), 0);
      const split = item.parts * (item.type === 'edges' ? OBSERVATION_SHARDS : 1);
      return { ...item, rows: Math.round(perDay / split) };
    }),
  };
}

/** The item itself, as the engine and the state machine pass it. */
function withoutRows({ rows: _rows, ...item }: PlannedItem): WorkItem {
  return item as WorkItem;
}

/**
 * Runs every item of the plan, `concurrency` at a time, each on an engine of its own over a counted
 * view of the table; the reports come back in the plan's order.
 */
async function runItems(
  plan: RebaselinePlan,
  table: Table,
  options: RebaselineOptions,
  engineOn: (view: Table) => Engine,
): Promise<ItemReport[]> {
  const reports: ItemReport[] = new Array(plan.items.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let index = next++; index < plan.items.length; index = next++) {
      const item = plan.items[index] as WorkItem;
      const report = await engineOn(new CountedTable(table)).runWorkItem(plan, item);
      reports[index] = report;
      done++;
      options.stderr.write(`[${done}/${plan.items.length}] ${describeItem(item)}: ${describeReport(report)}\n`);
    }
  };
  const slots = Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, plan.items.length);
  await Promise.all(Array.from({ length: slots }, worker));
  return reports;
}

/** Publishes to the deployed topic with the caller's credentials; the SDK is loaded only then. */
async function snsSink(topicArn: string, region: string | undefined): Promise<MessageSink> {
  const [{ SNSClient }, { SnsPublisher }] = await Promise.all([import('@aws-sdk/client-sns'), import('../shared/aws')]);
  return new SnsPublisher({ client: new SNSClient(region ? { region } : {}), topicArn });
}

/**
 * The detectors' context for the edges that waited for the audit log (the plan decides them): the
 * config's threat lists, S3 ones read with the caller's credentials; a state folder with no list
 * in its config reads the folder a replay reads, as analyze does.
 */
async function detectContext(config: Config, options: RebaselineOptions): Promise<DetectContext> {
  const sources =
    config.threatIntel.sources.length > 0 || options.tableName
      ? config.threatIntel.sources
      : threatListsIn(resolve(DEFAULT_THREAT_LIST_DIR));
  const s3 = sources.some((source) => 's3Uri' in source)
    ? await (async () => {
        const [{ S3Client }, { s3ListFetcher }] = await Promise.all([
          import('@aws-sdk/client-s3'),
          import('../shared/aws'),
        ]);
        return s3ListFetcher(new S3Client(options.region ? { region: options.region } : {}));
      })()
    : undefined;
  const intel = await new ThreatIntelProvider({
    sources,
    ...(s3 ? { s3 } : {}),
    baseDir: options.configPath ? dirname(resolve(options.configPath)) : process.cwd(),
    warn: (message) => options.stderr.write(`warning: ${message}\n`),
  }).get();
  return buildDetectContext(config, intel);
}

/** An item in a few words: what, where, which days. */
function describeItem(item: WorkItem): string {
  const where = item.type === 'edges' ? ` shard ${item.shard}` : '';
  const days = item.days.length > 1 ? `${item.days[0]}..${item.days.at(-1)}` : (item.days[0] ?? '-');
  return `${item.type} ${printable(item.scope, 80)}${where} part ${item.part + 1}/${item.parts} (${days})`;
}

function describeReport(report: ItemReport): string {
  return (
    `${report.rowsRead} rows, ${report.entriesWritten} entries, ${report.edgesUpdated} edges, ` +
    `${report.readUnits} RRU, ${report.writeUnits} WRU, ${Math.round(report.durationMs)} ms`
  );
}

function printPlan(
  options: RebaselineOptions,
  run: string,
  now: number,
  planned: { scopes: string[]; items: PlannedItem[] },
): void {
  if (options.json) {
    options.stdout.write(`${JSON.stringify({ run, now: iso(now), ...planned }, null, 2)}\n`);
    return;
  }
  const lines = [
    `Plan ${printable(run, 80)} at ${iso(now)}: ${planned.items.length} items over ${planned.scopes.length} scopes (nothing written).`,
  ];
  if (planned.items.length > 0) {
    lines.push(`${'TYPE'.padEnd(12)}  ${'SCOPE'.padEnd(24)}  ${'DAYS'.padEnd(22)}  SHARD  PART   ROWS`);
    for (const item of planned.items) {
      const days = item.days.length > 1 ? `${item.days[0]}..${item.days.at(-1)}` : (item.days[0] ?? '-');
      lines.push(
        `${item.type.padEnd(12)}  ${printable(item.scope, 24).padEnd(24)}  ${days.padEnd(22)}  ` +
          `${(item.type === 'edges' ? String(item.shard) : '-').padEnd(5)}  ${`${item.part + 1}/${item.parts}`.padEnd(5)}  ${item.rows}`,
      );
    }
  }
  options.stdout.write(`${lines.join('\n')}\n`);
}

function printRun(options: RebaselineOptions, output: RunOutput): void {
  const findings: Finding[] = output.report?.findings ?? [];
  if (options.json) {
    options.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
    return;
  }
  if (findings.length > 0) {
    options.stdout.write(`${tableHeader()}\n`);
    for (const finding of findings) options.stdout.write(`${tableRow(finding, false)}\n`);
  }
  const units = output.items.reduce((sum, r) => ({ r: sum.r + r.readUnits, w: sum.w + r.writeUnits }), { r: 0, w: 0 });
  const lines = [
    `Rebaseline ${printable(output.run, 80)}: ${output.items.length} items folded ` +
      `(${units.r} read units, ${units.w} write units).`,
  ];
  const report = output.report;
  if (report) {
    lines.push(
      `Finished: ${report.daysFolded} observation days, ${report.network?.daysFolded ?? 0} edge days; ` +
        `${report.entriesWritten} entries written, ${report.entriesPruned} pruned, ${report.network?.edgesUpdated ?? 0} edges updated; ` +
        `${findings.length} findings, ${report.messages?.length ?? 0} messages` +
        `${options.topicArn ? ' published' : ''}.`,
    );
  } else {
    lines.push(
      'Items only: no waiting edge decided, no day marked folded, nothing pruned or delivered; the next scheduled run finishes them.',
    );
  }
  options.stderr.write(`${lines.join('\n')}\n`);
}

/** A whole number of items in flight. */
function concurrency(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_CONCURRENCY) {
    throw new InvalidArgumentError(`use a whole number from 1 to ${MAX_CONCURRENCY}`);
  }
  return n;
}

interface RebaselineFlags {
  state?: string;
  table?: string;
  region?: string;
  config?: string;
  now?: string;
  run?: string;
  plan?: boolean;
  json?: boolean;
  concurrency?: number;
  topicArn?: string;
  itemsOnly?: boolean;
}

/** Adds `rebaseline` to the CLI. */
export function registerRebaseline(cli: Command): void {
  cli
    .command('rebaseline')
    .description(
      "Run the rebaseline now, as the deployed state machine does: the plan (edges waiting for the audit log decided), every work item, then the finish (days marked folded, entries pruned, silent flow logs and stale threat lists reported). On --table, the finish delivers the run's findings to the stack's topic: give --topic-arn to run it, or --items-only to fold without it.",
    )
    .option('--state <DIR>', 'embedded store (the folder given to driftwatch analyze --state); findings are printed')
    .option('--table <NAME>', "the deployed stack's DynamoDB state table (uses your AWS credentials)")
    .option('--region <REGION>', "with --table: the table's and topic's region (default: your AWS config's)")
    .option('--config <FILE>', "config file (JSON); for --table, the deployed stack's config")
    .option('--now <ISO>', "the run's time (default: the replay's last event for --state, the clock for --table)")
    .option('--run <NAME>', "the run's name: findings go out once per name (default: manual#<now>)")
    .option('--plan', 'print the plan (items, their days, shard, part and expected rows) and exit; writes nothing')
    .option('--json', 'print JSON (progress stays on stderr)')
    .option('--concurrency <N>', `work items in flight at once (default ${DEFAULT_CONCURRENCY})`, concurrency)
    .option(
      '--topic-arn <ARN>',
      "publish the run's incident messages to this SNS topic (the stack's alert topic; uses your AWS credentials)",
    )
    .option(
      '--items-only',
      'fold the work items only: no waiting edge decided, no day marked folded, no prune, nothing delivered',
    )
    .action(async (flags: RebaselineFlags) => {
      process.exitCode = await rebaseline({
        stateDir: flags.state,
        tableName: flags.table,
        region: flags.region,
        configPath: flags.config,
        now: flags.now,
        run: flags.run,
        planOnly: flags.plan,
        json: flags.json,
        concurrency: flags.concurrency,
        topicArn: flags.topicArn,
        itemsOnly: flags.itemsOnly,
        stdout: process.stdout,
        stderr: process.stderr,
      });
    });
}
