import type { AuditEvent } from '../../ingest';
import { actor, actorName, identityKey, isServiceAccount, isSystemIdentity, succeeded } from '../../kube';
import type { AnomalyDetector } from '../types';
import { baseEntities } from './lib/actor';
import { exampleEvent } from './lib/example-events';

const REVIEWS = new Set(['selfsubjectaccessreviews', 'selfsubjectrulesreviews']);

export const permissionProbing: AnomalyDetector<AuditEvent> = {
  id: 'audit.permission-probing',
  kind: 'anomaly',
  source: 'eks-audit',
  baselineKind: 'permission-checker',
  expectedNoun: 'identities that checked their permissions before',
  title: 'Identity checks its own permissions for the first time',
  description:
    'An identity that never asked "what am I allowed to do?" did: a SelfSubjectAccessReview or ' +
    'SelfSubjectRulesReview (kubectl auth can-i, often --list). Dashboards such as k9s and Lens ask all the time ' +
    'and are learned; a person or a service account that starts asking is usually someone with a fresh credential ' +
    'mapping out what it can reach. High for a service account listing all its rules (can-i --list from inside a pod). ' +
    'Bursts of denied requests are audit.forbidden-burst.',
  severity: 'medium',
  mitre: ['T1069.003', 'T1613'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco: 'none',
    guardduty: 'Discovery:Kubernetes/AnomalousBehavior.PermissionChecked',
    elastic: 'Kubernetes Suspicious Self-Subject Review via Unusual User Agent',
    sigma: 'RBAC Permission Enumeration Attempt',
  },
  runbook:
    'Look at what the identity did next: the reviews show what it was looking for. For a service account, find the ' +
    'pod whose token was used (user.extra in the event names it) and check it for an intruder.',

  observe(event) {
    const ref = event.objectRef;
    if (!ref?.resource || !REVIEWS.has(ref.resource) || event.verb !== 'create' || !succeeded(event)) return undefined;
    const user = actor(event);
    if (isSystemIdentity(user)) return undefined;
    return [identityKey(user)];
  },

  describe(identity, event) {
    const rules = event.objectRef?.resource === 'selfsubjectrulesreviews';
    const user = actor(event);
    return {
      severity: rules && isServiceAccount(user) ? 'high' : 'medium',
      summary:
        `${actorName(event)} ${rules ? 'listed every permission it has' : 'checked whether it may do something'} ` +
        `(${event.objectRef?.resource})${event.sourceIps[0] ? ` from ${event.sourceIps[0]}` : ''}, the first time ${identity} did.`,
      entities: baseEntities(event),
      evidence: `create ${event.requestUri.slice(0, 200)} ua=${event.userAgent ?? '?'}`,
      dedupeKey: identity,
    };
  },

  examples: {
    baseline: ['carol'],
    fires: [
      exampleEvent({
        verb: 'create',
        resource: 'selfsubjectrulesreviews',
        apiGroup: 'authorization.k8s.io',
        user: { username: 'system:serviceaccount:payments:api', groups: ['system:serviceaccounts'] },
      }),
      exampleEvent({
        verb: 'create',
        resource: 'selfsubjectaccessreviews',
        apiGroup: 'authorization.k8s.io',
        user: 'bob',
      }),
    ],
    quiet: [
      exampleEvent({
        verb: 'create',
        resource: 'selfsubjectaccessreviews',
        apiGroup: 'authorization.k8s.io',
        user: 'carol',
      }),
      exampleEvent({
        verb: 'create',
        resource: 'subjectaccessreviews',
        user: { username: 'system:kube-controller-manager', groups: [] },
      }),
    ],
  },
};
