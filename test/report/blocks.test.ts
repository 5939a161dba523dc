import { describe, expect, it } from 'vitest';
import { subnetBlock } from '../../shared/network/address';
import { blockOf } from '../../shared/report/blocks';

describe('blockOf', () => {
  it('draws every spelling of one IPv6 /64 as one subnet, the one the engine folds it into', () => {
    const spellings = ['fd00::5', 'fd00:0:0:0::6', 'FD00:0000:0000:0000:0000:0000:0000:0007', 'fd00:0::8'];
    const blocks = new Set(spellings.map((a) => blockOf(a, 'vpc')));
    expect([...blocks]).toEqual([subnetBlock('fd00::1')]);
    expect(blockOf('fd00:0:0:1::5', 'vpc')).not.toBe(blockOf('fd00::5', 'vpc'));
  });

  it('draws IPv4 by /24 inside and by the new-destination block outside', () => {
    expect(blockOf('10.0.3.7', 'vpc')).toBe('10.0.3.0/24');
    expect(blockOf('203.0.113.9', 'public')).toBe('203.0.113.0/24');
  });
});
