import type { AuditEvent } from '../../ingest';
import { actor, actorName, isWrite, objectName, pastTense, succeeded } from '../../kube';
import type { DetectContext, RuleDetector } from '../types';
import { baseEntities } from './lib/actor';
import { exampleEvent } from './lib/example-events';
import type { LearnedPipeline, PipelineDrift } from './lib/pipelines';
import { isPublicAddress } from './lib/public-address';

/**
 * Clients people and scripts drive by hand. A pipeline that deployed with Argo CD or Helm and
 * now writes with one of these is its credential in someone's terminal.
 */
const HAND_TOOLS = /^(kubectl|curl|wget|python-requests|python-urllib3?|go-http-client|k9s|lens|httpie)$/i;

/** The example pipeline: GitHub-hosted runners in two provider ranges, deploying with kubectl. */
const EXAMPLE_PIPELINE: LearnedPipeline = {
  cluster: 'example',
  username: 'github-actions',
  networks: ['20.61.0.0/16', '52.236.0.0/16'],
  agent: 'kubectl/v1.31',
  since: Date.parse('2026-10-01T00:00:00Z'),
};
const EXAMPLE_AGENT = 'kubectl/v1.31.1 (linux/amd64) kubernetes/948afe5';
const GITHUB = { username: 'github-actions', groups: ['ci-deployers', 'system:authenticated'] };

export const pipelineDrift: RuleDetector<AuditEvent> = {
  id: 'audit.pipeline-drift',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Pipeline identity acts from a new network or tool',
  description:
    'An identity learned from the audit log to deploy like a pipeline (the same few networks and one user agent, ' +
    'day after day, never a shell or a secret read) wrote to the cluster from a network outside its set, or with ' +
    'another user agent. A pipeline credential is powerful and rarely watched; used from somewhere new it is most ' +
    'often a leaked CI secret or kubeconfig. High when a pipeline that only ever called from private networks ' +
    'calls from the internet, or when one that deployed with its own tool writes with kubectl, curl or a script. ' +
    'Silent while the pipeline is younger than the learning period, and for configured identities.cicd.',
  severity: 'medium',
  mitre: ['T1078.004', 'T1550.001'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco: 'none',
    guardduty: 'none',
    elastic: 'none',
    sigma: 'none',
  },
  runbook:
    'Ask the pipeline owner whether the runner, its network or its tooling changed (a new runner pool, a kubectl ' +
    'upgrade): a newer version is its agent from the next rebaseline on, a new network once it has been seen on two ' +
    'days. If not, treat the credential as leaked: rotate the CI secret or the IAM role session, review what the ' +
    'identity wrote from the address (`driftwatch rbac-history` for RBAC), and roll workloads back from the ' +
    'pipeline. To stop learning an identity, list it under identities.notPipelines; to pin it, under identities.cicd.',

  detect(event, context) {
    const drift = driftOf(event, context);
    if (!drift) return undefined;
    const { pipeline } = drift;
    const address = event.sourceIps[0] ?? 'no address';
    const ref = event.objectRef;
    const target = ref?.resource ? `${ref.resource} ${objectName(event)}` : event.requestUri.slice(0, 100);
    const changes = [
      drift.network
        ? `from ${address} (${drift.network}, not one of its networks ${pipeline.networks.join(', ')})`
        : undefined,
      drift.agent ? `with user agent ${drift.agent} (not its ${pipeline.agent})` : undefined,
    ].filter((c) => c !== undefined);
    return {
      severity: severityOf(drift, event, context),
      summary: `${actorName(event)}, learned as a pipeline, ${pastTense(event.verb)} ${target} ${changes.join(' and ')}.`,
      entities: { ...baseEntities(event), network: drift.network },
      evidence: `${actor(event).username} from ${event.sourceIps.join(', ')} ua=${event.userAgent ?? '?'}: ${event.verb} ${event.requestUri.slice(0, 200)} -> ${event.responseCode ?? '?'}`,
      dedupeKey: keyOf(drift),
    };
  },

  dedupeKey(event, context) {
    const drift = driftOf(event, context);
    return drift && keyOf(drift);
  },

  examples: {
    learnedPipelines: [EXAMPLE_PIPELINE],
    fires: [
      // A new provider range, same tool: a new runner pool, or the CI secret on a rented machine.
      exampleEvent({
        verb: 'patch',
        resource: 'deployments',
        apiGroup: 'apps',
        namespace: 'shop',
        name: 'web',
        user: GITHUB,
        sourceIps: ['4.175.12.9'],
        userAgent: EXAMPLE_AGENT,
      }),
      // Its usual network, another tool, and not a workload: any write counts.
      exampleEvent({
        verb: 'create',
        resource: 'secrets',
        namespace: 'shop',
        name: 'pull-secret',
        user: GITHUB,
        sourceIps: ['20.61.3.4'],
        userAgent: 'curl/8.5.0',
      }),
    ],
    quiet: [
      // Another runner of its usual ranges: a new /24 is how hosted runners look.
      exampleEvent({
        verb: 'patch',
        resource: 'deployments',
        apiGroup: 'apps',
        namespace: 'shop',
        name: 'web',
        user: GITHUB,
        sourceIps: ['52.236.200.7'],
        userAgent: EXAMPLE_AGENT,
      }),
      // A read from elsewhere: only writes are acting.
      exampleEvent({ verb: 'get', resource: 'deployments', namespace: 'shop', user: GITHUB, sourceIps: ['4.175.1.1'] }),
      // A denied write changed nothing.
      exampleEvent({
        verb: 'delete',
        resource: 'deployments',
        namespace: 'shop',
        name: 'web',
        user: GITHUB,
        sourceIps: ['4.175.1.1'],
        userAgent: EXAMPLE_AGENT,
        responseCode: 403,
        decision: 'forbid',
      }),
      // An identity never learned as a pipeline.
      exampleEvent({
        verb: 'patch',
        resource: 'deployments',
        namespace: 'shop',
        name: 'web',
        sourceIps: ['4.175.1.1'],
      }),
      // A pipeline younger than the learning period may still be showing its networks.
      exampleEvent({
        verb: 'patch',
        resource: 'deployments',
        namespace: 'shop',
        name: 'web',
        user: GITHUB,
        sourceIps: ['4.175.12.9'],
        userAgent: EXAMPLE_AGENT,
        time: '2026-10-05T10:00:00Z',
      }),
    ],
  },
};

/** The drift of a successful write by a learned pipeline's identity, unless it is a configured CI/CD identity. */
function driftOf(event: AuditEvent, context: DetectContext): PipelineDrift | undefined {
  if (!isWrite(event.verb) || !succeeded(event)) return undefined;
  if (context.cicdIdentities.matches(actor(event).username)) return undefined;
  return context.learnedPipelines.drift(event);
}

function keyOf(drift: PipelineDrift): string {
  return `${drift.pipeline.username}|${drift.network ?? ''}|${drift.agent ?? ''}`;
}

/**
 * High when the move is one an attacker holding the credential makes and a pipeline change does
 * not: from the internet for a pipeline that only ever ran inside, or to a hand tool for one that
 * deployed with its own. A hosted runner on a new range of its provider, or a version bump, is
 * medium.
 */
function severityOf(drift: PipelineDrift, event: AuditEvent, context: DetectContext): 'high' | 'medium' {
  const address = event.sourceIps[0];
  const fromInternet =
    drift.network !== undefined &&
    address !== undefined &&
    isPublicAddress(address) &&
    !context.knownNetworks.contains(address) &&
    drift.pipeline.networks.every((n) => !isPublicAddress(n.slice(0, n.indexOf('/'))));
  const product = (agent: string) => agent.split('/')[0] ?? '';
  const handTool =
    drift.agent !== undefined &&
    product(drift.agent) !== product(drift.pipeline.agent) &&
    HAND_TOOLS.test(product(drift.agent));
  return fromInternet || handTool ? 'high' : 'medium';
}
