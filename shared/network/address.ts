import { CidrIndex } from '../intel/cidr-index';

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

  constructor(vpcCidrs: readonly string[] = []) {
    for (const cidr of vpcCidrs) this.vpc.add(cidr, true);
    for (const cidr of PRIVATE_RANGES) this.privateRanges.add(cidr, true);
  }

  classify(address: string, awsService?: string): AddressClass {
    if (awsService) return 'aws-service';
    if (this.vpc.lookup(address)) return 'vpc';
    if (this.privateRanges.lookup(address)) return 'private';
    return 'public';
  }
}

/** Groups a public address into the block that new-destination baselines learn: /24 or /48. */
export function addressBlock(address: string): string {
  if (address.includes(':')) {
    const groups = address.split('::')[0]?.split(':') ?? [];
    const full = address.includes('::') ? [...groups, '0', '0', '0'].slice(0, 3) : groups.slice(0, 3);
    return `${full.map((g) => g || '0').join(':')}::/48`;
  }
  const octets = address.split('.');
  return `${octets.slice(0, 3).join('.')}.0/24`;
}
