import type { AuditEvent, AuditUser } from '../../../ingest';
import { actor, isAnonymous, isSystemIdentity, succeeded, WORKLOAD_RESOURCES } from '../../../kube';
import { GlobSet } from '../../../util';

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

/** An identity learned as a pipeline, with the one network and user agent it deploys from. */
export interface LearnedPipeline {
  username: string;
  network: string;
  agent: string;
}

/** What the rebaseline knows about one observed value: the days it was seen on. */
interface PipelineEntry {
  value: string;
  dayCounts: Record<string, number>;
}

type Fact = ['change', string, string, string, 0 | 1] | ['interactive', string];

/**
 * The pipelines learned so far, for one cluster. Built empty with the context; the engine replaces
 * its contents from the baseline. Rejected identities (`identities.notPipelines`) never match.
 */
export class LearnedPipelines {
  private readonly rejected: GlobSet;
  private byUser = new Map<string, LearnedPipeline>();

  constructor(
    notPipelines: readonly string[],
    /** Distinct days of workload changes an identity needs (`identities.learnPipelines.minDays`). */
    readonly minDays: number,
  ) {
    this.rejected = new GlobSet([...notPipelines]);
  }

  isRejected(username: string): boolean {
    return this.rejected.matches(username);
  }

  replace(learned: readonly LearnedPipeline[]): void {
    this.byUser = new Map(learned.filter((p) => !this.isRejected(p.username)).map((p) => [p.username, p]));
  }

  /**
   * Whether the event's identity is a learned pipeline acting as it always has: from its network,
   * with its user agent. The same identity from elsewhere is not the pipeline.
   */
  matches(event: AuditEvent): boolean {
    const learned = this.byUser.get(actor(event).username);
    return learned !== undefined && learned.network === networkOf(event) && learned.agent === agentOf(event);
  }

  names(): string[] {
    return [...this.byUser.keys()].sort();
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

/**
 * The identities the baseline shows behaving like automation: workload changes on enough distinct
 * days, all from one network and one user agent, and not one interactive read.
 */
export function learnPipelines(entries: readonly PipelineEntry[], pipelines: LearnedPipelines): LearnedPipeline[] {
  const people = new Set<string>();
  const changes = new Map<string, { sources: Set<string>; days: Set<string>; hinted: boolean; first: string[] }>();
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
      seen = { sources: new Set(), days: new Set(), hinted: false, first: [network, agent] };
      changes.set(username, seen);
    }
    seen.sources.add(JSON.stringify([network, agent]));
    for (const day of Object.keys(entry.dayCounts)) seen.days.add(day);
    seen.hinted ||= hint === 1;
  }
  const learned: LearnedPipeline[] = [];
  for (const [username, seen] of changes) {
    if (people.has(username) || pipelines.isRejected(username) || seen.sources.size !== 1) continue;
    const minDays = seen.hinted ? Math.min(HINTED_MIN_DAYS, pipelines.minDays) : pipelines.minDays;
    if (seen.days.size < minDays) continue;
    const [network = '', agent = ''] = seen.first;
    learned.push({ username, network, agent });
  }
  return learned.sort((a, b) => a.username.localeCompare(b.username));
}

function parseFact(value: string): Fact | undefined {
  try {
    const fact = JSON.parse(value) as unknown;
    if (!Array.isArray(fact)) return undefined;
    if (fact[0] === 'interactive' && typeof fact[1] === 'string') return fact as Fact;
    if (fact[0] === 'change' && fact.length === 5 && fact.slice(1, 4).every((f) => typeof f === 'string')) {
      return fact as Fact;
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

/** The source network: the /24 of an IPv4 address, the /64 of an IPv6 one. */
function networkOf(event: AuditEvent): string {
  const address = event.sourceIps[0];
  if (!address) return '-';
  const v4 = /^(\d{1,3}\.\d{1,3}\.\d{1,3})\.\d{1,3}$/.exec(address);
  if (v4) return `${v4[1]}.0/24`;
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase())
    .join(':')}::/64`;
}

/** The user agent's product and version prefix (`kubectl/v1.30`): patch releases do not change it. */
function agentOf(event: AuditEvent): string {
  const first = (event.userAgent ?? '').trim().split(/\s+/)[0] ?? '';
  if (!first) return '-';
  const [product = '', version = ''] = first.split('/');
  const minor = /^v?\d+(\.\d+)?/.exec(version)?.[0];
  return minor ? `${product}/${minor}` : product;
}
