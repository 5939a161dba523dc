import { severityRank } from '../config';
import { DAY_MS, dayStart } from '../util';
import type { DayTotals } from './daily-counts';
import type { Digest, Incident, IncidentLine, IncidentMessage } from './types';

/** Where one scope (a cluster or a VPC) is in its learning period, as the digest shows it. */
export type LearningLine = Digest['learning'][number];

export interface DigestInput {
  /** The UTC day the digest covers, YYYY-MM-DD. */
  day: string;
  cluster: string;
  /** Incidents to classify; those of other clusters are left out. */
  incidents: readonly Incident[];
  /** The day's counters for the cluster. */
  counts: DayTotals;
  learning: readonly LearningLine[];
  /** Messages waiting in each dead-letter queue, by queue name, when they could be read. */
  deadLetters?: Record<string, number>;
}

/**
 * The daily digest of one cluster and day, from what the stores hold: incidents opened in the
 * day, incidents opened earlier that had findings in it, and incidents still open or acknowledged
 * that had none; the day's counters; learning; pipeline health. Pure: the same input gives the
 * same digest, so a retried run describes the day the same way.
 *
 * An incident is in one list at most. Merged incidents are left out (their findings are in the
 * incident that took them), and so are incidents first seen after the day: the next digest has them.
 */
export function buildDigest(input: DigestInput): Digest {
  const start = dayStart(input.day);
  const end = start + DAY_MS;
  const inDay = (time: string) => {
    const t = Date.parse(time);
    return t >= start && t < end;
  };
  const opened: Incident[] = [];
  const updated: Incident[] = [];
  const stillOpen: Incident[] = [];
  for (const incident of input.incidents) {
    if (incident.cluster !== input.cluster || incident.status === 'merged') continue;
    const firstSeen = Date.parse(incident.firstSeen);
    if (firstSeen >= end) continue;
    if (firstSeen >= start) opened.push(incident);
    // A finding after the day moves lastSeen past it; the timeline still shows the day's findings.
    else if (inDay(incident.lastSeen) || incident.timeline.some((entry) => inDay(entry.time))) updated.push(incident);
    else if (incident.status === 'open' || incident.status === 'acknowledged') stillOpen.push(incident);
  }
  return {
    day: input.day,
    cluster: input.cluster,
    opened: lines(opened),
    updated: lines(updated),
    stillOpen: lines(stillOpen),
    belowThreshold: { ...input.counts.below },
    muted: { ...input.counts.muted },
    learning: [...input.learning].sort((a, b) => a.scope.localeCompare(b.scope)),
    health: {
      objects: input.counts.objects,
      rejected: input.counts.rejected,
      ...(input.deadLetters ? { deadLetters: { ...input.deadLetters } } : {}),
    },
  };
}

/**
 * The digest as a message. Its id names the cluster and day, so the outbox holds one per cluster
 * and day however often the scheduled run is retried.
 */
export function digestMessage(digest: Digest): IncidentMessage {
  return {
    id: digestMessageId(digest.cluster, digest.day),
    kind: 'digest',
    severity: 'info',
    cluster: digest.cluster,
    ruleIds: ['digest'],
    reason: 'daily digest',
    findings: [],
    digest,
  };
}

function digestMessageId(cluster: string, day: string): string {
  return `digest#${cluster}#${day}`;
}

/** The most severe first, then the most recently active. */
function lines(incidents: readonly Incident[]): IncidentLine[] {
  return [...incidents]
    .sort(
      (a, b) =>
        severityRank(b.severity) - severityRank(a.severity) ||
        b.lastSeen.localeCompare(a.lastSeen) ||
        a.id.localeCompare(b.id),
    )
    .map((incident) => ({
      id: incident.id,
      title: incident.title,
      severity: incident.severity,
      status: incident.status,
      firstSeen: incident.firstSeen,
      lastSeen: incident.lastSeen,
      findings: incident.findings.length,
    }));
}
