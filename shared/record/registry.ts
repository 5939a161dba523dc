import type { AuditEvent } from '../ingest';
import type { FlowEdge, PodIpMap } from '../network';
import { auditWatermarkRecorder } from './audit-watermark-recorder';
import { hourlyEdgeRecorder } from './hourly-edge-recorder';
import { podIpRecorder, podIpRecorderUsing } from './pod-ip-recorder';
import { rbacTrailRecorder } from './rbac-trail';
import type { Recorder } from './types';

/** Recorders that see every audit event. The watermark comes last: it says the others are written. */
const AUDIT_RECORDERS: Recorder<AuditEvent>[] = [podIpRecorder, rbacTrailRecorder, auditWatermarkRecorder];

/**
 * The audit recorders with `added` (recorders the engine builds from its context) before the
 * watermark, which still comes last. `podIps` is the engine's pod IP map, whose cache forgets the
 * addresses the audit log writes.
 */
export function auditRecorders(added: readonly Recorder<AuditEvent>[], podIps?: PodIpMap): Recorder<AuditEvent>[] {
  const others = AUDIT_RECORDERS.filter((r) => r !== auditWatermarkRecorder).map((r) =>
    r === podIpRecorder && podIps ? podIpRecorderUsing(podIps) : r,
  );
  return [...others, ...added, auditWatermarkRecorder];
}

/** Recorders that see every flow edge of an object. */
export const FLOW_RECORDERS: Recorder<FlowEdge>[] = [hourlyEdgeRecorder];
