import type { Entities } from '../../../alert';
import type { AuditEvent, AuditUser } from '../../../ingest';
import { actor, isServiceAccount, isSystemIdentity } from '../../../kube';
import type { DetectContext } from '../../types';
import type { IdentityKind } from './learned-privileges';

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

/**
 * What kind of identity acted: a configured pipeline, a controller, a service account, the cluster
 * itself, or a person. A privilege a pipeline always applied is not one a person or a pod's token
 * may apply. Learned pipelines keep their own kind (a person's account, a service account): the
 * kind must not change on the day the pipeline is learned, or every allowance learned before would
 * stop matching.
 */
export function identityKind(event: AuditEvent, context: DetectContext): IdentityKind {
  const user = actor(event);
  if (context.cicdIdentities.matches(user.username)) return 'pipeline';
  if (context.controllerIdentities.matches(user.username)) return 'controller';
  if (isServiceAccount(user)) return 'service-account';
  if (isSystemIdentity(user) || user.username.startsWith('system:')) return 'system';
  return 'person';
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
