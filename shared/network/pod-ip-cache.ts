import type { PodIpEntry } from './pod-ip-entry';

/**
 * When a pod IP record read earlier answers a question exactly as the table would now.
 *
 * A flow edge is named by the holder of its address at the edge's time `t` (`holderAt`). The
 * engine decides an edge once the audit watermark `W` (the least over the clusters, as
 * `PendingEdges` reads it) has passed `t + margin`: from then on it treats the pod IP map as
 * complete for `t` (pending edges: "named again against the now complete pod IP map"). Call that
 * the premise. A record read when the watermark was already `W` therefore answers every time
 * `t <= W - margin` as any later read would: a later write carries reports the premise says were
 * already in for `t` (a new holder, a stop, an earlier start or report, a filled-in owner), or it
 * affects only times after `W - margin` (a new holder reported on time, a stop). That bound is the
 * record's horizon; questions past it (fresh edges, edges decided after `maxWaitHours` without the
 * audit log) are read again, and the fresh read carries a fresh horizon.
 *
 * Where the premise fails the engine's own answer already depends on when an object happened to be
 * processed, and the cached answer may differ from a fresh read: a pod reported late (it started
 * before the audit log, `reportedLate`); a pod whose first flows precede its report by more than the
 * margin (a holder reported after `W` at `e` names times from its start less the 5-minute grace,
 * which may be before `W - margin`: the margin exists for exactly this); an audit object delivered
 * more than the margin out of order; a record's oldest holder dropped past its eight. In each, the
 * cache answers as if the object had been processed when the record was read, at most `maxAgeMs`
 * before, which the pipeline's delivery delays already do. A stricter horizon,
 * `W - margin - LATE_REPORT_MS - grace`, would close the second case but leaves almost nothing to
 * answer: a flow object asks about the last minutes before the watermark. Writes through the same
 * engine (the CLI, which processes audit and flow objects alike) are forgotten at once, so there
 * the answers are always the table's.
 *
 * The watermark is learned, not read for the cache: the engine passes each value it reads anyway
 * (and reads it once for a cold container's first object, `readWatermark`). Any value once read
 * is a lower bound of the table's from then on (it only moves forward), so a record is stamped
 * with the watermark known before its read started.
 */
export interface PodIpCacheOptions {
  /** `network.lateAudit.marginMinutes`, in ms: how far past an edge's time the audit log must reach. */
  marginMs: number;
  /** Addresses kept at most; the least recently used go first. @default 50_000 */
  maxAddresses?: number;
  /** Approximate memory the kept records take at most, in bytes. @default 32 MiB */
  maxBytes?: number;
  /** How long a record read is used at most, in ms of `clock`. @default 10 minutes */
  maxAgeMs?: number;
  /** @default Date.now */
  clock?: () => number;
  /**
   * Reads the audit watermark and tells it to the cache ({@link PodIpCache.auditReached}), once,
   * before the first records are read: else a cold container's first object keeps nothing.
   */
  readWatermark?: () => Promise<unknown>;
}

interface Cached {
  /** The address's holders as read; undefined when nobody had reported it. */
  entries: readonly PodIpEntry[] | undefined;
  /** Times up to this are answered from the record (the watermark known at the read, less the margin). */
  horizon: number;
  /** `clock` when the read started. */
  readAt: number;
  bytes: number;
}

/** Taken before a read: what the records it returns may be stamped with. */
export interface PodIpRead {
  readonly generation: number;
  readonly horizon: number;
  readonly readAt: number;
}

/** What the cache did since it was made, for tests and measurements. */
export interface PodIpCacheStats {
  hits: number;
  misses: number;
  evicted: number;
}

/** Per record: the Map entry, its key and value objects. */
const RECORD_OVERHEAD_BYTES = 160;

/**
 * Pod IP records read by a warm process, answered again without a read while they are certainly
 * still right ({@link PodIpCacheOptions} says when). Bounded in addresses and bytes, least recently
 * used first out. Kept by the engine, which a Lambda container keeps across invocations.
 */
export class PodIpCache {
  readonly stats: PodIpCacheStats = { hits: 0, misses: 0, evicted: 0 };
  private readonly records = new Map<string, Cached>();
  private readonly marginMs: number;
  private readonly maxAddresses: number;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;
  private readonly clock: () => number;
  private readWatermark: (() => Promise<unknown>) | undefined;
  private watermark = Number.NEGATIVE_INFINITY;
  private bytes = 0;
  /** Moves on every forget: a read that started before it may have seen the table before a write. */
  private generation = 0;

  constructor(options: PodIpCacheOptions) {
    this.marginMs = options.marginMs;
    this.maxAddresses = options.maxAddresses ?? 50_000;
    this.maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
    this.maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
    this.clock = options.clock ?? Date.now;
    this.readWatermark = options.readWatermark;
  }

  /** Tells the cache a watermark read from the table; lower ones than already known change nothing. */
  auditReached(watermark: number | undefined): void {
    if (watermark !== undefined && watermark > this.watermark) this.watermark = watermark;
  }

  /** The address's holders when the cache answers for times up to `latest`: `{ entries }`, or undefined to read. */
  get(address: string, latest: number): { entries: readonly PodIpEntry[] | undefined } | undefined {
    const cached = this.records.get(address);
    if (!cached || latest > cached.horizon || this.clock() - cached.readAt > this.maxAgeMs) {
      this.stats.misses++;
      return undefined;
    }
    // Least recently used first out: a hit moves the record to the end.
    this.records.delete(address);
    this.records.set(address, cached);
    this.stats.hits++;
    return { entries: cached.entries };
  }

  /** Call before reading records from the table; pass the result to {@link store}. */
  async beginRead(): Promise<PodIpRead> {
    const read = this.readWatermark;
    if (read && this.watermark === Number.NEGATIVE_INFINITY) {
      this.readWatermark = undefined;
      await read();
    }
    return { generation: this.generation, horizon: this.watermark - this.marginMs, readAt: this.clock() };
  }

  /** Keeps a record read (undefined: the table had none), unless a write was forgotten since the read began. */
  store(read: PodIpRead, address: string, entries: readonly PodIpEntry[] | undefined): void {
    if (read.generation !== this.generation || read.horizon === Number.NEGATIVE_INFINITY) return;
    this.drop(address);
    const frozen = entries && Object.freeze(entries.map((e) => Object.freeze({ ...e })));
    const bytes = RECORD_OVERHEAD_BYTES + 2 * (address.length + (entries ? JSON.stringify(entries).length : 0));
    if (bytes > this.maxBytes) return;
    this.records.set(address, { entries: frozen, horizon: read.horizon, readAt: read.readAt, bytes });
    this.bytes += bytes;
    for (const oldest of this.records.keys()) {
      if (this.records.size <= this.maxAddresses && this.bytes <= this.maxBytes) break;
      this.drop(oldest);
      this.stats.evicted++;
    }
  }

  /** Forgets addresses this process writes: what it read before the write is no longer the table's. */
  forget(addresses: Iterable<string>): void {
    this.generation++;
    for (const address of addresses) this.drop(address);
  }

  /** Addresses kept, and the bytes they take. */
  get size(): { addresses: number; bytes: number } {
    return { addresses: this.records.size, bytes: this.bytes };
  }

  private drop(address: string): void {
    const cached = this.records.get(address);
    if (!cached) return;
    this.records.delete(address);
    this.bytes -= cached.bytes;
  }
}
