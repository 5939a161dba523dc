import type { Table } from '../store';
import { keys } from '../store';
import { epochSeconds } from '../util';

/** `leaseUntil` of an entry that went out: no lease ever reaches it. */
const SENT = Number.MAX_SAFE_INTEGER;
/** How long an outbox entry is kept after it was written: as long as a processed-object marker. */
const ENTRY_DAYS = 30;

/** Something waiting in (or gone from) the outbox: a finding to record, a message to publish. */
export interface OutboxEntry<T> {
  value: T;
  sent: boolean;
  /** Epoch ms until which an attempt holds the entry to publish it; 0 when none does. */
  leaseUntil: number;
}

/**
 * What an owner (an object, a rebaseline run) has to do, recorded before any of it is done
 * (`OUTBOX#<owner>`, one item per id): the findings it has to record into incidents, and (under
 * `<owner>#msg`) the messages it has to publish. An entry is held by one attempt at a time through
 * a lease, so two deliveries of the same object never both do it, and is marked done one by one. A
 * retry does what its owner's outbox still holds, whether or not the retry finds the same findings
 * again.
 */
export class Outbox<T extends { id: string }> {
  constructor(
    private readonly table: Table,
    private readonly clock: () => number,
    /** How long an attempt may hold an entry; queue visibility timeouts must be longer. */
    private readonly leaseMs: number,
  ) {}

  /** Every entry of an owner, by id. */
  async entries(owner: string): Promise<Map<string, OutboxEntry<T>>> {
    const out = new Map<string, OutboxEntry<T>>();
    for (const item of await this.table.query(keys.outbox(owner))) {
      const leaseUntil = Number(item.leaseUntil ?? 0);
      out.set(item.sk, { value: JSON.parse(String(item.value)) as T, sent: leaseUntil >= SENT, leaseUntil });
    }
    return out;
  }

  /** Records a value, held by the caller. False when its entry exists already (a concurrent delivery wrote it). */
  async add(owner: string, value: T): Promise<boolean> {
    return this.table.put({ ...this.item(owner, value), leaseUntil: this.clock() + this.leaseMs }, { kind: 'absent' });
  }

  /** Takes an entry whose lease has run out (or was given back). False when another attempt holds it or it went. */
  async lease(owner: string, id: string): Promise<boolean> {
    const now = this.clock();
    return this.table.update(
      { pk: keys.outbox(owner), sk: id },
      { set: { leaseUntil: now + this.leaseMs } },
      { kind: 'absentOrBelow', attribute: 'leaseUntil', value: now + 1 },
    );
  }

  /** Marks values done (published, recorded), as given: one batch write, unconditional (the caller holds their leases). */
  async markSent(owner: string, values: readonly T[]): Promise<void> {
    if (values.length === 0) return;
    const now = this.clock();
    await this.table.batchPut(values.map((v) => ({ ...this.item(owner, v), leaseUntil: SENT, sentAt: now })));
  }

  /** Gives leases back after publishing failed, so the retry need not wait for them to run out. */
  async release(owner: string, ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      await this.table.update({ pk: keys.outbox(owner), sk: id }, { set: { leaseUntil: 0 } });
    }
  }

  /** Forgets entries that are void (a message decided by an attempt that failed before it counted), held by the caller. */
  async remove(owner: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.table.batchDelete(ids.map((id) => ({ pk: keys.outbox(owner), sk: id })));
  }

  private item(owner: string, value: T) {
    return {
      pk: keys.outbox(owner),
      sk: value.id,
      value: JSON.stringify(value),
      expiresAt: epochSeconds(this.clock()) + ENTRY_DAYS * 86_400,
    };
  }
}
