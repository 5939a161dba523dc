import { createHash } from 'node:crypto';

/** A stable, short hex digest of the parts, for ids and keys. */
export function stableHash(...parts: readonly (string | number | undefined)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(String(part ?? ''));
    hash.update('\u0000');
  }
  return hash.digest('hex').slice(0, 24);
}

/** A small non-cryptographic hash (FNV-1a) for spreading keys over shards. */
export function shardOf(key: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}
