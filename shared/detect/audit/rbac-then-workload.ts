import type { AuditEvent } from '../../ingest';
import { actor, identityKey, isSystemIdentity, ownerWorkload, WORKLOAD_RESOURCES, workloadKind } from '../../kube';
import type { CorrelationDetector } from '../types';
import { baseEntities, isController } from './lib/actor';
import { deploymentBody, exampleEvent } from './lib/example-events';
import { writesPodSpec } from './lib/pod-security';
import { rbacChangeRisks } from './lib/rbac-risk';

function at(minute: number): string {
  return new Date(Date.parse('2026-11-09T10:00:00Z') + minute * 60_000).toISOString();
}

function grantAdmin(minute: number, user = 'alice@example.com') {
  return exampleEvent({
    verb: 'create',
    resource: 'clusterrolebindings',
    apiGroup: 'rbac.authorization.k8s.io',
    name: 'backdoor',
    user,
    responseCode: 201,
    time: at(minute),
    requestObject: {
      kind: 'ClusterRoleBinding',
      roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', namespace: 'web', name: 'helper' }],
    },
  });
}

function deploy(minute: number, user = 'alice@example.com') {
  return exampleEvent({
    verb: 'create',
    resource: 'deployments',
    apiGroup: 'apps',
    namespace: 'web',
    name: 'helper',
    user,
    responseCode: 201,
    time: at(minute),
    requestObject: deploymentBody('helper', ['alpine:3.20']),
  });
}

function plainRole(minute: number) {
  return exampleEvent({
    verb: 'create',
    resource: 'roles',
    namespace: 'web',
    name: 'reader',
    responseCode: 201,
    time: at(minute),
    requestObject: { kind: 'Role', rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] },
  });
}

export const rbacThenWorkload: CorrelationDetector<AuditEvent> = {
  id: 'audit.rbac-then-workload',
  kind: 'correlation',
  source: 'eks-audit',
  title: 'Risky RBAC change followed by a workload change',
  description:
    'An identity made a risky RBAC change (what audit.rbac-change reports as high: cluster-admin or admin bound, ' +
    'wildcards, escalate, bind or impersonate, secrets, exec, a system role, everyone bound) and then, within ' +
    'minutes (audit.rbacThenWorkload.windowMinutes, 15 by default), created or changed a workload. Granting rights ' +
    'and then running something that uses them is how a stolen credential turns into a foothold. The cluster and ' +
    'the configured operators are left out.',
  severity: 'high',
  mitre: ['T1098', 'T1610'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'none',
    guardduty: 'none',
    elastic: 'Kubernetes Sensitive RBAC Change Followed by Workload Modification',
    sigma: 'none',
  },
  runbook:
    'Read both changes: what the RBAC change granted and to whom, and what the workload runs and under which ' +
    "service account. If the identity's owner did not do this, revert the RBAC change, delete the workload, revoke " +
    "the credential, and check what the workload did with the rights (its service account's calls).",

  windowMinutes(context) {
    return context.config.audit.rbacThenWorkload.windowMinutes;
  },

  sides(event, context) {
    const user = actor(event);
    if (isSystemIdentity(user) || isController(user, context)) return undefined;
    const key = identityKey(user);
    const change = rbacChangeRisks(event);
    if (change) {
      if (change.reasons.length === 0) return undefined;
      const ref = event.objectRef;
      const object = `${change.kind} ${ref?.namespace ? `${ref.namespace}/` : ''}${ref?.name ?? '(unnamed)'}`;
      return [{ side: 'first', key, value: object, facts: { verb: event.verb, reasons: change.reasons.join('; ') } }];
    }
    const ref = event.objectRef;
    if (!ref?.resource || !WORKLOAD_RESOURCES.has(ref.resource) || ref.subresource || !writesPodSpec(event)) {
      return undefined;
    }
    const owner = ownerWorkload(event);
    const value = `${workloadKind(ref.resource)} ${owner.namespace}/${owner.name}`;
    return [{ side: 'second', key, value, facts: { verb: event.verb } }];
  },

  describe(identity, first, second, sample) {
    // Only in that order: a workload changed before the grant is the other detectors' business.
    if (second.lastTime < first.firstTime) return undefined;
    const minutes = Math.max(0, Math.round((second.firstTime - first.firstTime) / 60_000));
    return {
      summary:
        `${identity} made a risky RBAC change (${first.facts.verb} ${first.value}: ${first.facts.reasons}) and ` +
        `${minutes} minute${minutes === 1 ? '' : 's'} later ${second.facts.verb === 'create' ? 'created' : 'changed'} ${second.value}.`,
      entities: { ...baseEntities(sample), rbacObject: first.value, workload: second.value },
      evidence: `first: ${first.facts.verb} ${first.value} (${first.facts.reasons}); then: ${second.facts.verb} ${second.value}`,
      dedupeKey: `${identity}|${second.value}`,
    };
  },

  examples: {
    config: { identities: { controllers: ['system:serviceaccount:argocd:*'] } },
    fires: [
      [grantAdmin(0), deploy(5)],
      [grantAdmin(0), deploy(14)],
    ],
    quiet: [
      // The workload first, then the grant.
      [deploy(0), grantAdmin(5)],
      // Too far apart.
      [grantAdmin(0), deploy(40)],
      // Different identities.
      [grantAdmin(0), deploy(5, 'bob@example.com')],
      // A plain role.
      [plainRole(0), deploy(5)],
      // An operator.
      [
        grantAdmin(0, 'system:serviceaccount:argocd:argocd-application-controller'),
        deploy(5, 'system:serviceaccount:argocd:argocd-application-controller'),
      ],
    ],
  },
};
