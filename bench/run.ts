/**
 * `npm run bench`: bundled by esbuild first, as the Lambda code is (across modules, enum members
 * become constants and small functions inline as they do in the function), then run. The readers
 * against the floor (gunzip + line split) and against the tools a user would reach for
 * (zcat | mawk, DuckDB), then peak memory on a 75 MB object and on an internet-wide scan (4M
 * distinct public sources, 95 MB), and the cost of a day; then the rebaseline, measured on the
 * sample scenario (bench/rebaseline-cost.ts) and, with processing, projected to a 1,000-node
 * cluster beside GuardDuty's price (~15 s, in `--quick` too). Writes bench/results.json. A
 * warm-up round runs first and is not counted. Options: `--rounds N` (default 3), `--quick` (1
 * round, no warm-up, no 75 MB object, no scan).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { buildSync } from 'esbuild';
import { fileSource } from '../cli/local-files';
import { PROCESSOR_TUNING } from '../infra/runtime-tuning';
import { ROWS_PER_ITEM } from '../shared/baseline';
import type { Config } from '../shared/config';
import { defaultConfig } from '../shared/config';
import { buildDetectContext } from '../shared/detect';
import { Engine } from '../shared/engine';
import { CollectingSink } from '../shared/incident';
import type { ObjectSource } from '../shared/ingest';
import { GUNZIP_AHEAD, newReadStats, readAuditObject, readFlowLines } from '../shared/ingest';
import { AddressClassifier, EdgeAggregator } from '../shared/network';
import { MemoryTable } from '../shared/store';
import {
  type DayCost,
  dayCost,
  guardDutyDay,
  type ObjectWork,
  PRICES,
  PRICES_AS_OF,
  projectRebaseline,
  type RebaselineScale,
  rebaselineDayCost,
} from './cost';
import {
  auditDocuments,
  ensure,
  FLOW_COLUMNS,
  flowLines,
  hostileAuditDocuments,
  scanLines,
  writeGzip,
} from './generate';
import { addWork, measureRebaseline, per } from './rebaseline-cost';

const DATA = 'bench/data';
const FLOW = `${DATA}/flow-1200k.log.gz`;
const AUDIT = `${DATA}/audit-200k.gz`;
const FLOW_75MB = `${DATA}/flow-75mb.log.gz`;
/** A hostile audit object: 200,000 distinct identities, each firing rules and anomalies (~5 MB gzip). */
const HOSTILE_AUDIT = `${DATA}/audit-hostile-200k-identities.gz`;
const HOSTILE_IDENTITIES = 200_000;
/** The audit processor's Lambda memory (infra/processors.ts). */
const AUDIT_MEMORY_MB = 1024;
/** An internet-wide scan of a load balancer: one record per distinct public source. */
const FLOW_SCAN = `${DATA}/flow-scan-4m.log.gz`;
const SCAN_RECORDS = 4_000_000;
/** The memory probe, bundled into one file as the Lambda code is. */
const CHILD = `${DATA}/memory-child.mjs`;
const FLOW_RECORDS = 1_200_000;
const AUDIT_EVENTS = 200_000;
/** The rebaseline's Plan, Item and Finish functions' memory (infra/rebaseline-workflow.ts). */
const REBASELINE_MEMORY_MB = 1024;
/**
 * The large cluster the cost is projected to (issue 15): 1,000 nodes, 20,000 pods, 50 M flow
 * records and 20 M audit events a day.
 */
const LARGE = { nodes: 1000, pods: 20_000, flowRecords: 50e6, auditEvents: 20e6 };
/**
 * Assumed time a rebaseline step waits per table round trip (a batch read of 100, a batch write of
 * 25, a query page): DynamoDB answers in single-digit milliseconds; the in-memory table in none.
 */
const ROUND_TRIP_MS = 10;
/** The flow processor's Lambda memory (infra/processors.ts): one full vCPU. At or below 1,769 MB the GB-seconds are the same. */
const MEMORY_MB = 1769;

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const roundsArg = args.indexOf('--rounds');
const ROUNDS = roundsArg >= 0 ? Number(args[roundsArg + 1]) : quick ? 1 : 3;

interface Run {
  ms: number;
  records: number;
  cpuSeconds?: number;
  detail?: Record<string, number | string | undefined>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const MAX_LINE = 1024 * 1024;

/**
 * (a) The floor: gunzip and split into lines, as any Node reader must, doing nothing else. Gunzip
 * runs with the readers' settings (64 KiB chunks, up to 1 MiB decompressed ahead); text is decoded
 * as latin1 (cheaper than UTF-8); a line split across chunks is joined once, and one longer than
 * 1 MiB is dropped, as the readers do.
 */
async function floor(path: string): Promise<Run & { textBytes: number }> {
  const started = performance.now();
  let lines = 0;
  let textBytes = 0;
  let pieces: string[] = [];
  let carried = 0;
  let longest = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 }).pipe(
    createGunzip({ chunkSize: 64 * 1024, highWaterMark: GUNZIP_AHEAD } as ZlibOptions),
  ) as AsyncIterable<Buffer>) {
    textBytes += chunk.length;
    const text = chunk.toString('latin1');
    let from = 0;
    for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', from)) {
      if (from === 0 && pieces.length > 0) {
        const line = pieces.join('') + text.slice(0, at);
        longest = Math.max(longest, line.length);
      }
      lines++;
      from = at + 1;
    }
    const rest = from === 0 ? text : text.slice(from);
    if (from > 0) {
      pieces = [];
      carried = 0;
    }
    carried += rest.length;
    if (carried <= MAX_LINE) pieces.push(rest);
    else pieces = [];
  }
  if (carried > 0) lines++;
  return { ms: performance.now() - started, records: lines, textBytes };
}

function engineFor(config: Config, table = new MemoryTable()) {
  const sink = new CollectingSink();
  return { table, sink, engine: new Engine({ config, table, context: buildDetectContext(config), sink }) };
}

const CONFIG = defaultConfig({ network: { vpcCidrs: ['10.0.0.0/16'] } });

/** (b) Our processor path: read, parse, normalize, detect, aggregate; stores in memory. */
async function ours(path: string): Promise<Run> {
  const { engine, table } = engineFor(CONFIG);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const outcome = await engine.process(fileSource(path));
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return {
    ms,
    records: outcome.stats.events,
    cpuSeconds: (used.user + used.system) / 1e6,
    detail: { edges: outcome.edges, observations: outcome.observations, writeUnits: table.counters.writeUnits },
  };
}

/**
 * (b0) The readers alone: read, parse and normalize (and for flow logs fold records into edges),
 * with no detection and no store. Tells the ingest layer's share of (b).
 */
async function readerOnly(path: string, kind: 'audit' | 'flow', aggregate = true): Promise<Run> {
  const stats = newReadStats();
  const started = performance.now();
  let edges: number | undefined;
  if (kind === 'flow') {
    const aggregator = new EdgeAggregator(new AddressClassifier(['10.0.0.0/16']));
    await readFlowLines(
      createReadStream(path),
      { uri: path, stats },
      aggregate ? (l) => aggregator.addLine(l) : () => {},
    );
    edges = aggregate ? aggregator.size : undefined;
  } else {
    await readAuditObject(createReadStream(path), { uri: path, stats, cluster: 'bench' }, () => {});
  }
  return { ms: performance.now() - started, records: stats.events, detail: { edges } };
}

/** (c) zcat | mawk: bytes per (pkt-srcaddr, pkt-dstaddr, dstport). */
async function mawk(path: string): Promise<Run> {
  const { pktSrc, pktDst, dstPort, bytes } = FLOW_COLUMNS;
  const program = `NR > 1 { b[$${pktSrc} " " $${pktDst} " " $${dstPort}] += $${bytes}; n++ } END { for (k in b) keys++; print n, keys }`;
  const started = performance.now();
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn('sh', ['-c', `zcat '${path}' | mawk '${program}'`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`mawk exited ${code}`))));
  });
  const [records, keys] = output.trim().split(' ').map(Number);
  return { ms: performance.now() - started, records: records as number, detail: { keys } };
}

let duck: Awaited<ReturnType<DuckDBInstance['connect']>> | undefined;

/** (c) DuckDB: the same aggregation with read_csv over the gzipped object. */
async function duckdb(path: string): Promise<Run> {
  if (!duck) duck = await (await DuckDBInstance.create(':memory:')).connect();
  const started = performance.now();
  const reader = await duck.runAndReadAll(
    `SELECT sum(n)::BIGINT AS records, count(*)::BIGINT AS keys FROM (
       SELECT count(*) AS n, sum("bytes") AS total FROM read_csv('${path}', delim = ' ', header = true)
       GROUP BY "pkt-srcaddr", "pkt-dstaddr", "dstport")`,
  );
  const row = reader.getRowObjects()[0] as { records: bigint; keys: bigint };
  return { ms: performance.now() - started, records: Number(row.records), detail: { keys: Number(row.keys) } };
}

/**
 * The heap limits Lambda's Node.js bootstrap gives a function of this much memory: a tenth of
 * it for the young generation (so half of that per semi-space), the rest for the old one.
 */
function lambdaHeapFlags(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMb - newSpace}`];
}

/** Built once per run, so that it is always this code. */
let childBuilt = false;

/** Peak RSS of a fresh process running the processor path on one object. */
function childPeak(
  path?: string,
  mode?: '--reader' | '--memory-table' | '--learned',
  nodeFlags: string[] = [],
): {
  maxRssMb: number;
  records: number;
  edges?: number;
  findings?: number;
  tableCalls?: { reads: number; writes: number };
  cpuSeconds: number;
} {
  // Bundled like the Lambda code is, so the TypeScript loader's own memory is not counted.
  if (!childBuilt) {
    childBuilt = true;
    buildSync({
      entryPoints: ['bench/memory-child.ts'],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: CHILD,
      banner: { js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);' },
      logLevel: 'warning',
    });
  }
  const out = execFileSync(process.execPath, [...nodeFlags, CHILD, ...(path ? [path] : []), ...(mode ? [mode] : [])], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    // The processors' environment (glibc's mmap threshold), as the functions run.
    env: { ...process.env, ...PROCESSOR_TUNING },
  });
  return JSON.parse(out.trim().split('\n').pop() as string);
}

/**
 * Bounded work: the hostile audit object through the full path in a fresh process, under the heap
 * limits Lambda gives the audit processor, with the learning period over so every detector judges
 * it. It must complete, with at most a few dozen findings and table writes in batches.
 */
function hostile() {
  const run = childPeak(HOSTILE_AUDIT, '--learned', lambdaHeapFlags(AUDIT_MEMORY_MB));
  const compressedMb = statSync(HOSTILE_AUDIT).size / 2 ** 20;
  console.log(
    `\nhostile audit object: ${fmt(HOSTILE_IDENTITIES)} distinct identities, ${fmt(run.records)} events, ${fmt(compressedMb, 1)} MiB gzip, ` +
      `under the audit processor's heap limits (${AUDIT_MEMORY_MB} MB: ${lambdaHeapFlags(AUDIT_MEMORY_MB).join(' ')}): completed, ` +
      `peak RSS ${fmt(run.maxRssMb)} MB, ${fmt(run.cpuSeconds, 1)} CPU s, ${fmt(run.findings ?? 0)} findings, ` +
      `table requests: ${fmt(run.tableCalls?.writes ?? 0)} writes, ${fmt(run.tableCalls?.reads ?? 0)} reads`,
  );
  return { object: HOSTILE_AUDIT, identities: HOSTILE_IDENTITIES, compressedMb, memoryMb: AUDIT_MEMORY_MB, ...run };
}

/** DynamoDB units and publishes for one object once baselines are learned (learning period 0). */
async function steadyState(path: string, rebaselineAt: number) {
  const config = defaultConfig({ network: { vpcCidrs: ['10.0.0.0/16'] }, learning: { days: 0 } });
  const { engine, table, sink } = engineFor(config);
  const first = await engine.process(fileSource(path));
  await engine.rebaseline(rebaselineAt);
  const before = { ...table.counters };
  const published = sink.messages.length;
  const again: ObjectSource = { ...fileSource(path), uri: `${path}#redelivered-as-new`, version: 'steady-state' };
  const second = await engine.process(again);
  return {
    firstFindings: first.findings.length,
    readUnits: table.counters.readUnits - before.readUnits,
    writeUnits: table.counters.writeUnits - before.writeUnits,
    readRequests: table.counters.readRequests - before.readRequests,
    writeRequests: table.counters.writeRequests - before.writeRequests,
    publishes: sink.messages.length - published,
    observations: second.observations,
  };
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const money = (n: number) => (n < 0.01 ? `$${n.toFixed(5)}` : `$${n.toFixed(3)}`);

async function main() {
  const started = Date.now();
  await ensure(FLOW, () => writeGzip(FLOW, flowLines(20261102, FLOW_RECORDS), { separator: '\n' }));
  await ensure(AUDIT, () => writeGzip(AUDIT, auditDocuments(20261103, AUDIT_EVENTS), { separator: '' }));
  await ensure(HOSTILE_AUDIT, () =>
    writeGzip(HOSTILE_AUDIT, hostileAuditDocuments(HOSTILE_IDENTITIES), { separator: '' }),
  );
  if (!quick) {
    await ensure(FLOW_75MB, () =>
      writeGzip(FLOW_75MB, flowLines(20261104, 50_000_000), { separator: '\n', stopAtBytes: 75 * 1024 * 1024 }),
    );
    await ensure(FLOW_SCAN, () => writeGzip(FLOW_SCAN, scanLines(20261105, SCAN_RECORDS), { separator: '\n' }));
  }
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    nodeFlags: process.execArgv.join(' '),
    platform: `${process.platform}-${process.arch}`,
  };
  console.log(`\nmachine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, node ${machine.node}`);
  console.log(`node flags: ${process.execArgv.join(' ')} (the flow processor's heap limits at ${MEMORY_MB} MB)`);
  console.log(
    `rounds: ${ROUNDS} (medians), load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );

  const runs: Record<string, Run[]> = {
    flowFloor: [],
    flowParse: [],
    flowReader: [],
    flowOurs: [],
    flowMawk: [],
    flowDuckdb: [],
    auditFloor: [],
    auditReader: [],
    auditOurs: [],
  };
  let flowText = 0;
  let auditText = 0;
  const loads: number[] = [];
  // Round 0 warms up and is not counted: a Lambda processes object after object, so the code it
  // runs is compiled and optimized by V8 after its first; a first run measures that compiling.
  for (let round = quick ? 1 : 0; round <= ROUNDS; round++) {
    for (const [name, measure] of [
      ['flowFloor', () => floor(FLOW)],
      ['flowParse', () => readerOnly(FLOW, 'flow', false)],
      ['flowReader', () => readerOnly(FLOW, 'flow')],
      ['flowOurs', () => ours(FLOW)],
      ['flowMawk', () => mawk(FLOW)],
      ['flowDuckdb', () => duckdb(FLOW)],
      ['auditFloor', () => floor(AUDIT)],
      ['auditReader', () => readerOnly(AUDIT, 'audit')],
      ['auditOurs', () => ours(AUDIT)],
    ] as const) {
      (globalThis as { gc?: () => void }).gc?.();
      const run = await measure();
      process.stdout.write(`  ${name}: ${Math.round(run.ms)} ms${round === 0 ? ' (warm-up, not counted)' : ''}\n`);
      if (round === 0) continue;
      if (name === 'flowFloor') flowText = (run as Run & { textBytes: number }).textBytes;
      if (name === 'auditFloor') auditText = (run as Run & { textBytes: number }).textBytes;
      // The floor splits lines; a Firehose object has none, so its unit is the reader's events.
      if (name === 'auditFloor') run.records = AUDIT_EVENTS;
      runs[name]?.push(run);
      loads.push(loadavg()[0] as number);
    }
    process.stdout.write(round === 0 ? 'warm-up done\n' : `round ${round}/${ROUNDS} done\n`);
  }
  const m = Object.fromEntries(
    Object.entries(runs).map(([name, list]) => {
      const ms = median(list.map((r) => r.ms));
      const records = list[0]?.records ?? 0;
      return [
        name,
        {
          medianMs: ms,
          records,
          recordsPerSecond: records / (ms / 1000),
          runsMs: list.map((r) => Math.round(r.ms)),
          cpuSeconds: list[0]?.cpuSeconds === undefined ? undefined : median(list.map((r) => r.cpuSeconds as number)),
          detail: list[0]?.detail,
        },
      ];
    }),
  ) as Record<
    string,
    {
      medianMs: number;
      records: number;
      recordsPerSecond: number;
      runsMs: number[];
      cpuSeconds?: number;
      detail?: Run['detail'];
    }
  >;
  const ratios = {
    flowParseOverFloor: (m.flowParse?.recordsPerSecond ?? 0) / (m.flowFloor?.recordsPerSecond ?? 1),
    flowReaderOverFloor: (m.flowReader?.recordsPerSecond ?? 0) / (m.flowFloor?.recordsPerSecond ?? 1),
    auditReaderOverFloor: (m.auditReader?.recordsPerSecond ?? 0) / (m.auditFloor?.recordsPerSecond ?? 1),
    flowOursOverFloor: (m.flowOurs?.recordsPerSecond ?? 0) / (m.flowFloor?.recordsPerSecond ?? 1),
    auditOursOverFloor: (m.auditOurs?.recordsPerSecond ?? 0) / (m.auditFloor?.recordsPerSecond ?? 1),
    flowOursOverMawk: (m.flowOurs?.recordsPerSecond ?? 0) / (m.flowMawk?.recordsPerSecond ?? 1),
    flowOursTimeOverDuckdb: (m.flowOurs?.medianMs ?? 0) / (m.flowDuckdb?.medianMs ?? 1),
  };
  const targets = {
    'flow (b)/(a) >= 0.40': ratios.flowOursOverFloor >= 0.4,
    'audit (b)/(a) >= 0.25': ratios.auditOursOverFloor >= 0.25,
    'flow (b) faster than zcat|mawk': ratios.flowOursOverMawk > 1,
    'flow (b) time <= 2x DuckDB': ratios.flowOursTimeOverDuckdb <= 2,
  };

  const row = (label: string, key: string, ratio?: string) => {
    const r = m[key];
    if (!r) return;
    console.log(
      `${label.padEnd(42)} ${fmt(r.records).padStart(10)} ${fmt(r.medianMs).padStart(8)} ms ${fmt(r.recordsPerSecond).padStart(11)} rec/s  ${ratio ?? ''}`,
    );
  };
  console.log(`\n${'path'.padEnd(42)} ${'records'.padStart(10)} ${'median'.padStart(11)} ${'throughput'.padStart(17)}`);
  row('flow (a) floor: gunzip + line split', 'flowFloor');
  row(
    'flow (b0) reader only: read, parse, normalize',
    'flowParse',
    `(b0)/(a) = ${ratios.flowParseOverFloor.toFixed(2)}`,
  );
  row('flow (b1) reader + edge aggregation', 'flowReader', `(b1)/(a) = ${ratios.flowReaderOverFloor.toFixed(2)}`);
  row('flow (b) ours: full processor path', 'flowOurs', `(b)/(a) = ${ratios.flowOursOverFloor.toFixed(2)}`);
  row('flow (c) zcat | mawk', 'flowMawk', `(b)/mawk = ${ratios.flowOursOverMawk.toFixed(2)}x`);
  row('flow (c) DuckDB read_csv', 'flowDuckdb', `time (b)/DuckDB = ${ratios.flowOursTimeOverDuckdb.toFixed(2)}`);
  row('audit (a) floor: gunzip + line split', 'auditFloor');
  row('audit (b0) reader only', 'auditReader', `(b0)/(a) = ${ratios.auditReaderOverFloor.toFixed(2)}`);
  row('audit (b) ours: full processor path', 'auditOurs', `(b)/(a) = ${ratios.auditOursOverFloor.toFixed(2)}`);
  console.log(
    `\nflow: ${fmt(flowText / 1e6)} MB of text in ${fmt(statSync(FLOW).size / 1e6, 1)} MB gzip; ${m.flowOurs?.detail?.edges} edges; mawk and DuckDB keys: ${m.flowMawk?.detail?.keys}, ${m.flowDuckdb?.detail?.keys}`,
  );
  for (const [target, met] of Object.entries(targets)) console.log(`  ${met ? 'met    ' : 'NOT MET'}  ${target}`);

  // Memory: the largest flow object, in a fresh process.
  let memory: {
    object?: string;
    compressedMb?: number;
    /** The full processor path, with a table that sends its writes away as DynamoDB would. */
    peak?: ReturnType<typeof childPeak>;
    /** The same with the in-memory table, which keeps every item it is given. */
    peakMemoryTable?: ReturnType<typeof childPeak>;
    reader?: ReturnType<typeof childPeak>;
    runtimeOnly?: ReturnType<typeof childPeak>;
    /**
     * The full path under the heap limits Lambda sets for a 256 MB function (the memory bound
     * holds when this completes under 256 MB) and for the flow processor's own memory size.
     */
    lambda256?: ReturnType<typeof childPeak>;
    lambdaConfigured?: ReturnType<typeof childPeak>;
    /** The issue's bound: peak RSS under 256 MB, judged on `lambda256`. */
    under256Mb?: boolean;
    /**
     * The internet-wide scan, full path under the flow processor's heap limits: its public
     * sources are folded into blocks, so it completes; the bound is 512 MB.
     */
    scan?: ReturnType<typeof childPeak> & { object: string; compressedMb: number; under512Mb: boolean };
  } = {};
  if (!quick) {
    rmSync(CHILD, { force: true });
    const runtimeOnly = childPeak();
    const peak = childPeak(FLOW_75MB);
    const peakMemoryTable = childPeak(FLOW_75MB, '--memory-table');
    const reader = childPeak(FLOW_75MB, '--reader');
    const lambda256 = childPeak(FLOW_75MB, undefined, lambdaHeapFlags(256));
    const lambdaConfigured = childPeak(FLOW_75MB, undefined, lambdaHeapFlags(MEMORY_MB));
    const scan = childPeak(FLOW_SCAN, undefined, lambdaHeapFlags(MEMORY_MB));
    memory = {
      object: FLOW_75MB,
      compressedMb: statSync(FLOW_75MB).size / 2 ** 20,
      peak,
      peakMemoryTable,
      reader,
      runtimeOnly,
      lambda256,
      lambdaConfigured,
      under256Mb: lambda256.maxRssMb < 256,
      scan: {
        ...scan,
        object: FLOW_SCAN,
        compressedMb: statSync(FLOW_SCAN).size / 2 ** 20,
        under512Mb: scan.maxRssMb < 512,
      },
    };
    console.log(
      `\nmemory: ${fmt(memory.compressedMb ?? 0, 1)} MiB gzip object, ${fmt(peak.records)} records, ${fmt(peak.edges ?? 0)} edges: peak RSS ${fmt(peak.maxRssMb)} MB (bundled code, loaded and idle: ${fmt(runtimeOnly.maxRssMb)} MB; reader + edge aggregation alone: ${fmt(reader.maxRssMb)} MB; with the in-memory table keeping every write: ${fmt(peakMemoryTable.maxRssMb)} MB) with Node's default heap limits`,
    );
    console.log(
      `  with the heap limits Lambda gives a 256 MB function (${lambdaHeapFlags(256).join(' ')}): peak RSS ${fmt(lambda256.maxRssMb)} MB, ${fmt(lambda256.cpuSeconds, 1)} CPU s (default limits: ${fmt(peak.cpuSeconds, 1)} CPU s); ${lambda256.maxRssMb < 256 ? 'under' : 'OVER'} 256 MB`,
    );
    console.log(
      `  with those of a ${MEMORY_MB} MB function (${lambdaHeapFlags(MEMORY_MB).join(' ')}): peak RSS ${fmt(lambdaConfigured.maxRssMb)} MB, garbage V8 has no reason to collect yet`,
    );
    console.log(
      `scan: ${fmt(memory.scan?.compressedMb ?? 0, 1)} MiB gzip object, ${fmt(scan.records)} records from distinct public sources, folded into ${fmt(scan.edges ?? 0)} edges: peak RSS ${fmt(scan.maxRssMb)} MB, ${fmt(scan.cpuSeconds, 1)} CPU s under the ${MEMORY_MB} MB function's limits; ${scan.maxRssMb < 512 ? 'under' : 'OVER'} 512 MB`,
    );
  }

  const hostileAudit = hostile();

  // Cost of a day.
  const day = Date.parse('2026-11-03T01:00:00Z');
  const flowSteady = await steadyState(FLOW, day);
  const auditSteady = await steadyState(AUDIT, day);
  const flowWork: ObjectWork = {
    cpuSeconds: m.flowOurs?.cpuSeconds ?? 0,
    records: m.flowOurs?.records ?? 0,
    compressedBytes: statSync(FLOW).size,
    uncompressedBytes: flowText,
    readUnits: flowSteady.readUnits,
    writeUnits: flowSteady.writeUnits,
    publishes: flowSteady.publishes,
    s3Gets: 2,
  };
  const auditWork: ObjectWork = {
    cpuSeconds: m.auditOurs?.cpuSeconds ?? 0,
    records: m.auditOurs?.records ?? 0,
    compressedBytes: statSync(AUDIT).size,
    uncompressedBytes: auditText,
    readUnits: auditSteady.readUnits,
    writeUnits: auditSteady.writeUnits,
    publishes: auditSteady.publishes,
    s3Gets: 2,
  };
  // A day: one flow object like this one every 5 minutes (VPC Flow Logs' delivery interval), and
  // 20 million audit events (a busy cluster) in Firehose objects like this one.
  const flowDay = dayCost(flowWork, 288, { memoryMb: MEMORY_MB });
  const auditDay = dayCost(auditWork, 100, { memoryMb: MEMORY_MB });
  const costRow = (label: string, c: DayCost, unit: string, ours: number, guardDuty: number) =>
    console.log(
      `${label.padEnd(7)} ${fmt(c.records / 1e6, 1).padStart(7)} M  ${money(c.dollars.lambda).padStart(9)} ${money(c.dollars.dynamodb).padStart(9)} ${money(c.dollars.s3).padStart(9)} ${money(c.dollars.sqs).padStart(9)} ${money(c.dollars.sns).padStart(9)} ${money(c.dollars.total).padStart(9)}   ${money(ours)} ${unit} vs GuardDuty $${guardDuty.toFixed(2)}: ${((100 * ours) / guardDuty).toFixed(2)}%`,
    );
  console.log(`\ncost of one day at list prices (${PRICES_AS_OF}), Lambda arm64 at ${MEMORY_MB} MB:`);
  console.log(
    `${'log'.padEnd(7)} ${'records'.padStart(9)}  ${'Lambda'.padStart(9)} ${'DynamoDB'.padStart(9)} ${'S3'.padStart(9)} ${'SQS'.padStart(9)} ${'SNS'.padStart(9)} ${'total'.padStart(9)}`,
  );
  costRow('flow', flowDay, 'per GB (text)', flowDay.perGbUncompressed, PRICES.guardDutyFlowGb);
  console.log(
    `${''.padEnd(83)}(${money(flowDay.perGbCompressed)} per GB gzipped: ${((100 * flowDay.perGbCompressed) / PRICES.guardDutyFlowGb).toFixed(2)}%)`,
  );
  costRow('audit', auditDay, 'per M events', auditDay.perMillionRecords, PRICES.guardDutyAuditMillionEvents);
  const costTargets = {
    'flow $/GB <= 1% of GuardDuty': flowDay.perGbUncompressed <= 0.01 * PRICES.guardDutyFlowGb,
    'audit $/M events <= 1% of GuardDuty': auditDay.perMillionRecords <= 0.01 * PRICES.guardDutyAuditMillionEvents,
  };
  for (const [target, met] of Object.entries(costTargets)) console.log(`  ${met ? 'met    ' : 'NOT MET'}  ${target}`);

  const { rebaseline, largeCluster } = await rebaselineCost(flowWork, auditWork);

  const results = {
    generatedAt: new Date().toISOString(),
    command: `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`,
    machine,
    loadAverage: { during: { median: median(loads), max: Math.max(...loads) } },
    rounds: ROUNDS,
    objects: {
      flow: { path: FLOW, gzipBytes: statSync(FLOW).size, textBytes: flowText },
      audit: { path: AUDIT, gzipBytes: statSync(AUDIT).size, textBytes: auditText },
    },
    measurements: m,
    ratios,
    targets,
    memory,
    hostileAudit,
    cost: {
      prices: PRICES,
      pricesAsOf: PRICES_AS_OF,
      memoryMb: MEMORY_MB,
      flow: { work: flowWork, steadyState: flowSteady, day: flowDay },
      audit: { work: auditWork, steadyState: auditSteady, day: auditDay },
      targets: costTargets,
      rebaseline,
      largeCluster,
    },
    durationSeconds: (Date.now() - started) / 1000,
  };
  writeFileSync('bench/results.json', `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote bench/results.json in ${fmt(results.durationSeconds)} s`);
}

/**
 * The rebaseline's cost, measured on the sample scenario and projected to {@link LARGE}, with the
 * processing of its day (the bench objects' measured work, scaled to its records) and GuardDuty's
 * first-tier list price for the same volume beside it. Prints the arithmetic.
 */
async function rebaselineCost(flowWork: ObjectWork, auditWork: ObjectWork) {
  const config = defaultConfig();
  const historyHours = config.network.stats.windowDays * 24;
  // The sample (3 nodes, 14 days): the day-15 run folds days 13 and 14 into full-length histories.
  const sample = await measureRebaseline(`${DATA}/rebaseline-sample`, 1, 14);
  // The scenario at 5x (15 nodes, 2 days): how many edges, entries and rows a node's day brings.
  const scaled = await measureRebaseline(`${DATA}/rebaseline-5x`, 5, 2);
  const nodeDays = scaled.nodes * scaled.daysFolded;
  const unit = {
    edge: per(sample.edge.work, sample.edge.folds),
    entry: per(sample.entry.work, sample.entry.written),
    stepsPerEntry: per(addWork(sample.plan, sample.finish), sample.entry.written),
  };
  const scale: RebaselineScale = {
    nodes: LARGE.nodes,
    edgesPerNodeDay: scaled.edge.folds / nodeDays,
    entriesPerNodeDay: scaled.entry.written / nodeDays,
    // Each daily run folds the day before it and, again, the day before that (it stays pending).
    daysPerRun: sample.daysFolded,
    runsPerDay: 1,
    itemRowsPerNodeDay: scaled.items.map((i) => i.report.rowsRead / nodeDays),
    rowsPerItem: ROWS_PER_ITEM,
  };
  const work = projectRebaseline(unit, scale);
  const cost = rebaselineDayCost(work, { memoryMb: REBASELINE_MEMORY_MB, roundTripMs: ROUND_TRIP_MS });
  const measuredCost = rebaselineDayCost(
    {
      runs: 1,
      items: sample.items.length,
      itemCpuSeconds: sample.edge.work.cpuSeconds + sample.entry.work.cpuSeconds,
      stepCpuSeconds: sample.plan.cpuSeconds + sample.finish.cpuSeconds,
      roundTrips:
        sample.edge.work.roundTrips + sample.entry.work.roundTrips + sample.plan.roundTrips + sample.finish.roundTrips,
      readUnits:
        sample.edge.work.readUnits + sample.entry.work.readUnits + sample.plan.readUnits + sample.finish.readUnits,
      writeUnits:
        sample.edge.work.writeUnits + sample.entry.work.writeUnits + sample.plan.writeUnits + sample.finish.writeUnits,
    },
    { memoryMb: REBASELINE_MEMORY_MB, roundTripMs: ROUND_TRIP_MS },
  );
  // Processing at the large size: objects like the bench's, as many as its records make.
  const flowLarge = dayCost(flowWork, LARGE.flowRecords / flowWork.records, { memoryMb: MEMORY_MB });
  const auditLarge = dayCost(auditWork, LARGE.auditEvents / auditWork.records, { memoryMb: MEMORY_MB });
  const processing = flowLarge.dollars.total + auditLarge.dollars.total;
  const total = processing + cost.dollars.total;
  const bytesPerFlowRecord = flowWork.uncompressedBytes / flowWork.records;
  const flowGb = (LARGE.flowRecords * bytesPerFlowRecord) / 1e9;
  const guardDuty = guardDutyDay(flowGb, LARGE.auditEvents);

  const perUnit = (u: typeof unit.edge) =>
    `${fmt(u.readUnits, 2)} RU, ${fmt(u.writeUnits, 2)} WU, ${fmt(u.cpuSeconds * 1e3, 3)} CPU ms, ${fmt(u.roundTrips, 3)} round trips`;
  console.log(
    `\nrebaseline, measured: the sample scenario's day-15 run (${sample.nodes} nodes, ${sample.scopes} scopes, days folded: ${sample.daysFolded}, ` +
      `histories full: ${config.network.stats.windowDays} days = ${historyHours} hours kept per edge): ${sample.items.length} items, ` +
      `${fmt(sample.edge.folds)} edge-days folded from ${fmt(sample.edge.rows)} hourly rows, ${fmt(sample.entry.written)} baseline entries written from ${fmt(sample.entry.rows)} observation rows; ` +
      `${money(measuredCost.dollars.total)} a run`,
  );
  console.log(`  per edge-day folded:          ${perUnit(unit.edge)}`);
  console.log(`  per baseline entry written:   ${perUnit(unit.entry)}`);
  console.log(`  Plan + Finish, per entry:     ${perUnit(unit.stepsPerEntry)}`);
  console.log(
    `  CPU per item: ${sample.items.map((i) => fmt(i.cpuSeconds * 1e3, 1)).join(', ')} ms (max ${fmt(Math.max(...sample.items.map((i) => i.cpuSeconds)) * 1e3, 1)} ms)`,
  );
  console.log(
    `rebaseline, at scale: the scenario at 5x (${scaled.nodes} nodes, ${scaled.daysFolded} days): ${fmt(scaled.edge.folds)} edge-days, ${fmt(scaled.entry.written)} entries, ` +
      `${fmt(scaled.edge.rows + scaled.entry.rows)} rows in ${scaled.items.length} items: per node and day ${fmt(scale.edgesPerNodeDay, 2)} edges, ${fmt(scale.entriesPerNodeDay, 2)} baseline entries ` +
      `(the sample's 3 nodes: ${fmt(sample.edge.folds / (sample.nodes * sample.daysFolded), 2)} and ${fmt(sample.entry.written / (sample.nodes * sample.daysFolded), 2)}; edges and entries are per workload, so they grow slower than nodes)`,
  );
  console.log(
    `projected to ${fmt(LARGE.nodes)} nodes (${fmt(LARGE.pods)} pods; assumed: edges and entries grow with nodes at the 5x rate, each run folds ${scale.daysPerRun} days, one run a day):`,
  );
  console.log(
    `  ${fmt(scale.edgesPerNodeDay, 2)} edges x ${fmt(LARGE.nodes)} nodes x ${scale.daysPerRun} days = ${fmt(work.edgeFolds)} edge-days; ` +
      `${fmt(scale.entriesPerNodeDay, 2)} entries x ${fmt(LARGE.nodes)} x ${scale.daysPerRun} = ${fmt(work.entries)} entries; ` +
      `${fmt(work.items)} items (${fmt(ROWS_PER_ITEM)} rows each at most)`,
  );
  console.log(
    `  ${fmt(work.readUnits)} RU + ${fmt(work.writeUnits)} WU; ${fmt(work.itemCpuSeconds + work.stepCpuSeconds, 1)} CPU s + ${fmt(work.roundTrips)} round trips x ${ROUND_TRIP_MS} ms ` +
      `at ${REBASELINE_MEMORY_MB} MB = ${fmt(cost.lambdaGbSeconds, 1)} GB-s; ${fmt(cost.invocations)} invocations; ${fmt(cost.transitions)} state transitions (4 a run + 2 an item)`,
  );
  console.log(
    `\ncost of one day at ${fmt(LARGE.nodes)} nodes, ${fmt(LARGE.pods)} pods, ${fmt(LARGE.flowRecords / 1e6)} M flow records, ${fmt(LARGE.auditEvents / 1e6)} M audit events (list prices, ${PRICES_AS_OF}):`,
  );
  const line = (label: string, dollars: number, detail: string) =>
    console.log(`  ${label.padEnd(18)} ${money(dollars).padStart(9)}  ${detail}`);
  line('flow processing', flowLarge.dollars.total, `${fmt(flowLarge.objects, 1)} objects like the bench's`);
  line('audit processing', auditLarge.dollars.total, `${fmt(auditLarge.objects, 1)} objects like the bench's`);
  line(
    'rebaseline',
    cost.dollars.total,
    `Lambda ${money(cost.dollars.lambda)}, DynamoDB ${money(cost.dollars.dynamodb)}, Step Functions ${money(cost.dollars.stepFunctions)}; ${((100 * cost.dollars.total) / total).toFixed(1)}% of the total`,
  );
  line('total', total, `${money(total * 30)} a 30-day month`);
  line(
    'GuardDuty',
    guardDuty.total,
    `first tier only (larger volumes pay less per unit): ${fmt(flowGb, 1)} GB of flow logs (${fmt(bytesPerFlowRecord)} bytes a record, the bench object's text) x $${PRICES.guardDutyFlowGb.toFixed(2)} + ${fmt(LARGE.auditEvents / 1e6)} M audit events x $${PRICES.guardDutyAuditMillionEvents.toFixed(2)}`,
  );
  console.log(`  ours / GuardDuty: ${((100 * total) / guardDuty.total).toFixed(2)}%`);
  // How much the projection's main assumption matters: ten times the edges and entries per node.
  const tenfold = rebaselineDayCost(
    projectRebaseline(unit, {
      ...scale,
      edgesPerNodeDay: 10 * scale.edgesPerNodeDay,
      entriesPerNodeDay: 10 * scale.entriesPerNodeDay,
      itemRowsPerNodeDay: scale.itemRowsPerNodeDay.map((rows) => 10 * rows),
    }),
    { memoryMb: REBASELINE_MEMORY_MB, roundTripMs: ROUND_TRIP_MS },
  );
  console.log(
    `  if edges and entries per node were 10x the projection: rebaseline ${money(tenfold.dollars.total)} a day, total ${money(processing + tenfold.dollars.total)}`,
  );
  return {
    rebaseline: {
      memoryMb: REBASELINE_MEMORY_MB,
      roundTripMs: ROUND_TRIP_MS,
      historyHours,
      measured: { ...sample, cost: measuredCost },
      scaled: { ...scaled, items: scaled.items.length },
      perUnit: unit,
      scale,
      projected: { work, cost },
    },
    largeCluster: {
      ...LARGE,
      processing: { flow: flowLarge, audit: auditLarge },
      rebaseline: cost.dollars.total,
      total,
      rebaselineShare: cost.dollars.total / total,
      guardDuty: { ...guardDuty, flowGb, bytesPerFlowRecord, tier: 'first tier' },
      oursOverGuardDuty: total / guardDuty.total,
    },
  };
}

/**
 * The benchmark runs under the heap limits Lambda gives the flow processor (its young generation
 * is several times Node's default, which changes how often V8 collects); it starts itself again
 * with them when they are not set.
 */
const heapFlags = [...lambdaHeapFlags(MEMORY_MB), '--expose-gc'];
if (heapFlags.every((flag) => process.execArgv.includes(flag))) {
  await main();
} else {
  const child = spawn(process.execPath, [...heapFlags, process.argv[1] as string, ...args], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 1));
}
