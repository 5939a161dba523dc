export { HourlyEdgeSession } from './hourly-edge-recorder';
export { RbacTrail, type RbacTrailEntry } from './rbac-trail';
export { auditRecorders, FLOW_RECORDERS } from './registry';
export type { Recorder, RecorderSession } from './types';
export { workloadIntroductionRecorder } from './workload-introduction-recorder';
export { WorkloadIntroductions, type WorkloadRecord } from './workload-introductions';
