/**
 * Addresses, who they are, and the traffic between them. One name per concept, here and in the
 * report that builds on this module:
 *
 * - **flow edge** (`FlowEdge`, flow-edge.ts): one object's conversation between a client address
 *   and a server address, port and protocol, in one scope, replies folded in. `EdgeAggregator`
 *   folds flow records into them, through the hash tables of edge-tables.ts.
 * - **folded sources** (`SourceFold`, flow-edge.ts): past a number of edges from public sources in
 *   one scope of one object (an internet-wide scan), `EdgeAggregator` folds public sources into
 *   blocks (/24, then /16, /8, the whole internet): such an edge's client is its block, and its
 *   `folded` sums every folded edge to its server port, with the distinct sources they stand for
 *   (`SourceSketch`, source-sketch.ts). Internal addresses are never folded.
 * - **traffic** (`Traffic`, traffic.ts): the counts every kind of edge sums, with `addTraffic`
 *   only: bytes to the server and to the client, packets, flow records, accepted and rejected.
 *   The statistics call the bytes `bytesOut` and `bytesIn` (`EdgeMetric`).
 * - **scope**: the VPC (else the account) whose baselines a record belongs to.
 * - **relay**: an interface address that forwards packets addressed elsewhere (a NAT gateway);
 *   its edges that repeat a client's own are the **relayed duplicates**. Seen from `pkt-*`
 *   addresses, or, in logs without them, inferred from a triangle of edges (`inferredRelays`).
 * - **entity** (`NetworkEntity`, entity.ts): who an address is; attribution names both ends of
 *   every flow edge.
 * - **hourly edge** (`HourlyEdge`, hourly-edge.ts): one hour of traffic from one entity to
 *   another on a server port, as one object adds it. Its `key` names the edge across hours; the
 *   per-edge hourly statistics are kept by that key. `HourlyEdgeStore` (hourly-edge-store.ts)
 *   keeps them as packed rows under `NETMAP#`, a prefix that keeps their first name.
 * - **audit watermark** (`AuditWatermark`, audit-watermark.ts): per cluster, the newest audit
 *   event processed; the pod IP map is complete up to it.
 * - **cluster map** (`ClusterMap`, clusters.ts): which cluster an address of a flow belongs to
 *   (`network.clusters`), and how workloads of clusters other than the configured one are named.
 * - **waiting edge** (`WaitingEdge`, pending-edge-store.ts): a flow edge with an internal end later
 *   than the watermark, kept unnamed until the audit log catches up; `PendingEdgeStore` keeps them
 *   in groups (`PendingGroup`: one object's waiting edges of one hour).
 *
 * In shared/report:
 * - **run edge** (`RunEdge`): flow edges summed over a whole run by client and server endpoint
 *   (`RunEndpoint`), port and protocol; `RunEdgeRecorder` collects them.
 * - **network map** (`NetworkMap`): what the report draws from the run edges: nodes in groups,
 *   and links between them, per port.
 */
export { type AddressClass, AddressClassifier, addressBlock, isInternal, rangeBlock, subnetBlock } from './address';
export { type AttributionResult, type EarlierAddresses, EntityResolver, HOSTING_SERVICES } from './attribution';
export { AuditWatermark } from './audit-watermark';
export { EdgeAggregator } from './edge-aggregator';
export { type EntityKind, type NetworkEntity, workloadEntity } from './entity';
export {
  clientOpened,
  type FlowEdge,
  inferredRelays,
  isProbeLike,
  openedOnly,
  priorEdge,
  relayedDuplicates,
  type SourceFold,
} from './flow-edge';
export { FlowSources, flowLogIdOf } from './flow-sources';
export { type HourlyEdge, hourlyEdgeId, hourlyEdges, hourlyPlacement } from './hourly-edge';
export { HourlyEdgeStore, hourlyEdgeTtlDays } from './hourly-edge-store';
export { NetworkLabels } from './labels';
export { PendingEdgeStore, type PendingGroup, type WaitingEdge } from './pending-edge-store';
export { PodIpCache, type PodIpCacheOptions } from './pod-ip-cache';
export { holderAtSorted, newestFirst, type PodIpEntry, PodIpMap, reportedLate, sameHolder } from './pod-ip-map';
export { EPHEMERAL_FLOOR } from './ports';
export { addTraffic, emptyTraffic, type Traffic, trafficBytes } from './traffic';
