import type { Config } from '../config';
import { CidrIndex } from '../intel';
import { type AddressClass, isInternal } from './address';
import type { NetworkEntity } from './entity';
import type { FlowEdge } from './flow-edge';

type ClusterConfig = Config['network']['clusters'][number];

/**
 * Which cluster an address of a flow belongs to, as the config says (`network.clusters`). Flow
 * logs name no cluster: the pod IP map names the cluster of every address an audit log reported,
 * and this answers for the rest (an address in a cluster's range), and keeps a cluster's pods
 * from being looked for in a VPC it does not run in (two VPCs may reuse the same ranges).
 *
 * Naming: the configured cluster (`clusterName`) keeps the names it always had
 * (`workload:shop/web`), so baselines and suppressions learned before a second cluster was
 * listed carry on. Only when the config lists a cluster besides it are the workloads of the
 * others named apart (`workload:<cluster>:shop/web`). The rule reads the config only, never what
 * the audit logs have shown so far, so that a name never changes from one hour to the next.
 */
export class ClusterMap {
  /** The configured cluster: the one flow edges count in when nothing names another. */
  readonly primary: string;
  /** Whether the config lists a cluster besides the configured one. */
  readonly multi: boolean;
  /** Each VPC's clusters' ranges; ranges of clusters listed without VPCs are in `anyVpc`. */
  private readonly byVpc = new Map<string, CidrIndex<string>>();
  private readonly anyVpc = new CidrIndex<string>();
  /** The cluster of a VPC listed by a cluster without ranges (the first one listed). */
  private readonly vpcOnly = new Map<string, string>();
  private readonly vpcsOf = new Map<string, ReadonlySet<string>>();

  constructor(clusters: readonly ClusterConfig[], primary: string) {
    this.primary = primary;
    this.multi = clusters.some((c) => c.name !== primary);
    for (const cluster of clusters) {
      const vpcs = cluster.vpcs ?? [];
      if (vpcs.length > 0) this.vpcsOf.set(cluster.name, new Set(vpcs));
      for (const cidr of cluster.cidrs ?? []) {
        if (vpcs.length === 0) this.anyVpc.add(cidr, cluster.name);
        for (const vpc of vpcs) {
          let index = this.byVpc.get(vpc);
          if (!index) {
            index = new CidrIndex<string>();
            this.byVpc.set(vpc, index);
          }
          index.add(cidr, cluster.name);
        }
      }
      if (!cluster.cidrs?.length)
        for (const vpc of vpcs) if (!this.vpcOnly.has(vpc)) this.vpcOnly.set(vpc, cluster.name);
    }
  }

  /** Whether the config puts any cluster in some VPCs only. */
  get confined(): boolean {
    return this.vpcsOf.size > 0;
  }

  /**
   * Whether an address seen in `scope` (a VPC id, else an account) may be held by `cluster`: not
   * when the config puts that cluster in other VPCs only.
   */
  allows(cluster: string | undefined, scope: string): boolean {
    if (cluster === undefined || !scope.startsWith('vpc-')) return true;
    const vpcs = this.vpcsOf.get(cluster);
    return vpcs === undefined || vpcs.has(scope);
  }

  /** The configured cluster of an address in `scope`: the most specific range, else the VPC's. */
  clusterOf(address: string, scope: string): string | undefined {
    return this.byVpc.get(scope)?.lookup(address) ?? this.anyVpc.lookup(address) ?? this.vpcOnly.get(scope);
  }

  /**
   * The cluster a flow edge counts in, for its findings: its client's, else its server's, else
   * the configured one. An end's cluster is the one of the pod or node attributed to it, else the
   * configured range or VPC of an internal address. The client comes first: traffic between two
   * clusters is about the one that opened it.
   */
  ofEdge(edge: FlowEdge): string {
    return (
      this.ofEnd(edge.client, edge.clientClass, edge.clientEntity, edge.scope) ??
      this.ofEnd(edge.server, edge.serverClass, edge.serverEntity, edge.scope) ??
      this.primary
    );
  }

  private ofEnd(
    address: string,
    cls: AddressClass,
    entity: NetworkEntity | undefined,
    scope: string,
  ): string | undefined {
    const kind = entity?.kind;
    if (kind === 'workload' || kind === 'pod' || kind === 'node') return entity?.cluster ?? this.primary;
    return isInternal(cls) ? this.clusterOf(address, scope) : undefined;
  }

  /** The cluster to name a workload apart by, or undefined when its names stay as they are. */
  apart(cluster: string | undefined): string | undefined {
    return this.multi && cluster !== undefined && cluster !== this.primary ? cluster : undefined;
  }
}
