import type { Table } from '../store';
import { keys } from '../store';

/**
 * How far the audit log of each cluster has been processed: the newest event time of any audit
 * object done (`SCOPE#<cluster>`/`AUDITMARK`). Pod addresses are reported in the audit log, so
 * a flow edge later than the watermark may still be named by a report not yet read. The
 * watermark only moves forward: the write is conditional, so an older object processed late,
 * or two objects at once, never move it back.
 */
export class AuditWatermark {
  constructor(private readonly table: Table) {}

  /** The cluster's watermark, or undefined when no audit object was ever processed for it. */
  async get(cluster: string): Promise<number | undefined> {
    const item = await this.table.get(keys.auditWatermark(cluster));
    return typeof item?.time === 'number' ? item.time : undefined;
  }

  /**
   * How far every one of `clusters`' audit logs has been processed: the least of their
   * watermarks. A flow edge in a VPC several clusters share may be any of theirs, so it waits for
   * the one furthest behind. A cluster without a watermark (its audit log never arrived), or
   * whose watermark is more than `staleMs` behind the newest (its audit log stopped: a cluster
   * taken down), is not waited for. Undefined when no cluster has a watermark.
   */
  async least(clusters: readonly string[], staleMs: number): Promise<number | undefined> {
    if (clusters.length === 1) return this.get(clusters[0] as string);
    const times: number[] = [];
    for (const item of await this.table.batchGet([...new Set(clusters)].map((c) => keys.auditWatermark(c)))) {
      if (typeof item.time === 'number') times.push(item.time);
    }
    if (times.length === 0) return undefined;
    const newest = Math.max(...times);
    return Math.min(...times.filter((time) => time >= newest - staleMs));
  }

  /** Moves the watermark to `time` unless it is already there or beyond. Returns true when it moved. */
  async advance(cluster: string, time: number): Promise<boolean> {
    return this.table.update(
      keys.auditWatermark(cluster),
      { set: { time, cluster } },
      { kind: 'absentOrBelow', attribute: 'time', value: time },
    );
  }
}
