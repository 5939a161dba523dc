import type { AuditEvent } from '../ingest';
import { AuditWatermark } from '../network';
import type { Table } from '../store';
import type { Recorder, RecorderSession } from './types';

/**
 * One audit object's newest event time, moved into the audit watermark when the object is
 * flushed. The watermark is kept under the configured cluster name, the one flow edges are
 * judged under (flow logs name no cluster), whatever name the audit delivery carries; without a
 * config, under each event's cluster. It runs last among the audit recorders, so the pod IP map
 * already holds the object's reports when a flow processor sees the watermark move.
 */
export class AuditWatermarkSession implements RecorderSession<AuditEvent> {
  private readonly newest = new Map<string, number>();

  constructor(private readonly cluster?: string) {}

  see(event: AuditEvent): void {
    const cluster = this.cluster ?? event.cluster;
    const time = this.newest.get(cluster);
    if (time === undefined || event.time > time) this.newest.set(cluster, event.time);
  }

  async flush(table: Table): Promise<void> {
    const watermark = new AuditWatermark(table);
    for (const [cluster, time] of this.newest) await watermark.advance(cluster, time);
  }
}

/** Keeps the audit watermark (`SCOPE#<cluster>`/`AUDITMARK`), which flow edges wait on. */
export const auditWatermarkRecorder: Recorder<AuditEvent> = {
  id: 'audit-watermark',
  begin: (object) => new AuditWatermarkSession(object.config?.clusterName),
};
