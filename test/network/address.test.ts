import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressClassifier, addressBlock, isInternal, subnetBlock } from '../../shared/network/address';

describe('AddressClassifier', () => {
  const classifier = new AddressClassifier(['10.0.0.0/16', '2600:1f18:aa::/56']);

  it('classifies an IPv4 address given as a number as it classifies its text', () => {
    const mapped = new AddressClassifier(['10.0.0.0/16', '::ffff:198.51.100.0/120', '203.0.113.7']);
    const edges = [0, 0x0a000000, 0x0affffff, 0x64400000, 0xc6336400, 0xcb007107, 0xffffffff];
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...edges), fc.nat(0xffffffff)), (ip) => {
        const text = `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
        expect(classifier.classifyIpv4(ip)).toBe(classifier.classify(text));
        expect(mapped.classifyIpv4(ip)).toBe(mapped.classify(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('tells the VPC, other private ranges, AWS services and the internet apart', () => {
    expect(classifier.classify('10.0.3.7')).toBe('vpc');
    expect(classifier.classify('2600:1f18:aa:1::7')).toBe('vpc');
    for (const address of [
      '10.1.0.1',
      '172.16.4.4',
      '192.168.1.1',
      '100.64.0.9',
      '169.254.169.254',
      'fd00::1',
      'fe80::1',
    ]) {
      expect(classifier.classify(address), address).toBe('private');
    }
    expect(classifier.classify('52.218.16.7', 'S3')).toBe('aws-service');
    expect(classifier.classify('203.0.113.9')).toBe('public');
    expect(classifier.classify('2001:db8::1')).toBe('public');
    expect(isInternal('vpc') && isInternal('private') && !isInternal('public') && !isInternal('aws-service')).toBe(
      true,
    );
  });
});

describe('addressBlock and subnetBlock', () => {
  it('groups IPv4 by /24 and IPv6 by /48, in canonical text', () => {
    expect(addressBlock('203.0.113.9')).toBe('203.0.113.0/24');
    expect(addressBlock('2001:db8:abcd:12::1')).toBe('2001:db8:abcd::/48');
    expect(addressBlock('2001:0DB8:0000::1')).toBe(addressBlock('2001:db8::9'));
    expect(addressBlock('::ffff:198.51.100.7')).toBe('198.51.100.0/24');
  });

  it('names the /24 or /64 an internal address sits in, and leaves junk alone', () => {
    expect(subnetBlock('10.0.1.57')).toBe('10.0.1.0/24');
    expect(subnetBlock('fd00:1:2:3:4::9')).toBe('fd00:1:2:3::/64');
    expect(subnetBlock('not-an-address')).toBe('not-an-address');
  });
});
