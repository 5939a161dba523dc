import { describe, expect, it } from 'vitest';
import { FlowSources, flowLogIdOf } from '../../shared/network/flow-sources';
import { MemoryTable } from '../../shared/store/memory-table';

describe('FlowSources', () => {
  it('reads the flow log id from the keys VPC Flow Logs writes, plain or Hive-style', () => {
    expect(
      flowLogIdOf(
        's3://logs/flow/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=11/day=01/hour=10/123456789012_vpcflowlogs_eu-west-1_fl-0a1b2c3d4e5f_20261101T1055Z_1a2b3c4d.log.gz',
      ),
    ).toBe('fl-0a1b2c3d4e5f');
    expect(flowLogIdOf('/tmp/flows.log')).toBeUndefined();
  });

  it('keeps the latest delivery of each flow log; a late object never moves it back', async () => {
    const sources = new FlowSources(new MemoryTable());
    await sources.seen({ logId: 'fl-1', scope: 'vpc-0a', lastSeen: 2_000, uri: 'b' });
    await sources.seen({ logId: 'fl-1', scope: 'vpc-0a', lastSeen: 1_000, uri: 'a' });
    await sources.seen({ logId: 'fl-2', scope: 'vpc-0b', lastSeen: 500, uri: 'c' });
    expect(await sources.all()).toEqual([
      { logId: 'fl-1', scope: 'vpc-0a', lastSeen: 2_000, uri: 'b' },
      { logId: 'fl-2', scope: 'vpc-0b', lastSeen: 500, uri: 'c' },
    ]);
  });
});
