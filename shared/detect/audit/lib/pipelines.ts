import type { AuditEvent, AuditUser } from '../../../ingest';
import { actor, isAnonymous, isSystemIdentity, succeeded, WORKLOAD_RESOURCES } from '../../../kube';
import { rangeBlock } from '../../../network';
import { DAY_MS, dayStart, GlobSet } from '../../../util';

/** The part of the detector context the learner reads (the context itself holds a {@link LearnedPipelines}). */
interface LearnerContext {
  cicdIdentities: GlobSet;
  controllerIdentities: GlobSet;
  learnedPipelines: LearnedPipelines;
}

/**
 * The baseline that learns pipeline identities: what each identity did to workloads (from which
 * network, with which user agent), and whether it ever did what people do. Folded by the
 * rebaseline like every other baseline, so it learns in the Lambdas and the CLI alike, and keeps
 * learning after the learning period.
 */
export const PIPELINE_BASELINE = 'pipeline-activity';

/** The id its observations are written under: a learner, not a detector; it never fires. */
export const PIPELINE_LEARNER_ID = 'learn.pipelines';

const CHANGES = new Set(['create', 'update', 'patch']);
const INTERACTIVE_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);
const SECRET_READS = new Set(['get', 'list']);

/**
 * User agents of GitOps agents and CI runners. A hint only: it lowers the number of days an
 * identity must deploy on, and never makes an identity a pipeline by itself (a user agent is
 * whatever the caller says it is).
 */
const AUTOMATION_AGENTS =
  /\b(argocd-application-controller|argocd-server|kustomize-controller|helm-controller|flux|github-actions|gitlab-runner|jenkins|tekton|spinnaker|buildkite)\b|\bci\b/i;

/** With the hint, the fewest days an identity must have deployed on. */
const HINTED_MIN_DAYS = 2;

/**
 * The most networks a pipeline deploys from. Hosted runners (GitHub's, GitLab's) take a new
 * address every run, often in a new /24, but within a few of their provider's ranges; a person
 * carrying a laptop around, or a credential shared by many, shows more.
 */
const MAX_NETWORKS = 4;

/**
 * The days a network must be seen on to be one of a pipeline's own: once is a drift (or not yet
 * a habit), twice is a habit. Never more than the days the identity itself needs.
 */
const NETWORK_MIN_DAYS = 2;

/** An identity learned as a pipeline in one cluster: the networks and user agent it deploys from. */
export interface LearnedPipeline {
  /** The cluster (baseline scope) it was learned in: a pipeline of one cluster is nothing in another. */
  cluster: string;
  username: string;
  /** The /16s of IPv4 (/48s of IPv6) it deploys from, each on at least two days; at most four. */
  networks: string[];
  /** Its user agent's product and major.minor (`kubectl/v1.31`): the newest, after a version bump. */
  agent: string;
  /** The start of the first day it was seen changing workloads (epoch ms, UTC). */
  since: number;
}

/** How an event of a learned pipeline's identity departs from the pipeline. */
export interface PipelineDrift {
  pipeline: LearnedPipeline;
  /** The event's network, when it is not one of the pipeline's. */
  network?: string;
  /** The event's user agent, when it is not the pipeline's. */
  agent?: string;
}

/** What the rebaseline knows about one observed value: the days it was seen on. */
interface PipelineEntry {
  value: string;
  dayCounts: Record<string, number>;
}

type Fact = ['change', string, string, string, 0 | 1] | ['interactive', string];

/**
 * The pipelines learned so far, by cluster. Built empty with the context; the engine replaces its
 * contents from the baseline. Rejected identities (`identities.notPipelines`) never match.
 */
export class LearnedPipelines {
  private readonly rejected: GlobSet;
  private byCluster = new Map<string, Map<string, LearnedPipeline>>();

  constructor(
    notPipelines: readonly string[],
    /** Distinct days of workload changes an identity needs (`identities.learnPipelines.minDays`). */
    readonly minDays: number,
    /**
     * Days a pipeline is watched before a departure from its networks counts as drift (the
     * learning period): until then a network it has used once may still become one of its own.
     */
    private readonly settleDays: number,
  ) {
    this.rejected = new GlobSet([...notPipelines]);
  }

  isRejected(username: string): boolean {
    return this.rejected.matches(username);
  }

  replace(learned: readonly LearnedPipeline[]): void {
    this.byCluster = new Map();
    for (const pipeline of learned) {
      if (this.isRejected(pipeline.username)) continue;
      let users = this.byCluster.get(pipeline.cluster);
      if (!users) {
        users = new Map();
        this.byCluster.set(pipeline.cluster, users);
      }
      users.set(pipeline.username, pipeline);
    }
  }

  /** The learned pipeline of the event's identity in the event's cluster. */
  private of(event: AuditEvent): LearnedPipeline | undefined {
    return this.byCluster.get(event.cluster)?.get(actor(event).username);
  }

  /**
   * Whether the event's identity is a learned pipeline acting as it always has: from one of its
   * networks, with its user agent. The same identity from elsewhere is not the pipeline.
   */
  matches(event: AuditEvent): boolean {
    const learned = this.of(event);
    if (!learned) return false;
    return learned.networks.includes(networkOf(event)) && learned.agent === agentOf(event);
  }

  /**
   * How the event departs from its identity's learned pipeline: undefined when it matches, when
   * the identity is no learned pipeline, and while the pipeline is younger than a learning period.
   */
  drift(event: AuditEvent): PipelineDrift | undefined {
    const learned = this.of(event);
    if (!learned || event.time < learned.since + this.settleDays * DAY_MS) return undefined;
    const network = networkOf(event);
    const agent = agentOf(event);
    const elsewhere = !learned.networks.includes(network);
    const otherAgent = agent !== learned.agent;
    if (!elsewhere && !otherAgent) return undefined;
    return { pipeline: learned, ...(elsewhere ? { network } : {}), ...(otherAgent ? { agent } : {}) };
  }
}

/** What one event tells about its identity as a possible pipeline, as baseline values. */
export function pipelineObservations(event: AuditEvent, context: LearnerContext): string[] | undefined {
  const user = actor(event);
  if (!learnable(user, context)) return undefined;
  const ref = event.objectRef;
  if (!ref?.resource) return undefined;
  if (interactive(event, user)) return [JSON.stringify(['interactive', user.username] satisfies Fact)];
  if (!WORKLOAD_RESOURCES.has(ref.resource) || !CHANGES.has(event.verb) || !succeeded(event)) return undefined;
  if (ref.subresource && ref.subresource !== 'scale') return undefined;
  const hint = AUTOMATION_AGENTS.test(event.userAgent ?? '') ? 1 : 0;
  return [JSON.stringify(['change', user.username, networkOf(event), agentOf(event), hint] satisfies Fact)];
}

/** One identity's workload changes, as the baseline holds them: the days of each network and agent. */
interface Changes {
  networks: Map<string, Set<string>>;
  agents: Map<string, Set<string>>;
  days: Set<string>;
  hinted: boolean;
}

/**
 * The identities the baseline shows behaving like automation: workload changes on enough distinct
 * days, from a small consistent set of networks ({@link ownNetworks}), with one user agent (or a
 * version bump of it, {@link currentAgent}), and not one interactive read.
 */
export function learnPipelines(
  cluster: string,
  entries: readonly PipelineEntry[],
  pipelines: LearnedPipelines,
): LearnedPipeline[] {
  const people = new Set<string>();
  const changes = new Map<string, Changes>();
  for (const entry of entries) {
    const fact = parseFact(entry.value);
    if (!fact) continue;
    if (fact[0] === 'interactive') {
      people.add(fact[1]);
      continue;
    }
    const [, username, network, agent, hint] = fact;
    let seen = changes.get(username);
    if (!seen) {
      seen = { networks: new Map(), agents: new Map(), days: new Set(), hinted: false };
      changes.set(username, seen);
    }
    for (const day of Object.keys(entry.dayCounts)) {
      seen.days.add(day);
      addDay(seen.networks, network, day);
      addDay(seen.agents, agent, day);
    }
    seen.hinted ||= hint === 1;
  }
  const learned: LearnedPipeline[] = [];
  for (const [username, seen] of changes) {
    if (people.has(username) || pipelines.isRejected(username)) continue;
    const minDays = seen.hinted ? Math.min(HINTED_MIN_DAYS, pipelines.minDays) : pipelines.minDays;
    if (seen.days.size < minDays) continue;
    const networks = ownNetworks(seen.networks, Math.min(NETWORK_MIN_DAYS, pipelines.minDays));
    const agent = currentAgent(seen.agents);
    if (!networks || !agent) continue;
    learned.push({ cluster, username, networks, agent, since: dayStart([...seen.days].sort()[0] ?? '') });
  }
  return learned.sort((a, b) => a.username.localeCompare(b.username));
}

function addDay(days: Map<string, Set<string>>, key: string, day: string): void {
  let set = days.get(key);
  if (!set) {
    set = new Set();
    days.set(key, set);
  }
  set.add(day);
}

/**
 * The networks an identity deploys from, when they are few and consistent: those seen on at least
 * `minDays` days, one to {@link MAX_NETWORKS} of them, and no more networks seen on fewer days
 * than that. A stray network is left out (using it again is drift) without unlearning the
 * pipeline; an identity that shows up from somewhere new as often as from its usual places is
 * no pipeline.
 */
function ownNetworks(networks: ReadonlyMap<string, ReadonlySet<string>>, minDays: number): string[] | undefined {
  const own = [...networks].filter(([, days]) => days.size >= minDays).map(([network]) => network);
  const strays = networks.size - own.length;
  if (own.length === 0 || own.length > MAX_NETWORKS || strays > own.length) return undefined;
  return own.sort();
}

/**
 * The user agent an identity deploys with: its only one, or, when its runner was upgraded, the
 * newest version of one product, provided each older version was last seen no later than the next
 * one was first seen (a bump, not two tools taking turns). Then the older versions are drift.
 */
function currentAgent(agents: ReadonlyMap<string, ReadonlySet<string>>): string | undefined {
  if (agents.size === 1) return [...agents.keys()][0];
  const versions = [...agents].map(([agent, days]) => ({ agent, version: versionOf(agent), days: [...days].sort() }));
  const product = versions[0]?.version?.product;
  if (!versions.every((v) => v.version && v.version.product === product)) return undefined;
  const byVersion = versions.sort((a, b) => compareVersions(a.version, b.version));
  for (let i = 1; i < byVersion.length; i++) {
    const older = byVersion[i - 1]?.days ?? [];
    const newer = byVersion[i]?.days ?? [];
    if ((older[older.length - 1] ?? '') > (newer[0] ?? '')) return undefined;
  }
  return byVersion[byVersion.length - 1]?.agent;
}

interface AgentVersion {
  product: string;
  major: number;
  minor: number;
}

function versionOf(agent: string): AgentVersion | undefined {
  const match = /^([^/]+)\/v?(\d+)(?:\.(\d+))?$/.exec(agent);
  if (!match) return undefined;
  return { product: match[1] ?? '', major: Number(match[2]), minor: Number(match[3] ?? 0) };
}

function compareVersions(a?: AgentVersion, b?: AgentVersion): number {
  return (a?.major ?? 0) - (b?.major ?? 0) || (a?.minor ?? 0) - (b?.minor ?? 0);
}

function parseFact(value: string): Fact | undefined {
  try {
    const fact = JSON.parse(value) as unknown;
    if (!Array.isArray(fact)) return undefined;
    if (fact[0] === 'interactive' && typeof fact[1] === 'string') return fact as Fact;
    if (fact[0] === 'change' && fact.length === 5 && fact.slice(1, 4).every((f) => typeof f === 'string')) {
      // Values written before networks were /16s name a /24 (/64): read them as their /16 (/48).
      return ['change', fact[1], widened(fact[2]), fact[3], fact[4] === 1 ? 1 : 0];
    }
  } catch {
    // Not a value this learner wrote.
  }
  return undefined;
}

/** Identities worth learning: not the cluster's own, not anonymous, not already configured or rejected. */
function learnable(user: AuditUser, context: LearnerContext): boolean {
  if (isSystemIdentity(user) || isAnonymous(user)) return false;
  if (context.cicdIdentities.matches(user.username) || context.controllerIdentities.matches(user.username)) {
    return false;
  }
  return !context.learnedPipelines.isRejected(user.username);
}

/**
 * What people do and automation does not: a shell, an attach or a port-forward into a pod, and
 * reading secrets. A service account reading the secrets of its own namespace is how operators
 * work (Argo CD reads its cluster credentials), not a person browsing.
 */
function interactive(event: AuditEvent, user: AuditUser): boolean {
  const ref = event.objectRef;
  if (ref?.resource === 'pods' && ref.subresource && INTERACTIVE_SUBRESOURCES.has(ref.subresource)) return true;
  if (ref?.resource !== 'secrets' || ref.subresource || !SECRET_READS.has(event.verb)) return false;
  const own = /^system:serviceaccount:([^:]+):/.exec(user.username)?.[1];
  return own === undefined || own !== ref.namespace;
}

/** The source network: the /16 of an IPv4 address, the /48 of an IPv6 one. */
function networkOf(event: AuditEvent): string {
  const address = event.sourceIps[0];
  return address ? rangeBlock(address) : '-';
}

/** A network as written by any version of the learner, as its /16 (/48). */
function widened(network: string): string {
  if (network === '-') return network;
  const slash = network.indexOf('/');
  return rangeBlock(slash >= 0 ? network.slice(0, slash) : network);
}

/** The user agent's product and version prefix (`kubectl/v1.30`): patch releases do not change it. */
function agentOf(event: AuditEvent): string {
  const first = (event.userAgent ?? '').trim().split(/\s+/)[0] ?? '';
  if (!first) return '-';
  const [product = '', version = ''] = first.split('/');
  const minor = /^v?\d+(\.\d+)?/.exec(version)?.[0];
  return minor ? `${product}/${minor}` : product;
}
