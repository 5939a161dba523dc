export { isController } from './audit/lib/actor';
export type { LearnedPrivilege } from './audit/lib/learned-privileges';
export {
  type LearnedPipeline,
  LearnedPipelines,
  learnPipelines,
  PIPELINE_BASELINE,
  PIPELINE_LEARNER_ID,
  pipelineObservations,
} from './audit/lib/pipelines';
export {
  learnPrivileges,
  PRIVILEGE_BASELINE,
  PRIVILEGE_LEARNER_ID,
  privilegeObservations,
} from './audit/lib/privileges';
export {
  USER_AGENT_IDENTITY_BASELINE,
  USER_AGENT_IDENTITY_LEARNER_ID,
  userAgentIdentityObservations,
} from './audit/new-user-agent';
export { renderDetectionCatalog } from './catalog-doc';
export { buildDetectContext } from './context';
export { type DegradedDetector, DegradedNotice, degradedDetectors, mergeDegraded } from './degraded';
export {
  ENTRY_POINT_BASELINE,
  ENTRY_POINT_LEARNER_ID,
  entryPointObservations,
  type LearnedEntryPoint,
  learnEntryPoints,
} from './net/lib/entry-points';
export { ADDRESS_PORT_BASELINE, addressPortObservations } from './net/new-port';
export { renderCoverage } from './peer-coverage/render';
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
  LIST_DETECTORS,
} from './registry';
export type * from './types';
