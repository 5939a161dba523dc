import type { Table } from '../store';
import { keys } from '../store';
import { epochSeconds } from '../util';

/** How long a processed-object marker is kept: S3 redelivers within hours, not months. */
const MARKER_DAYS = 30;

/**
 * Which objects are done. S3 delivers at least once: an object whose marker is present is
 * skipped. The marker is the last write of an object, so a failure anywhere before it lets the
 * retry do the whole object again.
 */
export class ObjectLedger {
  constructor(
    private readonly table: Table,
    private readonly clock: () => number,
  ) {}

  async isDone(objectId: string): Promise<boolean> {
    return (await this.table.get(keys.object(objectId))) !== undefined;
  }

  async markDone(objectId: string, uri: string): Promise<void> {
    const now = this.clock();
    await this.table.put({
      ...keys.object(objectId),
      uri,
      processedAt: now,
      expiresAt: epochSeconds(now) + MARKER_DAYS * 86_400,
    });
  }
}
