import { gunzipSync, gzipSync } from 'node:zlib';
import type { Item, Table } from './types';

/**
 * Many small rows in few items. DynamoDB bills writes per kilobyte of item, with one unit at the
 * least, so one object's observations or hourly edges written an item each cost a unit apiece;
 * packed as gzipped JSON into items of up to `maxBytes` they cost a unit per kilobyte of
 * compressed data, several times less. Rows are arrays of JSON values.
 */
export type PackedRow = readonly (string | number | boolean | null)[];

/** JSON gathered per chunk before compression; typical rows compress five to ten times. */
const DEFAULT_MAX_ROWS_BYTES = 1_000_000;
/** A compressed chunk above this is split: DynamoDB items hold at most 400 KB. */
const MAX_ITEM_BYTES = 300_000;

/** Packs rows into gzip chunks, each from at most about `maxRawBytes` of JSON. */
export function packRows(rows: Iterable<PackedRow>, maxRawBytes = DEFAULT_MAX_ROWS_BYTES): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let lines: string[] = [];
  let size = 0;
  const compress = (part: string[]) => {
    const zipped = gzipSync(part.join('\n'), { level: 6 });
    if (zipped.byteLength > MAX_ITEM_BYTES && part.length > 1) {
      // Rows that barely compress: halve until each chunk fits in an item.
      compress(part.slice(0, part.length >> 1));
      compress(part.slice(part.length >> 1));
      return;
    }
    chunks.push(new Uint8Array(zipped.buffer, zipped.byteOffset, zipped.byteLength));
  };
  const flush = () => {
    if (lines.length > 0) compress(lines);
    lines = [];
    size = 0;
  };
  for (const row of rows) {
    const line = JSON.stringify(row);
    if (size + line.length > maxRawBytes) flush();
    lines.push(line);
    size += line.length + 1;
  }
  flush();
  return chunks;
}

export class PackingError extends Error {
  override readonly name = 'PackingError';
}

/** The rows of one packed chunk. */
export function unpackRows(packed: unknown): PackedRow[] {
  if (!(packed instanceof Uint8Array)) throw new PackingError('packed attribute is not binary');
  const text = gunzipSync(packed).toString('utf8');
  if (text.length === 0) return [];
  return text.split('\n').map((line) => JSON.parse(line) as PackedRow);
}

/**
 * One writer's rows in one partition as items: `<skPrefix><n>` each (the prefix names the object,
 * so a redelivered object overwrites its own items instead of adding to them), with the row count.
 */
export function packedItems(pk: string, skPrefix: string, rows: readonly PackedRow[], expiresAt: number): Item[] {
  return packRows(rows).map((packed, n) => ({ pk, sk: `${skPrefix}${n}`, packed, rows: rows.length, expiresAt }));
}

/** Every row packed in a partition, whoever wrote it: one query. */
export async function packedRowsIn(table: Table, pk: string): Promise<PackedRow[]> {
  const rows: PackedRow[] = [];
  for (const item of await table.query(pk)) rows.push(...unpackRows(item.packed));
  return rows;
}
