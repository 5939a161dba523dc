import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../shared/config/load';
import { buildDetectContext } from '../../shared/detect/context';
import { Engine } from '../../shared/engine/engine';
import { CollectingSink } from '../../shared/incident/sink';
import { STACK_FLOW_FORMAT, STACK_FLOW_HEADER } from '../../shared/ingest/flow-reader';
import type { ObjectSource } from '../../shared/ingest/object-source';
import { ThreatIntel } from '../../shared/intel/threat-intel';
import { MemoryTable } from '../../shared/store/memory-table';
import { flowParquet } from '../support/flow-parquet';
import { gzip } from '../support/formats';
import { memorySource } from '../support/sources';

const START = Math.floor(Date.parse('2026-11-01T10:00:00Z') / 1000);
const FIELDS = [...STACK_FLOW_FORMAT];

function row(dst: string): Record<string, string | number | null> {
  const values =
    `5 123456789012 eni-0a 10.0.1.1 ${dst} 44321 443 6 5 500 ${START} ${START + 60} ACCEPT OK vpc-0a subnet-0a i-0a 2 IPv4 10.0.64.5 ${dst} eu-west-1 euw1-az1 - - egress 8`.split(
      ' ',
    );
  return Object.fromEntries(FIELDS.map((f, i) => [f, values[i] === '-' ? null : (values[i] as string)]));
}

function engine() {
  const config = defaultConfig({ network: { vpcCidrs: ['10.0.0.0/16'] } });
  const intel = new ThreatIntel();
  intel.addList('test-list', '203.0.113.0/24\n');
  return new Engine({
    config,
    table: new MemoryTable(),
    context: buildDetectContext(config, intel),
    sink: new CollectingSink(),
  });
}

describe('Engine over each flow-log format', () => {
  const key =
    's3://b/flow/AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/01/123456789012_vpcflowlogs_eu-west-1_fl-0a_20261101T1000Z_ab';

  it('finds the same threat-list contact in a text object and in a Parquet object', async () => {
    const text = gzip(
      [
        STACK_FLOW_HEADER,
        ...['203.0.113.50', '140.82.112.3'].map((d) =>
          Object.values(row(d))
            .map((v) => v ?? '-')
            .join(' '),
        ),
      ].join('\n'),
    );
    const parquetBytes = flowParquet(FIELDS, [row('203.0.113.50'), row('140.82.112.3')]);
    const parquet: ObjectSource = {
      ...memorySource(`${key}.log.parquet`, parquetBytes),
      size: parquetBytes.length,
      readRange: async (start, end) => parquetBytes.subarray(start, end),
      open: (options) => {
        if (!options?.headBytes) throw new Error('a Parquet object is read by ranges, never streamed whole');
        return memorySource('', parquetBytes).open(options);
      },
    };
    const results = [];
    for (const source of [memorySource(`${key}.log.gz`, text), parquet]) {
      const outcome = await engine().process(source);
      results.push({
        format: outcome.identity?.kind === 'unknown' ? undefined : outcome.identity?.format,
        edges: outcome.edges,
        events: outcome.stats.events,
        findings: outcome.findings.map((f) => [f.ruleId, f.entities.dstAddr]),
      });
    }
    expect(results[0]).toEqual({
      format: 'text',
      edges: 2,
      events: 2,
      findings: [['net.threat-intel-match', '203.0.113.50']],
    });
    expect(results[1]).toEqual({ ...results[0], format: 'parquet' });
  });

  it('reports an object of an unknown kind once, with its key, and does not read it', async () => {
    const outcome = await engine().process(
      memorySource('s3://b/AWSLogs/123456789012/CloudTrail/eu-west-1/x.json.gz', gzip('{"Records":[]}')),
    );
    expect(outcome.skipped).toBe('unknown-kind');
    expect(outcome.stats.rejected).toEqual({ 'unrecognized-content': 1 });
    expect(outcome.stats.samples[0]).toMatchObject({
      uri: 's3://b/AWSLogs/123456789012/CloudTrail/eu-west-1/x.json.gz',
      detail: 'AWS CloudTrail logs are not read (only vpcflowlogs)',
    });
  });
});
