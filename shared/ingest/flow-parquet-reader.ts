import { isUtf8 } from 'node:buffer';
import { brotliDecompressSync, unzipSync } from 'node:zlib';
import {
  type AsyncBuffer,
  type ColumnData,
  type Compressors,
  type FileMetaData,
  type ParquetParsers,
  parquetMetadata,
  parquetRead,
  parquetSchema,
  type RowGroup,
} from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { ReaderError } from './errors';
import { blankRecord, codeOf, ecsKeyOf, FIELDS_BEYOND_DEFAULT, FlowField } from './flow-reader';
import type { RandomAccessObject } from './random-access';
import { noteMissingFields, type ReadStats, reject } from './stats';
import type { FlowEcsContext, FlowRecord } from './types';

export interface FlowParquetReadOptions {
  stats: ReadStats;
  /**
   * Rows decoded at a time. Parquet decodes whole pages of each column, so memory follows this
   * (and the page size), not the row group size.
   * @default enough rows for about 8 MiB of the row group's uncompressed data
   */
  rowsPerSlice?: number;
}

const MAGIC = 0x31524150; // "PAR1", little-endian
/** A footer this large is not a flow log's; refuse it before allocating. */
const MAX_FOOTER_BYTES = 16 * 1024 * 1024;
/** Uncompressed bytes of a row group decoded at a time. */
const SLICE_BYTES = 8 * 1024 * 1024;
/** One page uncompressed; the default page is 1 MiB, so this only stops a hostile header. */
const MAX_PAGE_BYTES = 64 * 1024 * 1024;
const MAX_ROWS_PER_GROUP = 100_000_000;
/** Distinct values in one dictionary page; the page size bounds it anyway. */
const MAX_DICTIONARY_VALUES = 10_000_000;

/** Marks a string column value whose bytes are not UTF-8. */
const INVALID_UTF8 = Symbol('invalid-utf8');

const utf8 = new TextDecoder('utf-8');
const PARSERS: Partial<ParquetParsers> = {
  stringFromBytes(bytes: Uint8Array) {
    if (!bytes) return bytes;
    return isUtf8(bytes) ? utf8.decode(bytes) : INVALID_UTF8;
  },
};

/** VPC Flow Logs write Parquet with GZIP pages; Snappy is built into hyparquet. Output is bounded. */
const COMPRESSORS: Compressors = {
  GZIP: (input, length) => unzipSync(input, { maxOutputLength: Math.min(Math.max(length, 1), MAX_PAGE_BYTES) }),
  BROTLI: (input, length) =>
    brotliDecompressSync(input, { maxOutputLength: Math.min(Math.max(length, 1), MAX_PAGE_BYTES) }),
};

interface Column {
  /** The Parquet column name (`pkt_srcaddr`). */
  name: string;
  /** The AWS field name (`pkt-srcaddr`). */
  field: string;
  code: FlowField;
  ecsKey?: keyof FlowEcsContext;
}

/**
 * Reads VPC flow-log records from a Parquet object (the Flow Logs S3 option `parquet`): columns
 * named after the fields with underscores (`account_id`, `pkt_srcaddr`), int32/int64/string
 * values, null for a missing one. Reads the footer, then one row group at a time with a ranged
 * read, and decodes it a slice of rows at a time, so memory stays bounded whatever the object's
 * size. Never throws for bad content: a damaged footer or row group is counted with its location.
 */
export async function readFlowParquet(
  file: RandomAccessObject,
  options: FlowParquetReadOptions,
  onRecord: (record: FlowRecord) => void,
): Promise<void> {
  const { stats } = options;
  const { uri, size } = file;
  stats.objects++;
  const read = async (start: number, end: number): Promise<Uint8Array> => {
    const bytes = await file.read(start, end);
    stats.bytesRead += bytes.byteLength;
    return bytes;
  };

  const metadata = await readMetadata(size, read, stats, uri);
  if (!metadata) return;
  const columns: Column[] = [];
  let schema: ReturnType<typeof parquetSchema>;
  try {
    schema = parquetSchema(metadata);
  } catch (error) {
    // A damaged footer can decode into a schema tree with missing elements.
    reject(stats, 'malformed-parquet', { uri }, `schema: ${String((error as Error).message ?? error).slice(0, 120)}`);
    return;
  }
  for (const child of schema.children) {
    // Flow logs are flat; a nested column is nothing this reader knows.
    if (child.children.length > 0) continue;
    if (typeof child.element?.name !== 'string') {
      reject(stats, 'malformed-parquet', { uri }, 'schema: a column without a name');
      return;
    }
    const field = child.element.name.replace(/_/g, '-');
    columns.push({ name: child.element.name, field, code: codeOf(field), ecsKey: ecsKeyOf(field) });
  }
  if (!columns.some((c) => c.code === FlowField.SrcAddr || c.code === FlowField.PktSrcAddr)) {
    reject(stats, 'unknown-header', { uri }, `no address column in ${columns.map((c) => c.name).join(',')}`);
    return;
  }
  const byName = new Map(columns.map((c) => [c.name, c]));
  const names = columns.map((c) => c.name);

  // hyparquet reads through this; the current row group's bytes are fetched once and served from memory.
  let cacheStart = 0;
  let cache: Uint8Array | undefined;
  const buffer: AsyncBuffer = {
    byteLength: size,
    async slice(start: number, end = size) {
      let bytes: Uint8Array;
      if (cache && start >= cacheStart && end <= cacheStart + cache.byteLength) {
        bytes = cache.subarray(start - cacheStart, end - cacheStart);
      } else {
        bytes = await read(start, end);
      }
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };

  const eventsBefore = stats.events;
  let groupStart = 0;
  for (let g = 0; g < metadata.row_groups.length; g++) {
    const group = metadata.row_groups[g] as RowGroup;
    const groupRows = Number(group.num_rows);
    const range = groupRange(group, names, size);
    const where = { uri, record: groupStart };
    if (!range || groupRows < 0 || groupRows > MAX_ROWS_PER_GROUP) {
      reject(stats, 'malformed-parquet', where, `row group ${g}: column chunks outside the object or bad row count`);
      // Row numbers after a damaged group stay right when its columns agree on how many rows it had.
      groupStart += Math.max(0, columnsAgreeOn(group, names) ?? groupRows);
      continue;
    }
    cache = await read(range.start, range.end);
    cacheStart = range.start;
    // Check every page header before decoding: a damaged count would otherwise make the decoder
    // spin through millions of phantom values.
    const damage = checkPages(group, names, cache, cacheStart, groupRows);
    if (damage) {
      reject(stats, 'malformed-parquet', where, `row group ${g}: ${damage}`);
      cache = undefined;
      groupStart += groupRows;
      continue;
    }
    const sliceRows =
      options.rowsPerSlice ??
      Math.max(1024, Math.floor((groupRows * SLICE_BYTES) / Math.max(1, Number(group.total_byte_size))));
    for (let rowStart = groupStart; rowStart < groupStart + groupRows; rowStart += sliceRows) {
      const rowEnd = Math.min(rowStart + sliceRows, groupStart + groupRows);
      const chunks: ColumnData[] = [];
      try {
        await parquetRead({
          file: buffer,
          metadata,
          rowStart,
          rowEnd,
          columns: names,
          compressors: COMPRESSORS,
          parsers: PARSERS,
          onChunk: (chunk) => chunks.push(chunk),
        });
      } catch (error) {
        if (error instanceof ReaderError) throw error;
        reject(
          stats,
          'malformed-parquet',
          { uri, record: rowStart },
          `row group ${g}, rows ${rowStart}-${rowEnd - 1}: ${String((error as Error).message ?? error).slice(0, 120)}`,
        );
        continue;
      }
      emitSlice(chunks, byName, rowStart, rowEnd, uri, stats, onRecord);
    }
    cache = undefined;
    groupStart += groupRows;
  }
  if (stats.events > eventsBefore) {
    const fields = new Set(columns.map((c) => c.field));
    noteMissingFields(
      stats,
      FIELDS_BEYOND_DEFAULT.filter((field) => !fields.has(field)),
    );
  }
}

async function readMetadata(
  size: number,
  read: (start: number, end: number) => Promise<Uint8Array>,
  stats: ReadStats,
  uri: string,
): Promise<FileMetaData | undefined> {
  if (size < 12) {
    reject(stats, 'truncated-object', { uri }, `${size} bytes is too short for Parquet`);
    return undefined;
  }
  const tail = await read(size - 8, size);
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  if (tail.byteLength !== 8 || view.getUint32(4, true) !== MAGIC) {
    reject(stats, 'truncated-object', { uri }, 'no Parquet footer (PAR1) at the end: truncated or not Parquet');
    return undefined;
  }
  const length = view.getUint32(0, true);
  if (length > size - 12 || length > MAX_FOOTER_BYTES) {
    reject(stats, 'malformed-parquet', { uri }, `footer of ${length} bytes in an object of ${size}`);
    return undefined;
  }
  const footer = await read(size - 8 - length, size);
  try {
    return parquetMetadata(
      footer.buffer.slice(footer.byteOffset, footer.byteOffset + footer.byteLength) as ArrayBuffer,
    );
  } catch (error) {
    reject(stats, 'malformed-parquet', { uri }, `footer: ${String((error as Error).message ?? error).slice(0, 120)}`);
    return undefined;
  }
}

/** The value count every wanted column chunk of a group reports, when they all report the same. */
function columnsAgreeOn(group: RowGroup, names: readonly string[]): number | undefined {
  let agreed: number | undefined;
  for (const chunk of group.columns) {
    const meta = chunk.meta_data;
    if (!meta || !names.includes(meta.path_in_schema[0] as string)) continue;
    const values = Number(meta.num_values);
    if (agreed !== undefined && values !== agreed) return undefined;
    agreed = values;
  }
  return agreed;
}

/** The bytes that hold the wanted columns of a row group, or undefined when they lie outside the object. */
function groupRange(
  group: RowGroup,
  names: readonly string[],
  size: number,
): { start: number; end: number } | undefined {
  let start = Number.POSITIVE_INFINITY;
  let end = 0;
  for (const chunk of group.columns) {
    const meta = chunk.meta_data;
    if (!meta) return undefined;
    if (!names.includes(meta.path_in_schema[0] as string)) continue;
    // Flow-log columns are flat: each holds one value (or null) per row of its group.
    if (Number(meta.num_values) !== Number(group.num_rows)) return undefined;
    const data = Number(meta.data_page_offset);
    const dictionary = meta.dictionary_page_offset === undefined ? data : Number(meta.dictionary_page_offset);
    // Some writers leave the dictionary offset at 0; the earlier of the two valid offsets starts the chunk.
    const from = dictionary > 0 && dictionary < data ? dictionary : data;
    const to = from + Number(meta.total_compressed_size);
    if (!(from >= 4 && to <= size && to > from)) return undefined;
    start = Math.min(start, from);
    end = Math.max(end, to);
  }
  return end > 0 ? { start, end } : undefined;
}

/**
 * Walks the page headers of the wanted column chunks of a row group and returns what is wrong
 * with them, if anything: a page outside its chunk, a page larger than the bound, or more values
 * than the row group has rows (flow-log columns are flat: one value or null per row).
 */
function checkPages(
  group: RowGroup,
  names: readonly string[],
  cache: Uint8Array,
  cacheStart: number,
  groupRows: number,
): string | undefined {
  const view = new DataView(cache.buffer, cache.byteOffset, cache.byteLength);
  for (const chunk of group.columns) {
    const meta = chunk.meta_data;
    if (!meta || !names.includes(meta.path_in_schema[0] as string)) continue;
    const data = Number(meta.data_page_offset);
    const dictionary = meta.dictionary_page_offset === undefined ? data : Number(meta.dictionary_page_offset);
    const from = (dictionary > 0 && dictionary < data ? dictionary : data) - cacheStart;
    const to = from + Number(meta.total_compressed_size);
    const reader = { view, offset: from };
    let values = 0;
    try {
      while (reader.offset < to - 1) {
        const header = parquetHeader(reader);
        const size = header.compressed_page_size;
        if (!(size >= 0) || reader.offset + size > to) return `${meta.path_in_schema[0]}: page runs past its chunk`;
        if (!(header.uncompressed_page_size >= 0) || header.uncompressed_page_size > MAX_PAGE_BYTES) {
          return `${meta.path_in_schema[0]}: page of ${header.uncompressed_page_size} bytes`;
        }
        const dictionaryValues = header.dictionary_page_header?.num_values ?? 0;
        if (!(dictionaryValues >= 0) || dictionaryValues > MAX_DICTIONARY_VALUES) {
          return `${meta.path_in_schema[0]}: dictionary of ${dictionaryValues} values`;
        }
        const pageValues = header.data_page_header?.num_values ?? header.data_page_header_v2?.num_values ?? 0;
        if (!(pageValues >= 0)) return `${meta.path_in_schema[0]}: page of ${pageValues} values`;
        const v2 = header.data_page_header_v2;
        if (v2) {
          // Version 2 pages keep their levels uncompressed, outside the codec's checksum: check the runs.
          const levels = v2.definition_levels_byte_length + v2.repetition_levels_byte_length;
          if (!(v2.definition_levels_byte_length >= 0 && v2.repetition_levels_byte_length >= 0 && levels <= size)) {
            return `${meta.path_in_schema[0]}: levels longer than their page`;
          }
          const bad = checkLevelRuns(view, reader.offset, v2.definition_levels_byte_length, pageValues);
          if (bad) return `${meta.path_in_schema[0]}: definition levels: ${bad}`;
        }
        values += pageValues;
        if (values > groupRows) return `${meta.path_in_schema[0]}: more values than the row group's ${groupRows} rows`;
        reader.offset += size;
      }
    } catch (error) {
      return `${meta.path_in_schema[0]}: page header: ${String((error as Error).message ?? error).slice(0, 80)}`;
    }
  }
  return undefined;
}

/**
 * Checks the run headers of a flat column's definition levels (bit width 1, RLE/bit-packed
 * hybrid): runs must fit in their bytes and add up to about the page's value count. A damaged
 * run header claiming billions of values would otherwise keep the decoder busy indefinitely.
 */
function checkLevelRuns(view: DataView, start: number, length: number, values: number): string | undefined {
  const end = start + length;
  let offset = start;
  let seen = 0;
  while (offset < end && seen < values) {
    let header = 0;
    let shift = 0;
    for (;;) {
      if (offset >= end || shift > 28) return 'run header past the levels';
      const byte = view.getUint8(offset++);
      header |= (byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
      shift += 7;
    }
    header >>>= 0;
    if (header & 1) {
      const groups = header >>> 1;
      seen += groups * 8;
      offset += groups; // eight 1-bit values per byte
    } else {
      seen += header >>> 1;
      offset += 1;
    }
    if (header >>> 1 === 0) return 'empty run';
    if (offset > end) return 'run past the levels';
  }
  return seen > values + 7 ? `${seen} levels for ${values} values` : undefined;
}

/** Fills one record per row from the decoded columns, column by column, then delivers them. */
function emitSlice(
  chunks: readonly ColumnData[],
  byName: ReadonlyMap<string, Column>,
  rowStart: number,
  rowEnd: number,
  uri: string,
  stats: ReadStats,
  onRecord: (record: FlowRecord) => void,
): void {
  const count = rowEnd - rowStart;
  const records: FlowRecord[] = new Array(count);
  for (let i = 0; i < count; i++) records[i] = blankRecord();
  const bad: (string | undefined)[] = new Array(count);
  const badUtf8: boolean[] = new Array(count);
  for (const chunk of chunks) {
    const column = byName.get(chunk.columnName);
    if (!column) continue;
    const data = chunk.columnData as ArrayLike<unknown>;
    const from = Math.max(chunk.rowStart, rowStart);
    const to = Math.min(chunk.rowEnd, rowEnd);
    for (let row = from; row < to; row++) {
      const value = data[row - chunk.rowStart];
      if (value === null || value === undefined) continue;
      const i = row - rowStart;
      if (value === INVALID_UTF8) {
        badUtf8[i] = true;
        continue;
      }
      if (!assign(records[i] as FlowRecord, column, value) && bad[i] === undefined) {
        bad[i] = `${column.field}=${String(value).slice(0, 60)}`;
      }
    }
  }
  for (let i = 0; i < count; i++) {
    const record = records[i] as FlowRecord;
    const where = { uri, record: rowStart + i };
    if (badUtf8[i]) {
      reject(stats, 'invalid-utf8', where, 'a string column holds bytes that are not UTF-8');
      continue;
    }
    const problem = bad[i];
    if (problem !== undefined) {
      reject(stats, 'invalid-field', where, problem);
      continue;
    }
    if (record.logStatus === 'NODATA') {
      stats.logHealth.nodata++;
      continue;
    }
    if (record.logStatus === 'SKIPDATA') {
      stats.logHealth.skipdata++;
      continue;
    }
    // Packet-level addresses were written to srcAddr/dstAddr; the interface-level ones fill in.
    if (record.srcAddr === '') record.srcAddr = record.ifSrcAddr ?? '';
    if (record.dstAddr === '') record.dstAddr = record.ifDstAddr ?? '';
    if (record.srcAddr === '' || record.dstAddr === '') {
      reject(stats, 'invalid-field', where, 'record without addresses');
      continue;
    }
    record.origin = where;
    stats.events++;
    onRecord(record);
  }
}

/** A non-negative integer from an int32, int64 or digit-string column, or -1. */
function countOf(value: unknown): number {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : -1;
  if (typeof value === 'bigint') return value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : -1;
  if (typeof value === 'string') return /^\d{1,15}$/.test(value) ? Number(value) : -1;
  if (value instanceof Date) return Number.isFinite(value.getTime()) ? Math.floor(value.getTime() / 1000) : -1;
  return -1;
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

/** Sets one field from a column value; false when the value is not valid for the field. */
function assign(record: FlowRecord, column: Column, value: unknown): boolean {
  let n: number;
  switch (column.code) {
    case FlowField.Version:
      n = countOf(value);
      if (n < 0) return false;
      record.version = n;
      return true;
    case FlowField.SrcPort:
    case FlowField.DstPort:
      n = countOf(value);
      if (n < 0 || n > 65535) return false;
      if (column.code === FlowField.SrcPort) record.srcPort = n;
      else record.dstPort = n;
      return true;
    case FlowField.Protocol:
      n = countOf(value);
      if (n < 0 || n > 255) return false;
      record.protocol = n;
      return true;
    case FlowField.Packets:
      n = countOf(value);
      if (n < 0) return false;
      record.packets = n;
      return true;
    case FlowField.Bytes:
      n = countOf(value);
      if (n < 0) return false;
      record.bytes = n;
      return true;
    case FlowField.Start:
      n = countOf(value);
      if (n < 0) return false;
      record.start = n;
      return true;
    case FlowField.End:
      n = countOf(value);
      if (n < 0) return false;
      record.end = n;
      return true;
    case FlowField.TcpFlags:
      n = countOf(value);
      if (n < 0) return false;
      record.tcpFlags = n;
      return true;
    case FlowField.TrafficPath:
      n = countOf(value);
      if (n < 0) return false;
      record.trafficPath = n;
      return true;
    case FlowField.Action:
      if (value === 'ACCEPT' || value === 'REJECT') record.action = value;
      else return value === '-';
      return true;
    case FlowField.LogStatus:
      if (value === 'OK' || value === 'NODATA' || value === 'SKIPDATA') record.logStatus = value;
      else return value === '-';
      return true;
    case FlowField.FlowDirection:
      if (value === 'ingress' || value === 'egress') record.flowDirection = value;
      else return value === '-';
      return true;
    default:
      break;
  }
  const text = textOf(value);
  // Text logs write '-' for a missing value; a Parquet writer may carry it over.
  if (text === '-') return true;
  switch (column.code) {
    case FlowField.AccountId:
      record.accountId = text;
      break;
    case FlowField.InterfaceId:
      record.interfaceId = text;
      break;
    case FlowField.SrcAddr:
      record.ifSrcAddr = text;
      break;
    case FlowField.DstAddr:
      record.ifDstAddr = text;
      break;
    case FlowField.PktSrcAddr:
      record.srcAddr = text;
      break;
    case FlowField.PktDstAddr:
      record.dstAddr = text;
      break;
    case FlowField.VpcId:
      record.vpcId = text;
      break;
    case FlowField.SubnetId:
      record.subnetId = text;
      break;
    case FlowField.InstanceId:
      record.instanceId = text;
      break;
    case FlowField.Type:
      record.type = text;
      break;
    case FlowField.Region:
      record.region = text;
      break;
    case FlowField.AzId:
      record.azId = text;
      break;
    case FlowField.SublocationType:
      record.sublocationType = text;
      break;
    case FlowField.SublocationId:
      record.sublocationId = text;
      break;
    case FlowField.PktSrcAwsService:
      record.pktSrcAwsService = text;
      break;
    case FlowField.PktDstAwsService:
      record.pktDstAwsService = text;
      break;
    case FlowField.RejectReason:
      record.rejectReason = text;
      break;
    case FlowField.Ecs:
      record.ecs ??= {};
      record.ecs[column.ecsKey as keyof FlowEcsContext] = text;
      break;
    default:
      record.extras ??= {};
      record.extras[column.field] = text;
  }
  return true;
}
