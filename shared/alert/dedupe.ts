import type { Table } from '../store';
import { keys } from '../store';
import { epochSeconds, MINUTE_MS } from '../util';

/** One finding's claim on its dedupe window. */
export interface Claim {
  ruleId: string;
  dedupeKey: string;
  findingId: string;
  /** The finding's event time, epoch ms. */
  time: number;
  windowMinutes: number;
  /** Who claims: the object (or rebaseline run) whose finding it is. */
  owner: string;
}

/**
 * Sends an alert once per dedupe key and window. The claim is a single conditional write, so two
 * Lambdas racing on the same finding cannot both win. Windows run in event time, so a replay
 * dedupes exactly as the live pipeline did. A claim names its owner and finding: when a retry of
 * the same object finds its own claim, the claim is still its own (nothing is ever given back).
 */
export class AlertDeduper {
  constructor(private readonly table: Table) {}

  /** True when this finding holds the window (send it); false when another holds it (suppress it). */
  async claim(claim: Claim): Promise<boolean> {
    const { ruleId, dedupeKey, findingId, time, owner } = claim;
    const windowEnd = time + claim.windowMinutes * MINUTE_MS;
    const key = keys.dedupe(ruleId, dedupeKey);
    const won = await this.table.put(
      { ...key, ruleId, findingId, owner, windowStart: time, windowEnd, expiresAt: epochSeconds(windowEnd) + 86_400 },
      // The window has ended when windowEnd <= time, i.e. windowEnd < time + 1.
      { kind: 'absentOrBelow', attribute: 'windowEnd', value: time + 1 },
    );
    if (won) return true;
    const held = await this.table.get(key);
    return held?.owner === owner && held.findingId === findingId;
  }
}
