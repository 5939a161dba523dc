import type { AuditEvent } from '../../ingest';
import {
  actor,
  actorName,
  containersOf,
  created,
  isSystemIdentity,
  ownerWorkload,
  succeeded,
  WORKLOAD_RESOURCES,
  workloadKind,
} from '../../kube';
import type { RuleDetector } from '../types';
import { baseEntities } from './lib/actor';
import { SYSTEM_NAMESPACES } from './lib/eks-defaults';
import { exampleEvent, podBody } from './lib/example-events';

function withOwner(body: Record<string, unknown>, kind: string, name: string): Record<string, unknown> {
  const metadata = (body.metadata ?? {}) as Record<string, unknown>;
  return {
    ...body,
    metadata: { ...metadata, ownerReferences: [{ kind, name, controller: true, apiVersion: 'apps/v1' }] },
  };
}

const replicaSetController = {
  username: 'system:serviceaccount:kube-system:replicaset-controller',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'],
};

export const podInSystemNamespace: RuleDetector<AuditEvent> = {
  id: 'audit.pod-in-system-namespace',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Unexpected workload in a system namespace',
  description:
    "A pod or workload that is not one of the platform's own components was created in kube-system, kube-public " +
    'or kube-node-lease. Attackers hide there: the namespace is busy, trusted, and its service accounts are ' +
    "powerful. EKS's add-ons and common system components are built in; add your own with audit.systemWorkloads.",
  severity: 'medium',
  mitre: ['T1036.005', 'T1610'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco: 'Pod Created in Kube Namespace',
    guardduty: 'none',
    elastic: 'none',
    sigma: 'Creation Of Pod In System Namespace',
  },
  runbook:
    'Find who created it and what it runs. If it is a legitimate system component, add it to audit.systemWorkloads. ' +
    'If not, delete it, and check which service account it used and what that account can do.',

  detect(event, context) {
    const ref = event.objectRef;
    if (!ref?.resource || !WORKLOAD_RESOURCES.has(ref.resource) || ref.subresource) return undefined;
    if (!SYSTEM_NAMESPACES.has(ref.namespace ?? '') || !created(event) || !succeeded(event)) return undefined;
    const owner = ownerWorkload(event);
    if (context.systemWorkloads.matches(`${owner.namespace}/${owner.name}`)) return undefined;
    const user = actor(event);
    const kind = workloadKind(ref.resource);
    const images = [...new Set(containersOf(event).map((c) => c.image))];
    return {
      severity: isSystemIdentity(user) ? 'medium' : 'high',
      summary:
        `${actorName(event)} created ${kind}${kind === owner.kind ? '' : ` of ${owner.kind}`} ${owner.namespace}/${owner.name} ` +
        `in the system namespace${images.length ? `, running ${images.join(', ')}` : ''}.`,
      entities: { ...baseEntities(event), workload: `${owner.kind} ${owner.namespace}/${owner.name}`, images },
      evidence: `${event.verb} ${event.requestUri.slice(0, 250)} -> ${event.responseCode ?? '?'}`,
      dedupeKey: `${owner.namespace}/${owner.name}`,
    };
  },

  examples: {
    fires: [
      exampleEvent({
        verb: 'create',
        resource: 'pods',
        namespace: 'kube-system',
        user: replicaSetController,
        requestObject: withOwner(
          podBody('nginx-deployment-7998647bdf-x', ['nginx']),
          'ReplicaSet',
          'nginx-deployment-7998647bdf',
        ),
        responseCode: 201,
      }),
      exampleEvent({
        verb: 'create',
        resource: 'daemonsets',
        namespace: 'kube-system',
        name: 'kube-proxy-helper',
        requestObject: { kind: 'DaemonSet', metadata: { name: 'kube-proxy-helper' } },
        responseCode: 201,
      }),
    ],
    quiet: [
      exampleEvent({
        verb: 'create',
        resource: 'pods',
        namespace: 'kube-system',
        user: replicaSetController,
        requestObject: withOwner(podBody('coredns-5d8f9c7b6d-x', ['coredns']), 'ReplicaSet', 'coredns-5d8f9c7b6d'),
        responseCode: 201,
      }),
      exampleEvent({
        verb: 'create',
        resource: 'pods',
        namespace: 'kube-public',
        user: { username: 'system:serviceaccount:kube-system:daemon-set-controller', groups: [] },
        requestObject: { kind: 'Pod', metadata: { name: 'x' } },
        decision: 'forbid',
        responseCode: 403,
      }),
      exampleEvent({ verb: 'create', resource: 'pods', namespace: 'web', requestObject: podBody('web', ['nginx']) }),
      exampleEvent({ verb: 'patch', resource: 'deployments', namespace: 'kube-system', name: 'debug' }),
    ],
  },
};
