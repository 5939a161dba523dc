import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DistinctKeys } from '../../shared/util/distinct-keys';

describe('DistinctKeys', () => {
  it('answers as a Set of strings does', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 12 }), { maxLength: 3000 }), (keys) => {
        const plain = new Set<string>();
        const compact = new DistinctKeys();
        for (const key of keys) {
          expect(compact.has(key)).toBe(plain.has(key));
          expect(compact.add(key)).toBe(!plain.has(key));
          plain.add(key);
        }
        expect(compact.size).toBe(plain.size);
      }),
      { numRuns: 50 },
    );
  });

  it('counts a hundred thousand distinct identities exactly as it grows', () => {
    const keys = new DistinctKeys();
    for (let n = 0; n < 100_000; n++) keys.add(`dev-${n}@corp.example`);
    for (let n = 0; n < 100_000; n += 7) keys.add(`dev-${n}@corp.example`);

    expect(keys.size).toBe(100_000);
    expect(keys.has('dev-99999@corp.example')).toBe(true);
    expect(keys.has('dev-100000@corp.example')).toBe(false);
  });
});
