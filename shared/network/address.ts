import ipaddr from 'ipaddr.js';
import { CidrIndex, canonicalIpv4, parseCidr } from '../intel';

/** Where an address sits, from the monitored VPC's point of view. */
export type AddressClass = 'vpc' | 'private' | 'aws-service' | 'public';

const PRIVATE_RANGES = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10', // carrier-grade NAT, also used for EKS custom networking
  '169.254.0.0/16', // link-local, including the instance metadata service
  '127.0.0.0/8',
  '0.0.0.0/8',
  '224.0.0.0/4', // multicast
  '255.255.255.255/32',
  'fc00::/7', // unique local
  'fe80::/10', // link-local
  '::1/128',
  'ff00::/8',
];

/** Classifies addresses: inside the configured VPC CIDRs, other private, AWS service, or public. */
export class AddressClassifier {
  private readonly vpc = new CidrIndex<true>();
  private readonly privateRanges = new CidrIndex<true>();
  /** The IPv4 ranges of each, as unsigned numbers (first, last, first, last, ...), for {@link classifyIpv4}. */
  private readonly vpc4: number[];
  private readonly private4: number[];

  constructor(vpcCidrs: readonly string[] = []) {
    for (const cidr of vpcCidrs) this.vpc.add(cidr, true);
    for (const cidr of PRIVATE_RANGES) this.privateRanges.add(cidr, true);
    this.vpc4 = ipv4Ranges(vpcCidrs);
    this.private4 = ipv4Ranges(PRIVATE_RANGES);
  }

  classify(address: string, awsService?: string): AddressClass {
    if (awsService) return 'aws-service';
    if (this.vpc.lookup(address)) return 'vpc';
    if (this.privateRanges.lookup(address)) return 'private';
    return 'public';
  }

  /**
   * {@link classify} of a canonical IPv4 address without a service name, given as its unsigned
   * 32-bit number: a few comparisons, without text or memo, for a flow of sources each seen once.
   */
  classifyIpv4(ip: number): AddressClass {
    if (inRanges(this.vpc4, ip)) return 'vpc';
    if (inRanges(this.private4, ip)) return 'private';
    return 'public';
  }
}

/** The IPv4 ranges among CIDRs (IPv4-mapped IPv6 ones included, as {@link parseCidr} reads them). */
function ipv4Ranges(cidrs: readonly string[]): number[] {
  const ranges: number[] = [];
  for (const cidr of cidrs) {
    const range = parseCidr(cidr);
    if (range?.family === 4) ranges.push(Number(range.start), Number(range.end));
  }
  return ranges;
}

function inRanges(ranges: readonly number[], ip: number): boolean {
  for (let i = 0; i < ranges.length; i += 2) {
    if (ip >= (ranges[i] as number) && ip <= (ranges[i + 1] as number)) return true;
  }
  return false;
}

/** True for addresses inside the VPC or another private range: ours, not the internet's. */
export function isInternal(addressClass: AddressClass): boolean {
  return addressClass === 'vpc' || addressClass === 'private';
}

/** The first `bits` bits of an address, as a CIDR in canonical form; the text itself when it does not parse. */
export function prefixOf(address: string, v4Bits: number, v6Bits: number): string {
  const v4 = canonicalIpv4(address);
  if (v4 >= 0) {
    // The common case, without a parser object: mask the number, then print the four parts.
    const network = v4Bits === 0 ? 0 : (v4 >>> (32 - v4Bits)) * 2 ** (32 - v4Bits);
    return `${network >>> 24}.${(network >>> 16) & 255}.${(network >>> 8) & 255}.${network & 255}/${v4Bits}`;
  }
  if (!ipaddr.isValid(address)) return address;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  const bytes = parsed.toByteArray();
  const bits = parsed.kind() === 'ipv4' ? v4Bits : v6Bits;
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    bytes[i] = (bytes[i] as number) & ((0xff << (8 - keep)) & 0xff);
  }
  const network = ipaddr.fromByteArray(bytes);
  const text = network.kind() === 'ipv6' ? (network as ipaddr.IPv6).toRFC5952String() : network.toString();
  return `${text}/${bits}`;
}

/**
 * Groups a public address into the block that new-destination baselines learn: the /24 of an
 * IPv4 address, the /48 of an IPv6 one (canonical text, so `2001:0DB8::1` and `2001:db8::1` agree).
 */
export function addressBlock(address: string): string {
  return prefixOf(address, 24, 48);
}

/**
 * The /16 (IPv4) or /48 (IPv6) around an address: a provider's range. Hosted CI runners get a new
 * address, often a new /24, every run, but stay within a few such ranges.
 */
export function rangeBlock(address: string): string {
  return prefixOf(address, 16, 48);
}

/** The /24 (IPv4) or /64 (IPv6) an internal address sits in: a stand-in for its subnet. */
export function subnetBlock(address: string): string {
  return prefixOf(address, 24, 64);
}
