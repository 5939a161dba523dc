export { CidrIndex, canonicalIpv4, parseCidr } from './cidr-index';
export { ListMissingError } from './errors';
export {
  type HttpGet,
  type ListStore,
  type ListToFetch,
  type RefreshOutcome,
  refreshLists,
} from './list-refresh';
export { type ListFetcher, ThreatIntelProvider } from './provider';
export { ThreatIntel } from './threat-intel';
