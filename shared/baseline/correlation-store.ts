import type { CorrelationSighting } from '../detect';
import type { Item, Key, Table } from '../store';
import { keys } from '../store';
import { epochSeconds, stableHash } from '../util';

function sightingOf(item: Item): CorrelationSighting {
  return {
    side: item.side === 'first' ? 'first' : 'second',
    key: String(item.key),
    value: String(item.value),
    facts: (item.facts ?? {}) as Record<string, string | number>,
    firstTime: Number(item.firstTime),
    lastTime: Number(item.lastTime),
  };
}

/**
 * Both sides of correlations, kept for the detector's window so a path completed across objects,
 * days apart, is still found. First sides (the few public-facing workloads) share one partition
 * per scope and rule, read once per object; second sides (what each workload reaches, possibly
 * many) sit in a partition per key, read only when a key first shows a first side.
 */
export class CorrelationStore {
  constructor(private readonly table: Table) {}

  /** Every remembered first side of a rule in a scope. */
  async firstSides(scope: string, ruleId: string): Promise<CorrelationSighting[]> {
    return (await this.table.query(keys.correlationFirsts(scope, ruleId))).map(sightingOf);
  }

  /** The remembered second sides of a key. */
  async secondSides(scope: string, ruleId: string, key: string): Promise<CorrelationSighting[]> {
    return (await this.table.query(keys.correlationPartition(scope, ruleId, key), { skPrefix: 'second#' })).map(
      sightingOf,
    );
  }

  private static keyOf(scope: string, ruleId: string, sighting: CorrelationSighting): Key {
    return sighting.side === 'first'
      ? { pk: keys.correlationFirsts(scope, ruleId), sk: `${stableHash(sighting.key)}#${stableHash(sighting.value)}` }
      : { pk: keys.correlationPartition(scope, ruleId, sighting.key), sk: `second#${stableHash(sighting.value)}` };
  }

  /**
   * Remembers a sighting: its last time moves forward (a late object never moves it back), its
   * first time is the earliest written. No read needed.
   */
  async remember(scope: string, ruleId: string, sighting: CorrelationSighting, windowMs: number): Promise<void> {
    await this.table.update(
      CorrelationStore.keyOf(scope, ruleId, sighting),
      {
        set: {
          side: sighting.side,
          key: sighting.key,
          value: sighting.value,
          facts: sighting.facts,
          lastTime: sighting.lastTime,
          expiresAt: epochSeconds(sighting.lastTime + windowMs) + 86_400,
        },
        setIfAbsent: { firstTime: sighting.firstTime },
      },
      { kind: 'absentOrBelow', attribute: 'lastTime', value: sighting.lastTime + 1 },
    );
  }
}
