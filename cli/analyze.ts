import { createWriteStream, existsSync, readdirSync, statSync, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import type { Finding } from '../shared/alert';
import {
  type Config,
  defaultConfig,
  loadConfigFile,
  type Severity,
  severityRank,
  type ThreatIntelSource,
} from '../shared/config';
import { buildDetectContext, DegradedNotice } from '../shared/detect';
import { DailyDigest, Engine, readLearned } from '../shared/engine';
import { CollectingSink, FanOutSink, type Incident, type IncidentMessage, type MessageSink } from '../shared/incident';
import { ThreatIntelProvider } from '../shared/intel';
import { EntityResolver, PodIpMap } from '../shared/network';
import { ReportCollector, type WrittenReport } from '../shared/report';
import { loadStateDir, MemoryTable, saveStateDir } from '../shared/store';
import { inDeliveryOrder, listFiles } from './local-files';
import { jsonLine, tableHeader, tableRow } from './output';
import { Schedule } from './schedule';
import { replayClock, saveReplayClock } from './store';
import { type RunSummary, SummaryBuilder } from './summary';

export type OutputFormat = 'table' | 'json';

export interface AnalyzeOptions {
  /** Files or folders of log objects. */
  paths: string[];
  /** Config file (JSON). Relative paths inside it resolve against its folder. */
  configPath?: string;
  /** Folder of the embedded store; later runs remember baselines. Without it the store lives in memory. */
  stateDir?: string;
  format: OutputFormat;
  outPath?: string;
  summaryPath?: string;
  /** Write the self-contained HTML report (network map, findings, per-day counts) to this file. */
  reportPath?: string;
  failOn?: Severity;
  snsTopicArn?: string;
  /** Write the incidents, one JSON object per line, to this file. */
  incidentsPath?: string;
  stdout: Writable;
  stderr: Writable;
  /** Colour severities in table output. */
  color?: boolean;
  /**
   * Where threat lists are read from when the config names none: every file in the folder, if it
   * exists. Defaults to `.driftwatch/threat-lists` in the current directory, where the README's
   * download commands put the public lists.
   */
  threatListDir?: string;
}

/** The default folder of threat lists for a run whose config names none. */
export const DEFAULT_THREAT_LIST_DIR = join('.driftwatch', 'threat-lists');

/** The threat lists of the folder, as config sources: none when it does not exist. */
export function threatListsIn(dir: string): ThreatIntelSource[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.') && statSync(join(dir, name)).isFile())
    .sort()
    .map((name) => ({ path: resolve(dir, name), name: name.replace(/\.[^.]*$/, '') }));
}

export interface AnalyzeResult {
  exitCode: 0 | 3;
  summary: RunSummary;
  findings: Finding[];
  /** Every incident in the store at the end of the run (merged ones excluded). */
  incidents: Incident[];
  /** The messages the run published, in order. */
  messages: IncidentMessage[];
  /** The HTML report, when `reportPath` was given. */
  report?: WrittenReport;
}

/**
 * `driftwatch analyze`: replays local log objects through the same engine the Lambdas run, in
 * delivery order, running the rebaseline at every schedule time crossed in event time.
 */
export async function analyze(options: AnalyzeOptions): Promise<AnalyzeResult> {
  const config: Config = options.configPath ? loadConfigFile(options.configPath) : defaultConfig();
  const baseDir = options.configPath ? dirname(resolve(options.configPath)) : process.cwd();
  const schedule = new Schedule(config.rebaseline.schedule);
  const digestSchedule = new Schedule(config.incidents.digestSchedule);
  const files = listFiles(options.paths);
  const table = options.stateDir ? await loadStateDir(options.stateDir) : new MemoryTable();
  const sources =
    config.threatIntel.sources.length > 0
      ? config.threatIntel.sources
      : threatListsIn(resolve(options.threatListDir ?? DEFAULT_THREAT_LIST_DIR));
  const intel = await new ThreatIntelProvider({
    sources,
    baseDir,
    warn: (message) => options.stderr.write(`warning: ${message}\n`),
  }).get();

  const report = options.reportPath ? new ReportCollector() : undefined;
  if (report && options.reportPath) await report.prepare(options.reportPath);
  const out: WriteStream | undefined = options.outPath ? await openOut(options.outPath) : undefined;
  const collected = new CollectingSink();
  const findings: Finding[] = [];
  /** Prints findings as they are recorded; messages go to the sinks. */
  const emit = (recorded: readonly Finding[]) => {
    for (const finding of recorded) {
      findings.push(finding);
      const line = options.format === 'json' ? jsonLine(finding) : tableRow(finding, options.color ?? false);
      options.stdout.write(`${line}\n`);
      out?.write(`${options.format === 'json' ? line : tableRow(finding, false)}\n`);
    }
  };
  const sinks: MessageSink[] = [collected];
  if (options.snsTopicArn) {
    const [{ SNSClient }, { SnsPublisher }] = await Promise.all([
      import('@aws-sdk/client-sns'),
      import('../shared/aws'),
    ]);
    sinks.push(new SnsPublisher({ client: new SNSClient({}), topicArn: options.snsTopicArn }));
  }
  const context = buildDetectContext(config, intel);
  const engine = new Engine({
    config,
    table,
    context,
    sink: new FanOutSink(sinks),
    ...(report ? { extraRecorders: report.recorders } : {}),
  });

  if (options.format === 'table') {
    options.stdout.write(`${tableHeader()}\n`);
    out?.write(`${tableHeader()}\n`);
  }
  // The daily digest, on its schedule in event time, as the stack sends it (to subscribers who ask for it).
  const digest = new DailyDigest({ config, table, incidents: engine.incidents, sink: new FanOutSink(sinks) });
  const summary = new SummaryBuilder();
  const notice = new DegradedNotice();
  let clock = await replayClock(table);
  for (const object of await inDeliveryOrder(files)) {
    if (object.time !== undefined) {
      clock ??= object.time;
      // Firings with no object between them would fold the same data; run once, at the last.
      let crossed: number | undefined;
      let count = 0;
      for (const time of schedule.between(clock, object.time)) {
        crossed = time;
        count++;
      }
      if (crossed !== undefined) {
        // The rebaseline decides the edges due by then first; here, so the summary counts what they sent.
        const settled = await engine.decideWaiting(crossed);
        emit(settled.sent);
        summary.addSettled(settled);
        const rebaselined = await engine.rebaseline(crossed);
        emit(rebaselined.findings ?? []);
        summary.addRebaseline(crossed, count, rebaselined);
      }
      for (const time of digestSchedule.between(clock, object.time)) summary.addDigest(await digest.send(time));
      clock = Math.max(clock, object.time);
    }
    const outcome = await engine.process(object.source);
    emit(outcome.findings);
    summary.addObject(outcome);
    const degraded = notice.message(outcome.degraded);
    if (degraded) options.stderr.write(`warning: ${degraded}\n`);
  }
  // The input is over: nothing more will name the edges still waiting for the audit log.
  const settled = await engine.decideWaiting(Number.POSITIVE_INFINITY);
  emit(settled.sent);
  summary.addSettled(settled);
  const incidents = await engine.incidents.list();
  summary.addIncidents(incidents);
  summary.addLearned({
    pipelines: (await engine.learnedPipelines()).map((p) => p.username),
    entryPoints: (await engine.learnedEntryPoints()).map((e) => e.address),
    privilegedWorkloads: await engine.learnedPrivileges(),
  });
  if (clock !== undefined) await saveReplayClock(table, clock);
  if (options.stateDir) await saveStateDir(table, options.stateDir);
  if (out) await new Promise<void>((done) => out.end(() => done()));
  if (options.incidentsPath) {
    await mkdir(dirname(resolve(options.incidentsPath)), { recursive: true });
    await writeFile(options.incidentsPath, incidents.map((i) => `${JSON.stringify(i)}\n`).join(''));
  }

  const result = summary.build(table.counters);
  if (options.summaryPath) {
    await mkdir(dirname(resolve(options.summaryPath)), { recursive: true });
    await writeFile(options.summaryPath, `${JSON.stringify(result, null, 2)}\n`);
  }
  const failed =
    options.failOn !== undefined &&
    findings.some((f) => severityRank(f.severity) >= severityRank(options.failOn as Severity));
  // The map draws a pod the audit log named late as its workload for the whole run.
  if (report) {
    const podIps = new PodIpMap(table);
    const resolver = new EntityResolver(context.network, podIps);
    await report.runEdges.nameLate(podIps, (holder) => resolver.entityOfHolder(holder));
  }
  const written =
    report && options.reportPath
      ? await report.write(options.reportPath, {
          run: result,
          findings,
          incidents,
          cluster: config.clusterName,
          learningDays: config.learning.days,
          // Judged at the last event time, as the engine judged the learning period.
          learned: await readLearned(table, config, { now: clock ?? Date.now() }),
        })
      : undefined;
  return {
    exitCode: failed ? 3 : 0,
    summary: result,
    findings,
    incidents,
    messages: collected.messages,
    ...(written ? { report: written } : {}),
  };
}

async function openOut(path: string): Promise<WriteStream> {
  await mkdir(dirname(resolve(path)), { recursive: true });
  return createWriteStream(path);
}

/** The human summary printed after a table run. */
export function describeRun(summary: RunSummary): string {
  const s = summary.findings.bySeverity;
  const rejected = Object.values(summary.recordsRejected).reduce((a, b) => a + (b ?? 0), 0);
  const lines = [
    '',
    `Read ${summary.objects.read} objects (${summary.objects.audit} audit, ${summary.objects.flow} flow` +
      `${summary.objects.unrecognized ? `, ${summary.objects.unrecognized} unrecognized` : ''}` +
      `${summary.objects.alreadyProcessed ? `, ${summary.objects.alreadyProcessed} already processed` : ''}), ` +
      `${summary.eventsParsed} events and records, ${rejected} rejected, in ${(summary.durationMs / 1000).toFixed(1)} s.`,
    `Findings: ${summary.findings.total} (critical ${s.critical}, high ${s.high}, medium ${s.medium}, low ${s.low}, info ${s.info}); ` +
      `${summary.findings.suppressedByDedupe} repeats suppressed; ${summary.rebaselines.runs} rebaselines.`,
  ];
  const incidents = summary.incidents;
  const messages = summary.notifications.messages;
  const muted = Object.values(summary.suppressed).reduce((a, b) => a + b, 0);
  lines.push(
    `Incidents: ${incidents.total} (critical ${incidents.bySeverity.critical}, high ${incidents.bySeverity.high}, ` +
      `medium ${incidents.bySeverity.medium}, low ${incidents.bySeverity.low}, info ${incidents.bySeverity.info}); ` +
      `${messages.total} messages (${messages.byKind.incident} opened, ${messages.byKind.update} updates), ` +
      `${messages.byKind.digest} daily digests` +
      `${muted > 0 ? `; ${muted} findings muted by suppressions` : ''}. List them with --incidents FILE or --report.`,
  );
  if (summary.network.edges > 0) {
    lines.push(
      `Network map: ${summary.network.edges} edges between ${summary.network.entities} entities; ` +
        `${summary.network.addressesAttributed} of ${summary.network.addressesLookedUp} internal address lookups named a workload or node.`,
    );
  }
  if (rejected > 0) {
    lines.push(
      `Rejected: ${Object.entries(summary.recordsRejected)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    for (const sample of summary.rejectSamples.slice(0, 5)) {
      lines.push(`  ${sample.reason} at ${sample.uri}${sample.line ? `:${sample.line}` : ''}: ${sample.detail}`);
    }
  }
  const skipped = Object.entries(summary.nonEventsSkipped);
  if (skipped.length > 0) lines.push(`Skipped (not audit events): ${skipped.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}
