import { type AddressClass, addressBlock, isInternal, subnetBlock } from './address';
import {
  awsServiceEntity,
  cidrEntity,
  entryPointEntity,
  externalEntity,
  type NetworkEntity,
  nodeEntity,
  podEntity,
  unknownEntity,
  workloadEntity,
} from './entity';
import type { FlowEdge } from './flow-edge';
import type { NetworkLabels } from './labels';
import { holderAtSorted, newestFirst, type PodIpEntry, type PodIpMap, reportedLate } from './pod-ip-map';

/**
 * The addresses each workload (`namespace/name` of a cluster) held before a late report named
 * them: where its history was learned. Kept by the audit side; absent workloads held none.
 */
export type EarlierAddresses = (cluster: string, workloads: readonly string[]) => Promise<Map<string, string[]>>;

/** `pkt-*-aws-service` values that say "somewhere on AWS", not "this managed service". */
export const HOSTING_SERVICES: ReadonlySet<string> = new Set(['EC2', 'AMAZON', 'GLOBALACCELERATOR', 'CLOUDFRONT']);

export interface AttributionResult {
  /** Distinct internal addresses looked up in the pod IP map. */
  lookedUp: number;
  /** Of those, the ones the map named (a pod or a node). */
  attributed: number;
}

/** The entity of a pod IP map holder; `cluster` when its cluster's workloads are named apart. */
function holderEntity(entry: PodIpEntry, cluster: string | undefined): NetworkEntity {
  if (entry.kind === 'node') return nodeEntity(entry.node ?? 'node', cluster);
  const namespace = entry.namespace ?? 'default';
  if (!entry.workload) return podEntity(namespace, entry.pod ?? 'pod', cluster);
  return workloadEntity(namespace, entry.workload, {
    ...(entry.ownerKind ? { owner: `${entry.ownerKind}/${entry.workload}` } : {}),
    ...(entry.pod ? { pod: entry.pod } : {}),
    ...(cluster !== undefined ? { cluster } : {}),
  });
}

/**
 * Names both ends of every edge of an object before detection: workloads and nodes from the pod
 * IP map (one batch read for the object's distinct internal addresses), then the configured
 * entry points and labels, then the address itself with its /24 and label. Public addresses are
 * named by their block (/24, /48), AWS services by name.
 *
 * Several clusters may share a VPC and reuse each other's addresses over time: the pod IP map
 * keeps every cluster's holders of an address, and the one holding it at the edge's time names
 * it, whichever cluster it is in. Holders of a cluster the config puts in other VPCs only are
 * passed over (`ClusterMap.allows`), and workloads of clusters other than the configured one
 * are named apart when the config lists them (`ClusterMap.apart`).
 */
export class EntityResolver {
  constructor(
    private readonly labels: NetworkLabels,
    private readonly podIps: PodIpMap,
    private readonly earlierAddresses?: EarlierAddresses,
  ) {}

  /**
   * Fills `clientEntity` and `serverEntity`. `entryAddresses` are addresses of entry-point
   * interfaces learned from this object's records (load balancers configured by ENI).
   */
  async attribute(
    edges: readonly FlowEdge[],
    entryAddresses: ReadonlySet<string> = new Set(),
  ): Promise<AttributionResult> {
    // Each internal address, with the latest time an edge asks who held it: the cache answers up to a time.
    const latest = new Map<string, number>();
    const ask = (address: string, time: number) => {
      const asked = latest.get(address);
      if (asked === undefined || time > asked) latest.set(address, time);
    };
    for (const edge of edges) {
      if (isInternal(edge.clientClass)) ask(edge.client, edge.time);
      if (isInternal(edge.serverClass)) ask(edge.server, edge.time);
    }
    const holders = await this.podIps.lookupAt(latest);
    // Each address's holders newest first, sorted once, and each holder's entity made once.
    const byStart = new Map<string, PodIpEntry[]>();
    for (const [address, entries] of holders) byStart.set(address, newestFirst(entries));
    const { clusters } = this.labels;
    // Each address's holders that may be in a scope, when the config confines clusters to VPCs.
    const inScope = new Map<string, PodIpEntry[]>();
    const holdersIn = (address: string, scope: string): PodIpEntry[] | undefined => {
      const entries = byStart.get(address);
      if (!entries || !clusters.confined) return entries;
      const key = `${scope}|${address}`;
      let allowed = inScope.get(key);
      if (!allowed) {
        allowed = entries.filter((e) => clusters.allows(e.cluster, scope));
        inScope.set(key, allowed);
      }
      return allowed;
    };
    const holderEntities = new Map<PodIpEntry, NetworkEntity>();
    const fixed = new Map<string, NetworkEntity>();
    const fixedWithService = new Map<string, NetworkEntity>();
    const staticOf = (address: string, cls: AddressClass, service: string | undefined) => {
      // Most ends carry no service name: their address alone is the key.
      const known = service === undefined ? fixed : fixedWithService;
      const key = service === undefined ? address : `${address}|${service}`;
      let entity = known.get(key);
      if (!entity) {
        entity = this.staticEntity(address, cls, service, entryAddresses);
        known.set(key, entity);
      }
      return entity;
    };
    /** The end's entity, and the one it had before a late report named it. */
    const entityOf = (
      address: string,
      cls: AddressClass,
      service: string | undefined,
      time: number,
      scope: string,
    ): [NetworkEntity, NetworkEntity | undefined] => {
      if (cls === 'vpc' || cls === 'private') {
        const holder = holderAtSorted(holdersIn(address, scope), time);
        if (holder) {
          let entity = holderEntities.get(holder);
          if (!entity) {
            entity = holderEntity(holder, clusters.apart(holder.cluster));
            holderEntities.set(holder, entity);
          }
          if (reportedLate(holder)) return [entity, staticOf(address, cls, service)];
          if (holder.workload && holder.kind === 'pod') later.push([address, holder]);
          return [entity, undefined];
        }
      }
      return [staticOf(address, cls, service), undefined];
    };
    /** Ends named by a pod reported as it started, whose workload may have held other addresses before. */
    const later: [string, PodIpEntry][] = [];
    for (const edge of edges) {
      const [client, clientPrior] = entityOf(edge.client, edge.clientClass, edge.clientService, edge.time, edge.scope);
      const [server, serverPrior] = entityOf(edge.server, edge.serverClass, edge.serverService, edge.time, edge.scope);
      edge.clientEntity = client;
      edge.serverEntity = server;
      if (clientPrior) edge.clientPrior = clientPrior;
      if (serverPrior) edge.serverPrior = serverPrior;
    }
    if (later.length > 0 && this.earlierAddresses) {
      const earlier = await this.earlierOf(later);
      if (earlier.size > 0) {
        for (const edge of edges) {
          const client = edge.clientPrior ? undefined : earlier.get(edge.client);
          const server = edge.serverPrior ? undefined : earlier.get(edge.server);
          if (client) edge.clientPrior = staticOf(client, edge.clientClass, edge.clientService);
          if (server) edge.serverPrior = staticOf(server, edge.serverClass, edge.serverService);
        }
      }
    }
    let attributed = 0;
    for (const address of latest.keys()) if (holders.has(address)) attributed++;
    return { lookedUp: latest.size, attributed };
  }

  /**
   * For addresses of pods reported as they started: an address their workload held before a late
   * report named it (in the same /24 when there is one), whose name its history was learned under.
   * A rollout of a workload that ran unnamed for weeks keeps that history.
   */
  private async earlierOf(later: readonly [string, PodIpEntry][]): Promise<Map<string, string>> {
    const byCluster = new Map<string, Set<string>>();
    for (const [, holder] of later) {
      const cluster = holder.cluster ?? this.labels.clusters.primary;
      const set = byCluster.get(cluster) ?? new Set<string>();
      set.add(`${holder.namespace ?? 'default'}/${holder.workload}`);
      byCluster.set(cluster, set);
    }
    const held = new Map<string, string[]>();
    for (const [cluster, workloads] of byCluster) {
      for (const [workload, addresses] of await (this.earlierAddresses as EarlierAddresses)(cluster, [...workloads])) {
        held.set(`${cluster}\u0000${workload}`, [...addresses].sort());
      }
    }
    const out = new Map<string, string>();
    for (const [address, holder] of later) {
      const cluster = holder.cluster ?? this.labels.clusters.primary;
      const addresses = held.get(`${cluster}\u0000${holder.namespace ?? 'default'}/${holder.workload}`);
      if (!addresses?.length || addresses.includes(address)) continue;
      const subnet = subnetBlock(address);
      out.set(address, addresses.find((a) => subnetBlock(a) === subnet) ?? (addresses[0] as string));
    }
    return out;
  }

  /** The entity of a pod IP map holder, named apart when its cluster's workloads are. */
  entityOfHolder(holder: PodIpEntry): NetworkEntity {
    return holderEntity(holder, this.labels.clusters.apart(holder.cluster));
  }

  /** The entity of an address the pod IP map does not name: entry point, label, or the address. */
  staticEntity(
    address: string,
    cls: AddressClass,
    service: string | undefined,
    entryAddresses: ReadonlySet<string> = new Set(),
  ): NetworkEntity {
    if (cls === 'aws-service' && service && !HOSTING_SERVICES.has(service)) return awsServiceEntity(service);
    if (cls === 'public' || cls === 'aws-service') {
      const entity = externalEntity(addressBlock(address));
      return service ? { ...entity, label: `${entity.label} (${service})` } : entity;
    }
    const entry = this.labels.entryPoint(address);
    if (entry || entryAddresses.has(address)) {
      return entryPointEntity(address, entry?.label ?? this.labels.label(address)?.label, entry?.cidr);
    }
    const sensitive = this.labels.sensitiveRange(address);
    const label = this.labels.label(address);
    if (label) return cidrEntity(label.label, label.cidr, sensitive !== undefined);
    return unknownEntity(address, subnetBlock(address), cls === 'vpc' ? 'vpc' : 'private');
  }
}
