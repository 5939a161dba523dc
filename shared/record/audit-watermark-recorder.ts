import type { AuditEvent } from '../ingest';
import { AuditWatermark } from '../network';
import type { Table } from '../store';
import type { Recorder, RecorderSession } from './types';

/**
 * One audit object's newest event time, moved into the audit watermark when the object is
 * flushed. An event of a cluster listed in `network.clusters` moves its own cluster's watermark;
 * any other moves the configured cluster's, whatever name the audit delivery carries (so a
 * log group named otherwise than `clusterName` still counts); without a config, each event's
 * cluster's. Flow edges wait for the least of the listed clusters' watermarks (`PendingEdges`).
 * It runs last among the audit recorders, so the pod IP map already holds the object's reports
 * when a flow processor sees the watermark move.
 */
export class AuditWatermarkSession implements RecorderSession<AuditEvent> {
  private readonly newest = new Map<string, number>();
  private readonly listed: ReadonlySet<string>;

  constructor(
    private readonly cluster?: string,
    listed: readonly string[] = [],
  ) {
    this.listed = new Set(listed);
  }

  see(event: AuditEvent): void {
    const cluster = this.listed.has(event.cluster) ? event.cluster : (this.cluster ?? event.cluster);
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
  begin: (object) =>
    new AuditWatermarkSession(
      object.config?.clusterName,
      object.config?.network.clusters.map((c) => c.name),
    ),
};
