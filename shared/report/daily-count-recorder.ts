import type { Recorder, RecorderSession } from '../record';
import { dayOf } from '../util';

/**
 * Counts events per UTC day of event time, for the report's per-day chart. A session's counts
 * join the total when it is flushed, once per object.
 */
export class DailyCountRecorder<E> implements Recorder<E> {
  private readonly days = new Map<string, number>();
  private readonly flushed = new Set<string>();

  constructor(
    readonly id: string,
    private readonly timeOf: (event: E) => number,
  ) {}

  begin(object: { id: string; uri: string }): RecorderSession<E> {
    const counts = new Map<string, number>();
    return {
      see: (event) => {
        const day = dayOf(this.timeOf(event));
        counts.set(day, (counts.get(day) ?? 0) + 1);
      },
      flush: async () => {
        if (this.flushed.has(object.id)) return;
        this.flushed.add(object.id);
        for (const [day, n] of counts) this.days.set(day, (this.days.get(day) ?? 0) + n);
        counts.clear();
      },
    };
  }

  /** Counts by day, in day order. */
  byDay(): Record<string, number> {
    return Object.fromEntries([...this.days].sort(([a], [b]) => a.localeCompare(b)));
  }
}
