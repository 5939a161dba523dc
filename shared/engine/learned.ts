import { BaselineStore, EDGE_STATS_KIND, learningStatus } from '../baseline';
import type { Config } from '../config';
import {
  baselineKindOf,
  ENTRY_POINT_BASELINE,
  type LearnedPipeline,
  LearnedPipelines,
  type LearnedPrivilege,
  learnEntryPoints,
  learnPipelines,
  learnPrivileges,
  PIPELINE_BASELINE,
  PRIVILEGE_BASELINE,
} from '../detect';
import type { Table } from '../store';

/** An identity the audit log taught, with the networks it called from (none when it was only seen from inside). */
export interface LearnedIdentity {
  identity: string;
  networks: string[];
}

/** How much the flow baselines of a scope know. */
export interface LearnedFlowCounts {
  /** Edges with hourly statistics (internal and egress), which the spike detectors compare against. */
  edges: number;
  /** Known (source, port/protocol) pairs of internal traffic (`net.new-port`). */
  ports: number;
  /** Distinct known server ports (port/protocol). */
  distinctPorts: number;
  /** Known external destinations: address blocks and AWS services (`net.new-external-destination`). */
  externalDestinations: number;
}

/** What the baselines of one scope (a cluster or a VPC) know, as a config would otherwise say it. */
export interface LearnedScope {
  scope: string;
  /** A cluster's scope is taught by the audit log; a VPC's (or an account's) by flow logs. */
  kind: 'cluster' | 'vpc';
  /** Learning until, or learned, as the engine counts it (event time). */
  learning: { learningUntil?: string; learned: boolean };
  /** Identities the audit log shows deploying like a pipeline (never those of `identities.notPipelines`). */
  pipelines: LearnedPipeline[];
  registries: string[];
  repositories: string[];
  identities: LearnedIdentity[];
  /** A cluster's workloads allowed the host access they were written with on several days. */
  privilegedWorkloads: Omit<LearnedPrivilege, 'cluster'>[];
  /** A VPC's addresses that take the internet's web traffic like a load balancer. */
  entryPoints: string[];
  flows: LearnedFlowCounts;
}

/** Every scope's learned state, by scope name. */
export interface LearnedState {
  scopes: LearnedScope[];
}

/** How {@link readLearned} reads. */
export interface ReadLearnedOptions {
  /** The time the learning period is judged at: the latest event time seen, for a replay. */
  now: number;
  /** Only this scope. @default every scope */
  scope?: string;
}

/** The baselines read, by the detector that learns each. */
const KINDS = {
  registries: baselineKindOf('audit.new-image-registry'),
  repositories: baselineKindOf('audit.new-image-repository'),
  identities: baselineKindOf('audit.new-identity'),
  identityNetworks: baselineKindOf('audit.new-source-ip'),
  ports: baselineKindOf('net.new-port'),
  externalDestinations: baselineKindOf('net.new-external-destination'),
};

/** The scope names flow logs give (`scopeName` in shared/network): a VPC, an account, or `flow`. */
const FLOW_SCOPE = /^(vpc-|account-)|^flow$/;

/**
 * What the baselines have learned by themselves, per scope: the learning state, the pipelines,
 * the registries and repositories, the identities and their networks, and how many edges and
 * ports. Read only: the CLI's `driftwatch learned` prints it, the report shows it, and both read
 * pipelines exactly as the engine does (`identities.notPipelines` and `learnPipelines.minDays`).
 */
export async function readLearned(table: Table, config: Config, options: ReadLearnedOptions): Promise<LearnedState> {
  const store = new BaselineStore({ table });
  const status = await learningStatus(store, config.learning.days, options.now);
  const rules = new LearnedPipelines(
    config.identities.notPipelines,
    config.identities.learnPipelines.minDays,
    config.learning.days,
  );
  const scopes: LearnedScope[] = [];
  for (const line of status) {
    if (options.scope !== undefined && line.scope !== options.scope) continue;
    const { scope } = line;
    const values = async (kind: string) => (await store.entries(scope, kind)).map((e) => e.value).sort();
    const ports = await values(KINDS.ports);
    scopes.push({
      scope,
      kind: FLOW_SCOPE.test(scope) ? 'vpc' : 'cluster',
      learning: line.learningUntil ? { learningUntil: line.learningUntil, learned: line.learned } : { learned: false },
      pipelines: learnPipelines(scope, await store.entries(scope, PIPELINE_BASELINE), rules),
      registries: await values(KINDS.registries),
      repositories: await values(KINDS.repositories),
      identities: identitiesOf(await values(KINDS.identities), await values(KINDS.identityNetworks)),
      privilegedWorkloads: config.audit.learnPrivilegedWorkloads
        ? learnPrivileges(await store.entries(scope, PRIVILEGE_BASELINE)).map(({ cluster: _c, ...p }) => p)
        : [],
      entryPoints: config.network.learnEntryPoints
        ? learnEntryPoints(await store.entries(scope, ENTRY_POINT_BASELINE))
            .map((e) => e.address)
            .sort()
        : [],
      flows: {
        edges: (await store.entries(scope, EDGE_STATS_KIND)).length,
        ports: ports.length,
        distinctPorts: new Set(ports.map((p) => p.slice(p.lastIndexOf('|') + 1))).size,
        externalDestinations: (await values(KINDS.externalDestinations)).length,
      },
    });
  }
  return { scopes };
}

/** The networks a learned pipeline deploys from (its /16s, /48s), for the CLI and the report. */
export function pipelineNetworks(pipeline: LearnedPipeline): string[] {
  return [...pipeline.networks];
}

/**
 * The identities of `audit.new-identity` (people and external identities) joined with the
 * `identity|network` values of `audit.new-source-ip` (which also follows service accounts seen
 * from the internet).
 */
function identitiesOf(identities: readonly string[], identityNetworks: readonly string[]): LearnedIdentity[] {
  const byIdentity = new Map<string, Set<string>>(identities.map((i) => [i, new Set()]));
  for (const value of identityNetworks) {
    const at = value.lastIndexOf('|');
    if (at < 0) continue;
    const identity = value.slice(0, at);
    const networks = byIdentity.get(identity) ?? new Set<string>();
    networks.add(value.slice(at + 1));
    byIdentity.set(identity, networks);
  }
  return [...byIdentity]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([identity, networks]) => ({ identity, networks: [...networks].sort() }));
}
