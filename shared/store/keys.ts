import { shardOf, stableHash } from '../util';

/**
 * The single-table layout. Every key is built here.
 *
 * | pk                              | sk                          | what                                  |
 * |---------------------------------|-----------------------------|---------------------------------------|
 * | `SCOPES`                        | scope                       | registry of scopes (clusters, VPCs)   |
 * | `SCOPE#<scope>`                 | `META`                      | first event time, pending days and their rows, prune cursor |
 * | `OBS#<scope>#<day>#<shard>`     | `<objectId>#<n>`            | one object's observations of one day, packed |
 * | `BL#<scope>#<kind>`             | value                       | baseline entry                        |
 * | `BLDAY#<scope>#<day>`           | `<kind>#<foldDay>#<part>#<n>` | values whose entries were last seen that day, packed (the prune's index) |
 * | `DEDUPE#<ruleId>#<hash>`        | `WINDOW`                    | alert dedupe window                   |
 * | `OBJECT#<objectId>`             | `DONE`                      | processed-object marker               |
 * | `OUTBOX#<ownerId>`              | findingId                   | a finding to publish, and whether it went |
 * | `COUNT#<scope>#<ruleId>#<window>` | `<objectId>#<n>`          | one object's counts in a window, packed (key, count) |
 * | `RBAC#<scope>#<kind>#<ns>#<name>` | `<iso time>#<auditId>`     | RBAC trail: versions of one object    |
 * | `RBACLOG#<scope>`               | `<iso time>#<auditId>`      | RBAC trail: every change, by time     |
 * | `PODIP#<address>`               | `MAP`                       | pod IP map: who held the address when |
 * | `NETMAP#<scope>#<day>#<shard>`  | `<HH>#<edgeHash>#<objectId>` | one object's hourly edges (packed rows) |
 * | `SCOPE#<scope>`                 | `NETMAP`                    | hourly-edge days not yet folded into edge stats, and their rows |
 * | `EDGEHIST#<scope>#<shard>`      | edge key                    | an edge's hourly values, the stats' input |
 * | `BL#<scope>#edge-hourly`        | edge key                    | an edge's hourly statistics           |
 * | `DISTINCT#<scope>#<ruleId>#<window>` | `<objectId>#<n>`       | one object's distinct values in a window, packed (key, value) |
 * | `CORRFIRST#<scope>#<ruleId>`    | `<keyHash>#<valueHash>`     | first sides of a correlation (public-facing workloads) |
 * | `CORR#<scope>#<ruleId>#<hash>`  | `second#<valueHash>`        | second sides of one key (what a workload reaches) |
 * | `FLOWSRC`                       | flow log id                 | when each flow log last delivered     |
 * | `SCOPE#<cluster>`               | `AUDITMARK`                 | audit watermark: newest audit event processed |
 * | `PENDING#<cluster>`             | `<dueAt>#<objectId>#<hour>#<n>` | flow edges waiting for the audit log (packed) |
 * | `INCIDENTS`                     | incident id                 | an incident: state, timeline, what was told |
 * | `INCIDENT#<id>`                 | `<time>#<findingId>`        | one of an incident's findings, whole  |
 * | `INCKEY#<cluster>#<hash>`       | `CURRENT`                   | the incident a correlation key last joined |
 * | `FINDING#<findingId>`           | `INCIDENT`                  | the incident a finding joined (once)  |
 * | `INCLOCK`                       | `LOCK`                      | who is changing incidents right now (a lease) |
 * | `SUPPRESS`                      | `RULE#<id>`                 | a suppression added at run time (the newest of its id) |
 * | `SUPPRESS`                      | `MUTED#<id>`                | notifications a suppression muted (config ones too) |
 * | `SUPPRESSLOG`                   | `<iso time>#<id>#<action>`  | every add and remove of a suppression: who, when, why |
 * | `DAILY#<day>`                   | cluster                     | a day's counters for the digest (objects, rejects, below threshold, muted) |
 * | `WORKLOAD#<cluster>`            | `<ns>/<name>`               | a workload's introduction and first flow (new-workload grace) |
 * | `THREATLIST`                    | list name                   | a fetched threat list's refresh status (the fetcher writes it) |
 * | `RUN#<job>`                     | scheduled time              | a scheduled run claimed by its state machine (the rebaseline's) |
 */
export const OBSERVATION_SHARDS = 8;

/**
 * The object a per-object row belongs to, from its sort key: `<objectId>#<n>` (observations,
 * `field` 0) or `<HH>#<objectId>#<n>` (hourly edges, `field` 1).
 */
export function objectOfSortKey(sk: string, field: number): string {
  return sk.split('#')[field] ?? '';
}

/** Sort keys are limited to 1 KB; long values are stored by hash and kept in an attribute. */
const MAX_VALUE_KEY = 512;

export function valueKey(value: string): string {
  return value.length <= MAX_VALUE_KEY ? value : `#${stableHash(value)}`;
}

export const keys = {
  scopes: () => 'SCOPES',
  scopeMeta: (scope: string) => ({ pk: `SCOPE#${scope}`, sk: 'META' }),
  observationPartition: (scope: string, day: string, shard: number) => `OBS#${scope}#${day}#${shard}`,
  baselinePartition: (scope: string, kind: string) => `BL#${scope}#${kind}`,
  baseline: (scope: string, kind: string, value: string) => ({
    pk: keys.baselinePartition(scope, kind),
    sk: valueKey(value),
  }),
  baselineDayIndex: (scope: string, day: string) => `BLDAY#${scope}#${day}`,
  /**
   * The attribute of a pending-days meta item that counts a pending day's rows, written as the rows
   * are (an ADD in the update that marks the day pending): what sizes the rebaseline's work items.
   */
  pendingRows: (day: string) => `rows#${day}`,
  dedupe: (ruleId: string, dedupeKey: string) => ({
    pk: `DEDUPE#${ruleId}#${stableHash(dedupeKey)}`,
    sk: 'WINDOW',
  }),
  object: (objectId: string) => ({ pk: `OBJECT#${objectId}`, sk: 'DONE' }),
  outbox: (ownerId: string) => `OUTBOX#${ownerId}`,
  windowCounts: (scope: string, ruleId: string, windowStart: number) => `COUNT#${scope}#${ruleId}#${windowStart}`,
  rbacObject: (scope: string, kind: string, namespace: string, name: string) =>
    `RBAC#${scope}#${kind}#${namespace}#${name}`,
  rbacLog: (scope: string) => `RBACLOG#${scope}`,
  podIp: (address: string) => ({ pk: `PODIP#${address}`, sk: 'MAP' }),
  // Hourly edges were first called the network map: the stored prefixes keep that name.
  hourlyEdgePartition: (scope: string, day: string, shard: number) => `NETMAP#${scope}#${day}#${shard}`,
  hourlyEdgeMeta: (scope: string) => ({ pk: `SCOPE#${scope}`, sk: 'NETMAP' }),
  edgeHistory: (scope: string, edgeKey: string) => ({
    pk: `EDGEHIST#${scope}#${shardOf(edgeKey, OBSERVATION_SHARDS)}`,
    sk: valueKey(edgeKey),
  }),
  distinctValues: (scope: string, ruleId: string, windowStart: number) => `DISTINCT#${scope}#${ruleId}#${windowStart}`,
  correlationFirsts: (scope: string, ruleId: string) => `CORRFIRST#${scope}#${ruleId}`,
  correlationPartition: (scope: string, ruleId: string, key: string) => `CORR#${scope}#${ruleId}#${stableHash(key)}`,
  flowSources: () => 'FLOWSRC',
  auditWatermark: (cluster: string) => ({ pk: `SCOPE#${cluster}`, sk: 'AUDITMARK' }),
  pendingEdges: (cluster: string) => `PENDING#${cluster}`,
  incidents: () => 'INCIDENTS',
  incident: (id: string) => ({ pk: 'INCIDENTS', sk: id }),
  incidentFindings: (id: string) => `INCIDENT#${id}`,
  incidentKey: (cluster: string, key: string) => ({ pk: `INCKEY#${cluster}#${stableHash(key)}`, sk: 'CURRENT' }),
  findingIncident: (findingId: string) => ({ pk: `FINDING#${findingId}`, sk: 'INCIDENT' }),
  incidentLock: () => ({ pk: 'INCLOCK', sk: 'LOCK' }),
  suppressions: () => 'SUPPRESS',
  suppressionRule: (id: string) => ({ pk: keys.suppressions(), sk: `RULE#${id}` }),
  suppressionMuted: (id: string) => ({ pk: keys.suppressions(), sk: `MUTED#${id}` }),
  suppressionLog: () => 'SUPPRESSLOG',
  dailyCountsPartition: (day: string) => `DAILY#${day}`,
  dailyCounts: (day: string, cluster: string) => ({ pk: keys.dailyCountsPartition(day), sk: cluster }),
  workload: (cluster: string, workload: string) => ({ pk: `WORKLOAD#${cluster}`, sk: valueKey(workload) }),
  /** The only partition the threat-list fetcher writes: the stack grants it no other (`dynamodb:LeadingKeys`). */
  threatLists: () => 'THREATLIST',
  threatListStatus: (name: string) => ({ pk: keys.threatLists(), sk: name }),
  /** Written by the deployed state machine itself (infra/rebaseline-workflow.ts), never by the engine. */
  scheduledRuns: (job: string) => `RUN#${job}`,
};

/** The row counters of a pending-days meta item ({@link keys.pendingRows}), by day. */
export function pendingRowsOf(item: Record<string, unknown> | undefined): Record<string, number> {
  const rows: Record<string, number> = {};
  const prefix = keys.pendingRows('');
  for (const [name, value] of Object.entries(item ?? {})) {
    if (name.startsWith(prefix) && typeof value === 'number') rows[name.slice(prefix.length)] = value;
  }
  return rows;
}
