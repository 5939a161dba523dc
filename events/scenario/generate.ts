import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { AuditLog } from './audit-log';
import { CLUSTER, VPC_ID } from './cluster';
import { auditObject, type DeliveredObject, flowObject } from './delivery';
import { addGitOpsAgent, gitOpsTrafficOfHour, planExistingClusterChanges, podRestartsOfDay } from './existing-cluster';
import { FlowLog } from './flow-log';
import { Identities } from './identities';
import { INCIDENTS } from './incidents';
import type { Activity } from './lifecycle';
import { backgroundOfHour, peopleOfDay, planChanges, podStatusOfDay } from './normal-life';
import { streamOf } from './prng';
import { planStaging, STAGING_AUDIT, type Staging } from './staging';
import { trafficOfHour } from './traffic';
import {
  FLOW_FORMATS,
  type PlantedIncident,
  SCENARIO_VARIANTS,
  ScenarioError,
  type ScenarioManifest,
  type ScenarioOptions,
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

/**
 * Generates the sample scenario: `days` days of the `shop-prod` EKS cluster's audit log and its
 * VPC's flow logs, as AWS delivers them to S3, with incidents planted after the learning
 * period. Seeded, so the same options give byte-identical objects. Writes the objects and
 * `manifest.json` under `outDir` and returns the manifest. The `existing-cluster` variant logs
 * a cluster that ran long before, deployed by Argo CD, next to a second cluster in the same VPC
 * (existing-cluster.ts, staging.ts).
 */
export async function generateScenario(options: ScenarioOptions): Promise<ScenarioManifest> {
  const seed = options.seed ?? DEFAULTS.seed;
  const days = options.days ?? DEFAULTS.days;
  if (!Number.isInteger(seed)) throw new ScenarioError(`seed must be an integer, not ${seed}`);
  if (!Number.isInteger(days) || days < 1 || days > 60) {
    throw new ScenarioError(`days must be a whole number from 1 to 60, not ${days}`);
  }
  const start = startOf(options.start ?? DEFAULTS.start);
  const hours = days * 24;
  const variant = options.variant ?? 'fresh';
  if (!SCENARIO_VARIANTS.includes(variant)) {
    throw new ScenarioError(`variant must be one of ${SCENARIO_VARIANTS.join(', ')}, not ${JSON.stringify(variant)}`);
  }
  const existing = variant === 'existing-cluster';
  const flowFormat = options.flowFormat ?? 'stack';
  if (!FLOW_FORMATS.includes(flowFormat)) {
    throw new ScenarioError(`flowFormat must be one of ${FLOW_FORMATS.join(', ')}, not ${JSON.stringify(flowFormat)}`);
  }

  const activity: Activity = {
    seed,
    start,
    days,
    world: new World(seed, start),
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
  const incidents: PlantedIncident[] = [];
  for (const incident of INCIDENTS) {
    if (incident.day > days) continue;
    const time = start + (incident.day - 1) * DAY_MS + timeOfDay(incident.at);
    const entities = incident.plant({ ...activity, flows, rng: streamOf(seed, 'incident', incident.id), time, notes });
    incidents.push({
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

  // Then hour by hour: the steady hum of the hour joins what was planned for it, and the hour's
  // objects are written before the next hour is generated.
  const hourOf = (ms: number) => Math.floor((ms - start) / HOUR_MS);
  const plannedAudit = byHour(activity.audit.drain(), (r) => hourOf(r.stageTime / 1000), hours);
  const plannedFlows = byHour(flows.drain(), (l) => hourOf(l.start * 1000), hours);
  const plannedStaging = staging ? byHour(staging.audit.drain(), (r) => hourOf(r.stageTime / 1000), hours) : [];
  const manifest: ScenarioManifest = {
    start: new Date(start).toISOString(),
    days,
    seed,
    cluster: CLUSTER,
    vpcId: VPC_ID,
    objects: 0,
    auditEvents: 0,
    flowRecords: 0,
    incidents,
  };
  if (flowFormat !== 'stack') manifest.flowFormat = flowFormat;
  if (staging) {
    manifest.variant = variant;
    manifest.clusters = [CLUSTER, STAGING_AUDIT.cluster];
    manifest.addressReuse = staging.reuse ? [staging.reuse] : [];
  }
  // Plain synchronous writes: a few hundred small files go faster this way than through the
  // thread pool, and generation is CPU-bound anyway.
  mkdirSync(options.outDir, { recursive: true });
  const folders = new Set<string>();
  const deliver = (object: DeliveredObject | undefined) => {
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
  for (let hour = 0; hour < hours; hour++) {
    const hourStart = start + hour * HOUR_MS;
    backgroundOfHour(activity, hourStart);
    trafficOfHour(activity, flows, hourStart);
    if (staging) {
      gitOpsTrafficOfHour(activity, flows, hourStart);
      staging.hour(hourStart, flows);
      const records = [...(plannedStaging[hour] ?? []), ...staging.audit.drain()];
      deliver(auditObject(seed, start, hour, records, STAGING_AUDIT));
    }
    deliver(auditObject(seed, start, hour, [...(plannedAudit[hour] ?? []), ...activity.audit.drain()]));
    deliver(flowObject(seed, start, hour, [...(plannedFlows[hour] ?? []), ...flows.drain()], flowFormat));
    // Give other work on the event loop a turn once per generated day.
    if (hour % 24 === 23) await setImmediate();
  }
  writeFileSync(join(options.outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
