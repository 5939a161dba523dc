import type { Table } from '../store';
import { keys } from '../store';
import { epochSeconds, MINUTE_MS } from '../util';

/**
 * Sends an alert once per dedupe key and window. The claim is a single conditional write, so two
 * Lambdas racing on the same finding cannot both win. Windows run in event time, so a replay
 * dedupes exactly as the live pipeline did.
 */
export class AlertDeduper {
  constructor(private readonly table: Table) {}

  /** True when this finding opens a new window (send it); false when one is open (suppress it). */
  async claim(
    ruleId: string,
    dedupeKey: string,
    findingId: string,
    time: number,
    windowMinutes: number,
  ): Promise<boolean> {
    const windowEnd = time + windowMinutes * MINUTE_MS;
    return this.table.put(
      {
        ...keys.dedupe(ruleId, dedupeKey),
        ruleId,
        findingId,
        windowStart: time,
        windowEnd,
        expiresAt: epochSeconds(windowEnd) + 86_400,
      },
      // The window has ended when windowEnd <= time, i.e. windowEnd < time + 1.
      { kind: 'absentOrBelow', attribute: 'windowEnd', value: time + 1 },
    );
  }

  /** Gives a claim back, when sending failed, so that the retry can send it. */
  async release(ruleId: string, dedupeKey: string): Promise<void> {
    await this.table.delete(keys.dedupe(ruleId, dedupeKey));
  }
}
