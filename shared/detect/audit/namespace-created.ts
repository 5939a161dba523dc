import type { AuditEvent } from '../../ingest';
import { actor, actorName, created, identityKey, objectName, succeeded } from '../../kube';
import type { AnomalyDetector } from '../types';
import { baseEntities, isController } from './lib/actor';
import { exampleEvent } from './lib/example-events';

function namespace(name: string, user?: string) {
  return exampleEvent({
    verb: 'create',
    resource: 'namespaces',
    user,
    responseCode: 201,
    requestObject: { kind: 'Namespace', apiVersion: 'v1', metadata: { name } },
  });
}

export const namespaceCreated: AnomalyDetector<AuditEvent> = {
  id: 'audit.namespace-created',
  kind: 'anomaly',
  source: 'eks-audit',
  baselineKind: 'namespace-creator',
  expectedNoun: 'identities that created namespaces before',
  title: 'Namespace created by a new creator',
  description:
    'A namespace was created by an identity that never created one in the baseline, under a name not in ' +
    "audit.namespaces. Pipelines that open preview namespaces are learned; a person or a pod's token making a " +
    'namespace of its own is setting up a place outside the usual policies and quotas to work from. Low: a hint ' +
    'that gives weight to the incident it joins.',
  severity: 'low',
  mitre: ['T1610', 'T1578'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco: 'Create Disallowed Namespace',
    guardduty: 'none',
    elastic: 'none',
    sigma: 'none',
  },
  runbook:
    'Ask who created the namespace and why; look at what was deployed into it. Expected names (preview-*, team ' +
    'namespaces) go in audit.namespaces; a new pipeline is learned by itself within the learning period.',

  observe(event, context) {
    const ref = event.objectRef;
    if (ref?.resource !== 'namespaces' || ref.subresource || !created(event) || !succeeded(event)) return undefined;
    const user = actor(event);
    if (isController(user, context)) return undefined;
    if (context.namespaceAllowlist.matches(objectName(event))) return undefined;
    return [identityKey(user)];
  },

  describe(identity, event) {
    return {
      summary: `${actorName(event)} created namespace ${objectName(event)}: the first namespace ${identity} created in this cluster.`,
      entities: { ...baseEntities(event), namespace: objectName(event) },
      evidence: `${event.verb} ${event.requestUri.slice(0, 200)} -> ${event.responseCode ?? '?'}`,
      dedupeKey: identity,
    };
  },

  examples: {
    config: { audit: { namespaces: ['preview-*'] } },
    baseline: ['github-actions'],
    fires: [namespace('tools'), namespace('x', 'system:serviceaccount:web:api')],
    quiet: [
      namespace('pr-1234', 'github-actions'),
      namespace('preview-42'),
      namespace('tenant-a', 'system:serviceaccount:kube-system:namespace-controller'),
      exampleEvent({ verb: 'get', resource: 'namespaces', name: 'tools' }),
    ],
  },
};
