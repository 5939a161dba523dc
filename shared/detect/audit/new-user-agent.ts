import type { AuditEvent } from '../../ingest';
import { actor, actorName, identityKey, isAnonymous, isSystemIdentity } from '../../kube';
import { printable } from '../../util';
import type { AnomalyDetector } from '../types';
import { baseEntities } from './lib/actor';
import { exampleEvent } from './lib/example-events';
import { userAgentProduct } from './lib/user-agent';

/** The baseline of identities seen calling the API with a user agent, which a learner keeps. */
export const USER_AGENT_IDENTITY_BASELINE = 'user-agent-identity';
export const USER_AGENT_IDENTITY_LEARNER_ID = 'learn.user-agent-identities';

/** Values are `identity|product`. */
const SEPARATOR = '|';

function identityOf(value: string): string {
  return value.slice(0, value.lastIndexOf(SEPARATOR));
}

/** The identity and the product of its client, for the cluster's callers other than itself and anonymous ones. */
function callerAndProduct(event: AuditEvent): [string, string] | undefined {
  const user = actor(event);
  if (isSystemIdentity(user) || isAnonymous(user)) return undefined;
  const product = userAgentProduct(event.userAgent);
  return product ? [identityKey(user), product] : undefined;
}

/**
 * The identities seen, for the learner of {@link USER_AGENT_IDENTITY_BASELINE}: a product is only
 * news for an identity the baseline knew, so a new identity is left to audit.new-identity instead
 * of firing here for each of its tools.
 */
export function userAgentIdentityObservations(event: AuditEvent): string[] | undefined {
  const found = callerAndProduct(event);
  return found ? [found[0]] : undefined;
}

function call(user: string, userAgent: string) {
  return exampleEvent({ verb: 'list', resource: 'pods', namespace: 'web', user, userAgent });
}

export const newUserAgent: AnomalyDetector<AuditEvent> = {
  id: 'audit.new-user-agent',
  kind: 'anomaly',
  source: 'eks-audit',
  baselineKind: 'user-agent',
  expectedNoun: 'tools this identity used before',
  title: 'Identity uses a new tool',
  description:
    'An identity known from the baseline called the API with a client it never used: a service account whose ' +
    'pod always spoke through its own client now speaking kubectl or curl, a pipeline role suddenly used from a ' +
    'Python script. Only the product name counts (kubectl, helm, python-requests), so version upgrades stay quiet. ' +
    "Low on its own; it gives weight to the incident it joins. The cluster's own identities are left out.",
  severity: 'low',
  mitre: ['T1078', 'T1528'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco: 'none',
    guardduty: 'none',
    elastic: 'Kubernetes Unusual Decision by User Agent',
    sigma: 'none',
  },
  runbook:
    'Ask the owner of the identity whether they use this tool. A service account used with kubectl or curl means its ' +
    'token left the pod: find where from (the source address), rotate it, and read what it did.',
  related: { kind: USER_AGENT_IDENTITY_BASELINE, of: identityOf, required: true },

  observe(event) {
    const found = callerAndProduct(event);
    return found ? [found.join(SEPARATOR)] : undefined;
  },

  describe(value, event, _context, identityKnown) {
    // An identity the baseline did not know is audit.new-identity's.
    if (identityKnown !== true) return undefined;
    const product = value.slice(identityOf(value).length + 1);
    const agent = printable(event.userAgent ?? '').slice(0, 160);
    return {
      summary: `${actorName(event)} called the API with ${product} ("${agent}") for the first time, from ${event.sourceIps[0] ?? 'an unknown address'}.`,
      entities: { ...baseEntities(event), userAgent: agent },
      evidence: `${event.verb} ${event.requestUri.slice(0, 200)} -> ${event.responseCode ?? '?'} UA="${agent}"`,
      dedupeKey: value,
    };
  },

  examples: {
    baseline: ['alice@example.com|kubectl', 'system:serviceaccount:web:api|api-server'],
    related: ['alice@example.com', 'system:serviceaccount:web:api'],
    fires: [
      call('system:serviceaccount:web:api', 'kubectl/v1.31.0 (linux/amd64) kubernetes/abc1234'),
      call('alice@example.com', 'python-requests/2.32.3'),
    ],
    quiet: [
      call('alice@example.com', 'kubectl/v1.32.1 (darwin/arm64) kubernetes/def5678'),
      call('system:serviceaccount:web:api', 'api-server/2.4.1'),
      call('bob@example.com', 'curl/8.5.0'),
      call('system:serviceaccount:kube-system:coredns', 'kubectl/v1.31.0'),
    ],
  },
};
