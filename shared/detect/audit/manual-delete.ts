import type { Severity } from '../../config';
import type { AuditEvent } from '../../ingest';
import { actor, actorName, objectName, succeeded } from '../../kube';
import type { RuleDetector } from '../types';
import { baseEntities, isHuman } from './lib/actor';
import { exampleEvent } from './lib/example-events';

/** What a person should not delete by hand, and how bad it is when they do. */
const DELETABLE: Record<string, { kind: string; severity: Severity }> = {
  namespaces: { kind: 'Namespace', severity: 'high' },
  deployments: { kind: 'Deployment', severity: 'medium' },
  statefulsets: { kind: 'StatefulSet', severity: 'high' },
  daemonsets: { kind: 'DaemonSet', severity: 'medium' },
  replicasets: { kind: 'ReplicaSet', severity: 'medium' },
  jobs: { kind: 'Job', severity: 'low' },
  cronjobs: { kind: 'CronJob', severity: 'medium' },
  secrets: { kind: 'Secret', severity: 'medium' },
  configmaps: { kind: 'ConfigMap', severity: 'medium' },
  services: { kind: 'Service', severity: 'medium' },
  ingresses: { kind: 'Ingress', severity: 'medium' },
  persistentvolumeclaims: { kind: 'PersistentVolumeClaim', severity: 'high' },
  persistentvolumes: { kind: 'PersistentVolume', severity: 'high' },
  serviceaccounts: { kind: 'ServiceAccount', severity: 'medium' },
  roles: { kind: 'Role', severity: 'medium' },
  clusterroles: { kind: 'ClusterRole', severity: 'medium' },
  rolebindings: { kind: 'RoleBinding', severity: 'medium' },
  clusterrolebindings: { kind: 'ClusterRoleBinding', severity: 'medium' },
  networkpolicies: { kind: 'NetworkPolicy', severity: 'high' },
  customresourcedefinitions: { kind: 'CustomResourceDefinition', severity: 'high' },
};

export const manualDelete: RuleDetector<AuditEvent> = {
  id: 'audit.manual-delete',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Manual deletion',
  description:
    'A person, not a controller, service account or the CI/CD pipeline, deleted a workload, namespace, secret, ' +
    'configmap, service, volume claim, network policy, role or binding by hand. In a cluster run from a pipeline ' +
    'this is the forbidden activity: an outage in the making, or someone covering tracks or destroying data.',
  severity: 'medium',
  mitre: ['T1485', 'T1070', 'T1531'],
  dedupeMinutes: 30,
  equivalents: {
    falco: 'K8s Deployment Deleted',
    guardduty: 'none',
    elastic: 'none',
    sigma: 'Deployment Deleted From Kubernetes Cluster',
  },
  runbook:
    'Ask the person why they deleted it and whether it was a change with a ticket. Restore the object from the ' +
    'pipeline or a backup if it was a mistake. If the person denies it, treat their credentials as stolen: revoke ' +
    'them and review what else they did from the same address.',

  detect(event, context) {
    const ref = event.objectRef;
    if (event.verb !== 'delete' && event.verb !== 'deletecollection') return undefined;
    if (ref?.subresource || !ref?.resource) return undefined;
    const what = DELETABLE[ref.resource];
    if (!what || !succeeded(event)) return undefined;
    const user = actor(event);
    if (!isHuman(user, context, event)) return undefined;
    const all = event.verb === 'deletecollection';
    const target = all
      ? `every ${what.kind} in ${ref.namespace ?? 'the cluster'}`
      : `${what.kind} ${objectName(event)}`;
    return {
      severity: all ? 'high' : what.severity,
      title: `${what.kind} deleted by hand`,
      summary: `${actorName(event)} deleted ${target}${event.sourceIps[0] ? ` from ${event.sourceIps[0]}` : ''}.`,
      entities: baseEntities(event),
      evidence: `${event.verb} ${event.requestUri.slice(0, 300)} -> ${event.responseCode ?? '?'}`,
      dedupeKey: `${user.username}|${ref.resource}|${objectName(event)}|${event.verb}`,
    };
  },

  examples: {
    fires: [
      exampleEvent({ verb: 'delete', resource: 'secrets', namespace: 'payments', name: 'db-credentials' }),
      exampleEvent({ verb: 'delete', resource: 'namespaces', name: 'payments' }),
      exampleEvent({
        verb: 'delete',
        resource: 'deployments',
        apiGroup: 'apps',
        namespace: 'shop',
        name: 'cart',
        user: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
      }),
      exampleEvent({ verb: 'deletecollection', resource: 'persistentvolumeclaims', namespace: 'db' }),
      exampleEvent({ verb: 'delete', resource: 'clusterrolebindings', name: 'ci-deployer' }),
    ],
    quiet: [
      exampleEvent({
        verb: 'delete',
        resource: 'replicasets',
        namespace: 'shop',
        name: 'cart-7d9f8',
        user: {
          username: 'system:serviceaccount:kube-system:generic-garbage-collector',
          groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'],
        },
      }),
      exampleEvent({
        verb: 'delete',
        resource: 'deployments',
        namespace: 'shop',
        name: 'cart',
        user: { username: 'system:serviceaccount:argocd:argocd-application-controller', groups: [] },
      }),
      exampleEvent({ verb: 'delete', resource: 'pods', namespace: 'shop', name: 'cart-7d9f8-x2x4z' }),
      exampleEvent({ verb: 'delete', resource: 'secrets', namespace: 'payments', name: 'x', responseCode: 404 }),
      exampleEvent({ verb: 'get', resource: 'secrets', namespace: 'payments', name: 'db-credentials' }),
    ],
  },
};
