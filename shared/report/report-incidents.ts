import type { Finding } from '../alert';
import { type Severity, severityRank } from '../config';
import type { Incident, IncidentEntities, IncidentStatus } from '../incident';
import { printable } from '../util';
import type { FindingPlacement } from './highlights';

/** Another incident a card names, and how the two are related. */
export interface ReportIncidentRef {
  /**
   * `continues`: this incident took over when that one was full (`linkedTo`). `merged into`: that
   * one took this one's findings (`mergedInto`). `merged from`: this one took that one's (`merged`).
   */
  relation: 'continues' | 'merged into' | 'merged from';
  id: string;
  /** Fragment id of its card, when it is in the report too. */
  anchor?: string;
}

/** One line of an incident's timeline as the card shows it. */
export interface ReportTimelineEntry {
  time: string;
  severity: Severity;
  ruleId: string;
  title: string;
  summary: string;
  tactic?: string;
  /** The suppression that muted its notification. */
  mutedBy?: string;
  /** A finding below `alerts.minSeverity`, joined as context: never notified, not part of the incident's severity. */
  context?: true;
  /** Index into `ReportData.findings`, when the finding is in this report (an incident can be older than the run). */
  finding?: number;
}

/** What an incident names of one kind (identities, sources, ...): the first ones, and how many were left out. */
export interface ReportEntityList {
  kind: keyof IncidentEntities;
  values: string[];
  more: number;
}

/**
 * An incident as its card shows it. Every string that came from logs has been through
 * `printable()`; the page puts them on screen as text, never as markup.
 */
export interface ReportIncident {
  /** Fragment id of its card (`#incident-...`). */
  anchor: string;
  id: string;
  title: string;
  severity: Severity;
  /** The highest of its findings; below `severity` when spanning three or more tactics raised it. */
  findingSeverity: Severity;
  status: IncidentStatus;
  firstSeen: string;
  lastSeen: string;
  acknowledged?: { reason: string; by: string; at: string; until?: string };
  resolvedAt?: string;
  entities: ReportEntityList[];
  tactics: string[];
  /** Why its findings were joined: one reason per correlation key. */
  joins: { key: string; findings: number; because: string }[];
  timeline: ReportTimelineEntry[];
  /** Messages it caused. */
  messages: number;
  /** Findings since its last message that caused none. */
  quiet: number;
  related: ReportIncidentRef[];
  /** How many findings it has in all, this report's and earlier ones. */
  total: number;
  /** Indexes into `ReportData.findings` of its findings in this report, in the incident's order. */
  findings: number[];
  /** Where those findings are on the map: the union of their placements. */
  place: FindingPlacement;
}

/** Entity kinds in the order a card lists them. */
const ENTITY_KINDS: readonly (keyof IncidentEntities)[] = [
  'identities',
  'workloads',
  'sources',
  'destinations',
  'images',
  'namespaces',
];
/** A card lists this many of each kind of entity; a source flood does not make the page heavy. */
const MAX_ENTITIES = 50;
const MAX_TEXT = 300;
const MAX_LONG_TEXT = 1000;

function anchorOf(incident: Incident, i: number): string {
  const safe = incident.id.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 60);
  return `incident-${safe || i}`;
}

/** Most severe first, then the one seen last, then by id, so that the same incidents always give the same page. */
function byImportance(a: Incident, b: Incident): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    b.lastSeen.localeCompare(a.lastSeen) ||
    a.id.localeCompare(b.id)
  );
}

/** Log text as a card shows it: control characters and bidirectional overrides escaped, length bounded. */
function text(value: string, max = MAX_TEXT): string {
  return printable(value, max);
}

function entityLists(entities: IncidentEntities): ReportEntityList[] {
  return ENTITY_KINDS.flatMap((kind) => {
    const all = entities[kind];
    if (all.length === 0) return [];
    return [
      { kind, values: all.slice(0, MAX_ENTITIES).map((v) => text(v)), more: Math.max(0, all.length - MAX_ENTITIES) },
    ];
  });
}

/** The union of placements, each link and node once, in the order first met. */
function union(places: readonly FindingPlacement[]): FindingPlacement {
  const links = new Set<string>();
  const nodes = new Set<string>();
  for (const place of places) {
    for (const id of place.links) links.add(id);
    for (const id of place.nodes) nodes.add(id);
  }
  return { links: [...links], nodes: [...nodes], exposure: places.some((p) => p.exposure) };
}

/** What the report shows of its incidents, and which incident card each finding row links to. */
export interface ReportIncidents {
  incidents: ReportIncident[];
  /** Per finding of the report, by index: the anchor of its incident's card, when it has one. */
  findingIncident: (string | undefined)[];
}

/** One incident per id, in card order: when the same incident comes twice (a retry), the more severe, later copy wins. */
function uniqueInOrder(incidents: readonly Incident[]): Map<string, Incident> {
  const byId = new Map<string, Incident>();
  for (const incident of [...incidents].sort(byImportance)) {
    if (!byId.has(incident.id)) byId.set(incident.id, incident);
  }
  return byId;
}

/** Each card's fragment id, by incident id; ids that clean up the same get a suffix. */
function cardAnchors(ordered: readonly Incident[]): Map<string, string> {
  const anchors = new Map<string, string>();
  const used = new Set<string>();
  ordered.forEach((incident, i) => {
    let anchor = anchorOf(incident, i);
    if (used.has(anchor)) anchor = `${anchor}-${i}`;
    used.add(anchor);
    anchors.set(incident.id, anchor);
  });
  return anchors;
}

/** Per incident id, the indexes of its findings in the report: those it lists, then those that name it. */
function membersOf(
  byId: ReadonlyMap<string, Incident>,
  findings: readonly Finding[],
  findingIndex: ReadonlyMap<string, number>,
): Map<string, Set<number>> {
  const members = new Map<string, Set<number>>();
  const add = (incidentId: string, i: number) => members.set(incidentId, (members.get(incidentId) ?? new Set()).add(i));
  for (const incident of byId.values()) {
    for (const id of incident.findings) {
      const i = findingIndex.get(id);
      if (i !== undefined) add(incident.id, i);
    }
  }
  findings.forEach((f, i) => {
    if (f.incidentId !== undefined && byId.has(f.incidentId)) add(f.incidentId, i);
  });
  return members;
}

/**
 * The incident each finding's row links to: the one it names, else the first (in card order)
 * that lists it; then along `mergedInto` to the incident that took its findings, while that one
 * is in the report.
 */
function rowIncidents(byId: ReadonlyMap<string, Incident>, findings: readonly Finding[]): (Incident | undefined)[] {
  const listedIn = new Map<string, Incident>();
  for (const incident of byId.values()) {
    for (const id of incident.findings) if (!listedIn.has(id)) listedIn.set(id, incident);
  }
  const live = (start: Incident): Incident => {
    let current = start;
    for (let hops = 0; hops < 10 && current.mergedInto !== undefined; hops++) {
      const next = byId.get(current.mergedInto);
      if (!next) break;
      current = next;
    }
    return current;
  };
  return findings.map((f) => {
    const first = (f.incidentId !== undefined ? byId.get(f.incidentId) : undefined) ?? listedIn.get(f.id);
    return first ? live(first) : undefined;
  });
}

/** The incidents an incident names, each with its card's anchor when it is in the report. */
function relatedOf(incident: Incident, anchors: ReadonlyMap<string, string>): ReportIncidentRef[] {
  const ref = (relation: ReportIncidentRef['relation'], id: string): ReportIncidentRef => {
    const anchor = anchors.get(id);
    return { relation, id: text(id, 200), ...(anchor ? { anchor } : {}) };
  };
  return [
    ...(incident.linkedTo !== undefined ? [ref('continues', incident.linkedTo)] : []),
    ...(incident.mergedInto !== undefined ? [ref('merged into', incident.mergedInto)] : []),
    ...incident.merged.map((id) => ref('merged from', id)),
  ];
}

function timelineOf(incident: Incident, findingIndex: ReadonlyMap<string, number>): ReportTimelineEntry[] {
  return incident.timeline.map((entry) => {
    const finding = findingIndex.get(entry.findingId);
    return {
      time: entry.time,
      severity: entry.severity,
      ruleId: text(entry.ruleId, 200),
      title: text(entry.title),
      summary: text(entry.summary, MAX_LONG_TEXT),
      ...(entry.tactic !== undefined ? { tactic: text(entry.tactic, 100) } : {}),
      ...(entry.mutedBy !== undefined ? { mutedBy: text(entry.mutedBy, 200) } : {}),
      ...(entry.context ? { context: true as const } : {}),
      ...(finding !== undefined ? { finding } : {}),
    };
  });
}

function acknowledgedOf(incident: Incident): Pick<ReportIncident, 'acknowledged'> {
  const ack = incident.acknowledged;
  if (!ack) return {};
  return {
    acknowledged: {
      reason: text(ack.reason, MAX_LONG_TEXT),
      by: text(ack.by),
      at: ack.at,
      ...(ack.until !== undefined ? { until: ack.until } : {}),
    },
  };
}

/**
 * Builds the incident cards of the report from the run's incidents and findings, most severe
 * first, then the one seen last. Each card has its findings that are in the report and the union
 * of their places on the map, for "Show on map".
 */
export function buildReportIncidents(
  incidents: readonly Incident[],
  findings: readonly Finding[],
  placements: readonly FindingPlacement[],
): ReportIncidents {
  const byId = uniqueInOrder(incidents);
  const anchors = cardAnchors([...byId.values()]);
  const findingIndex = new Map<string, number>();
  findings.forEach((f, i) => {
    if (!findingIndex.has(f.id)) findingIndex.set(f.id, i);
  });
  const members = membersOf(byId, findings, findingIndex);
  const noPlace: FindingPlacement = { links: [], nodes: [], exposure: false };

  const cards = [...byId.values()].map((incident): ReportIncident => {
    const own = [...(members.get(incident.id) ?? [])];
    return {
      anchor: anchors.get(incident.id) as string,
      id: text(incident.id, 200),
      title: text(incident.title),
      severity: incident.severity,
      findingSeverity: incident.findingSeverity,
      status: incident.status,
      firstSeen: incident.firstSeen,
      lastSeen: incident.lastSeen,
      ...acknowledgedOf(incident),
      ...(incident.resolvedAt !== undefined ? { resolvedAt: incident.resolvedAt } : {}),
      entities: entityLists(incident.entities),
      tactics: incident.tactics.map((t) => text(t, 100)),
      joins: incident.joins.map((j) => ({
        key: text(j.key),
        findings: j.findings,
        because: text(j.because, MAX_LONG_TEXT),
      })),
      timeline: timelineOf(incident, findingIndex),
      messages: incident.messages,
      quiet: incident.quiet,
      related: relatedOf(incident, anchors),
      total: Math.max(incident.findings.length, own.length),
      findings: own,
      place: union(own.map((i) => placements[i] ?? noPlace)),
    };
  });
  const rows = rowIncidents(byId, findings);
  return { incidents: cards, findingIncident: rows.map((incident) => incident && anchors.get(incident.id)) };
}
