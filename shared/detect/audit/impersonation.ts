import type { AuditEvent } from '../../ingest';
import { isSystemIdentity, objectName, pastTense, succeeded } from '../../kube';
import type { RuleDetector } from '../types';
import { baseEntities } from './lib/actor';
import { exampleEvent } from './lib/example-events';

/** Identities worth more than any person: the control plane, administrators, kube-system's controllers. */
function isPrivileged(username: string, groups: readonly string[]): boolean {
  return (
    groups.includes('system:masters') ||
    username === 'kubernetes-admin' ||
    username.startsWith('system:') ||
    username.startsWith('eks:')
  );
}

export const impersonation: RuleDetector<AuditEvent> = {
  id: 'audit.impersonation',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Request made by impersonating another identity',
  description:
    'An identity used the Impersonate-User or Impersonate-Group headers to act as someone else. Impersonation is ' +
    'how auth proxies work, and also how a holder of the impersonate verb becomes cluster-admin without a binding ' +
    'of their own. High when the impersonated identity is privileged (system:masters, a system: or eks: user, ' +
    'kubernetes-admin). Configured auth proxies (identities.impersonators) are quiet.',
  severity: 'medium',
  mitre: ['T1134', 'T1078'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'none',
    guardduty: 'none',
    elastic: 'Kubernetes API Request Impersonating Privileged Identity',
    sigma: 'none',
  },
  runbook:
    'Find who holds the impersonate verb (`kubectl get clusterroles -o json | jq` for impersonate) and whether this ' +
    'identity should. If it is an auth proxy, add it to identities.impersonators; if not, remove the grant and ' +
    'review what was done under the borrowed identity.',

  detect(event, context) {
    const target = event.impersonatedUser;
    if (!target || !succeeded(event)) return undefined;
    const real = event.user;
    if (context.impersonators.matches(real.username) || isSystemIdentity(real)) return undefined;
    const privileged = isPrivileged(target.username, target.groups);
    const groups = target.groups.length ? ` (groups ${target.groups.join(', ')})` : '';
    return {
      severity: privileged ? 'high' : 'medium',
      summary:
        `${real.username} acted as ${target.username}${groups} and ${pastTense(event.verb)} ` +
        `${event.objectRef?.resource ? `${event.objectRef.resource} ${objectName(event)}` : event.requestUri.slice(0, 120)}.`,
      entities: { ...baseEntities(event), impersonator: real.username, impersonated: target.username },
      evidence: `${real.username} as ${target.username}${groups}: ${event.verb} ${event.requestUri.slice(0, 250)} -> ${event.responseCode ?? '?'}`,
      dedupeKey: `${real.username}|${target.username}`,
    };
  },

  examples: {
    config: { identities: { impersonators: ['system:serviceaccount:teleport:*'] } },
    fires: [
      exampleEvent({
        verb: 'list',
        resource: 'secrets',
        namespace: 'kube-system',
        user: 'bob',
        impersonatedUser: 'system:admin',
      }),
      exampleEvent({ verb: 'get', resource: 'pods', namespace: 'web', user: 'bob', impersonatedUser: 'carol' }),
    ],
    quiet: [
      exampleEvent({
        verb: 'get',
        resource: 'pods',
        namespace: 'web',
        user: { username: 'system:serviceaccount:teleport:proxy', groups: [] },
        impersonatedUser: 'carol',
      }),
      exampleEvent({ verb: 'get', resource: 'pods', namespace: 'web', user: 'bob' }),
      exampleEvent({
        verb: 'get',
        resource: 'pods',
        namespace: 'web',
        user: 'bob',
        impersonatedUser: 'system:admin',
        responseCode: 403,
        decision: 'forbid',
      }),
    ],
  },
};
