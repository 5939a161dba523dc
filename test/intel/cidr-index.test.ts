import { describe, expect, it } from 'vitest';
import { CidrIndex, canonicalIpv4 } from '../../shared/intel/cidr-index';

describe('CidrIndex', () => {
  it('finds the most specific CIDR, for IPv4, IPv4-mapped IPv6 and IPv6', () => {
    const index = new CidrIndex<string>();
    index.add('10.0.0.0/8', 'wide');
    index.add('10.1.0.0/16', 'narrow');
    index.add('2001:db8::/32', 'v6');
    expect(index.lookup('10.1.2.3')).toBe('narrow');
    expect(index.lookup('10.2.2.3')).toBe('wide');
    expect(index.lookup('::ffff:10.1.2.3')).toBe('narrow');
    expect(index.lookup('2001:db8::1')).toBe('v6');
    expect(index.lookup('192.0.2.1')).toBeUndefined();
    // Not canonical IPv4: never the same key as 10.1.2.3.
    expect(index.lookup('010.1.2.3')).toBeUndefined();
  });

  it('forgets remembered answers when a CIDR is added', () => {
    const index = new CidrIndex<string>();
    index.add('192.0.2.0/24', 'doc');
    expect(index.lookup('10.0.0.5')).toBeUndefined();
    expect(index.lookup('fd00::5')).toBeUndefined();
    index.add('10.0.0.0/24', 'ten');
    index.add('fd00::/64', 'ula');
    expect(index.lookup('10.0.0.5')).toBe('ten');
    expect(index.lookup('fd00::5')).toBe('ula');
  });

  it('reads only canonical dotted quads as IPv4 numbers', () => {
    expect(canonicalIpv4('10.0.0.1')).toBe(0x0a000001);
    expect(canonicalIpv4('255.255.255.255')).toBe(0xffffffff);
    for (const text of ['010.0.0.1', '10.0.0', '10.0.0.256', '10..0.1', '::1', '10.0.0.1 ']) {
      expect(canonicalIpv4(text)).toBe(-1);
    }
  });
});
