import ipaddr from 'ipaddr.js';
import { AddressClassifier } from '../../../network';

const classifier = new AddressClassifier();

/** Whether a caller's address is on the internet (outside the private ranges), IPv4-mapped IPv6 as IPv4. */
export function isPublicAddress(address: string | undefined): boolean {
  if (!address || !ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return classifier.classify(parsed.toString()) === 'public';
}
