import { describe, expect, it } from 'vitest';
import { holderAt, holderAtSorted, newestFirst, type PodIpEntry, PodIpMap } from '../../shared/network/pod-ip-map';
import { MemoryTable } from '../../shared/store/memory-table';
import type { Condition, Item } from '../../shared/store/types';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const HOUR = 3_600_000;

function pod(name: string, from: number, extra: Partial<PodIpEntry> = {}): PodIpEntry {
  return {
    kind: 'pod',
    namespace: 'shop',
    pod: name,
    uid: `uid-${name}`,
    workload: 'web',
    ownerKind: 'Deployment',
    from,
    seen: from,
    ...extra,
  };
}

describe('PodIpMap', () => {
  it('keeps holders per address and looks many addresses up with one batch read', async () => {
    // Prepare
    const table = new MemoryTable();
    const map = new PodIpMap(table);
    await map.record(
      new Map([
        ['10.0.1.57', [pod('web-a', T0)]],
        ['10.0.1.58', [pod('web-b', T0)]],
      ]),
    );
    const before = table.counters.readRequests;
    // Act
    const found = await map.lookup(['10.0.1.57', '10.0.1.58', '10.0.1.99', '10.0.1.57']);
    // Assess: MemoryTable counts each key of a batch; DynamoTable sends one BatchGetItem per 100 keys.
    expect(table.counters.readRequests - before).toBe(3);
    expect([...found.keys()].sort()).toEqual(['10.0.1.57', '10.0.1.58']);
    expect(found.get('10.0.1.57')?.[0]).toMatchObject({ pod: 'web-a', workload: 'web' });
  });

  it('writes only what changes: a holder seen again within hours is not rewritten', async () => {
    const table = new MemoryTable();
    const map = new PodIpMap(table);
    expect(await map.record(new Map([['10.0.1.57', [pod('web-a', T0)]]]))).toBe(1);
    expect(await map.record(new Map([['10.0.1.57', [pod('web-a', T0, { seen: T0 + HOUR })]]]))).toBe(0);
    expect(await map.record(new Map([['10.0.1.57', [pod('web-a', T0, { seen: T0 + 7 * HOUR })]]]))).toBe(1);
    expect(await map.record(new Map([['10.0.1.57', [pod('web-c', T0 + 8 * HOUR)]]]))).toBe(1);
    const [entries] = (await map.lookup(['10.0.1.57'])).values();
    expect(entries?.map((e) => e.pod)).toEqual(['web-c', 'web-a']);
  });

  it('loses no holder when two objects write the same address at once', async () => {
    // Prepare: a table where another object's write lands between our read and our write.
    class RacingTable extends MemoryTable {
      private raced = false;
      override async put(item: Item, condition?: Condition): Promise<boolean> {
        if (!this.raced && item.pk === 'PODIP#10.0.1.57') {
          this.raced = true;
          await super.put({ ...item, entries: [pod('web-z', T0 + HOUR)], version: 1 });
        }
        return super.put(item, condition);
      }
    }
    const table = new RacingTable();
    // Act
    await new PodIpMap(table).record(new Map([['10.0.1.57', [pod('web-a', T0)]]]));
    // Assess
    const [entries] = (await new PodIpMap(table).lookup(['10.0.1.57'])).values();
    expect(entries?.map((e) => e.pod).sort()).toEqual(['web-a', 'web-z']);
  });
});

describe('holderAt', () => {
  const entries = [pod('web-old', T0, { to: T0 + 5 * HOUR }), pod('web-new', T0 + 6 * HOUR)];

  it('names the pod that started last before the time, allowing for a little skew', () => {
    expect(holderAt(entries, T0 + HOUR)?.pod).toBe('web-old');
    expect(holderAt(entries, T0 + 7 * HOUR)?.pod).toBe('web-new');
    expect(holderAt(entries, T0 + 6 * HOUR - 60_000)?.pod).toBe('web-new');
  });

  it('names nobody between a pod that stopped and the next, nor before the first', () => {
    expect(holderAt(entries, T0 + 5.5 * HOUR)).toBeUndefined();
    expect(holderAt(entries, T0 - HOUR)).toBeUndefined();
    expect(holderAt(undefined, T0)).toBeUndefined();
  });

  it('falls back to the node for a node address', () => {
    const node: PodIpEntry = { kind: 'node', node: 'ip-10-0-1-23', from: T0, seen: T0 };
    expect(holderAt([node], T0 + HOUR)).toBe(node);
  });

  it('answers the same from entries sorted once as from entries in any order', () => {
    const node: PodIpEntry = { kind: 'node', node: 'ip-10-0-1-23', from: T0 - HOUR, seen: T0 };
    const shuffled = [pod('web-new', T0 + 6 * HOUR), node, pod('web-old', T0, { to: T0 + 5 * HOUR })];
    const sorted = newestFirst(shuffled);
    expect(sorted.map((e) => e.from)).toEqual([T0 + 6 * HOUR, T0, T0 - HOUR]);
    for (const hours of [-2, 0.5, 5.5, 6, 9]) {
      expect(holderAtSorted(sorted, T0 + hours * HOUR)).toBe(holderAt(shuffled, T0 + hours * HOUR));
    }
    expect(holderAtSorted(sorted, T0 + 9 * HOUR)?.pod).toBe('web-new');
  });
});
