import { type LearnedState, pipelineNetworks } from '../engine';

/** One scope's learned state as the report shows it: pipelines in full, the rest as counts. */
export interface ReportLearnedScope {
  scope: string;
  kind: 'cluster' | 'vpc';
  learning: { learningUntil?: string; learned: boolean };
  pipelines: { username: string; networks: string[]; agent: string }[];
  registries: string[];
  /** Workloads allowed host access, with the settings and the kind of identity that writes them. */
  privilegedWorkloads: { workload: string; allow: string[]; by: string }[];
  /** Addresses learned as load balancers. */
  entryPoints: string[];
  counts: {
    repositories: number;
    identities: number;
    edges: number;
    ports: number;
    distinctPorts: number;
    externalDestinations: number;
  };
}

/** The report's "Learned" section data, from what `readLearned` read at the end of the run. */
export function buildReportLearned(state: LearnedState): ReportLearnedScope[] {
  return state.scopes.map((s) => ({
    scope: s.scope,
    kind: s.kind,
    learning: s.learning,
    pipelines: s.pipelines.map((p) => ({ username: p.username, networks: pipelineNetworks(p), agent: p.agent })),
    registries: s.registries,
    privilegedWorkloads: s.privilegedWorkloads,
    entryPoints: s.entryPoints,
    counts: {
      repositories: s.repositories.length,
      identities: s.identities.length,
      edges: s.flows.edges,
      ports: s.flows.ports,
      distinctPorts: s.flows.distinctPorts,
      externalDestinations: s.flows.externalDestinations,
    },
  }));
}
