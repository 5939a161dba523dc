import type { AuditEvent } from '../ingest';
import type { FlowEdge } from '../network';
import { hourlyEdgeRecorder } from './hourly-edge-recorder';
import { podIpRecorder } from './pod-ip-recorder';
import { rbacTrailRecorder } from './rbac-trail';
import type { Recorder } from './types';

/** Recorders that see every audit event. */
export const AUDIT_RECORDERS: Recorder<AuditEvent>[] = [podIpRecorder, rbacTrailRecorder];

/** Recorders that see every flow edge of an object. */
export const FLOW_RECORDERS: Recorder<FlowEdge>[] = [hourlyEdgeRecorder];
