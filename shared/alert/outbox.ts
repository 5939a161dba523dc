import type { Table } from '../store';
import { keys } from '../store';
import { epochSeconds } from '../util';
import type { Finding } from './finding';

/** `leaseUntil` of an entry that went out: no lease ever reaches it. */
const SENT = Number.MAX_SAFE_INTEGER;
/** How long an outbox entry is kept after it was written: as long as a processed-object marker. */
const ENTRY_DAYS = 30;

/** A finding (or another message) waiting in, or gone from, the outbox. */
export interface OutboxEntry<T = Finding> {
  payload: T;
  sent: boolean;
  /** Epoch ms until which an attempt holds the entry to publish it; 0 when none does. */
  leaseUntil: number;
}

/** What an outbox can hold: anything with an id that stays the same across retries, stored as JSON. */
interface OutboxPayload {
  id: string;
}

/**
 * The findings an owner (an object, a rebaseline run) has to publish, recorded before any is
 * published (`OUTBOX#<owner>`, one item per finding id). It holds other messages the same way (the
 * daily digest's, by message id), each kind as JSON under an attribute of its own. An entry is
 * held by one attempt at a time through a lease, so two deliveries of the same object never both
 * publish it, and is marked sent one by one as SNS accepts it. A retry publishes what its owner's outbox still
 * holds, whether or not the retry finds the same findings again.
 */
export class Outbox<T extends OutboxPayload = Finding> {
  constructor(
    private readonly table: Table,
    private readonly clock: () => number,
    /** How long an attempt may hold an entry; queue visibility timeouts must be longer. */
    private readonly leaseMs: number,
    /** The item attribute holding the payload's JSON: `finding` for findings (as stored from the start). */
    private readonly attribute = 'finding',
  ) {}

  /** Every entry of an owner, by payload id. */
  async entries(owner: string): Promise<Map<string, OutboxEntry<T>>> {
    const out = new Map<string, OutboxEntry<T>>();
    for (const item of await this.table.query(keys.outbox(owner))) {
      const leaseUntil = Number(item.leaseUntil ?? 0);
      out.set(item.sk, {
        payload: JSON.parse(String(item[this.attribute])) as T,
        sent: leaseUntil >= SENT,
        leaseUntil,
      });
    }
    return out;
  }

  /** Records a payload, held by the caller. False when its entry exists already (a concurrent delivery wrote it). */
  async add(owner: string, payload: T): Promise<boolean> {
    return this.table.put(
      { ...this.item(owner, payload), leaseUntil: this.clock() + this.leaseMs },
      { kind: 'absent' },
    );
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

  /** Marks payloads published: one batch write, unconditional (the caller holds their leases). */
  async markSent(owner: string, payloads: readonly T[]): Promise<void> {
    if (payloads.length === 0) return;
    const now = this.clock();
    await this.table.batchPut(payloads.map((p) => ({ ...this.item(owner, p), leaseUntil: SENT, sentAt: now })));
  }

  /** Gives leases back after publishing failed, so the retry need not wait for them to run out. */
  async release(owner: string, ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      await this.table.update({ pk: keys.outbox(owner), sk: id }, { set: { leaseUntil: 0 } });
    }
  }

  private item(owner: string, payload: T) {
    return {
      pk: keys.outbox(owner),
      sk: payload.id,
      [this.attribute]: JSON.stringify(payload),
      expiresAt: epochSeconds(this.clock()) + ENTRY_DAYS * 86_400,
    };
  }
}
