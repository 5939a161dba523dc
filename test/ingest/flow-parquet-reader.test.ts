import { gunzipSync } from 'node:zlib';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { readFlowParquet } from '../../shared/ingest/flow-parquet-reader';
import { STACK_FLOW_FORMAT } from '../../shared/ingest/flow-reader';
import { newReadStats, type ReadStats } from '../../shared/ingest/stats';
import type { FlowRecord } from '../../shared/ingest/types';
import { type FlowParquetOptions, type FlowRow, flowParquet, memoryRandomAccess } from '../support/flow-parquet';

/** The fields of our CDK stack's custom format plus v4, v7 and v8 fields and one from the future. */
const FIELDS = [
  ...STACK_FLOW_FORMAT,
  'sublocation-type',
  'sublocation-id',
  'ecs-cluster-name',
  'ecs-task-id',
  'reject-reason',
  'encryption-status',
];

function row(i: number, overrides: FlowRow = {}): FlowRow {
  return {
    version: 8,
    'account-id': '123456789012',
    'interface-id': 'eni-0a1b',
    srcaddr: '10.0.1.10',
    dstaddr: '10.0.2.20',
    srcport: 40000 + i,
    dstport: 443,
    protocol: 6,
    packets: 4,
    bytes: 300 + i,
    start: 1793527200,
    end: 1793527260,
    action: 'ACCEPT',
    'log-status': 'OK',
    'vpc-id': 'vpc-0a',
    'subnet-id': 'subnet-0b',
    'instance-id': 'i-0c',
    'tcp-flags': 2,
    type: 'IPv4',
    'pkt-srcaddr': '10.0.64.7',
    'pkt-dstaddr': '10.0.65.8',
    region: 'eu-west-1',
    'az-id': 'euw1-az1',
    'sublocation-type': null,
    'sublocation-id': null,
    'pkt-src-aws-service': null,
    'pkt-dst-aws-service': 'S3',
    'flow-direction': 'egress',
    'traffic-path': 1,
    'ecs-cluster-name': 'shop',
    'ecs-task-id': 'task-1',
    'reject-reason': null,
    'encryption-status': '0',
    ...overrides,
  };
}

async function read(
  bytes: Buffer,
  rowsPerSlice?: number,
): Promise<{ records: FlowRecord[]; stats: ReadStats; reads: number }> {
  const stats = newReadStats();
  const records: FlowRecord[] = [];
  const access = memoryRandomAccess('s3://b/f.log.parquet', bytes);
  await readFlowParquet(access, { stats, rowsPerSlice }, (r) => records.push(r));
  return { records, stats, reads: access.reads };
}

function arrayBufferOf(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
}

function parquetOf(rows: FlowRow[], options?: FlowParquetOptions, fields = FIELDS): Buffer {
  return flowParquet(fields, rows, options);
}

describe('flowParquet (fixture generator)', () => {
  it('writes one column per field, named with underscores, typed as VPC Flow Logs type them', async () => {
    const bytes = parquetOf([row(0)], { codec: 'GZIP' });
    const metadata = parquetMetadata(arrayBufferOf(bytes));
    const types = Object.fromEntries(metadata.schema.slice(1).map((e) => [e.name, e.type]));
    expect(types).toMatchObject({
      version: 'INT32',
      account_id: 'BYTE_ARRAY',
      pkt_srcaddr: 'BYTE_ARRAY',
      srcport: 'INT32',
      packets: 'INT64',
      bytes: 'INT64',
      start: 'INT64',
      end: 'INT64',
      tcp_flags: 'INT32',
      traffic_path: 'INT32',
    });
    expect(metadata.row_groups[0]?.columns[0]?.meta_data?.codec).toBe('GZIP');
    const [back] = await parquetReadObjects({
      file: arrayBufferOf(bytes),
      compressors: { GZIP: (input) => gunzipSync(input) },
    });
    expect(back).toMatchObject({ srcaddr: '10.0.1.10', bytes: 300n, sublocation_type: null });
  });
});

describe('readFlowParquet', () => {
  it('reads every field from v2 to v8, keeps newer ones as extras, and prefers the packet-level addresses', async () => {
    const { records, stats } = await read(parquetOf([row(0), row(1, { 'pkt-srcaddr': null })]));
    expect(stats.rejected).toEqual({});
    expect(stats.events).toBe(2);
    expect(records[0]).toMatchObject({
      version: 8,
      accountId: '123456789012',
      interfaceId: 'eni-0a1b',
      srcAddr: '10.0.64.7',
      dstAddr: '10.0.65.8',
      ifSrcAddr: '10.0.1.10',
      ifDstAddr: '10.0.2.20',
      srcPort: 40000,
      dstPort: 443,
      protocol: 6,
      packets: 4,
      bytes: 300,
      start: 1793527200,
      end: 1793527260,
      action: 'ACCEPT',
      logStatus: 'OK',
      vpcId: 'vpc-0a',
      tcpFlags: 2,
      type: 'IPv4',
      azId: 'euw1-az1',
      pktDstAwsService: 'S3',
      flowDirection: 'egress',
      trafficPath: 1,
      ecs: { clusterName: 'shop', taskId: 'task-1' },
      extras: { 'encryption-status': '0' },
      origin: { uri: 's3://b/f.log.parquet', record: 0 },
    });
    expect(records[0]?.sublocationType).toBeUndefined();
    expect(records[0]?.rejectReason).toBeUndefined();
    // Without pkt-srcaddr the interface address stands in.
    expect(records[1]).toMatchObject({ srcAddr: '10.0.1.10', origin: { record: 1 } });
  });

  it('reads a v2 default-format object and a v8 REJECT with its reason', async () => {
    const v2 = FIELDS.slice(0, 14);
    const { records } = await read(parquetOf([row(0, { version: 2, action: 'REJECT' })], {}, v2));
    expect(records[0]).toMatchObject({ version: 2, srcAddr: '10.0.1.10', action: 'REJECT' });
    const rejected = await read(parquetOf([row(0, { action: 'REJECT', 'reject-reason': 'BPA' })]));
    expect(rejected.records[0]).toMatchObject({ action: 'REJECT', rejectReason: 'BPA' });
  });

  it('reads one row group at a time with one ranged read each, whatever the slice size', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => row(i));
    const bytes = parquetOf(rows, { rowGroupSize: 1000, pageSize: 8 * 1024 });
    const whole = await read(bytes);
    expect(whole.records.map((r) => r.bytes)).toEqual(rows.map((_, i) => 300 + i));
    expect(whole.reads).toBe(2 + 3); // the last 8 bytes, the footer, then each of three row groups
    const sliced = await read(bytes, 333);
    expect(sliced.records.map((r) => r.bytes)).toEqual(whole.records.map((r) => r.bytes));
    expect(sliced.records.map((r) => r.origin.record)).toEqual(rows.map((_, i) => i));
  });

  it('reads Snappy and uncompressed pages as well as GZIP', async () => {
    for (const codec of ['SNAPPY', 'UNCOMPRESSED'] as const) {
      const { records } = await read(parquetOf([row(0), row(1)], { codec }));
      expect(records.map((r) => r.srcPort)).toEqual([40000, 40001]);
    }
  });

  it('counts NODATA and SKIPDATA as log health', async () => {
    const empty = { srcaddr: null, dstaddr: null, 'pkt-srcaddr': null, 'pkt-dstaddr': null, action: null };
    const { records, stats } = await read(
      parquetOf([row(0), row(1, { ...empty, 'log-status': 'NODATA' }), row(2, { ...empty, 'log-status': 'SKIPDATA' })]),
    );
    expect(records).toHaveLength(1);
    expect(stats.logHealth).toEqual({ nodata: 1, skipdata: 1 });
  });

  it('rejects bad values by row and keeps the rows around them', async () => {
    const rows = [
      row(0),
      row(1, { srcport: 70000 }),
      row(2, { action: 'MAYBE' }),
      row(3, { 'flow-direction': 'sideways' }),
      row(4, { srcaddr: null, 'pkt-srcaddr': null }),
      row(5),
    ];
    const { records, stats } = await read(parquetOf(rows));
    expect(records.map((r) => r.origin.record)).toEqual([0, 5]);
    expect(stats.rejected).toEqual({ 'invalid-field': 4 });
    expect(stats.samples.map((s) => [s.record, s.detail])).toEqual([
      [1, 'srcport=70000'],
      [2, 'action=MAYBE'],
      [3, 'flow-direction=sideways'],
      [4, 'record without addresses'],
    ]);
  });

  it('counts a string column with bytes that are not UTF-8 as invalid-utf8', async () => {
    const bad = Buffer.from([0x31, 0x30, 0xff, 0xfe]);
    const bytes = parquetOf([row(0, { 'account-id': new Uint8Array([0x31, 0x32]) }), row(1, { 'account-id': bad })], {
      types: { 'account-id': 'BYTE_ARRAY' },
    });
    const { records, stats } = await read(bytes);
    expect(records.map((r) => r.accountId)).toEqual(['12']);
    expect(stats.rejected).toEqual({ 'invalid-utf8': 1 });
    expect(stats.samples[0]).toMatchObject({ reason: 'invalid-utf8', record: 1 });
  });

  it('accepts numbers written as int64 where int32 is expected, and digit strings', async () => {
    const bytes = parquetOf([row(0, { srcport: 1234, dstport: '80' })], {
      types: { srcport: 'INT64', dstport: 'STRING' },
    });
    const { records } = await read(bytes);
    expect(records[0]).toMatchObject({ srcPort: 1234, dstPort: 80 });
  });

  it('reports a truncated object, junk, and a missing address column without throwing', async () => {
    const bytes = parquetOf([row(0), row(1)]);
    const truncated = await read(bytes.subarray(0, bytes.length - 20));
    expect(truncated.stats.rejected).toEqual({ 'truncated-object': 1 });
    const tiny = await read(Buffer.from('PAR1'));
    expect(tiny.stats.rejected).toEqual({ 'truncated-object': 1 });
    const junkFooter = Buffer.concat([
      Buffer.from('PAR1'),
      Buffer.alloc(64, 7),
      Buffer.from([40, 0, 0, 0]),
      Buffer.from('PAR1'),
    ]);
    expect((await read(junkFooter)).stats.rejected).toEqual({ 'malformed-parquet': 1 });
    const noAddresses = await read(parquetOf([row(0)], {}, ['version', 'bytes']));
    expect(noAddresses.stats.rejected).toEqual({ 'unknown-header': 1 });
  });

  it('loses only the damaged row group and counts it', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => row(i, { 'account-id': `acct-${i}` }));
    const bytes = Buffer.from(parquetOf(rows, { rowGroupSize: 100, codec: 'GZIP' }));
    const metadata = parquetMetadata(arrayBufferOf(bytes));
    // Overwrite the middle row group's first column chunk with junk.
    const chunk = metadata.row_groups[1]?.columns[0]?.meta_data;
    const offset = Number(chunk?.data_page_offset);
    bytes.fill(0xff, offset, offset + Number(chunk?.total_compressed_size));
    const { records, stats } = await read(bytes);
    expect(records.map((r) => r.origin.record)).toEqual([
      ...Array.from({ length: 100 }, (_, i) => i),
      ...Array.from({ length: 100 }, (_, i) => 200 + i),
    ]);
    expect(stats.rejected).toEqual({ 'malformed-parquet': 1 });
    expect(stats.samples[0]).toMatchObject({ reason: 'malformed-parquet', record: 100 });
  });

  it('does not let hostile column names reach the prototype', async () => {
    // JSON.parse makes __proto__ an own key, as a hostile writer's column would be.
    const hostile = JSON.parse(JSON.stringify(row(0)).replace(/^\{/, '{"constructor":"x","__proto__":"y",')) as FlowRow;
    const bytes = parquetOf([hostile], {}, [...FIELDS, 'constructor', '__proto__']);
    const { records } = await read(bytes);
    expect(Object.getPrototypeOf(records[0]?.extras)).toBe(Object.prototype);
    expect(records[0]?.extras?.constructor).toBe('x');
    expect(({} as Record<string, unknown>).y).toBeUndefined();
  });
});
