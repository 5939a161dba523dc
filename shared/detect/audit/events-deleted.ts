import type { AuditEvent } from '../../ingest';
import { actor, actorName, isSystemIdentity, succeeded } from '../../kube';
import type { RuleDetector } from '../types';
import { baseEntities } from './lib/actor';
import { exampleEvent } from './lib/example-events';

export const eventsDeleted: RuleDetector<AuditEvent> = {
  id: 'audit.events-deleted',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Kubernetes events deleted',
  description:
    'Someone other than the control plane deleted Kubernetes Events. Events record what happened to pods and nodes ' +
    '(pulls, kills, scheduling, failed mounts); they expire on their own after an hour, so deleting them by hand is ' +
    'mostly done to hide what just happened.',
  severity: 'medium',
  mitre: ['T1070'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'none',
    guardduty: 'none',
    elastic: 'Kubernetes Events Deleted',
    sigma: 'Kubernetes Events Deleted',
  },
  runbook:
    'Look at what the same identity did in the minutes before the deletion: the audit log still has it. Ask the ' +
    'person why; if they cannot say, treat the identity as compromised.',

  detect(event) {
    const ref = event.objectRef;
    if (ref?.resource !== 'events' || (event.verb !== 'delete' && event.verb !== 'deletecollection')) return undefined;
    if (!succeeded(event)) return undefined;
    const user = actor(event);
    if (isSystemIdentity(user)) return undefined;
    const all = event.verb === 'deletecollection';
    return {
      severity: all ? 'high' : 'medium',
      summary: `${actorName(event)} deleted ${all ? 'all events' : `event ${ref.name ?? '?'}`} in ${ref.namespace ?? 'every namespace'}.`,
      entities: baseEntities(event),
      evidence: `${event.verb} ${event.requestUri.slice(0, 250)} -> ${event.responseCode ?? '?'}`,
      dedupeKey: `${user.username}|${ref.namespace ?? ''}`,
    };
  },

  examples: {
    fires: [
      exampleEvent({ verb: 'deletecollection', resource: 'events', namespace: 'payments' }),
      exampleEvent({
        verb: 'delete',
        resource: 'events',
        apiGroup: 'events.k8s.io',
        namespace: 'web',
        name: 'web-1.17f',
      }),
    ],
    quiet: [
      exampleEvent({
        verb: 'deletecollection',
        resource: 'events',
        namespace: 'old',
        user: { username: 'system:serviceaccount:kube-system:namespace-controller', groups: [] },
      }),
      exampleEvent({ verb: 'list', resource: 'events', namespace: 'payments' }),
    ],
  },
};
