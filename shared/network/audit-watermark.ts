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

  /** Moves the watermark to `time` unless it is already there or beyond. Returns true when it moved. */
  async advance(cluster: string, time: number): Promise<boolean> {
    return this.table.update(
      keys.auditWatermark(cluster),
      { set: { time, cluster } },
      { kind: 'absentOrBelow', attribute: 'time', value: time },
    );
  }
}
