export { CidrIndex, canonicalIpv4, parseCidr } from './cidr-index';
export { type ListFetcher, ThreatIntelProvider } from './provider';
export { ThreatIntel } from './threat-intel';
