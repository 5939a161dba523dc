import type { Entities } from '../../../alert';
import type { AuditEvent, AuditUser } from '../../../ingest';
import { actor, isServiceAccount, isSystemIdentity } from '../../../kube';
import type { DetectContext } from '../../types';

/**
 * A configured CI/CD identity, or one learned to deploy like a pipeline and acting from one of its
 * usual networks with its usual user agent. The event is required: whether a learned pipeline is
 * itself depends on where the call came from, and every place that exempts the configured
 * identity must exempt the learned one alike.
 */
export function isCicdIdentity(user: AuditUser, context: DetectContext, event: AuditEvent): boolean {
  return context.cicdIdentities.matches(user.username) || context.learnedPipelines.matches(event);
}

/**
 * A person: not the cluster, not a service account, not a CI/CD identity (configured, or learned
 * and acting as it always has). On EKS that is an IAM user or role mapped by aws-auth or an access
 * entry (including `kubernetes-admin`).
 */
export function isHuman(user: AuditUser, context: DetectContext, event: AuditEvent): boolean {
  return (
    !isSystemIdentity(user) &&
    !isServiceAccount(user) &&
    !user.username.startsWith('system:') &&
    !isCicdIdentity(user, context, event)
  );
}

/**
 * The cluster's own controllers and the configured operators: identities whose job is to create
 * and change workloads (the deployment controller, Argo CD, ...).
 */
export function isController(user: AuditUser, context: DetectContext): boolean {
  return isSystemIdentity(user) || context.controllerIdentities.matches(user.username);
}

/** The entities every audit finding carries: who, from where, what. */
export function baseEntities(event: AuditEvent): Entities {
  const user = actor(event);
  const ref = event.objectRef;
  return {
    user: user.username,
    groups: user.groups,
    impersonatedBy: event.impersonatedUser ? event.user.username : undefined,
    sourceIps: event.sourceIps,
    userAgent: event.userAgent,
    namespace: ref?.namespace,
    resource: ref?.resource,
    subresource: ref?.subresource,
    name: ref?.name,
    verb: event.verb,
  };
}
