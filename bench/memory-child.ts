/**
 * Processes one object through the full processor path in a fresh process and prints its peak
 * RSS: `node --import tsx bench/memory-child.ts FILE [--reader | --memory-table | --learned]`. The
 * table sends writes away, as DynamoDB does (`--memory-table` keeps them, as the CLI's store does).
 * With `--reader` only the flow reader and the edge aggregation run; with `--learned` the learning
 * period is over (anomaly detectors judge the object); with no FILE it only loads the code.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { fileSource } from '../cli/local-files';
import { defaultConfig } from '../shared/config';
import { buildDetectContext } from '../shared/detect';
import { Engine } from '../shared/engine';
import { CollectingSink } from '../shared/incident';
import { newReadStats, readFlowLines } from '../shared/ingest';
import { AddressClassifier, EdgeAggregator } from '../shared/network';
import { MemoryTable } from '../shared/store';
import { DiscardingTable } from './discarding-table';

const path = process.argv[2];
const started = process.cpuUsage();
let records = 0;
let edges: number | undefined;
let findings: number | undefined;
let tableCalls: { reads: number; writes: number } | undefined;
if (path && process.argv.includes('--reader')) {
  const stats = newReadStats();
  const aggregator = new EdgeAggregator(new AddressClassifier(['10.0.0.0/16']));
  await readFlowLines(createReadStream(path), { uri: path, stats }, (line) => aggregator.addLine(line));
  records = stats.events;
  edges = aggregator.size;
} else if (path) {
  const learning = process.argv.includes('--learned') ? { learning: { days: 0 } } : {};
  const config = defaultConfig({ network: { vpcCidrs: ['10.0.0.0/16'] }, ...learning });
  // DynamoDB keeps nothing in the function's memory; the in-memory table keeps every item.
  const discarding = new DiscardingTable();
  const table = process.argv.includes('--memory-table') ? new MemoryTable() : discarding;
  const engine = new Engine({
    config,
    table,
    context: buildDetectContext(config),
    sink: new CollectingSink(),
  });
  const outcome = await engine.process(fileSource(path));
  records = outcome.stats.events;
  edges = outcome.edges;
  findings = outcome.findings.length + outcome.belowThreshold.length + outcome.suppressed;
  if (table === discarding) tableCalls = discarding.calls;
}
const cpu = process.cpuUsage(started);
/**
 * Peak RSS of this process image. getrusage's maxRSS is no good in a child: Linux carries the
 * parent's high-water mark over the fork and exec; VmHWM belongs to this image alone.
 */
function peakRssMb(): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match?.[1]) return Number(match[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

process.stdout.write(
  `${JSON.stringify({ maxRssMb: peakRssMb(), records, edges, findings, tableCalls, cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`,
);
