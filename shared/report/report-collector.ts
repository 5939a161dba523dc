import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Finding } from '../alert';
import type { LearnedState } from '../engine';
import type { Incident } from '../incident';
import type { AuditEvent } from '../ingest';
import type { FlowEdge } from '../network';
import type { Recorder } from '../record';
import { DailyCountRecorder } from './daily-count-recorder';
import { ReportError } from './errors';
import type { MapIndex } from './map-index';
import type { NetworkMapOptions } from './network-map';
import type { NetworkMap } from './network-map-types';
import { renderReportHtml } from './render-html';
import { buildReportData, type ReportData, type RunFacts } from './report-data';
import { RunEdgeRecorder, type RunEdgeRecorderOptions } from './run-edge-recorder';

/** Options of {@link ReportCollector}. */
export interface ReportCollectorOptions {
  /** Caps of the run edge recorder. */
  runEdges?: RunEdgeRecorderOptions;
  /** How the map is drawn (node caps). */
  map?: Omit<NetworkMapOptions, 'pinned' | 'dropped'>;
}

/** What the run adds to the recorders' data. */
export interface ReportRun {
  run: RunFacts;
  findings: readonly Finding[];
  /** The incidents the findings were joined into: the page shows them above the findings. */
  incidents?: readonly Incident[];
  cluster?: string;
  learningDays: number;
  /** What the baselines learned by themselves by the end of the run: the page's Learned section. */
  learned?: LearnedState;
  generatedAt?: Date;
}

/** A report written to disk. */
export interface WrittenReport {
  path: string;
  bytes: number;
  data: ReportData;
  map: NetworkMap;
  index: MapIndex;
}

/**
 * Gathers what the HTML report needs while the engine runs (hand {@link recorders} to
 * `EngineOptions.extraRecorders`), then builds and writes the report.
 */
export class ReportCollector {
  readonly runEdges: RunEdgeRecorder;
  readonly auditEvents = new DailyCountRecorder<AuditEvent>('report.audit-per-day', (event) => event.time);

  constructor(private readonly options: ReportCollectorOptions = {}) {
    this.runEdges = new RunEdgeRecorder(options.runEdges);
  }

  get recorders(): { audit: Recorder<AuditEvent>[]; flow: Recorder<FlowEdge>[] } {
    return { audit: [this.auditEvents], flow: [this.runEdges] };
  }

  build(run: ReportRun): { data: ReportData; map: NetworkMap; index: MapIndex } {
    return buildReportData({
      ...run,
      edges: this.runEdges.edges(),
      dropped: this.runEdges.dropped,
      auditEventsByDay: this.auditEvents.byDay(),
      flowRecordsByDay: this.runEdges.flowsByDay(),
      ...(this.options.map ? { map: this.options.map } : {}),
    });
  }

  /** Creates the report's folder, so that a path that cannot be written fails before a long run, not after. */
  async prepare(path: string): Promise<void> {
    try {
      await mkdir(dirname(resolve(path)), { recursive: true });
    } catch (error) {
      throw new ReportError(`cannot write the report to ${path}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Builds the report and writes it to `path`, creating its folder. */
  async write(path: string, run: ReportRun): Promise<WrittenReport> {
    const built = this.build(run);
    const html = renderReportHtml(built.data);
    await this.prepare(path);
    try {
      await writeFile(path, html);
    } catch (error) {
      throw new ReportError(`cannot write the report to ${path}: ${(error as Error).message}`, { cause: error });
    }
    return { path, bytes: Buffer.byteLength(html), ...built };
  }
}
