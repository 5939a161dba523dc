import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { RandomAccessObject } from '../../shared/ingest/random-access';

/** One flow-log row by AWS field name (`pkt-srcaddr`); null or absent for a missing value. */
export type FlowRow = Record<string, string | number | bigint | null | Uint8Array | undefined>;

/** The Parquet type VPC Flow Logs give each field (strings for everything not listed). */
const INT32 = new Set(['version', 'srcport', 'dstport', 'protocol', 'tcp-flags', 'traffic-path']);
const INT64 = new Set(['packets', 'bytes', 'start', 'end']);

export interface FlowParquetOptions {
  /** Rows per row group. @default all rows in one */
  rowGroupSize?: number;
  /** @default 'GZIP', as VPC Flow Logs write it */
  codec?: 'GZIP' | 'SNAPPY' | 'UNCOMPRESSED';
  /** Target page size in bytes. @default 1 MiB */
  pageSize?: number;
  /** Column types to override, by field name (for writing a wrong type on purpose). */
  types?: Record<string, 'INT32' | 'INT64' | 'STRING' | 'BYTE_ARRAY'>;
}

/**
 * Writes flow-log rows as VPC Flow Logs' Parquet option does: one column per field, named with
 * underscores (`pkt_srcaddr`), int32/int64/string, nullable, GZIP pages. A test fixture generator.
 */
export function flowParquet(
  fields: readonly string[],
  rows: readonly FlowRow[],
  options: FlowParquetOptions = {},
): Buffer {
  const columnData = fields.map((field) => {
    const type = options.types?.[field] ?? (INT32.has(field) ? 'INT32' : INT64.has(field) ? 'INT64' : 'STRING');
    const data = rows.map((row) => {
      const value = row[field];
      if (value === undefined || value === null) return null;
      if (type === 'INT64') return BigInt(value as number);
      if (type === 'INT32') return Number(value);
      return value;
    });
    return { name: field.replace(/-/g, '_'), type, data, nullable: true };
  });
  const buffer = parquetWriteBuffer({
    columnData,
    codec: options.codec ?? 'GZIP',
    compressors: { GZIP: (input: Uint8Array) => gzipSync(input) },
    rowGroupSize: options.rowGroupSize,
    pageSize: options.pageSize,
  });
  return Buffer.from(buffer);
}

/** A byte buffer as a {@link RandomAccessObject}, counting the reads. */
export function memoryRandomAccess(uri: string, bytes: Buffer): RandomAccessObject & { reads: number } {
  const access = {
    uri,
    size: bytes.length,
    reads: 0,
    async read(start: number, end: number) {
      access.reads++;
      return bytes.subarray(Math.max(0, start), Math.min(bytes.length, end));
    },
  };
  return access;
}
