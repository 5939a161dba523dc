import { describe, expect, it } from 'vitest';
import { PodIpCache, type PodIpCacheOptions } from '../../shared/network/pod-ip-cache';
import { holderAt, type PodIpEntry, PodIpMap } from '../../shared/network/pod-ip-map';
import { MemoryTable } from '../../shared/store/memory-table';
import type { Item, Key } from '../../shared/store/types';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const MARGIN = 5 * MINUTE;

function pod(name: string, from: number, extra: Partial<PodIpEntry> = {}): PodIpEntry {
  return { kind: 'pod', namespace: 'shop', pod: name, workload: name, from, seen: from, reported: from, ...extra };
}

/** A table, a map that caches (as a flow processor's engine), and one that writes as the audit processor does. */
function setup(options: Partial<PodIpCacheOptions> = {}) {
  const table = new MemoryTable();
  let now = T0;
  const cache = new PodIpCache({ marginMs: MARGIN, clock: () => now, ...options });
  const reader = new PodIpMap(table, { cache });
  const auditProcessor = new PodIpMap(table);
  /** Read units of `read`, with what it found. */
  const measured = async <T>(read: () => Promise<T>): Promise<[T, number]> => {
    const before = table.counters.readUnits;
    const out = await read();
    return [out, table.counters.readUnits - before];
  };
  const holderOf = async (address: string, time: number) =>
    measured(async () => holderAt((await reader.lookupAt(new Map([[address, time]]))).get(address), time)?.pod);
  return { table, cache, reader, auditProcessor, measured, holderOf, advance: (ms: number) => (now += ms) };
}

describe('PodIpCache', () => {
  it('answers a time the audit watermark has passed without reading the record again', async () => {
    // Prepare: web-a holds the address; the audit log is processed an hour past its start.
    const { reader, auditProcessor, holderOf, cache } = setup();
    await auditProcessor.record(new Map([['10.0.1.57', [pod('web-a', T0)]]]));
    reader.auditReached(T0 + HOUR);
    // Act
    const first = await holderOf('10.0.1.57', T0 + 30 * MINUTE);
    const again = await holderOf('10.0.1.57', T0 + HOUR - MARGIN);
    // Assess
    expect(first).toEqual(['web-a', 0.5]);
    expect(again).toEqual(['web-a', 0]);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 1 });
  });

  it('answers an address nobody reported without reading it again', async () => {
    const { reader, holderOf } = setup();
    reader.auditReached(T0 + HOUR);
    expect(await holderOf('10.0.1.99', T0)).toEqual([undefined, 0.5]);
    expect(await holderOf('10.0.1.99', T0 + 10 * MINUTE)).toEqual([undefined, 0]);
  });

  it('reads again for a time past the watermark known at the read, and sees a holder written since', async () => {
    // Prepare: web-a stopped at 00:40; the record is read when the audit log had reached 01:00.
    const { reader, auditProcessor, holderOf } = setup();
    await auditProcessor.record(new Map([['10.0.1.57', [pod('web-a', T0, { to: T0 + 40 * MINUTE })]]]));
    reader.auditReached(T0 + HOUR);
    await holderOf('10.0.1.57', T0 + 30 * MINUTE);
    // Act: another processor (no cache of ours) writes web-b, started at 00:58, reported at 01:02.
    await auditProcessor.record(
      new Map([['10.0.1.57', [pod('web-b', T0 + 58 * MINUTE, { reported: T0 + 62 * MINUTE })]]]),
    );
    reader.auditReached(T0 + 70 * MINUTE);
    // Assess: 00:30 is still the cached record's (nothing written later may change it); 01:00 is past it.
    expect(await holderOf('10.0.1.57', T0 + 30 * MINUTE)).toEqual(['web-a', 0]);
    expect(await holderOf('10.0.1.57', T0 + HOUR)).toEqual(['web-b', 0.5]);
    // And the fresh read answers up to the newer watermark.
    expect(await holderOf('10.0.1.57', T0 + 64 * MINUTE)).toEqual(['web-b', 0]);
  });

  it('forgets what its own map writes, even for times the watermark passed', async () => {
    // Prepare: the CLI's engine reads and writes through one map.
    const { reader, holderOf } = setup();
    reader.auditReached(T0 + HOUR);
    expect(await holderOf('10.0.1.57', T0 + 30 * MINUTE)).toEqual([undefined, 0.5]);
    // Act: a pod reported late (started 00:10, first reported 00:50) is written through the same map.
    await reader.record(new Map([['10.0.1.57', [pod('web-late', T0 + 10 * MINUTE, { reported: T0 + 50 * MINUTE })]]]));
    // Assess
    expect(await holderOf('10.0.1.57', T0 + 30 * MINUTE)).toEqual(['web-late', 0.5]);
  });

  it('keeps no record read while its own map was writing it', async () => {
    // Prepare: a table whose read of the address returns before the write, and finishes after it.
    const table = new MemoryTable();
    let writing: Promise<unknown> | undefined;
    const cache = new PodIpCache({ marginMs: MARGIN, clock: () => T0 });
    const map = new PodIpMap(table, { cache });
    const slow = new Proxy(table, {
      get(target, prop) {
        if (prop === 'batchGet')
          return async (keys: readonly Key[]): Promise<Item[]> => {
            const out = await target.batchGet(keys);
            writing ??= map.record(new Map([['10.0.1.57', [pod('web-b', T0)]]]));
            await writing;
            return out;
          };
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const reader = new PodIpMap(slow, { cache });
    cache.auditReached(T0 + HOUR);
    // Act
    const stale = await reader.lookupAt(new Map([['10.0.1.57', T0]]));
    const fresh = await map.lookupAt(new Map([['10.0.1.57', T0]]));
    // Assess: the read in flight saw nothing; it was not kept, so the next lookup reads web-b.
    expect(stale.size).toBe(0);
    expect(fresh.get('10.0.1.57')?.[0]?.pod).toBe('web-b');
  });

  it('keeps nothing before any watermark is known, and asks for one once', async () => {
    let asked = 0;
    const { holderOf, cache } = setup({
      readWatermark: async () => {
        asked++;
        if (asked === 2) cache.auditReached(T0 + HOUR);
      },
    });
    expect(await holderOf('10.0.1.57', T0)).toEqual([undefined, 0.5]);
    expect(await holderOf('10.0.1.57', T0)).toEqual([undefined, 0.5]);
    expect(asked).toBe(1);
  });

  it('reads again once a record is older than its age limit', async () => {
    const { reader, holderOf, advance } = setup({ maxAgeMs: 10 * MINUTE });
    reader.auditReached(T0 + HOUR);
    await holderOf('10.0.1.57', T0);
    advance(10 * MINUTE);
    expect((await holderOf('10.0.1.57', T0))[1]).toBe(0);
    advance(1);
    expect((await holderOf('10.0.1.57', T0))[1]).toBe(0.5);
  });

  it('keeps at most its addresses, least recently used out first', async () => {
    const { reader, holderOf, cache } = setup({ maxAddresses: 2 });
    reader.auditReached(T0 + HOUR);
    await holderOf('10.0.1.1', T0);
    await holderOf('10.0.1.2', T0);
    await holderOf('10.0.1.1', T0); // used: 10.0.1.2 is now the least recent
    await holderOf('10.0.1.3', T0);
    expect(cache.size.addresses).toBe(2);
    expect(cache.stats.evicted).toBe(1);
    expect((await holderOf('10.0.1.1', T0))[1]).toBe(0);
    expect((await holderOf('10.0.1.2', T0))[1]).toBe(0.5);
  });

  it('keeps at most its bytes', async () => {
    // Prepare: records of eight holders each, about 2 KB kept apiece; room for about three.
    const { reader, auditProcessor, holderOf, cache } = setup({ maxBytes: 7_000 });
    const addresses = ['10.0.1.1', '10.0.1.2', '10.0.1.3', '10.0.1.4', '10.0.1.5'];
    for (const address of addresses) {
      const holders = Array.from({ length: 8 }, (_, i) => pod(`web-${address}-${i}`, T0 + i * MINUTE));
      await auditProcessor.record(new Map([[address, holders]]));
    }
    reader.auditReached(T0 + HOUR);
    // Act
    for (const address of addresses) await holderOf(address, T0 + 30 * MINUTE);
    // Assess
    expect(cache.size.bytes).toBeLessThanOrEqual(7_000);
    expect(cache.size.addresses).toBeGreaterThan(0);
    expect(cache.size.addresses).toBeLessThan(addresses.length);
    expect((await holderOf('10.0.1.5', T0 + 30 * MINUTE))[1]).toBe(0);
    expect((await holderOf('10.0.1.1', T0 + 30 * MINUTE))[1]).toBe(0.5);
  });
});
