import type { AuditEvent, AuditUser } from '../../ingest/types';
import type { DetectContext } from '../types';

/**
 * Identities that are the cluster itself: the control plane, EKS's own agents, nodes, and the
 * controllers that run in kube-system. Built in, so the defaults work on EKS out of the box.
 */
const SYSTEM_USER =
  /^(system:(apiserver|kube-controller-manager|kube-scheduler|kube-proxy|volume-scheduler|node:.+|serviceaccount:kube-system:.+)|eks:.+|aws:.+)$/;
const SYSTEM_GROUPS = new Set(['system:nodes', 'system:serviceaccounts:kube-system']);

export function isSystemIdentity(user: AuditUser): boolean {
  return SYSTEM_USER.test(user.username) || user.groups.some((g) => SYSTEM_GROUPS.has(g));
}

export function isServiceAccount(user: AuditUser): boolean {
  return user.username.startsWith('system:serviceaccount:');
}

export function isCicdIdentity(user: AuditUser, context: DetectContext): boolean {
  return context.cicdIdentities.matches(user.username);
}

/**
 * A person: not the cluster, not a service account, not a configured CI/CD identity. On EKS that
 * is an IAM user or role mapped by aws-auth or an access entry (including `kubernetes-admin`).
 */
export function isHuman(user: AuditUser, context: DetectContext): boolean {
  return (
    !isSystemIdentity(user) &&
    !isServiceAccount(user) &&
    !user.username.startsWith('system:') &&
    !isCicdIdentity(user, context)
  );
}

/** The identity that acted: the impersonated user when impersonation was used. */
export function actor(event: AuditEvent): AuditUser {
  return event.impersonatedUser ?? event.user;
}

/** Whether the API server carried out the request (not denied, not failed). */
export function succeeded(event: AuditEvent): boolean {
  if (event.decision === 'forbid') return false;
  return event.responseCode === undefined || event.responseCode < 400;
}

/** `namespace/name` or `name`, for sentences. */
export function objectName(event: AuditEvent): string {
  const ref = event.objectRef;
  if (!ref?.name) return ref?.namespace ? `${ref.namespace}/*` : '(unnamed)';
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}
