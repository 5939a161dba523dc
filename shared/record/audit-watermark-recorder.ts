import type { AuditEvent } from '../ingest';
import { AuditWatermark } from '../network';
import type { Table } from '../store';
import type { Recorder, RecorderSession } from './types';

/**
 * One audit object's newest event time per cluster, moved into the cluster's audit watermark when
 * the object is flushed. It runs last among the audit recorders, so the pod IP map already holds
 * the object's reports when a flow processor sees the watermark move.
 */
export class AuditWatermarkSession implements RecorderSession<AuditEvent> {
  private readonly newest = new Map<string, number>();

  see(event: AuditEvent): void {
    const time = this.newest.get(event.cluster);
    if (time === undefined || event.time > time) this.newest.set(event.cluster, event.time);
  }

  async flush(table: Table): Promise<void> {
    const watermark = new AuditWatermark(table);
    for (const [cluster, time] of this.newest) await watermark.advance(cluster, time);
  }
}

/** Keeps each cluster's audit watermark (`SCOPE#<cluster>`/`AUDITMARK`), which flow edges wait on. */
export const auditWatermarkRecorder: Recorder<AuditEvent> = {
  id: 'audit-watermark',
  begin: () => new AuditWatermarkSession(),
};
