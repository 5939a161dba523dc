import type { Item, Table } from '../store';
import { keys } from '../store';
import { epochSeconds, HOUR_MS } from '../util';
import type { PodIpCache } from './pod-ip-cache';
import type { PodIpEntry } from './pod-ip-entry';

export type { PodIpEntry };

export interface PodIpMapOptions {
  /** Days an address's record is kept after its last report. @default 30 */
  ttlDays?: number;
  /** Holders remembered per address, newest first. @default 8 */
  maxEntries?: number;
  /**
   * Records read before, kept by a warm process: {@link PodIpMap.lookupAt} answers from it while
   * they are certainly still right, and {@link PodIpMap.record} forgets what it writes. @default none
   */
  cache?: PodIpCache;
}

/** A flow's time may precede the pod's reported start by a little (clock skew, capture windows). */
const START_GRACE_MS = 5 * 60_000;
/** A holder reported again is rewritten only when its last report is this old, to bound writes. */
const REFRESH_MS = 6 * HOUR_MS;
const MAX_ATTEMPTS = 4;

/**
 * Whether two reports name one holder. Two clusters in one VPC may both run `shop/web-abc`, and
 * reuse each other's addresses: holders of different clusters are never one. A holder recorded
 * before entries carried their cluster matches a report of any cluster (and takes its name).
 */
export function sameHolder(a: PodIpEntry, b: PodIpEntry): boolean {
  if (a.kind !== b.kind) return false;
  if (a.cluster !== undefined && b.cluster !== undefined && a.cluster !== b.cluster) return false;
  if (a.kind === 'node') return a.node === b.node;
  if (a.uid && b.uid) return a.uid === b.uid;
  return a.namespace === b.namespace && a.pod === b.pod;
}

/**
 * The pod IP map: for each address, who held it and since when, from the kubelets' pod status
 * reports in the audit log. One item per address (`PODIP#<address>`), so a flow object looks up
 * all its internal addresses with one batch read. Writes are compare-and-set on a version, so
 * two audit objects processed at once cannot lose each other's holders.
 */
export class PodIpMap {
  private readonly ttlDays: number;
  private readonly maxEntries: number;
  private readonly cache: PodIpCache | undefined;

  constructor(
    private readonly table: Table,
    options: PodIpMapOptions = {},
  ) {
    this.ttlDays = options.ttlDays ?? 30;
    this.maxEntries = options.maxEntries ?? 8;
    this.cache = options.cache;
  }

  /** The holders of each address, newest first. Addresses nobody reported are absent. */
  async lookup(addresses: Iterable<string>): Promise<Map<string, PodIpEntry[]>> {
    const unique = [...new Set(addresses)];
    const out = new Map<string, PodIpEntry[]>();
    if (unique.length === 0) return out;
    for (const item of await this.table.batchGet(unique.map((a) => keys.podIp(a)))) {
      out.set(String(item.address), entriesOf(item));
    }
    return out;
  }

  /**
   * The holders of each address, newest first, to be asked who held it up to the time given (the
   * latest an edge asks about). Records the cache holds for those times are not read again.
   */
  async lookupAt(latest: ReadonlyMap<string, number>): Promise<Map<string, readonly PodIpEntry[]>> {
    if (!this.cache) return this.lookup(latest.keys());
    const out = new Map<string, readonly PodIpEntry[]>();
    const missing: string[] = [];
    for (const [address, time] of latest) {
      const hit = this.cache.get(address, time);
      if (!hit) missing.push(address);
      else if (hit.entries) out.set(address, hit.entries);
    }
    if (missing.length === 0) return out;
    const read = await this.cache.beginRead();
    const found = await this.lookup(missing);
    for (const address of missing) {
      const entries = found.get(address);
      this.cache.store(read, address, entries);
      if (entries) out.set(address, entries);
    }
    return out;
  }

  /**
   * Tells the cache how far the audit logs have been processed (a watermark just read): records
   * read from now on answer for times up to there, less the margin, without being read again.
   */
  auditReached(watermark: number | undefined): void {
    this.cache?.auditReached(watermark);
  }

  /**
   * Merges reported holders into the map: new holders are added, known ones get their last
   * report moved on (when it is older than a few hours), stops are recorded. Returns the number
   * of addresses written.
   */
  async record(
    sightings: ReadonlyMap<string, readonly PodIpEntry[]>,
    /** Told each holder the map did not know before, once it is written. */
    onNew?: (address: string, entry: PodIpEntry) => void,
  ): Promise<number> {
    if (sightings.size === 0) return 0;
    const current = new Map<string, Item>();
    for (const item of await this.table.batchGet([...sightings.keys()].map((a) => keys.podIp(a)))) {
      current.set(String(item.address), item);
    }
    let written = 0;
    for (const [address, seen] of sightings) {
      let item = current.get(address);
      for (let attempt = 0; ; attempt++) {
        const version = typeof item?.version === 'number' ? item.version : 0;
        const before = item ? entriesOf(item) : [];
        const merged = this.merge(before, seen);
        if (!merged) break;
        const ok = await this.writeRecord(address, version, merged);
        if (ok) {
          written++;
          for (const entry of merged) if (!before.some((e) => sameHolder(e, entry))) onNew?.(address, entry);
          break;
        }
        if (attempt + 1 >= MAX_ATTEMPTS) break;
        item = await this.table.get(keys.podIp(address));
      }
    }
    return written;
  }

  /**
   * Puts an address's record unless another writer moved its version on. The cache forgets the
   * address before (no answer from it while the write is under way) and after (a read in flight
   * may have seen the table before the write), even when the write fails.
   */
  private async writeRecord(address: string, version: number, merged: PodIpEntry[]): Promise<boolean> {
    this.cache?.forget([address]);
    try {
      return await this.table.put(
        {
          ...keys.podIp(address),
          address,
          version: version + 1,
          entries: merged,
          expiresAt: epochSeconds(Math.max(...merged.map((e) => e.to ?? e.seen))) + this.ttlDays * 86_400,
        },
        { kind: 'absentOrBelow', attribute: 'version', value: version + 1 },
      );
    } finally {
      this.cache?.forget([address]);
    }
  }

  /** The merged holders, or undefined when the reports add nothing worth a write. */
  private merge(existing: PodIpEntry[], reported: readonly PodIpEntry[]): PodIpEntry[] | undefined {
    const entries = existing.map((e) => ({ ...e }));
    let changed = false;
    for (const report of reported) {
      const known = entries.find((e) => sameHolder(e, report));
      if (!known) {
        entries.push({ ...report });
        changed = true;
        continue;
      }
      if (report.from < known.from) {
        known.from = report.from;
        changed = true;
      }
      if (report.reported !== undefined && (known.reported === undefined || report.reported < known.reported)) {
        known.reported = report.reported;
        changed = true;
      }
      if (report.seen > known.seen + REFRESH_MS) {
        known.seen = report.seen;
        changed = true;
      }
      if (report.to !== undefined && known.to !== report.to) {
        known.to = report.to;
        changed = true;
      }
      for (const field of ['workload', 'ownerKind', 'uid', 'node', 'cluster'] as const) {
        if (report[field] && !known[field]) {
          known[field] = report[field];
          changed = true;
        }
      }
    }
    if (!changed) return undefined;
    entries.sort((a, b) => b.from - a.from);
    return entries.slice(0, this.maxEntries);
  }
}

function entriesOf(item: Item): PodIpEntry[] {
  return Array.isArray(item.entries) ? (item.entries as PodIpEntry[]) : [];
}

/**
 * A pod first reported this long after it started ran unnamed before: its flows until then were
 * decided by address (edges wait only minutes past the audit log), so what was learned about the
 * address and its subnet is its workload's history.
 */
export const LATE_REPORT_MS = 30 * 60_000;

/**
 * A holder first reported more than `afterMs` after it started: its address carried traffic no
 * audit record named, which was judged (and learned) by address and subnet.
 */
export function reportedLate(entry: PodIpEntry, afterMs = LATE_REPORT_MS): boolean {
  return entry.kind !== 'node' && entry.reported !== undefined && entry.reported - entry.from > afterMs;
}

/**
 * Who held an address at `time`: the pod that started last before it (an address is reused only
 * after its pod is gone), unless that pod was reported stopped before `time`. Nodes answer for
 * their own addresses when no pod does.
 */
export function holderAt(entries: readonly PodIpEntry[] | undefined, time: number): PodIpEntry | undefined {
  return entries ? holderAtSorted(newestFirst(entries), time) : undefined;
}

/** Entries newest first, as {@link holderAtSorted} takes them. */
export function newestFirst(entries: readonly PodIpEntry[]): PodIpEntry[] {
  return [...entries].sort((a, b) => b.from - a.from);
}

/** {@link holderAt} for entries already {@link newestFirst}: for asking about one address many times. */
export function holderAtSorted(entries: readonly PodIpEntry[] | undefined, time: number): PodIpEntry | undefined {
  if (!entries || entries.length === 0) return undefined;
  let node: PodIpEntry | undefined;
  for (const entry of entries) {
    if (entry.kind === 'node') {
      node ??= entry;
      continue;
    }
    if (entry.from > time + START_GRACE_MS) continue;
    if (entry.to !== undefined && entry.to < time) return node;
    return entry;
  }
  return node;
}
