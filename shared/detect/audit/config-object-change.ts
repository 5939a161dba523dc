import type { AuditEvent } from '../../ingest';
import { actor, actorName, identityKey, objectName, pastTense, succeeded } from '../../kube';
import type { DetectContext, RuleDetector } from '../types';
import { baseEntities, isController } from './lib/actor';
import { exampleEvent } from './lib/example-events';

const RESOURCES: Readonly<Record<string, string>> = { secrets: 'Secret', configmaps: 'ConfigMap', services: 'Service' };
const VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** The key of a change of a Secret, ConfigMap or Service by someone other than the cluster and its operators. */
function changeKey(event: AuditEvent, context: DetectContext): string | undefined {
  const ref = event.objectRef;
  if (!ref?.resource || !RESOURCES[ref.resource] || ref.subresource) return undefined;
  if (!VERBS.has(event.verb) || !succeeded(event) || event.stage === 'ResponseStarted') return undefined;
  const user = actor(event);
  if (isController(user, context)) return undefined;
  return `${identityKey(user)}|${event.verb}|${ref.resource}|${objectName(event)}`;
}

function change(verb: string, resource: string, user?: string) {
  return exampleEvent({
    verb,
    resource,
    namespace: 'web',
    name: 'api-config',
    user,
    responseCode: verb === 'create' ? 201 : 200,
    // The body of a Secret is never read: only its name is reported.
    requestObject: resource === 'secrets' ? { kind: 'Secret', data: { password: 'c2VjcmV0' } } : undefined,
  });
}

export const configObjectChange: RuleDetector<AuditEvent> = {
  id: 'audit.config-object-change',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Secret, ConfigMap or Service changed',
  description:
    'A Secret, ConfigMap or Service was created, changed or deleted by someone other than the control plane and ' +
    'the configured operators. Pipelines and people do this all day, so it is only recorded (info: below the ' +
    'default alerts.minSeverity, counted in the run summary and the digest, never notified) and joined as ' +
    'context to an open incident of the same identity: the trail an investigation reads when something else ' +
    'fires. Only names are kept, never values.',
  severity: 'info',
  mitre: ['T1565', 'T1098'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'K8s Secret Created; K8s Secret Deleted; K8s ConfigMap Created; K8s Service Created',
    guardduty: 'none',
    elastic: 'none',
    sigma: 'Kubernetes Secrets Modified or Deleted',
  },
  runbook:
    'Nothing to do by itself. When investigating an incident, read these findings on its timeline (marked ' +
    'context) to see what configuration the same identity changed around it. To be told of them, lower ' +
    "alerts.minSeverity to info or raise this detector's severity in detectors.",

  dedupeKey: changeKey,

  detect(event, context) {
    const dedupeKey = changeKey(event, context);
    if (!dedupeKey) return undefined;
    const kind = RESOURCES[event.objectRef?.resource ?? ''] ?? 'object';
    return {
      summary: `${actorName(event)} ${pastTense(event.verb)} ${kind} ${objectName(event)}.`,
      entities: { ...baseEntities(event), object: `${kind} ${objectName(event)}` },
      evidence: `${event.verb} ${event.requestUri.slice(0, 200)} -> ${event.responseCode ?? '?'}`,
      dedupeKey,
    };
  },

  examples: {
    config: { identities: { controllers: ['system:serviceaccount:argocd:*'] } },
    fires: [change('create', 'secrets'), change('patch', 'configmaps'), change('delete', 'services', 'deployer')],
    quiet: [
      change('get', 'secrets'),
      change('update', 'configmaps', 'system:serviceaccount:kube-system:leader-election'),
      change('patch', 'services', 'system:serviceaccount:argocd:argocd-application-controller'),
      exampleEvent({ verb: 'create', resource: 'pods', namespace: 'web', responseCode: 201 }),
    ],
  },
};
