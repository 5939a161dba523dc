import type { Config } from '../config/schema';
import { ThreatIntel } from '../intel/threat-intel';
import { GlobSet } from '../util/glob';
import type { DetectContext } from './types';

export function buildDetectContext(config: Config, intel: ThreatIntel = ThreatIntel.empty()): DetectContext {
  return {
    config,
    intel,
    cicdIdentities: new GlobSet(config.identities.cicd),
    execAllowlist: new GlobSet(config.identities.execAllowlist),
    trustedRegistries: new GlobSet(config.registries.trusted),
  };
}
