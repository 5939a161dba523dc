import type { Finding } from '../shared/alert';
import { SEVERITIES, type Severity } from '../shared/config';
import { type DegradedDetector, mergeDegraded } from '../shared/detect';
import type { DigestReport, EngineRebaselineReport, ObjectOutcome, Settled } from '../shared/engine';
import type { Incident, IncidentMessage, IncidentStatus, MessageKind } from '../shared/incident';
import { mergeStats, newReadStats, type ReadStats, reject } from '../shared/ingest';
import type { TableCounters } from '../shared/store';
import { addCounts } from '../shared/util';

/** The run summary `--summary FILE` writes. */
export interface RunSummary {
  startedAt: string;
  durationMs: number;
  objects: { read: number; audit: number; flow: number; unrecognized: number; alreadyProcessed: number };
  eventsParsed: number;
  bytesRead: number;
  recordsRejected: ReadStats['rejected'];
  rejectSamples: ReadStats['samples'];
  nonEventsSkipped: ReadStats['skipped'];
  flowLogHealth: ReadStats['logHealth'];
  /**
   * Detectors that ran on flow logs lacking fields they need (AWS's default format has no
   * `tcp-flags`, for one), and the fields: what they may have missed. Empty when none did.
   */
  degraded: DegradedDetector[];
  findings: {
    total: number;
    bySeverity: Record<Severity, number>;
    byRule: Record<string, number>;
    /** Per UTC day of event time, by severity: the baseline forming, day by day. */
    byDay: Record<string, Record<Severity, number>>;
    suppressedByDedupe: number;
    belowAlertThreshold: number;
    /** Of those, how many joined an open incident as context (on its timeline, never notified). */
    belowJoinedAsContext: number;
  };
  detectorErrors: Record<string, number>;
  rebaselines: {
    runs: number;
    /** Schedule firings crossed in event time; consecutive firings with no object between them run once. */
    scheduleTimesCrossed: number;
    times: string[];
    daysFolded: number;
    entriesWritten: number;
    entriesPruned: number;
  };
  eventTimeRange?: { first: string; last: string };
  /** The network map the flow logs drew: distinct edges (entity pairs, port, protocol, direction) and entities. */
  network: {
    edges: number;
    entities: number;
    /** Internal addresses looked up in the pod IP map (per object), and how many it named a workload or node for. */
    addressesLookedUp: number;
    addressesAttributed: number;
    /** Edges a NAT gateway logged again for its clients' connections: on the map, not detected on twice. */
    relayedEdges: number;
    /** Flow edges that waited for the audit log to name their internal ends before they were decided. */
    edgesWaitedForAudit: number;
  };
  /** The incidents in the store at the end of the run (merged ones not counted). */
  incidents: { total: number; bySeverity: Record<Severity, number>; byStatus: Record<IncidentStatus, number> };
  /**
   * The messages the run published. `total` is what a subscriber at the default minimum severity
   * receives: incidents and updates (the digest goes only to subscribers who ask for it).
   */
  notifications: { messages: { total: number; byKind: Record<MessageKind, number> } };
  /** Findings each suppression muted (recorded and joined, not told). */
  suppressed: Record<string, number>;
  /**
   * What the baselines learned that a config would otherwise say: identities that deploy like a
   * pipeline (`identities.cicd`), addresses that take the internet's web traffic like a load
   * balancer (`network.entryPoints`), and workloads' host access written day after day by one kind
   * of identity (`audit.privilegedWorkloads`).
   */
  learned: {
    pipelines: string[];
    entryPoints: string[];
    privilegedWorkloads: { cluster: string; workload: string; allow: string[]; by: string }[];
  };
  store: TableCounters;
}

function emptyBySeverity(): Record<Severity, number> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
}

export class SummaryBuilder {
  private readonly stats = newReadStats();
  private learned: RunSummary['learned'] = { pipelines: [], entryPoints: [], privilegedWorkloads: [] };
  private readonly started = Date.now();
  private readonly findings: Finding[] = [];
  private readonly objects = { read: 0, audit: 0, flow: 0, unrecognized: 0, alreadyProcessed: 0 };
  private readonly rebaselines = {
    runs: 0,
    scheduleTimesCrossed: 0,
    times: [] as string[],
    daysFolded: 0,
    entriesWritten: 0,
    entriesPruned: 0,
  };
  private readonly detectorErrors: Record<string, number> = {};
  private readonly degraded: DegradedDetector[] = [];
  private readonly hourlyEdges = new Set<string>();
  private readonly entities = new Set<string>();
  private addressesLookedUp = 0;
  private addressesAttributed = 0;
  private relayedEdges = 0;
  private edgesWaited = 0;
  private suppressed = 0;
  private readonly messages: IncidentMessage[] = [];
  private readonly muted: Record<string, number> = {};
  private incidents: Incident[] = [];
  private digests = 0;
  private below = 0;
  private context = 0;
  private first = Number.POSITIVE_INFINITY;
  private last = Number.NEGATIVE_INFINITY;

  addObject(outcome: ObjectOutcome): void {
    this.objects.read++;
    if (outcome.skipped === 'already-processed') this.objects.alreadyProcessed++;
    else if (outcome.kind === 'audit') this.objects.audit++;
    else if (outcome.kind === 'flow') this.objects.flow++;
    else this.objects.unrecognized++;
    mergeStats(this.stats, outcome.stats);
    this.findings.push(...outcome.findings);
    this.addMessages(outcome.messages, outcome.muted);
    this.suppressed += outcome.suppressed;
    this.addBelow(outcome.belowThreshold);
    addCounts(this.detectorErrors, outcome.detectorErrors);
    mergeDegraded(this.degraded, outcome.degraded ?? []);
    this.edgesWaited += outcome.lateAttribution?.waiting ?? 0;
    if (outcome.network) this.addNetwork(outcome.network);
    if (outcome.firstEventTime !== undefined) this.first = Math.min(this.first, outcome.firstEventTime);
    if (outcome.lastEventTime !== undefined) this.last = Math.max(this.last, outcome.lastEventTime);
  }

  /** What deciding the edges still waiting for the audit log sent, at the end of a run. */
  addSettled(settled: Settled): void {
    this.findings.push(...settled.sent);
    this.addMessages(settled.messages, settled.muted);
    this.suppressed += settled.suppressed;
    this.addBelow(settled.belowThreshold);
    if (settled.network) this.addNetwork(settled.network);
    for (const { uri, detail } of settled.failed) reject(this.stats, 'waiting-edges-error', { uri }, detail);
  }

  private addBelow(findings: readonly Finding[]): void {
    this.below += findings.length;
    this.context += findings.filter((f) => f.incidentId !== undefined).length;
  }

  private addMessages(messages: readonly IncidentMessage[], muted: Record<string, number>): void {
    this.messages.push(...messages);
    addCounts(this.muted, muted);
  }

  /** A digest run: its messages count under `digest`. */
  addDigest(report: DigestReport): void {
    this.digests += report.published;
  }

  /** The incidents at the end of the run. */
  addIncidents(incidents: readonly Incident[]): void {
    this.incidents = [...incidents];
  }

  private addNetwork(network: NonNullable<ObjectOutcome['network']>): void {
    for (const key of network.hourlyEdges) this.hourlyEdges.add(key);
    for (const id of network.entities) this.entities.add(id);
    this.addressesLookedUp += network.addressesLookedUp;
    this.addressesAttributed += network.addressesAttributed;
    this.relayedEdges += network.relayedEdges;
  }

  addRebaseline(time: number, firings: number, report: EngineRebaselineReport): void {
    this.addMessages(report.messages ?? [], {});
    this.rebaselines.runs++;
    this.rebaselines.scheduleTimesCrossed += firings;
    this.rebaselines.times.push(new Date(time).toISOString());
    this.rebaselines.daysFolded += report.daysFolded;
    this.rebaselines.entriesWritten += report.entriesWritten;
    this.rebaselines.entriesPruned += report.entriesPruned;
  }

  /** The pipeline identities, entry points (addresses, across scopes) and privileged workloads learned by the end of the run. */
  addLearned(learned: RunSummary['learned']): void {
    this.learned.pipelines = [...learned.pipelines];
    this.learned.entryPoints = [...new Set(learned.entryPoints)];
    this.learned.privilegedWorkloads = learned.privilegedWorkloads.map((p) => ({ ...p, allow: [...p.allow] }));
  }

  build(store: TableCounters): RunSummary {
    const bySeverity = emptyBySeverity();
    const byRule: Record<string, number> = {};
    const byDay: Record<string, Record<Severity, number>> = {};
    for (const f of this.findings) {
      bySeverity[f.severity]++;
      byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
      const day = f.time.slice(0, 10);
      byDay[day] ??= emptyBySeverity();
      byDay[day][f.severity]++;
    }
    return {
      startedAt: new Date(this.started).toISOString(),
      durationMs: Date.now() - this.started,
      objects: this.objects,
      eventsParsed: this.stats.events,
      bytesRead: this.stats.bytesRead,
      recordsRejected: this.stats.rejected,
      rejectSamples: this.stats.samples,
      nonEventsSkipped: this.stats.skipped,
      flowLogHealth: this.stats.logHealth,
      degraded: this.degraded,
      findings: {
        total: this.findings.length,
        bySeverity,
        byRule,
        byDay: Object.fromEntries(Object.entries(byDay).sort(([a], [b]) => a.localeCompare(b))),
        suppressedByDedupe: this.suppressed,
        belowAlertThreshold: this.below,
        belowJoinedAsContext: this.context,
      },
      detectorErrors: this.detectorErrors,
      rebaselines: this.rebaselines,
      ...(Number.isFinite(this.first)
        ? { eventTimeRange: { first: new Date(this.first).toISOString(), last: new Date(this.last).toISOString() } }
        : {}),
      network: {
        edges: this.hourlyEdges.size,
        entities: this.entities.size,
        addressesLookedUp: this.addressesLookedUp,
        addressesAttributed: this.addressesAttributed,
        relayedEdges: this.relayedEdges,
        edgesWaitedForAudit: this.edgesWaited,
      },
      incidents: this.incidentCounts(),
      notifications: { messages: this.messageCounts() },
      suppressed: this.muted,
      learned: this.learned,
      store,
    };
  }

  private incidentCounts(): RunSummary['incidents'] {
    const bySeverity = emptyBySeverity();
    const byStatus: Record<IncidentStatus, number> = { open: 0, acknowledged: 0, resolved: 0, merged: 0 };
    for (const incident of this.incidents) {
      bySeverity[incident.severity]++;
      byStatus[incident.status]++;
    }
    return { total: this.incidents.length, bySeverity, byStatus };
  }

  private messageCounts(): RunSummary['notifications']['messages'] {
    const byKind: Record<MessageKind, number> = { incident: 0, update: 0, digest: 0 };
    for (const m of this.messages) byKind[m.kind]++;
    byKind.digest += this.digests;
    return { total: byKind.incident + byKind.update, byKind };
  }
}
