import type { AuditEvent, AuditUser } from '../../../ingest';
import { actor, isSystemIdentity } from '../../../kube';
import type { DetectContext } from '../../types';

/**
 * The caller of a request the API server turned away (unauthenticated, 401, or unauthorized, 403),
 * counted once (not at `ResponseStarted`); undefined for an allowed request, and for the cluster's
 * own identities and those of `audit.forbiddenBurst.ignore`.
 */
export function deniedCaller(event: AuditEvent, context: DetectContext): AuditUser | undefined {
  if (event.stage === 'ResponseStarted') return undefined;
  if (event.responseCode !== 401 && event.responseCode !== 403 && event.decision !== 'forbid') return undefined;
  const user = actor(event);
  if (isSystemIdentity(user) || context.forbiddenBurstIgnore.matches(user.username)) return undefined;
  return user;
}
