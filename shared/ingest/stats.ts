/** Why a record or object was rejected. Bounded, so it can be a metric dimension. */
export type RejectReason =
  | 'malformed-json'
  | 'malformed-line'
  | 'field-count'
  | 'invalid-field'
  | 'oversized-record'
  | 'truncated-message'
  | 'truncated-object'
  | 'invalid-utf8'
  | 'malformed-parquet'
  | 'invalid-event'
  | 'unknown-header'
  | 'unrecognized-content'
  | 'read-error'
  | 'detector-error'
  /** Flow edges that waited for the audit log and failed to be decided (tried again later). */
  | 'waiting-edges-error';

export interface RejectSample {
  reason: RejectReason;
  uri: string;
  line?: number;
  record?: number;
  detail: string;
}

/** Counters of one run, or of one object. The reader fills them as it goes. */
export interface ReadStats {
  objects: number;
  /** Audit events and flow records delivered to the detectors. */
  events: number;
  /** Well-formed documents that are not audit events (CloudWatch control messages, other JSON). */
  skipped: Record<string, number>;
  rejected: Partial<Record<RejectReason, number>>;
  /** The first few rejects of each reason, with their location. */
  samples: RejectSample[];
  /** Flow-log health: NODATA and SKIPDATA records. */
  logHealth: { nodata: number; skipdata: number };
  /**
   * Flow objects whose records lacked a field of the stack's format, by field name (`tcp-flags`):
   * what tells which detectors ran degraded. Objects without records count nowhere.
   */
  flowFieldsMissing: Record<string, number>;
  bytesRead: number;
}

const SAMPLES_PER_REASON = 5;

export function newReadStats(): ReadStats {
  return {
    objects: 0,
    events: 0,
    skipped: {},
    rejected: {},
    samples: [],
    logHealth: { nodata: 0, skipdata: 0 },
    flowFieldsMissing: {},
    bytesRead: 0,
  };
}

/** Counts one flow object's missing fields. */
export function noteMissingFields(stats: ReadStats, fields: Iterable<string>): void {
  for (const field of fields) stats.flowFieldsMissing[field] = (stats.flowFieldsMissing[field] ?? 0) + 1;
}

export function reject(
  stats: ReadStats,
  reason: RejectReason,
  where: { uri: string; line?: number; record?: number },
  detail: string,
): void {
  const n = (stats.rejected[reason] ?? 0) + 1;
  stats.rejected[reason] = n;
  if (n <= SAMPLES_PER_REASON) {
    stats.samples.push({ reason, ...where, detail: detail.slice(0, 200) });
  }
}

export function skip(stats: ReadStats, what: string): void {
  stats.skipped[what] = (stats.skipped[what] ?? 0) + 1;
}

export function totalRejected(stats: ReadStats): number {
  return Object.values(stats.rejected).reduce((sum, n) => sum + (n ?? 0), 0);
}

/** Adds `from` into `into`. */
export function mergeStats(into: ReadStats, from: ReadStats): void {
  into.objects += from.objects;
  into.events += from.events;
  into.bytesRead += from.bytesRead;
  into.logHealth.nodata += from.logHealth.nodata;
  into.logHealth.skipdata += from.logHealth.skipdata;
  for (const [k, v] of Object.entries(from.skipped)) into.skipped[k] = (into.skipped[k] ?? 0) + v;
  addMissing(into.flowFieldsMissing, from.flowFieldsMissing);
  for (const [k, v] of Object.entries(from.rejected)) {
    const reason = k as RejectReason;
    into.rejected[reason] = (into.rejected[reason] ?? 0) + (v ?? 0);
  }
  for (const sample of from.samples) {
    if (into.samples.filter((s) => s.reason === sample.reason).length < SAMPLES_PER_REASON) {
      into.samples.push(sample);
    }
  }
}

function addMissing(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}
