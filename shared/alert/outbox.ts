import type { Table } from '../store';
import { keys } from '../store';
import { epochSeconds } from '../util';
import type { Finding } from './finding';

/** `leaseUntil` of an entry that went out: no lease ever reaches it. */
const SENT = Number.MAX_SAFE_INTEGER;
/** How long an outbox entry is kept after it was written: as long as a processed-object marker. */
const ENTRY_DAYS = 30;

/** A finding waiting in (or gone from) the outbox. */
export interface OutboxEntry {
  finding: Finding;
  sent: boolean;
  /** Epoch ms until which an attempt holds the entry to publish it; 0 when none does. */
  leaseUntil: number;
}

/**
 * The findings an owner (an object, a rebaseline run) has to publish, recorded before any is
 * published (`OUTBOX#<owner>`, one item per finding id). An entry is held by one attempt at a
 * time through a lease, so two deliveries of the same object never both publish it, and is
 * marked sent one by one as SNS accepts it. A retry publishes what its owner's outbox still
 * holds, whether or not the retry finds the same findings again.
 */
export class Outbox {
  constructor(
    private readonly table: Table,
    private readonly clock: () => number,
    /** How long an attempt may hold an entry; queue visibility timeouts must be longer. */
    private readonly leaseMs: number,
  ) {}

  /** Every entry of an owner, by finding id. */
  async entries(owner: string): Promise<Map<string, OutboxEntry>> {
    const out = new Map<string, OutboxEntry>();
    for (const item of await this.table.query(keys.outbox(owner))) {
      const leaseUntil = Number(item.leaseUntil ?? 0);
      out.set(item.sk, { finding: JSON.parse(String(item.finding)) as Finding, sent: leaseUntil >= SENT, leaseUntil });
    }
    return out;
  }

  /** Records a finding, held by the caller. False when its entry exists already (a concurrent delivery wrote it). */
  async add(owner: string, finding: Finding): Promise<boolean> {
    return this.table.put(
      { ...this.item(owner, finding), leaseUntil: this.clock() + this.leaseMs },
      { kind: 'absent' },
    );
  }

  /** Takes an entry whose lease has run out (or was given back). False when another attempt holds it or it went. */
  async lease(owner: string, findingId: string): Promise<boolean> {
    const now = this.clock();
    return this.table.update(
      { pk: keys.outbox(owner), sk: findingId },
      { set: { leaseUntil: now + this.leaseMs } },
      { kind: 'absentOrBelow', attribute: 'leaseUntil', value: now + 1 },
    );
  }

  /** Marks findings published: one batch write, unconditional (the caller holds their leases). */
  async markSent(owner: string, findings: readonly Finding[]): Promise<void> {
    if (findings.length === 0) return;
    const now = this.clock();
    await this.table.batchPut(findings.map((f) => ({ ...this.item(owner, f), leaseUntil: SENT, sentAt: now })));
  }

  /** Gives leases back after publishing failed, so the retry need not wait for them to run out. */
  async release(owner: string, findingIds: readonly string[]): Promise<void> {
    for (const id of findingIds) {
      await this.table.update({ pk: keys.outbox(owner), sk: id }, { set: { leaseUntil: 0 } });
    }
  }

  private item(owner: string, finding: Finding) {
    return {
      pk: keys.outbox(owner),
      sk: finding.id,
      finding: JSON.stringify(finding),
      expiresAt: epochSeconds(this.clock()) + ENTRY_DAYS * 86_400,
    };
  }
}
