import { API_SERVER_INSTANCES, CLUSTER, VPC_ID } from './cluster';
import type { AuditTarget } from './delivery';
import { ScenarioError, type ScenarioManifest, type ScenarioScale } from './types';

/** The sample scenario's size: these values write it byte for byte. */
export const DEFAULT_SCALE: Readonly<Required<ScenarioScale>> = {
  clusters: 1,
  nodes: 3,
  replicas: 1,
  traffic: 1,
  objectsPerHour: 1,
};

/**
 * Bounds of each knob. Clusters: one hex digit renumbers a copy's resource ids. Replicas: every
 * node's pods share one /24, so more replicas than five per node would run out of addresses.
 */
const LIMITS: Record<keyof ScenarioScale, { min: number; max: number; what: string }> = {
  clusters: { min: 1, max: 16, what: 'clusters' },
  nodes: { min: 3, max: 150, what: 'nodes per cluster' },
  replicas: { min: 1, max: 50, what: 'a multiplier of Deployment replicas' },
  traffic: { min: 1, max: 50, what: 'a multiplier of conversations per capture window' },
  objectsPerHour: { min: 1, max: 60, what: 'objects per source and hour' },
};

/** The largest `scale` preset: 3 × 50 nodes is the most `nodes` allows. */
const MAX_PRESET = 50;

/** Every knob of `scale`, defaults filled in, or a {@link ScenarioError} naming the first wrong one. */
export function resolveScale(scale: ScenarioScale = {}): Required<ScenarioScale> {
  const out = { ...DEFAULT_SCALE };
  for (const [name, value] of Object.entries(scale) as [keyof ScenarioScale, unknown][]) {
    const limit = LIMITS[name];
    if (!limit)
      throw new ScenarioError(`scale has no knob ${JSON.stringify(name)}; use ${Object.keys(LIMITS).join(', ')}`);
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < limit.min || value > limit.max) {
      throw new ScenarioError(
        `scale.${name} (${limit.what}) must be a whole number from ${limit.min} to ${limit.max}, not ${JSON.stringify(value)}`,
      );
    }
    out[name] = value;
  }
  if (out.replicas > out.nodes * 5) {
    throw new ScenarioError(
      `scale.replicas ${out.replicas} needs at least ${Math.ceil(out.replicas / 5)} nodes (five replicas per node at most), not ${out.nodes}`,
    );
  }
  return out;
}

/** True when `scale` is the sample scenario's size, so that the manifest leaves `scale` out. */
export function isDefaultScale(scale: Required<ScenarioScale>): boolean {
  return (Object.keys(DEFAULT_SCALE) as (keyof ScenarioScale)[]).every((k) => scale[k] === DEFAULT_SCALE[k]);
}

/**
 * The knobs of the `scale` preset `factor` (`driftwatch analyze --scale 5`): `factor` times the
 * nodes and the replicas, so that pods, traffic edges and records grow about `factor` times
 * while each node stays as busy as the sample's. 1 is the sample scenario.
 */
export function scenarioScale(factor: number): ScenarioScale {
  if (!Number.isInteger(factor) || factor < 1 || factor > MAX_PRESET) {
    throw new ScenarioError(`scale must be a whole number from 1 to ${MAX_PRESET}, not ${JSON.stringify(factor)}`);
  }
  return { nodes: DEFAULT_SCALE.nodes * factor, replicas: factor };
}

/** One more cluster of a scaled scenario: `shop-prod` renamed and renumbered. */
export interface ClusterCopy {
  name: string;
  vpcId: string;
  /** Its VPC's range, `10.<index - 1>.0.0/16`. */
  cidr: string;
  audit: AuditTarget;
  /** Turns text about `shop-prod` (log objects, object keys, config) into text about this cluster. */
  rewrite: (text: string) => string;
}

/**
 * Cluster `index` (2 or more) of a scaled scenario. It lives `shop-prod`'s normal life from a
 * seed of its own, and its logs are rewritten on the way out: addresses move from `10.0.x.x`
 * to its own VPC's `10.<index - 1>.x.x` (node names too), resource ids (instances, interfaces,
 * subnets, the VPC, the flow log) get their first hex digit from the index, and `shop-prod`
 * becomes its name. Its audit log goes under a prefix of its own, as a second Firehose stream
 * into the same bucket would write it. Rewriting text rather than threading a cluster through
 * every generator keeps the sample cluster's code as it is; the patterns only touch the VPC's
 * own addresses and ids (public addresses never start with `10.`).
 */
export function clusterCopy(index: number): ClusterCopy {
  const octet = index - 1;
  const name = `${CLUSTER}-${index}`;
  const rewrite = (text: string) =>
    text
      .replace(/(?<![\d.])10\.0\.(?=\d)/g, `10.${octet}.`)
      .replace(/\bip-10-0-(?=\d)/g, `ip-10-${octet}-`)
      .replace(/(?<![A-Za-z0-9])(eni|i|subnet|vpc|fl)-0(?=[0-9a-f])/g, `$1-${octet.toString(16)}`)
      .replaceAll(CLUSTER, name);
  return {
    name,
    vpcId: rewrite(VPC_ID),
    cidr: `10.${octet}.0.0/16`,
    audit: {
      // `shop-prod` in the log group name, as in every other line: the rewrite renames them all.
      cluster: CLUSTER,
      streams: API_SERVER_INSTANCES.map((i) => i.stream),
      firehose: `driftwatch-audit-${name}`,
      randomLabel: `firehose-${name}`,
      prefix: `audit/${name}/`,
    },
    rewrite,
  };
}

type Json = Record<string, unknown>;

/**
 * The sample scenario's config (`events/scenario/driftwatch.config.json`, parsed) for a scaled
 * manifest: each extra cluster's VPC range, its load balancer, NAT gateway, control plane and
 * database labelled as `shop-prod`'s are, its load balancer's interfaces as entry points, its
 * database as sensitive, and `network.clusters` saying which VPC and range is whose. With one
 * cluster, the config itself.
 */
export function scaledScenarioConfig(config: Json, manifest: ScenarioManifest): Json {
  const copies = (manifest.vpcs ?? []).slice(1).map((_, i) => clusterCopy(i + 2));
  if (copies.length === 0) return config;
  const network = (config.network ?? {}) as Json;
  const each = <T>(values: T[] | undefined): T[] => {
    const list = values ?? [];
    const text = JSON.stringify(list);
    return [...list, ...copies.flatMap((copy) => JSON.parse(copy.rewrite(text)) as T[])];
  };
  const entryPoints = (network.entryPoints ?? {}) as Json;
  const sensitive = (network.sensitive ?? {}) as Json;
  return {
    ...config,
    network: {
      ...network,
      vpcCidrs: each(network.vpcCidrs as string[] | undefined),
      labels: each(network.labels as unknown[] | undefined),
      entryPoints: { ...entryPoints, interfaces: each(entryPoints.interfaces as string[] | undefined) },
      sensitive: { ...sensitive, cidrs: each(sensitive.cidrs as unknown[] | undefined) },
      clusters: (manifest.vpcs ?? []).map((v) => ({ name: v.cluster, vpcs: [v.vpcId], cidrs: [v.cidr] })),
    },
  };
}
