export { type AddressClass, AddressClassifier, addressBlock, isInternal, subnetBlock } from './address';
export { type AttributionResult, EntityResolver, HOSTING_SERVICES } from './attribution';
export { EdgeAggregator } from './edge-aggregator';
export { type EntityKind, type NetworkEntity, workloadEntity } from './entity';
export { type FlowEdge, isProbeLike, relayedDuplicates } from './flow-edge';
export { FlowSources, flowLogIdOf } from './flow-sources';
export { NetworkLabels } from './labels';
export {
  addTotals,
  aggregateMap,
  type EdgeTotals,
  emptyTotals,
  type MapEdge,
  mapEdgeId,
  NetworkMapStore,
  networkMapTtlDays,
} from './network-map';
export { type PodIpEntry, PodIpMap } from './pod-ip-map';
export { EPHEMERAL_FLOOR } from './ports';
