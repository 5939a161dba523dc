import type { AuditEvent } from '../../ingest';
import { actor, actorName, identityKey, isAnonymous, isWrite, objectName } from '../../kube';
import type { DetectContext, RuleDetector } from '../types';
import { baseEntities } from './lib/actor';
import { deniedCaller } from './lib/denials';
import { exampleEvent } from './lib/example-events';

/** The finding a denied write makes: who, what and where; undefined for the cluster's own and ignored identities. */
function denialKey(event: AuditEvent, context: DetectContext): string | undefined {
  if (!isWrite(event.verb)) return undefined;
  const user = deniedCaller(event, context);
  if (!user) return undefined;
  const ref = event.objectRef;
  const what = `${ref?.resource ?? '?'}${ref?.subresource ? `/${ref.subresource}` : ''}`;
  return `${identityKey(user)}|${event.verb}|${what}|${ref?.namespace ?? ''}`;
}

function denied(verb: string, resource: string, user?: string | { username: string; groups: string[] }) {
  return exampleEvent({
    verb,
    resource,
    namespace: 'web',
    name: 'api',
    user,
    responseCode: typeof user === 'object' && user.username === 'system:anonymous' ? 401 : 403,
    decision: 'forbid',
    sourceIps: ['198.51.100.20'],
  });
}

const ANONYMOUS = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

export const deniedWrite: RuleDetector<AuditEvent> = {
  id: 'audit.denied-write',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Write denied',
  description:
    'A create, update, patch or delete was refused (401 or 403). One denied write is a small thing (a script with a ' +
    'role one permission short), so it is low; an anonymous caller trying to write is medium: nobody legitimate ' +
    'writes without signing in. audit.forbidden-burst reports many denials together; identities in ' +
    'audit.forbiddenBurst.ignore stay quiet here too.',
  severity: 'low',
  mitre: ['T1078', 'T1098'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'none',
    guardduty: 'none',
    elastic: 'Kubernetes Forbidden Creation Request; Kubernetes Denied Service Account Request',
    sigma: 'Kubernetes Unauthorized or Unauthenticated Access',
  },
  runbook:
    'Check what the identity tried to change and whether it should: a pipeline or operator missing a permission ' +
    "retries the same request (fix its role, or list it in audit.forbiddenBurst.ignore). A person or a pod's token " +
    'trying writes it never needed, or an anonymous caller, is someone testing a credential: find where it came from.',

  dedupeKey: denialKey,

  detect(event, context) {
    const dedupeKey = denialKey(event, context);
    if (!dedupeKey) return undefined;
    const anonymous = isAnonymous(actor(event));
    return {
      severity: anonymous ? 'medium' : 'low',
      title: anonymous ? 'Anonymous write denied' : undefined,
      summary:
        `${anonymous ? 'An anonymous caller' : actorName(event)} was denied ${event.verb} on ` +
        `${event.objectRef?.resource ?? 'an object'} ${objectName(event)} from ${event.sourceIps[0] ?? 'an unknown address'}.`,
      entities: baseEntities(event),
      evidence: `${event.verb} ${event.requestUri.slice(0, 200)} -> ${event.responseCode ?? 'forbid'}`,
      dedupeKey,
    };
  },

  examples: {
    config: { audit: { forbiddenBurst: { ignore: ['system:serviceaccount:legacy:*'] } } },
    fires: [
      denied('create', 'pods'),
      denied('delete', 'secrets', 'system:serviceaccount:web:app'),
      denied('patch', 'configmaps', ANONYMOUS),
    ],
    quiet: [
      denied('get', 'secrets'),
      denied('create', 'pods', 'system:serviceaccount:legacy:job'),
      denied('update', 'leases', 'system:kube-controller-manager'),
      exampleEvent({ verb: 'create', resource: 'pods', namespace: 'web', responseCode: 201 }),
    ],
  },
};
