import { type Config, PRIVILEGED_SETTINGS } from '../config';
import { CidrIndex, ThreatIntel } from '../intel';
import { NetworkLabels } from '../network';
import { GlobSet } from '../util';
import { BUILT_IN_PRIVILEGED_WORKLOADS, BUILT_IN_SYSTEM_WORKLOADS, EKS_REGISTRIES } from './audit/lib/eks-defaults';
import { LearnedPrivileges } from './audit/lib/learned-privileges';
import { LearnedPipelines } from './audit/lib/pipelines';
import { LearnedEntryPoints } from './net/lib/entry-points';
import type { DetectContext } from './types';

const ALL_SETTINGS: ReadonlySet<string> = new Set(PRIVILEGED_SETTINGS);

export function buildDetectContext(config: Config, intel: ThreatIntel = ThreatIntel.empty()): DetectContext {
  const known = new CidrIndex<true>();
  for (const cidr of config.audit.knownNetworks) known.add(cidr, true);
  return {
    config,
    intel,
    cicdIdentities: new GlobSet(config.identities.cicd),
    learnedPipelines: new LearnedPipelines(
      config.identities.notPipelines,
      config.identities.learnPipelines.minDays,
      config.learning.days,
    ),
    learnedPrivileges: new LearnedPrivileges(),
    learnedEntryPoints: new LearnedEntryPoints(),
    execAllowlist: new GlobSet(config.identities.execAllowlist),
    trustedRegistries: new GlobSet([...config.registries.trusted, ...EKS_REGISTRIES]),
    controllerIdentities: new GlobSet(config.identities.controllers),
    impersonators: new GlobSet(config.identities.impersonators),
    forbiddenBurstIgnore: new GlobSet(config.audit.forbiddenBurst.ignore),
    nodeNames: new GlobSet(config.audit.nodeNames),
    namespaceAllowlist: new GlobSet(config.audit.namespaces),
    systemWorkloads: new GlobSet([...BUILT_IN_SYSTEM_WORKLOADS, ...config.audit.systemWorkloads]),
    privilegedAllowlist: [
      { workload: new GlobSet(BUILT_IN_PRIVILEGED_WORKLOADS), allow: ALL_SETTINGS },
      ...config.audit.privilegedWorkloads.map((entry) => ({
        workload: new GlobSet([entry.workload]),
        allow: entry.allow.includes('*') ? ALL_SETTINGS : new Set<string>(entry.allow),
      })),
    ],
    exposureAllowlist: config.network.exposure.allow.map((entry) => {
      const range = new CidrIndex<true>();
      return {
        workload: new GlobSet([entry.workload]),
        to: entry.to,
        ...(range.add(entry.to, true) ? { range } : {}),
      };
    }),
    knownNetworks: { contains: (address) => known.size > 0 && known.lookup(address) !== undefined },
    network: new NetworkLabels(config.network, config.clusterName),
  };
}
