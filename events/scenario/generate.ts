import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { AuditLog, type AuditRecord } from './audit-log';
import { CLUSTER, nodesOf, VPC_ID } from './cluster';
import { type AuditTarget, auditObject, type DeliveredObject, flowObject } from './delivery';
import { addGitOpsAgent, gitOpsTrafficOfHour, planExistingClusterChanges, podRestartsOfDay } from './existing-cluster';
import { FlowLog } from './flow-log';
import { Identities } from './identities';
import { INCIDENTS } from './incidents';
import type { Activity } from './lifecycle';
import { backgroundOfHour, peopleOfDay, planChanges, podStatusOfDay } from './normal-life';
import { streamOf } from './prng';
import { type ClusterCopy, clusterCopy, isDefaultScale, resolveScale } from './scale';
import { planStaging, STAGING_AUDIT, type Staging } from './staging';
import { trafficOfHour } from './traffic';
import {
  FLOW_FORMATS,
  type FlowFormat,
  SCENARIO_VARIANTS,
  ScenarioError,
  type ScenarioManifest,
  type ScenarioOptions,
  type ScenarioScale,
  type ScenarioVariant,
} from './types';
import { World } from './world';

export type { IncidentContext, IncidentDefinition } from './incidents';
export { INCIDENTS } from './incidents';
export type {
  AddressHolder,
  AddressReuse,
  PlantedIncident,
  ScenarioManifest,
  ScenarioOptions,
  ScenarioScale,
  ScenarioVariant,
} from './types';
export { SCENARIO_VARIANTS, ScenarioError } from './types';

const DEFAULTS = { seed: 42, days: 14, start: '2026-11-01T00:00:00Z' } as const;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

function startOf(text: string): number {
  const start = Date.parse(text);
  if (!Number.isFinite(start)) throw new ScenarioError(`start must be an ISO-8601 time, not ${JSON.stringify(text)}`);
  if (start % DAY_MS !== 0) throw new ScenarioError(`start must be midnight UTC, such as ${DEFAULTS.start}`);
  return start;
}

/** Groups items by scenario hour; items outside the scenario are dropped. */
function byHour<T>(items: readonly T[], hourOf: (item: T) => number, hours: number): T[][] {
  const buckets: T[][] = Array.from({ length: hours }, () => []);
  for (const item of items) {
    const hour = hourOf(item);
    if (hour >= 0 && hour < hours) buckets[hour]?.push(item);
  }
  return buckets;
}

function timeOfDay(at: string): number {
  const m = /^(\d{2}):(\d{2}):(\d{2})$/.exec(at);
  if (!m) throw new ScenarioError(`incident time ${at} is not HH:MM:SS`);
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000;
}

/** Where a cluster's hours go: each object to `deliver`, the manifest counting them. */
type Deliver = (object: DeliveredObject | undefined) => void;

interface ClusterRun {
  seed: number;
  start: number;
  days: number;
  scale: Required<ScenarioScale>;
  variant: ScenarioVariant;
  flowFormat: FlowFormat;
  /** Another cluster than `shop-prod` (scale.ts): no incidents, and its logs rewritten. */
  copy?: ClusterCopy;
}

/** The hour's records, as `parts` slices of the hour in time order (one slice when unscaled). */
function slices<T>(items: T[], parts: number, hourStart: number, timeOf: (item: T) => number): T[][] {
  if (parts === 1) return [items];
  const out: T[][] = Array.from({ length: parts }, () => []);
  for (const item of items) {
    const part = Math.min(parts - 1, Math.max(0, Math.floor(((timeOf(item) - hourStart) * parts) / HOUR_MS)));
    out[part]?.push(item);
  }
  return out;
}

/**
 * One cluster's days, hour by hour: its planned changes and incidents, then each hour's steady
 * hum, delivered before the next hour is generated. Incidents go into `manifest`.
 */
async function generateCluster(run: ClusterRun, manifest: ScenarioManifest, deliver: Deliver): Promise<void> {
  const { seed, start, days, scale, flowFormat, copy } = run;
  const hours = days * 24;
  const existing = run.variant === 'existing-cluster';
  const activity: Activity = {
    seed,
    start,
    days,
    world: new World(seed, start, { nodes: nodesOf(scale.nodes), replicas: scale.replicas }),
    audit: new AuditLog(),
    ids: new Identities(seed),
  };
  const flows = new FlowLog();

  // Changes first (releases, autoscaling, incidents): they decide which pods exist when.
  if (existing) {
    addGitOpsAgent(activity.world);
    planExistingClusterChanges(activity);
  } else {
    planChanges(activity);
  }
  const notes = new Map<string, unknown>();
  for (const incident of copy ? [] : INCIDENTS) {
    if (incident.day > days) continue;
    const time = start + (incident.day - 1) * DAY_MS + timeOfDay(incident.at);
    const entities = incident.plant({ ...activity, flows, rng: streamOf(seed, 'incident', incident.id), time, notes });
    manifest.incidents.push({
      id: incident.id,
      day: incident.day,
      time: new Date(time).toISOString(),
      description: incident.description,
      expectedRuleIds: [...incident.expectedRuleIds],
      attack: incident.partOf ?? incident.id,
      entities,
    });
  }
  for (let day = 1; day <= days; day++) {
    peopleOfDay(activity, day);
    if (existing) podRestartsOfDay(activity, day);
    else podStatusOfDay(activity, day);
  }
  const staging: Staging | undefined = existing ? planStaging(activity) : undefined;
  if (staging) manifest.addressReuse = staging.reuse ? [staging.reuse] : [];

  // Then hour by hour: the steady hum of the hour joins what was planned for it, and the hour's
  // objects are written before the next hour is generated.
  const hourOf = (ms: number) => Math.floor((ms - start) / HOUR_MS);
  const plannedAudit = byHour(activity.audit.drain(), (r) => hourOf(r.stageTime / 1000), hours);
  const plannedFlows = byHour(flows.drain(), (l) => hourOf(l.start * 1000), hours);
  const plannedStaging = staging ? byHour(staging.audit.drain(), (r) => hourOf(r.stageTime / 1000), hours) : [];
  const parts = scale.objectsPerHour;
  const rewrite = copy?.rewrite;
  const audit = (hour: number, records: AuditRecord[], target?: AuditTarget) => {
    const hourStart = start + hour * HOUR_MS;
    slices(records, parts, hourStart, (r) => r.stageTime / 1000).forEach((slice, part) => {
      deliver(auditObject(seed, start, hour, slice, target, { part, parts, rewrite }));
    });
  };
  for (let hour = 0; hour < hours; hour++) {
    const hourStart = start + hour * HOUR_MS;
    backgroundOfHour(activity, hourStart);
    trafficOfHour(activity, flows, hourStart, scale.traffic);
    if (staging) {
      gitOpsTrafficOfHour(activity, flows, hourStart);
      staging.hour(hourStart, flows);
      audit(hour, [...(plannedStaging[hour] ?? []), ...staging.audit.drain()], STAGING_AUDIT);
    }
    audit(hour, [...(plannedAudit[hour] ?? []), ...activity.audit.drain()], copy?.audit);
    const lines = [...(plannedFlows[hour] ?? []), ...flows.drain()];
    slices(lines, parts, hourStart, (l) => l.start * 1000).forEach((slice, part) => {
      deliver(flowObject(seed, start, hour, slice, flowFormat, { part, parts, rewrite }));
    });
    // Give other work on the event loop a turn once per generated day.
    if (hour % 24 === 23) await setImmediate();
  }
}

/**
 * Generates the sample scenario: `days` days of the `shop-prod` EKS cluster's audit log and its
 * VPC's flow logs, as AWS delivers them to S3, with incidents planted after the learning
 * period. Seeded, so the same options give byte-identical objects. Writes the objects and
 * `manifest.json` under `outDir` and returns the manifest. The `existing-cluster` variant logs
 * a cluster that ran long before, deployed by Argo CD, next to a second cluster in the same VPC
 * (existing-cluster.ts, staging.ts). `scale` grows the world (scale.ts): more clusters, nodes,
 * replicas, traffic and objects, with the same incidents planted in `shop-prod`.
 */
export async function generateScenario(options: ScenarioOptions): Promise<ScenarioManifest> {
  const seed = options.seed ?? DEFAULTS.seed;
  const days = options.days ?? DEFAULTS.days;
  if (!Number.isInteger(seed)) throw new ScenarioError(`seed must be an integer, not ${seed}`);
  if (!Number.isInteger(days) || days < 1 || days > 60) {
    throw new ScenarioError(`days must be a whole number from 1 to 60, not ${days}`);
  }
  const start = startOf(options.start ?? DEFAULTS.start);
  const variant = options.variant ?? 'fresh';
  if (!SCENARIO_VARIANTS.includes(variant)) {
    throw new ScenarioError(`variant must be one of ${SCENARIO_VARIANTS.join(', ')}, not ${JSON.stringify(variant)}`);
  }
  const flowFormat = options.flowFormat ?? 'stack';
  if (!FLOW_FORMATS.includes(flowFormat)) {
    throw new ScenarioError(`flowFormat must be one of ${FLOW_FORMATS.join(', ')}, not ${JSON.stringify(flowFormat)}`);
  }
  const scale = resolveScale(options.scale);
  const scaled = !isDefaultScale(scale);
  if (scaled && variant !== 'fresh') {
    throw new ScenarioError(`scale works on the fresh variant only, not on ${variant}`);
  }

  const manifest: ScenarioManifest = {
    start: new Date(start).toISOString(),
    days,
    seed,
    cluster: CLUSTER,
    vpcId: VPC_ID,
    objects: 0,
    auditEvents: 0,
    flowRecords: 0,
    incidents: [],
  };
  if (flowFormat !== 'stack') manifest.flowFormat = flowFormat;
  if (variant !== 'fresh') {
    manifest.variant = variant;
    manifest.clusters = [CLUSTER, STAGING_AUDIT.cluster];
  }
  const copies = Array.from({ length: scale.clusters - 1 }, (_, i) => clusterCopy(i + 2));
  if (scaled) manifest.scale = scale;
  if (copies.length > 0) {
    manifest.clusters = [CLUSTER, ...copies.map((c) => c.name)];
    manifest.vpcs = [
      { cluster: CLUSTER, vpcId: VPC_ID, cidr: '10.0.0.0/16' },
      ...copies.map((c) => ({ cluster: c.name, vpcId: c.vpcId, cidr: c.cidr })),
    ];
  }
  // Plain synchronous writes: a few hundred small files go faster this way than through the
  // thread pool, and generation is CPU-bound anyway.
  mkdirSync(options.outDir, { recursive: true });
  const folders = new Set<string>();
  const deliver: Deliver = (object) => {
    if (!object) return;
    manifest.objects++;
    if (object.key.startsWith('audit/')) manifest.auditEvents += object.records;
    else manifest.flowRecords += object.records;
    const path = join(options.outDir, object.key);
    const folder = dirname(path);
    if (!folders.has(folder)) {
      mkdirSync(folder, { recursive: true });
      folders.add(folder);
    }
    writeFileSync(path, object.body);
  };
  const run = { seed, start, days, scale, variant, flowFormat };
  await generateCluster(run, manifest, deliver);
  // Each further cluster from a seed of its own: the same kind of life, not the same events.
  for (const [i, copy] of copies.entries()) {
    await generateCluster(
      { ...run, seed: streamOf(seed, 'cluster', i + 2).int(0, 2 ** 31 - 1), copy },
      manifest,
      deliver,
    );
  }
  writeFileSync(join(options.outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
