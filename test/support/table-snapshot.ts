import type { Item } from '../../shared/store';

/** A value in one spelling: object keys sorted, sets as sorted arrays, bytes as base64. */
function canonical(value: unknown): unknown {
  if (value instanceof Set)
    return {
      $set: [...value]
        .map(canonical)
        .map((v) => JSON.stringify(v))
        .sort(),
    };
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = canonical((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** Every item of a table as one canonical JSON line, sorted: two tables hold the same items when these are equal. */
export function canonicalItems(items: Iterable<Item>): string[] {
  return [...items].map((item) => JSON.stringify(canonical(item))).sort();
}
