import type { AddressClass } from '../network/address';
import { addressBlock } from '../network/address';

/** The subnet an internal address is drawn in: its /24 (IPv4) or /64 (IPv6). */
export function subnetOf(address: string): string {
  if (!address.includes(':')) return `${address.split('.').slice(0, 3).join('.')}.0/24`;
  const [head = '', tail] = address.split('::');
  const groups = head.split(':').filter((g) => g !== '');
  const full = tail === undefined ? groups : [...groups, '0', '0', '0', '0'];
  return `${full
    .slice(0, 4)
    .map((g) => g.toLowerCase())
    .join(':')}::/64`;
}

/**
 * The block an address is folded into when it is not drawn on its own: public addresses by the
 * block new-destination baselines learn (/24, /48), others by subnet.
 */
export function blockOf(address: string, addressClass?: AddressClass): string {
  return addressClass === 'public' ? addressBlock(address) : subnetOf(address);
}
