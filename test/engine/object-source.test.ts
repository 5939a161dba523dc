import { describe, expect, it } from 'vitest';
import { STACK_FLOW_HEADER } from '../../shared/ingest/flow-reader';
import {
  identifyObject,
  kindFromContent,
  type ObjectSource,
  routeFromKey,
  type SourcePrefixes,
} from '../../shared/ingest/object-source';
import { flowParquet } from '../support/flow-parquet';
import { cwlData, gzip, rawAuditEvent } from '../support/formats';
import { memorySource } from '../support/sources';

const PREFIXES: SourcePrefixes = { audit: ['audit/'], flow: ['flow/'] };
const FLOW_FILE = '123456789012_vpcflowlogs_eu-west-1_fl-0a1b_20261101T1005Z_3f2a1b4c';

/** A memory source that can also seek, as S3 and files can. */
function seekable(uri: string, data: Buffer): ObjectSource {
  return {
    ...memorySource(uri, data),
    size: data.length,
    readRange: async (start, end) => data.subarray(start, end),
  };
}

describe('routeFromKey', () => {
  it('recognises the plain and Hive-compatible VPC Flow Logs layouts, daily or hourly, text or Parquet', () => {
    expect(routeFromKey(`logs/AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/01/${FLOW_FILE}.log.gz`)).toEqual({
      kind: 'flow',
      format: 'text',
      layout: 'vpcflowlogs',
    });
    expect(routeFromKey(`AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/01/10/${FLOW_FILE}.log.parquet`)).toEqual({
      kind: 'flow',
      format: 'parquet',
      layout: 'vpcflowlogs',
    });
    expect(
      routeFromKey(
        `flow/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=11/day=01/hour=10/${FLOW_FILE}.log.parquet`,
        PREFIXES,
      ),
    ).toEqual({ kind: 'flow', format: 'parquet', layout: 'vpcflowlogs-hive' });
  });

  it('recognises Firehose objects under the audit prefix, and other keys by the configured prefixes', () => {
    expect(
      routeFromKey(
        'audit/shop-prod/2026/11/01/10/driftwatch-audit-1-2026-11-01-10-00-00-0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
        PREFIXES,
      ),
    ).toEqual({ kind: 'audit', layout: 'firehose' });
    expect(routeFromKey('audit/manual/export.jsonl', PREFIXES)).toEqual({ kind: 'audit', layout: 'prefix' });
    expect(routeFromKey('flow/custom/part-0.parquet', PREFIXES)).toEqual({
      kind: 'flow',
      format: 'parquet',
      layout: 'prefix',
    });
    expect(routeFromKey('elsewhere/x.gz', PREFIXES)).toBeUndefined();
    // Configured prefixes say nothing about a local path.
    expect(routeFromKey('audit/x.json', PREFIXES, false)).toBeUndefined();
  });

  it("routes by every bucket's prefix of a kind, the longest prefix first", () => {
    // Prepare: ten clusters' buckets, each with its own prefixes; one flow prefix lies inside an audit one.
    const prefixes: SourcePrefixes = {
      audit: ['eks-audit/shop-prod/', 'eks-audit/payments-prod/', 'logs/'],
      flow: ['vpc-flow/shop-prod/', 'logs/flow/'],
    };
    // Act / Assess
    expect(routeFromKey('eks-audit/payments-prod/x.json', prefixes)).toEqual({ kind: 'audit', layout: 'prefix' });
    expect(routeFromKey('vpc-flow/shop-prod/x.log.gz', prefixes)).toMatchObject({ kind: 'flow', layout: 'prefix' });
    expect(routeFromKey('logs/flow/x.log.gz', prefixes)).toMatchObject({ kind: 'flow' });
    expect(routeFromKey('logs/other/x.json', prefixes)).toMatchObject({ kind: 'audit' });
    expect(routeFromKey('eks-audit/batch-dev/x.json', prefixes)).toBeUndefined();
  });

  it('names other AWS services so that their logs are reported, not read', () => {
    expect(routeFromKey('AWSLogs/123456789012/CloudTrail/eu-west-1/2026/11/01/x.json.gz', PREFIXES)).toEqual({
      layout: 'aws-other',
      service: 'CloudTrail',
    });
    expect(
      routeFromKey('flow/AWSLogs/aws-account-id=123456789012/aws-service=elasticloadbalancing/x', PREFIXES),
    ).toEqual({ layout: 'aws-other', service: 'elasticloadbalancing' });
  });
});

describe('kindFromContent', () => {
  it('takes flow headers in any order, default-format lines, and lines of the configured format', () => {
    expect(kindFromContent(`${STACK_FLOW_HEADER}\n`)).toBe('flow');
    expect(kindFromContent('dstaddr srcaddr action log-status\n')).toBe('flow');
    expect(kindFromContent('2 123456789012 eni-0a 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n')).toBe('flow');
    expect(kindFromContent('10.0.0.1 10.0.0.2 ACCEPT OK\n')).toBe('unknown');
    expect(
      kindFromContent('10.0.0.1 10.0.0.2 ACCEPT OK\n', { flowFormat: ['srcaddr', 'dstaddr', 'action', 'log-status'] }),
    ).toBe('flow');
  });

  it('takes audit content only with an audit marker: any JSON is not an audit log', () => {
    expect(kindFromContent(cwlData([]))).toBe('audit');
    expect(kindFromContent(JSON.stringify(rawAuditEvent(), null, 2))).toBe('audit');
    expect(kindFromContent(`2026-11-01T10:00:00.000Z ${JSON.stringify(rawAuditEvent())}`)).toBe('audit');
    expect(kindFromContent('{"Records":[{"eventVersion":"1.08","eventSource":"s3.amazonaws.com"}]}')).toBe('unknown');
    expect(kindFromContent('hello world')).toBe('unknown');
  });
});

describe('identifyObject', () => {
  const auditBody = gzip(cwlData([JSON.stringify(rawAuditEvent())]));
  const flowBody = gzip(`${STACK_FLOW_HEADER}\n`);

  it('confirms the key with the content', async () => {
    const flowKey = `s3://b/flow/AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/01/${FLOW_FILE}.log.gz`;
    expect(await identifyObject(memorySource(flowKey, flowBody), { prefixes: PREFIXES })).toEqual({
      kind: 'flow',
      format: 'text',
      route: { kind: 'flow', format: 'text', layout: 'vpcflowlogs' },
    });
    expect(await identifyObject(memorySource('s3://b/audit/x', auditBody), { prefixes: PREFIXES })).toMatchObject({
      kind: 'audit',
      format: 'text',
    });
  });

  it('reads Parquet when its first bytes say so, under a flow key or with flow columns', async () => {
    const parquet = flowParquet(['srcaddr', 'dstaddr'], [{ srcaddr: '10.0.0.1', dstaddr: '10.0.0.2' }]);
    expect(await identifyObject(seekable('s3://b/flow/x.parquet', parquet), { prefixes: PREFIXES })).toMatchObject({
      kind: 'flow',
      format: 'parquet',
    });
    expect(await identifyObject(seekable('local/part.parquet', parquet))).toMatchObject({
      kind: 'flow',
      format: 'parquet',
    });
    const other = flowParquet(['name', 'price'], [{ name: 'x', price: 'y' }]);
    expect(await identifyObject(seekable('local/other.parquet', other))).toEqual({
      kind: 'unknown',
      route: undefined,
      detail: 'Parquet without VPC flow-log columns',
    });
  });

  it('reads by content when the key names the other kind, and says so', async () => {
    expect(await identifyObject(memorySource('s3://b/flow/oops.gz', auditBody), { prefixes: PREFIXES })).toMatchObject({
      kind: 'audit',
      mismatch: true,
    });
  });

  it('reports unknown content, empty objects and other services as unknown, with the reason', async () => {
    expect(
      await identifyObject(memorySource('s3://b/flow/x.bin', Buffer.from([0, 1, 2])), { prefixes: PREFIXES }),
    ).toEqual({
      kind: 'unknown',
      route: { kind: 'flow', format: undefined, layout: 'prefix' },
      detail: 'neither an audit log nor a flow log (the key says flow)',
    });
    expect(
      await identifyObject(memorySource('s3://b/audit/empty', Buffer.alloc(0)), { prefixes: PREFIXES }),
    ).toMatchObject({
      kind: 'unknown',
      detail: 'an empty object (the key says audit)',
      empty: true,
    });
    const trail = await identifyObject(
      memorySource('s3://b/AWSLogs/123456789012/CloudTrail/eu-west-1/x.json.gz', auditBody),
    );
    expect(trail).toMatchObject({ kind: 'unknown', detail: 'AWS CloudTrail logs are not read (only vpcflowlogs)' });
  });

  it('does not open an object its size says is empty', async () => {
    const source: ObjectSource = {
      uri: 's3://b/audit/2026/11/01/10/empty.gz',
      version: 'v',
      size: 0,
      open: () => {
        throw new Error('opened');
      },
    };
    expect(await identifyObject(source, { prefixes: PREFIXES })).toEqual({
      kind: 'unknown',
      route: { kind: 'audit', layout: 'prefix' },
      detail: 'an empty object (0 bytes)',
      empty: true,
    });
  });

  it('does not read past its sniff of a large object', async () => {
    const big = gzip(`${STACK_FLOW_HEADER}\n${'x'.repeat(4 * 1024 * 1024)}`);
    let requested: number | undefined;
    const source: ObjectSource = {
      ...memorySource('s3://b/flow/big.log.gz', big),
      open: (options) => {
        requested = options?.headBytes;
        return memorySource('', big).open(options);
      },
    };
    expect((await identifyObject(source, { prefixes: PREFIXES })).kind).toBe('flow');
    expect(requested).toBe(64 * 1024);
  });
});
