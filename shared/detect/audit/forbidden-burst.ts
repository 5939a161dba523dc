import type { AuditEvent } from '../../ingest';
import { actor, identityKey, isAnonymous } from '../../kube';
import type { ThresholdDetector } from '../types';
import { baseEntities } from './lib/actor';
import { deniedCaller } from './lib/denials';
import { exampleEvent } from './lib/example-events';
import { isPublicAddress } from './lib/public-address';

function denial(user: string, resource: string, minute: number, ip = '198.51.100.20') {
  return exampleEvent({
    verb: 'list',
    resource,
    user: user === 'system:anonymous' ? { username: user, groups: ['system:unauthenticated'] } : user,
    sourceIps: [ip],
    responseCode: user === 'system:anonymous' ? 401 : 403,
    decision: 'forbid',
    time: new Date(Date.parse('2026-11-09T10:00:00Z') + minute * 60_000).toISOString(),
  });
}

const RESOURCES = ['secrets', 'pods', 'nodes', 'configmaps', 'serviceaccounts', 'roles', 'clusterroles', 'deployments'];

export const forbiddenBurst: ThresholdDetector<AuditEvent> = {
  id: 'audit.forbidden-burst',
  kind: 'threshold',
  source: 'eks-audit',
  title: 'Burst of denied requests',
  description:
    'One identity, or one address for unauthenticated callers, had many requests denied (401 or 403) within a few ' +
    'minutes: someone trying a credential against everything to see what it opens, or a scanner knocking on the ' +
    'API endpoint. Denials from a public address are also counted by address, whatever identities they used, so ' +
    'trying many stolen credentials from one place adds up. Counted across log objects in the state table, so a burst split over deliveries still adds ' +
    'up. Threshold and window in audit.forbiddenBurst; known-noisy identities in audit.forbiddenBurst.ignore.',
  severity: 'medium',
  mitre: ['T1613', 'T1110', 'T1069.003'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'none',
    guardduty: 'none',
    elastic: 'Kubernetes Potential Endpoint Permission Enumeration Attempt Detected',
    sigma: 'Kubernetes Unauthorized or Unauthenticated Access',
  },
  runbook:
    'Look at what was denied (resources, verbs) and from where. A component missing a permission retries the same ' +
    'request: fix its role, or list it under audit.forbiddenBurst.ignore. Many different resources from one ' +
    'credential is enumeration: find where the credential came from and revoke it; block scanning addresses.',

  limits(context) {
    const { threshold, windowMinutes } = context.config.audit.forbiddenBurst;
    return { threshold, windowMinutes };
  },

  count(event, context) {
    const user = deniedCaller(event, context);
    if (!user) return undefined;
    const address = event.sourceIps[0];
    if (isAnonymous(user)) return address ? [`ip:${address}`] : undefined;
    const key = `user:${identityKey(user)}`;
    return isPublicAddress(address) ? [key, `public:${address}`] : [key];
  },

  describe(key, total, sample, context) {
    const who = key.slice(key.indexOf(':') + 1);
    const caller = key.startsWith('ip:')
      ? `Unauthenticated callers at ${who}`
      : key.startsWith('public:')
        ? `Callers at public address ${who}`
        : who;
    const { threshold, windowMinutes } = context.config.audit.forbiddenBurst;
    return {
      severity: total >= 5 * threshold ? 'high' : 'medium',
      summary:
        `${caller} had ${total} requests denied within about ` +
        `${windowMinutes} minutes (threshold ${threshold}); the first here: ${sample.verb} ${sample.requestUri.slice(0, 120)}.`,
      entities: { ...baseEntities(sample), deniedRequests: total },
      evidence: `${total} denied requests; sample ${sample.verb} ${sample.requestUri.slice(0, 200)} -> ${sample.responseCode ?? 'forbid'}`,
      // A public address's count names its first caller: one identity bursting from one address is one finding.
      dedupeKey: key.startsWith('public:') ? `user:${identityKey(actor(sample))}` : key,
    };
  },

  examples: {
    config: {
      audit: { forbiddenBurst: { threshold: 5, windowMinutes: 10, ignore: ['system:serviceaccount:legacy:*'] } },
    },
    fires: [
      RESOURCES.slice(0, 6).map((r, i) => denial('bob', r, i)),
      Array.from({ length: 8 }, (_, i) => denial('system:anonymous', 'pods', i)),
      // Two stolen credentials tried from one public address: neither reaches the threshold alone.
      [
        ...RESOURCES.slice(0, 3).map((r, i) => denial('bob', r, i)),
        ...RESOURCES.slice(3, 6).map((r, i) => denial('carol', r, i)),
      ],
    ],
    quiet: [
      RESOURCES.slice(0, 3).map((r, i) => denial('bob', r, i)),
      // The same from inside the VPC: each identity on its own.
      [
        ...RESOURCES.slice(0, 3).map((r, i) => denial('bob', r, i, '10.0.1.15')),
        ...RESOURCES.slice(3, 6).map((r, i) => denial('carol', r, i, '10.0.1.15')),
      ],
      Array.from({ length: 8 }, (_, i) => denial('system:serviceaccount:legacy:job', 'pods', i)),
      Array.from({ length: 8 }, (_, i) =>
        exampleEvent({ verb: 'list', resource: 'pods', user: 'bob', time: `2026-11-09T10:0${i}:00Z` }),
      ),
    ],
  },
};
