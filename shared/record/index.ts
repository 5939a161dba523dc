export { HourlyEdgeSession } from './hourly-edge-recorder';
export { RbacTrail, type RbacTrailEntry } from './rbac-trail';
export { AUDIT_RECORDERS, FLOW_RECORDERS } from './registry';
export type { Recorder, RecorderSession } from './types';
