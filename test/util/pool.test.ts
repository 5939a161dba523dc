import { describe, expect, it } from 'vitest';
import { chunksOf, mapLimit } from '../../shared/util/pool';

describe('mapLimit', () => {
  it('keeps at most `limit` calls in flight and returns the results in order', async () => {
    // Prepare: each call waits for the test to release it.
    let inFlight = 0;
    let most = 0;
    const releases: (() => void)[] = [];
    const work = async (n: number) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise<void>((resolve) => releases.push(resolve));
      inFlight--;
      return n * 10;
    };
    // Act: release calls one by one, as they start.
    const done = mapLimit([1, 2, 3, 4, 5, 6, 7], 3, work);
    while (releases.length > 0 || inFlight > 0) {
      await new Promise((resolve) => setImmediate(resolve));
      releases.shift()?.();
    }
    // Assess
    expect(await done).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(most).toBe(3);
  });

  it('fails when a call fails, and does nothing for no items', async () => {
    await expect(mapLimit([1, 2], 2, async (n) => (n === 2 ? Promise.reject(new Error('boom')) : n))).rejects.toThrow(
      'boom',
    );
    expect(await mapLimit([], 4, async () => 1)).toEqual([]);
  });
});

describe('chunksOf', () => {
  it('slices items', () => {
    expect(chunksOf([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunksOf([], 2)).toEqual([]);
  });
});
