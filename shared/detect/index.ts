export {
  type LearnedPipeline,
  LearnedPipelines,
  learnPipelines,
  PIPELINE_BASELINE,
  PIPELINE_LEARNER_ID,
  pipelineObservations,
} from './audit/lib/pipelines';
export { renderDetectionCatalog } from './catalog-doc';
export { buildDetectContext } from './context';
export {
  ALL_DETECTORS,
  AUDIT_DETECTORS,
  AUDIT_KINDS,
  type AuditDetector,
  baselineKindOf,
  baselineKinds,
  type DetectorSet,
  detectorById,
  enabledDetectors,
  FLOW_DETECTORS,
  FLOW_KINDS,
  type FlowDetector,
} from './registry';
export type * from './types';
