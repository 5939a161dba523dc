import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_MS, dayOf, dayStart } from '../../shared/util/time';

describe('dayOf', () => {
  it('names the UTC day of any time, asked in any order (it keeps the last day it formatted)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -8.64e15, max: 8.64e15 }), { minLength: 1, maxLength: 50 }), (times) => {
        for (const time of times) expect(dayOf(time)).toBe(new Date(time).toISOString().slice(0, 10));
      }),
    );
  });

  it('turns over exactly at midnight UTC', () => {
    const midnight = dayStart('2026-11-29');
    expect([dayOf(midnight - 1), dayOf(midnight), dayOf(midnight + DAY_MS - 1), dayOf(midnight + DAY_MS)]).toEqual([
      '2026-11-28',
      '2026-11-29',
      '2026-11-29',
      '2026-11-30',
    ]);
    expect(() => dayOf(Number.NaN)).toThrow();
  });
});
