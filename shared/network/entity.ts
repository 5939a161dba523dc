/**
 * Who an address is, as far as Driftwatch can tell: a workload (from pod IPs the audit log
 * reported), a node, a load balancer, a labelled CIDR, an AWS service, or the outside world.
 * Hourly edges, the report's map and flow findings name entities instead of bare IPs.
 */
export type EntityKind =
  | 'workload'
  | 'pod'
  | 'node'
  | 'load-balancer'
  | 'cidr'
  | 'aws-service'
  | 'external'
  | 'unknown';

export interface NetworkEntity {
  /** Stable id, unique within a scope: `workload:payments/api`, `cidr:rds-subnets`, `external:203.0.113.0/24`. */
  id: string;
  /** What a person reads: `payments/api`, `rds-subnets (10.0.200.0/24)`, `203.0.113.0/24`. */
  label: string;
  /** How the map groups nodes: the namespace, the CIDR label, `internet`, `aws`. */
  group: string;
  kind: EntityKind;
  namespace?: string;
  /** The workload's owner kind and name, when known (Deployment/payments-api). */
  owner?: string;
  /** The pod, for a workload attributed from a pod IP. */
  pod?: string;
  /** The range that named it: a labelled CIDR, or for an unknown address its /24 (IPv6: /64). */
  cidr?: string;
  /** A configured public entry point (a load balancer's subnet, address or interface). */
  entryPoint?: true;
  /** In a configured sensitive range. */
  sensitive?: true;
  /**
   * The cluster of a workload or pod named apart from the configured cluster's (see
   * `ClusterMap`): absent for the configured cluster's, whose names stay as they were.
   */
  cluster?: string;
}

/** `shop/web` for the configured cluster, `batch:shop/web` for a workload of cluster `batch`. */
function clustered(name: string, cluster: string | undefined): string {
  return cluster === undefined ? name : `${cluster}:${name}`;
}

/**
 * A workload, named `namespace/name`; a workload of a cluster named apart (`extra.cluster`),
 * `cluster:namespace/name`, in a group of its cluster's namespace.
 */
export function workloadEntity(
  namespace: string,
  name: string,
  extra: { owner?: string; pod?: string; cluster?: string } = {},
): NetworkEntity {
  const { cluster } = extra;
  return {
    id: `workload:${clustered(`${namespace}/${name}`, cluster)}`,
    label: clustered(`${namespace}/${name}`, cluster),
    group: clustered(namespace, cluster),
    kind: 'workload',
    namespace,
    ...(extra.owner ? { owner: extra.owner } : {}),
    ...(extra.pod ? { pod: extra.pod } : {}),
    ...(cluster !== undefined ? { cluster } : {}),
  };
}

/** A pod without a known owner: named `namespace/pod` (`cluster:namespace/pod` for a cluster named apart). */
export function podEntity(namespace: string, pod: string, cluster?: string): NetworkEntity {
  return {
    id: `pod:${clustered(`${namespace}/${pod}`, cluster)}`,
    label: clustered(`${namespace}/${pod}`, cluster),
    group: clustered(namespace, cluster),
    kind: 'pod',
    namespace,
    pod,
    ...(cluster !== undefined ? { cluster } : {}),
  };
}

/**
 * A node, by its Kubernetes name: an instance's name, which no two clusters share at once, so
 * the id is not named apart; a node of a cluster named apart carries its cluster.
 */
export function nodeEntity(name: string, cluster?: string): NetworkEntity {
  return {
    id: `node:${name}`,
    label: name.split('.')[0] ?? name,
    group: 'nodes',
    kind: 'node',
    ...(cluster !== undefined ? { cluster } : {}),
  };
}

/** A public entry point; named by its label (one entity for all its addresses), else by its address. */
export function entryPointEntity(address: string, label?: string, cidr?: string): NetworkEntity {
  return {
    id: label ? `entry:${label}` : `entry:${address}`,
    label: label ?? `public entry point ${address}`,
    group: label ?? 'entry points',
    kind: 'load-balancer',
    entryPoint: true,
    ...(cidr ? { cidr } : {}),
  };
}

/** A labelled range: `rds-subnets (10.0.200.0/24)`. */
export function cidrEntity(label: string, cidr: string, sensitive = false): NetworkEntity {
  return {
    id: `cidr:${label}`,
    label: `${label} (${cidr})`,
    group: label,
    kind: 'cidr',
    cidr,
    ...(sensitive ? { sensitive: true as const } : {}),
  };
}

/** An internal address nobody claimed: the address, and its /24 as the subnet. */
export function unknownEntity(address: string, subnet: string, group = 'vpc'): NetworkEntity {
  return { id: `ip:${address}`, label: address, group, kind: 'unknown', cidr: subnet };
}

/** An AWS service, by the name flow logs give it (`S3`, `DYNAMODB`). */
export function awsServiceEntity(service: string): NetworkEntity {
  return { id: `aws:${service}`, label: service, group: 'aws', kind: 'aws-service' };
}

/** A public block (/24 or /48). */
export function externalEntity(block: string): NetworkEntity {
  return { id: `external:${block}`, label: block, group: 'internet', kind: 'external' };
}
