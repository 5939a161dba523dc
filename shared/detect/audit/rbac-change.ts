import type { AuditEvent } from '../../ingest/types';
import type { RuleDetector } from '../types';
import { exampleEvent } from './example-events';
import { actor, isSystemIdentity, objectName, succeeded } from './identity';

export const RBAC_RESOURCES = new Set(['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings']);
const CHANGE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
const ADMIN_ROLES = new Set(['cluster-admin']);
const PAST: Record<string, string> = {
  create: 'created',
  update: 'updated',
  patch: 'patched',
  delete: 'deleted',
  deletecollection: 'deleted all',
};

const KIND: Record<string, string> = {
  roles: 'Role',
  clusterroles: 'ClusterRole',
  rolebindings: 'RoleBinding',
  clusterrolebindings: 'ClusterRoleBinding',
};

interface BindingView {
  role?: string;
  subjects: string[];
}

/** The role a binding grants and to whom, read from the request (or response) body. */
export function bindingOf(event: AuditEvent): BindingView | undefined {
  const body = (event.requestObject ?? event.responseObject) as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object') return undefined;
  const roleRef = body.roleRef as Record<string, unknown> | undefined;
  const subjects = Array.isArray(body.subjects) ? body.subjects : [];
  return {
    role: typeof roleRef?.name === 'string' ? roleRef.name : undefined,
    subjects: subjects
      .filter((s): s is Record<string, unknown> => typeof s === 'object' && s !== null)
      .map((s) => `${s.kind ?? '?'}:${s.namespace ? `${s.namespace}/` : ''}${s.name ?? '?'}`),
  };
}

export const rbacChange: RuleDetector<AuditEvent> = {
  id: 'audit.rbac-change',
  kind: 'rule',
  source: 'eks-audit',
  title: 'RBAC changed',
  description:
    'A Role, ClusterRole or binding was created, changed or deleted. RBAC decides who can do what in the cluster; ' +
    'an attacker who can change it can grant themselves anything.',
  severity: 'medium',
  mitre: ['T1098', 'T1078.004'],
  dedupeMinutes: 10,
  equivalents: {
    falco: 'K8s Role/Clusterrole Created; K8s Role/Clusterrolebinding Deleted',
    guardduty: 'Policy:Kubernetes/AdminAccessToDefaultServiceAccount',
    elastic: 'Kubernetes Cluster-Admin Role Binding Created',
    sigma: 'Kubernetes Rolebinding Modification',
  },
  runbook:
    'Check that the change came from your RBAC pipeline. If it grants cluster-admin or wide permissions unexpectedly, ' +
    'delete the binding, then find how the actor obtained the right to change RBAC.',

  detect(event) {
    const ref = event.objectRef;
    if (!ref?.resource || !RBAC_RESOURCES.has(ref.resource) || !CHANGE_VERBS.has(event.verb)) return undefined;
    if (!succeeded(event)) return undefined;
    const user = actor(event);
    const kind = KIND[ref.resource] ?? ref.resource;
    const binding = ref.resource.endsWith('bindings') && event.verb !== 'delete' ? bindingOf(event) : undefined;
    const bindsAdmin = binding?.role !== undefined && ADMIN_ROLES.has(binding.role);
    const severity = bindsAdmin ? 'high' : isSystemIdentity(user) ? 'info' : 'medium';
    const grants = binding?.role ? ` granting ${binding.role} to ${binding.subjects.join(', ') || 'nobody'}` : '';
    return {
      severity,
      title: bindsAdmin ? `${kind} grants cluster-admin` : `${kind} ${event.verb}`,
      summary: `${user.username} ${PAST[event.verb] ?? event.verb} ${kind} ${objectName(event)}${grants}.`,
      entities: {
        user: user.username,
        groups: user.groups,
        sourceIps: event.sourceIps,
        userAgent: event.userAgent,
        namespace: ref.namespace,
        resource: ref.resource,
        name: ref.name,
        verb: event.verb,
        role: binding?.role,
        subjects: binding?.subjects,
      },
      evidence: `${event.verb} ${event.requestUri.slice(0, 200)}${binding ? ` roleRef=${binding.role} subjects=[${binding.subjects.join(', ')}]` : ''}`,
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
