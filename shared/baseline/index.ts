export { BaselineStore } from './baseline-store';
export { CorrelationStore } from './correlation-store';
export { DistinctCounter } from './distinct-counter';
export { EDGE_STATS_KIND, type EdgeStats, type EdgeStatsFoldReport, EdgeStatsStore, edgeMetric } from './edge-stats';
export { learningStatus } from './learning-status';
export { finishObservations, foldObservations, type RebaselineReport } from './rebaseline';
export {
  type ItemReport,
  itemDays,
  planItems,
  type RebaselinePlan,
  ROWS_PER_ITEM,
  type WorkItem,
} from './rebaseline-plan';
export { type ThreatListStatus, ThreatListStatusStore } from './threat-list-status';
export type { Observation } from './types';
export { WindowCounter } from './window-counter';
