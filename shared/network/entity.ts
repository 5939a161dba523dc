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
}

/** A workload, named `namespace/name`. */
export function workloadEntity(
  namespace: string,
  name: string,
  extra: { owner?: string; pod?: string } = {},
): NetworkEntity {
  return {
    id: `workload:${namespace}/${name}`,
    label: `${namespace}/${name}`,
    group: namespace,
    kind: 'workload',
    namespace,
    ...(extra.owner ? { owner: extra.owner } : {}),
    ...(extra.pod ? { pod: extra.pod } : {}),
  };
}

/** A pod without a known owner: named `namespace/pod`. */
export function podEntity(namespace: string, pod: string): NetworkEntity {
  return { id: `pod:${namespace}/${pod}`, label: `${namespace}/${pod}`, group: namespace, kind: 'pod', namespace, pod };
}

/** A node, by its Kubernetes name. */
export function nodeEntity(name: string): NetworkEntity {
  return { id: `node:${name}`, label: name.split('.')[0] ?? name, group: 'nodes', kind: 'node' };
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
