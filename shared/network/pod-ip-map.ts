import type { Item, Table } from '../store';
import { keys } from '../store';
import { epochSeconds, HOUR_MS } from '../util';

/** Who held an address from `from` on: a pod (and the workload that owns it) or a node. */
export interface PodIpEntry {
  kind: 'pod' | 'node';
  cluster?: string;
  namespace?: string;
  pod?: string;
  uid?: string;
  /** The owning workload's name and kind (`Deployment`, `DaemonSet`, ...), when known or inferred. */
  workload?: string;
  ownerKind?: string;
  /** The node's name (for a node, its own). */
  node?: string;
  /** Epoch ms the address was first held (the pod's start time when the log gives it). */
  from: number;
  /** Epoch ms the holder was last reported. */
  seen: number;
  /**
   * Epoch ms the audit log first reported the holder. Far after `from`, the pod ran unnamed for a
   * while (it started before the log, or before Driftwatch ran): its traffic until then was judged
   * by address, and that history is the workload's ({@link reportedLate}).
   */
  reported?: number;
  /** Epoch ms the pod stopped holding the address, when the log says so. */
  to?: number;
}

export interface PodIpMapOptions {
  /** Days an address's record is kept after its last report. @default 30 */
  ttlDays?: number;
  /** Holders remembered per address, newest first. @default 8 */
  maxEntries?: number;
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

  constructor(
    private readonly table: Table,
    options: PodIpMapOptions = {},
  ) {
    this.ttlDays = options.ttlDays ?? 30;
    this.maxEntries = options.maxEntries ?? 8;
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
   * Merges reported holders into the map: new holders are added, known ones get their last
   * report moved on (when it is older than a few hours), stops are recorded. Returns the number
   * of addresses written.
   */
  async record(sightings: ReadonlyMap<string, readonly PodIpEntry[]>): Promise<number> {
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
        const merged = this.merge(item ? entriesOf(item) : [], seen);
        if (!merged) break;
        const ok = await this.table.put(
          {
            ...keys.podIp(address),
            address,
            version: version + 1,
            entries: merged,
            expiresAt: epochSeconds(Math.max(...merged.map((e) => e.to ?? e.seen))) + this.ttlDays * 86_400,
          },
          { kind: 'absentOrBelow', attribute: 'version', value: version + 1 },
        );
        if (ok) {
          written++;
          break;
        }
        if (attempt + 1 >= MAX_ATTEMPTS) break;
        item = await this.table.get(keys.podIp(address));
      }
    }
    return written;
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
 * A holder first reported more than `afterMs` after it started: its address carried traffic no
 * audit record named, which was judged (and learned) by address and subnet.
 */
export function reportedLate(entry: PodIpEntry, afterMs: number): boolean {
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
