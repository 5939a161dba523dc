import type { AuditEvent } from '../../ingest';
import { actor, actorName, identityKey, isSystemIdentity, pastTense, succeeded } from '../../kube';
import type { AnomalyDetector } from '../types';
import { baseEntities } from './lib/actor';
import { exampleEvent } from './lib/example-events';

const READS = new Set(['get', 'list', 'watch']);
const CLUSTER_WIDE = '*';

export const unusualSecretAccess: AnomalyDetector<AuditEvent> = {
  id: 'audit.unusual-secret-access',
  kind: 'anomaly',
  source: 'eks-audit',
  baselineKind: 'secret-reader',
  expectedNoun: 'identities and namespaces whose secrets they read before',
  title: 'Secrets read by an identity that never read them',
  description:
    'An identity read (get, list or watch) Secrets in a namespace where it never did. Secrets hold database ' +
    'passwords, API keys and tokens; reading them is the step between a foothold and the data. High for a ' +
    'cluster-wide list or watch of secrets and for kube-system. The control plane and the kubelets are left out.',
  severity: 'medium',
  mitre: ['T1552.007', 'T1613'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco: 'K8s Secret Get Successfully',
    guardduty: 'CredentialAccess:Kubernetes/AnomalousBehavior.SecretsAccessed',
    elastic: 'Kubernetes Secrets List Across Cluster or Sensitive Namespaces',
    sigma: 'Kubernetes Secrets Enumeration',
  },
  runbook:
    'Ask the owner of the identity why it read these secrets. If it should not have, rotate every secret it could ' +
    'read (list returns the values), and tighten its role: secrets access should name the secrets it needs.',

  observe(event) {
    const ref = event.objectRef;
    if (ref?.resource !== 'secrets' || ref.subresource || !READS.has(event.verb) || !succeeded(event)) return undefined;
    const user = actor(event);
    if (isSystemIdentity(user)) return undefined;
    return [`${identityKey(user)}|${ref.namespace ?? CLUSTER_WIDE}`];
  },

  describe(value, event) {
    const namespace = value.slice(value.lastIndexOf('|') + 1);
    const ref = event.objectRef;
    const clusterWide = namespace === CLUSTER_WIDE;
    const what = ref?.name
      ? `Secret ${namespace}/${ref.name}`
      : clusterWide
        ? 'Secrets in every namespace'
        : `Secrets in ${namespace}`;
    return {
      severity: clusterWide || namespace === 'kube-system' ? 'high' : 'medium',
      title: clusterWide ? 'Secrets listed across the cluster' : undefined,
      summary:
        `${actorName(event)} ${pastTense(event.verb)} ${what}` +
        `${event.sourceIps[0] ? ` from ${event.sourceIps[0]}` : ''}, the first time it read secrets ${clusterWide ? 'cluster-wide' : 'there'}.`,
      entities: baseEntities(event),
      evidence: `${event.verb} ${event.requestUri.slice(0, 250)} -> ${event.responseCode ?? '?'}`,
      dedupeKey: value,
    };
  },

  examples: {
    baseline: ['system:serviceaccount:external-secrets:external-secrets|payments'],
    fires: [
      exampleEvent({ verb: 'list', resource: 'secrets', user: 'bob' }),
      exampleEvent({ verb: 'get', resource: 'secrets', namespace: 'payments', name: 'db-credentials', user: 'dave' }),
    ],
    quiet: [
      exampleEvent({
        verb: 'list',
        resource: 'secrets',
        namespace: 'payments',
        user: { username: 'system:serviceaccount:external-secrets:external-secrets', groups: [] },
      }),
      exampleEvent({
        verb: 'get',
        resource: 'secrets',
        namespace: 'payments',
        name: 'x',
        user: { username: 'system:node:ip-10-0-1-23.eu-west-1.compute.internal', groups: ['system:nodes'] },
      }),
      exampleEvent({ verb: 'list', resource: 'secrets', user: 'bob', responseCode: 403, decision: 'forbid' }),
    ],
  },
};
