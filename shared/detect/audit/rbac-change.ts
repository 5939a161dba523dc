import type { AuditEvent } from '../../ingest';
import { actor, actorName, isSystemIdentity, objectName, pastTense, ruleLine, subjectText } from '../../kube';
import type { RuleDetector } from '../types';
import { baseEntities } from './lib/actor';
import { exampleEvent } from './lib/example-events';
import { rbacChangeRisks } from './lib/rbac-risk';

const EVERYONE = /binds system:(anonymous|unauthenticated)/;

export const rbacChange: RuleDetector<AuditEvent> = {
  id: 'audit.rbac-change',
  kind: 'rule',
  source: 'eks-audit',
  title: 'RBAC changed',
  description:
    'A Role, ClusterRole or binding was created, changed or deleted. RBAC decides who can do what in the cluster; ' +
    'an attacker who can change it can grant themselves anything. High when the change binds cluster-admin or ' +
    'admin; grants every verb or resource (*), the escalate, bind or impersonate verbs, or another route to ' +
    'takeover (reading secrets, exec, nodes/proxy, minting tokens); touches a system: or eks: role; or binds ' +
    "system:anonymous, system:unauthenticated, all authenticated users or a namespace's default service account. " +
    'Changes by the control plane are recorded at info. Every change also goes to the RBAC trail, with a diff.',
  severity: 'medium',
  mitre: ['T1098', 'T1078.004'],
  dedupeMinutes: 10,
  equivalents: {
    falco:
      'Attach to cluster-admin Role; ClusterRole With Wildcard Created; ClusterRole With Pod Exec Created; ' +
      'System ClusterRole Modified/Deleted',
    guardduty:
      'Policy:Kubernetes/AdminAccessToDefaultServiceAccount; Policy:Kubernetes/AnonymousAccessGranted; ' +
      'PrivilegeEscalation:Kubernetes/AnomalousBehavior.RoleBindingCreated',
    elastic: 'Kubernetes Cluster-Admin Role Binding Created; Kubernetes Creation or Modification of Sensitive Role',
    sigma: 'Kubernetes Rolebinding Modification',
  },
  runbook:
    'Check that the change came from your RBAC pipeline (`driftwatch rbac-history NAME` shows who changed the object ' +
    'and what changed). If it grants wide permissions unexpectedly, revert it, then find how the actor obtained the ' +
    'right to change RBAC.',

  detect(event) {
    const change = rbacChangeRisks(event);
    if (!change) return undefined;
    const { kind, content, reasons } = change;
    const isBinding = event.objectRef?.resource?.endsWith('bindings') === true;
    const user = actor(event);
    const system = isSystemIdentity(user);
    // The control plane and EKS reconcile their own RBAC all day: record it, alert only on the absurd.
    const severity = system
      ? reasons.some((r) => EVERYONE.test(r))
        ? 'high'
        : 'info'
      : reasons.length
        ? 'high'
        : 'medium';
    const role = content?.roleRef?.split('/')[1];
    const subjects = (content?.subjects ?? []).map(subjectText);
    const grants = isBinding && role ? ` granting ${role} to ${subjects.join(', ') || 'nobody'}` : '';
    const title =
      role && reasons.some((r) => r.startsWith('grants ')) && !system
        ? `${kind} grants ${role}`
        : reasons.length && !system
          ? `Risky ${kind} ${event.verb}`
          : `${kind} ${event.verb}`;
    return {
      severity,
      title,
      summary:
        `${actorName(event)} ${pastTense(event.verb)} ${kind} ${objectName(event)}${grants}` +
        `${reasons.length ? ` (${reasons.join('; ')})` : ''}.`,
      entities: {
        ...baseEntities(event),
        role,
        subjects: subjects.length ? subjects : undefined,
        risks: reasons.length ? reasons : undefined,
      },
      evidence:
        `${event.verb} ${event.requestUri.slice(0, 200)}` +
        `${content?.roleRef ? ` roleRef=${content.roleRef}` : ''}` +
        `${subjects.length ? ` subjects=[${subjects.join(', ')}]` : ''}` +
        `${content?.rules?.length ? ` rules=[${content.rules.map(ruleLine).join(' | ').slice(0, 500)}]` : ''}`,
      dedupeKey: `${event.auditId}`,
    };
  },

  examples: {
    fires: [
      exampleEvent({
        verb: 'create',
        resource: 'clusterrolebindings',
        apiGroup: 'rbac.authorization.k8s.io',
        name: 'backdoor',
        requestObject: {
          kind: 'ClusterRoleBinding',
          roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', namespace: 'default', name: 'default' }],
        },
      }),
      exampleEvent({
        verb: 'create',
        resource: 'clusterroles',
        name: 'ops',
        requestObject: { kind: 'ClusterRole', rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
      }),
      exampleEvent({
        verb: 'create',
        resource: 'rolebindings',
        namespace: 'web',
        name: 'open',
        requestObject: {
          kind: 'RoleBinding',
          roleRef: { kind: 'ClusterRole', name: 'view' },
          subjects: [{ kind: 'Group', name: 'system:unauthenticated' }],
        },
      }),
      exampleEvent({ verb: 'patch', resource: 'clusterroles', name: 'system:node-problem-detector' }),
      exampleEvent({ verb: 'patch', resource: 'roles', namespace: 'payments', name: 'reader' }),
      exampleEvent({ verb: 'delete', resource: 'rolebindings', namespace: 'payments', name: 'ci-deployer' }),
    ],
    quiet: [
      exampleEvent({ verb: 'get', resource: 'clusterrolebindings', name: 'cluster-admin' }),
      exampleEvent({ verb: 'list', resource: 'roles', namespace: 'payments' }),
      exampleEvent({
        verb: 'create',
        resource: 'roles',
        namespace: 'payments',
        name: 'x',
        responseCode: 403,
        decision: 'forbid',
      }),
    ],
  },
};
