import type { AuditEvent } from '../ingest';
import type { FlowEdge } from '../network';
import { auditWatermarkRecorder } from './audit-watermark-recorder';
import { hourlyEdgeRecorder } from './hourly-edge-recorder';
import { podIpRecorder } from './pod-ip-recorder';
import { rbacTrailRecorder } from './rbac-trail';
import type { Recorder } from './types';

/** Recorders that see every audit event. The watermark comes last: it says the others are written. */
export const AUDIT_RECORDERS: Recorder<AuditEvent>[] = [podIpRecorder, rbacTrailRecorder, auditWatermarkRecorder];

/** Recorders that see every flow edge of an object. */
export const FLOW_RECORDERS: Recorder<FlowEdge>[] = [hourlyEdgeRecorder];
