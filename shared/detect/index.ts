export { renderDetectionCatalog } from './catalog-doc';
export { buildDetectContext } from './context';
export {
  ALL_DETECTORS,
  AUDIT_DETECTORS,
  baselineKinds,
  type DetectorSet,
  detectorById,
  enabledDetectors,
  FLOW_DETECTORS,
} from './registry';
export type {
  AnomalyDetector,
  CorrelationDetector,
  CorrelationSighting,
  DetectContext,
  Detection,
  DetectorMeta,
  EdgeMetric,
  FlowLogHealth,
  Located,
  MetricStats,
  SpikeDetector,
  ThresholdDetector,
} from './types';
