import type { Table } from '../store';
import { keys } from '../store';
import { stableHash } from '../util';

/** Another processor held the incident lock for longer than we would wait: the caller retries later. */
export class IncidentsBusyError extends Error {
  override readonly name = 'IncidentsBusyError';
}

export interface LockOptions {
  /** How long a holder may keep the lock; a holder that dies frees it after this. @default 60 s */
  leaseMs?: number;
  /** How long to wait for it. @default 30 s */
  waitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

let holders = 0;

/**
 * One writer of incidents at a time, across processors: a lease on one item, taken with a
 * conditional write (free, or its lease ran out) and given back only by its holder. Changing
 * incidents takes a few reads and writes; findings are rare, so one lock costs nothing, and it
 * makes joining and merging simple to reason about: nothing another processor adds can be lost.
 */
export class IncidentLock {
  private readonly leaseMs: number;
  private readonly waitMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly table: Table,
    private readonly clock: () => number,
    options: LockOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 60_000;
    this.waitMs = options.waitMs ?? 30_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Runs `work` holding the lock. */
  async with<T>(work: () => Promise<T>): Promise<T> {
    const holder = stableHash(String(process.pid), String(++holders), String(Math.random()));
    const key = keys.incidentLock();
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      const now = this.clock();
      const taken = await this.table.put(
        { ...key, holder, leaseUntil: now + this.leaseMs },
        { kind: 'absentOrBelow', attribute: 'leaseUntil', value: now + 1 },
      );
      if (taken) break;
      if (Date.now() - started >= this.waitMs) {
        throw new IncidentsBusyError(`incidents are locked by another processor for more than ${this.waitMs} ms`);
      }
      await this.sleep(Math.min(1000, 25 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random()));
    }
    try {
      return await work();
    } finally {
      await this.table.update(key, { set: { leaseUntil: 0 } }, { kind: 'equals', attribute: 'holder', value: holder });
    }
  }
}
