import type { AuditEvent } from '../../ingest';
import { actor, identityKey, isAnonymous, isServiceAccount, isSystemIdentity, objectName, pastTense } from '../../kube';
import type { AnomalyDetector } from '../types';
import { baseEntities } from './lib/actor';
import { exampleEvent } from './lib/example-events';

export const newIdentity: AnomalyDetector<AuditEvent> = {
  id: 'audit.new-identity',
  kind: 'anomaly',
  source: 'eks-audit',
  baselineKind: 'identity',
  expectedNoun: 'identities seen before',
  title: 'Identity never seen before',
  description:
    'A person or an external identity (an IAM user or role mapped by aws-auth or an access entry) called the API ' +
    'for the first time. New people join and new pipelines appear, but so do stolen keys and mappings an attacker ' +
    'added for themselves. The cluster, its nodes and in-cluster service accounts are left to other detectors; ' +
    'access-entry session names are ignored, so each login of the same role is one identity. High for system:masters.',
  severity: 'medium',
  mitre: ['T1078.004', 'T1078'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco: 'Disallowed K8s User',
    guardduty: 'none',
    elastic: 'none',
    sigma: 'none',
  },
  runbook:
    'Find the IAM principal behind the username (user.extra.arn in the event, or the aws-auth mapping) and confirm ' +
    'it belongs to someone who just got access. If nobody knows it, remove the mapping or access entry and check ' +
    'CloudTrail for how it was created.',

  observe(event) {
    const user = actor(event);
    if (isSystemIdentity(user) || isServiceAccount(user) || isAnonymous(user) || user.username.startsWith('system:')) {
      return undefined;
    }
    return [identityKey(user)];
  },

  describe(identity, event) {
    const user = actor(event);
    const arn = user.extra?.arn?.[0];
    const admin = user.groups.includes('system:masters');
    return {
      severity: admin ? 'high' : 'medium',
      summary:
        `${identity}${arn && arn !== identity ? ` (${arn})` : ''}${admin ? ', a member of system:masters,' : ''} called the API for the first time: ` +
        `${pastTense(event.verb)} ${event.objectRef?.resource ? `${event.objectRef.resource} ${objectName(event)}` : event.requestUri.slice(0, 100)}` +
        `${event.sourceIps[0] ? ` from ${event.sourceIps[0]}` : ''}.`,
      entities: { ...baseEntities(event), arn },
      evidence: `${user.username} groups=[${user.groups.join(', ')}] ${event.verb} ${event.requestUri.slice(0, 200)}`,
      dedupeKey: identity,
    };
  },

  examples: {
    baseline: ['alice', 'github-actions', 'arn:aws:sts::123456789012:assumed-role/Admin/*'],
    fires: [
      exampleEvent({ verb: 'list', resource: 'secrets', namespace: 'payments', user: 'dave' }),
      exampleEvent({
        verb: 'get',
        resource: 'nodes',
        user: { username: 'arn:aws:sts::123456789012:assumed-role/Contractor/eve', groups: ['system:masters'] },
      }),
    ],
    quiet: [
      exampleEvent({ verb: 'list', resource: 'pods', namespace: 'web', user: 'alice' }),
      exampleEvent({
        verb: 'get',
        resource: 'pods',
        user: { username: 'arn:aws:sts::123456789012:assumed-role/Admin/alice-laptop', groups: [] },
      }),
      exampleEvent({
        verb: 'list',
        resource: 'pods',
        user: { username: 'system:serviceaccount:monitoring:prometheus', groups: ['system:serviceaccounts'] },
      }),
      exampleEvent({
        verb: 'get',
        resource: 'nodes',
        user: { username: 'system:node:ip-10-0-9-9', groups: ['system:nodes'] },
      }),
      exampleEvent({ verb: 'get', user: { username: 'system:anonymous', groups: ['system:unauthenticated'] } }),
    ],
  },
};
