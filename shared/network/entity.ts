/**
 * Who an address is, as far as Driftwatch can tell: a workload (from pod IPs the audit log
 * reported), a node, a load balancer, a labelled CIDR, an AWS service, or the outside world.
 * The network map, the report and flow findings name entities instead of bare IPs.
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
}
