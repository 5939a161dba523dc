import type { Finding } from '../alert';
import { SEVERITIES, type Severity } from '../config';
import type { LearnedState } from '../engine';
import type { Incident } from '../incident';
import { DAY_MS, dayOf, dayStart, iso } from '../util';
import { type FindingPlacement, placeFindings, roleEndpoints } from './highlights';
import type { MapIndex } from './map-index';
import { buildNetworkMap, type NetworkMapOptions } from './network-map';
import type { MapGroup, MapLink, MapNode, NetworkMap } from './network-map-types';
import { buildReportIncidents, type ReportIncident } from './report-incidents';
import { buildReportLearned, type ReportLearnedScope } from './report-learned';
import type { DroppedEdges, RunEdge } from './run-edge-recorder';

/** The facts of a run the report shows; the CLI's `RunSummary` has them all. */
export interface RunFacts {
  durationMs: number;
  objects: { read: number; audit: number; flow: number; unrecognized: number; alreadyProcessed: number };
  eventsParsed: number;
  eventTimeRange?: { first: string; last: string };
  /** Detectors that ran on flow logs lacking fields they need, and the fields; shown as a notice. */
  degraded?: readonly { detector: string; missing: readonly string[] }[];
  findings: {
    total: number;
    bySeverity: Record<Severity, number>;
    byDay: Record<string, Record<Severity, number>>;
    suppressedByDedupe: number;
    belowAlertThreshold: number;
  };
}

/** What the report is built from. */
export interface ReportInput {
  run: RunFacts;
  findings: readonly Finding[];
  /** The incidents the findings were joined into; without them the page has no Incidents section. */
  incidents?: readonly Incident[];
  edges: readonly RunEdge[];
  dropped?: DroppedEdges;
  /** Audit events per UTC day. */
  auditEventsByDay?: Record<string, number>;
  /** Flow records per UTC day. */
  flowRecordsByDay?: Record<string, number>;
  cluster?: string;
  /** The configured learning period, in days of event time. */
  learningDays: number;
  /** What the baselines learned by themselves by the end of the run; without it the page has no Learned section. */
  learned?: LearnedState;
  /** @default new Date() */
  generatedAt?: Date;
  map?: Omit<NetworkMapOptions, 'pinned' | 'dropped'>;
}

export interface ReportNode extends MapNode {
  /** Indexes into {@link ReportData.findings} of the findings that name it. */
  findings: number[];
  exposure: boolean;
}

export interface ReportLink extends MapLink {
  /** Ports left out of `ports`, which keeps the busiest. */
  otherPorts: number;
  findings: number[];
  exposure: boolean;
}

export interface ReportFinding {
  /** Fragment id of the finding's evidence (`#finding-...`). */
  anchor: string;
  finding: Finding;
  place: FindingPlacement;
  /** Fragment id of its incident's card (`#incident-...`), when it is part of one in this report. */
  incident?: string;
}

export interface ReportDay {
  day: string;
  findings: Record<Severity, number>;
  auditEvents: number;
  flowRecords: number;
  /** Map links first seen that day: the map filling in, then settling. */
  newLinks: number;
  /** The whole day is inside the learning period. */
  learning: boolean;
}

/** Everything the page shows, embedded in it as JSON. */
export interface ReportData {
  format: 'driftwatch-report/1';
  title: string;
  generatedAt: string;
  cluster?: string;
  severities: readonly Severity[];
  run: RunFacts & { learningDays: number; learningEnds?: string };
  days: ReportDay[];
  map: { nodes: ReportNode[]; groups: MapGroup[]; links: ReportLink[]; totals: NetworkMap['totals'] };
  findings: ReportFinding[];
  /** Most severe first, then the newest; absent when the run did not correlate findings into incidents. */
  incidents?: ReportIncident[];
  /** What the baselines learned by themselves, per cluster and VPC. */
  learned?: ReportLearnedScope[];
}

const MAX_PORTS_PER_LINK = 8;
const MAX_PINNED_TEXT = 300;

/** Every entity, address and name a finding's roles give an end of its traffic or a hop of its path. */
function mentioned(findings: readonly Finding[]): Set<string> {
  const out = new Set<string>();
  for (const f of findings) {
    for (const endpoint of roleEndpoints(f.roles)) {
      for (const ref of [endpoint.entity, endpoint.address, endpoint.name]) {
        if (ref !== undefined && ref.length <= MAX_PINNED_TEXT) out.add(ref);
      }
    }
  }
  return out;
}

function anchorOf(finding: Finding, i: number): string {
  const safe = String(finding.id)
    .replace(/[^A-Za-z0-9_-]/g, '')
    .slice(0, 40);
  return `finding-${safe || i}`;
}

function emptySeverities(): Record<Severity, number> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
}

/** The days from the first to the last one anything happened, with no gaps. */
function dayRange(...sources: Iterable<string>[]): string[] {
  const all = sources.flatMap((s) => [...s]).sort();
  const first = all[0];
  const last = all[all.length - 1];
  if (!first || !last) return [];
  const days: string[] = [];
  for (let t = dayStart(first); t <= dayStart(last) && days.length < 3660; t += DAY_MS) days.push(dayOf(t));
  return days;
}

/** Builds what the report page shows: the map with findings placed on it, the findings, the days. */
export function buildReportData(input: ReportInput): { data: ReportData; map: NetworkMap; index: MapIndex } {
  const { map, index } = buildNetworkMap(input.edges, {
    ...input.map,
    pinned: mentioned(input.findings),
    ...(input.dropped ? { dropped: input.dropped } : {}),
  });
  const placements = placeFindings(map, index, input.findings);
  const linkFindings = new Map<string, number[]>();
  const nodeFindings = new Map<string, number[]>();
  const exposureLinks = new Set<string>();
  const exposureNodes = new Set<string>();
  placements.forEach((place, i) => {
    for (const id of place.links) linkFindings.set(id, [...(linkFindings.get(id) ?? []), i]);
    for (const id of place.nodes) nodeFindings.set(id, [...(nodeFindings.get(id) ?? []), i]);
    if (place.exposure) {
      for (const id of place.links) exposureLinks.add(id);
      for (const id of place.nodes) exposureNodes.add(id);
    }
  });

  const first = input.run.eventTimeRange ? Date.parse(input.run.eventTimeRange.first) : undefined;
  const learningEnds = first !== undefined ? first + input.learningDays * DAY_MS : undefined;
  const newLinks = new Map<string, number>();
  for (const link of map.links) newLinks.set(dayOf(link.firstTime), (newLinks.get(dayOf(link.firstTime)) ?? 0) + 1);
  const audit = input.auditEventsByDay ?? {};
  const flows = input.flowRecordsByDay ?? {};
  const days = dayRange(
    Object.keys(input.run.findings.byDay),
    Object.keys(audit),
    Object.keys(flows),
    newLinks.keys(),
  ).map((day) => ({
    day,
    findings: { ...emptySeverities(), ...input.run.findings.byDay[day] },
    auditEvents: audit[day] ?? 0,
    flowRecords: flows[day] ?? 0,
    newLinks: newLinks.get(day) ?? 0,
    learning: learningEnds !== undefined && dayStart(day) + DAY_MS <= learningEnds,
  }));

  const incidents = input.incidents ? buildReportIncidents(input.incidents, input.findings, placements) : undefined;
  const anchors = new Set<string>();
  const findings = input.findings.map((finding, i): ReportFinding => {
    let anchor = anchorOf(finding, i);
    if (anchors.has(anchor)) anchor = `${anchor}-${i}`;
    anchors.add(anchor);
    const incident = incidents?.findingIncident[i];
    return { anchor, finding, place: placements[i] as FindingPlacement, ...(incident ? { incident } : {}) };
  });

  const data: ReportData = {
    format: 'driftwatch-report/1',
    title: input.cluster ? `Driftwatch report: ${input.cluster}` : 'Driftwatch report',
    generatedAt: (input.generatedAt ?? new Date()).toISOString(),
    ...(input.cluster ? { cluster: input.cluster } : {}),
    severities: SEVERITIES,
    run: {
      durationMs: input.run.durationMs,
      objects: input.run.objects,
      eventsParsed: input.run.eventsParsed,
      ...(input.run.eventTimeRange ? { eventTimeRange: input.run.eventTimeRange } : {}),
      ...(input.run.degraded?.length ? { degraded: input.run.degraded } : {}),
      findings: {
        total: input.run.findings.total,
        bySeverity: input.run.findings.bySeverity,
        byDay: input.run.findings.byDay,
        suppressedByDedupe: input.run.findings.suppressedByDedupe,
        belowAlertThreshold: input.run.findings.belowAlertThreshold,
      },
      learningDays: input.learningDays,
      ...(learningEnds !== undefined ? { learningEnds: iso(learningEnds) } : {}),
    },
    days,
    map: {
      nodes: map.nodes.map((n) => ({
        ...n,
        findings: nodeFindings.get(n.id) ?? [],
        exposure: exposureNodes.has(n.id),
      })),
      groups: map.groups,
      links: map.links.map((l) => ({
        ...l,
        ports: l.ports.slice(0, MAX_PORTS_PER_LINK),
        otherPorts: Math.max(0, l.ports.length - MAX_PORTS_PER_LINK),
        findings: linkFindings.get(l.id) ?? [],
        exposure: exposureLinks.has(l.id),
      })),
      totals: map.totals,
    },
    findings,
    ...(incidents ? { incidents: incidents.incidents } : {}),
    ...(input.learned ? { learned: buildReportLearned(input.learned) } : {}),
  };
  return { data, map, index };
}
