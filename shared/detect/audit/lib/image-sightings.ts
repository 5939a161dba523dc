import type { AuditEvent, AuditUser } from '../../../ingest';
import { actor, asObject, bodyOf, containersOf, imagesSeenIn, isSystemIdentity, succeeded } from '../../../kube';
import type { DetectContext } from '../../types';
import { isCicdIdentity, isController } from './actor';

/**
 * Every image the event shows, for the image baselines to learn: what a workload write puts in a
 * pod spec, and what a pod reports it runs. A cluster's long-running workloads are never written
 * during learning, but the kubelet reports their images in its status patches.
 */
export function imagesObserved(event: AuditEvent): string[] | undefined {
  if (!succeeded(event)) return undefined;
  const images = imagesSeenIn(event);
  return images.length > 0 ? images : undefined;
}

/**
 * The images the event brings into the cluster: those its writer put in a pod spec. Empty for
 * what only shows images already chosen elsewhere, which teaches the baselines without raising: a
 * pod's status (the kubelet's), and the pods, ReplicaSets and Jobs the cluster's own controllers
 * derive from a parent someone else wrote (the parent's write is the rollout).
 */
export function imagesRolledOut(event: AuditEvent): string[] {
  if (!succeeded(event) || event.objectRef?.subresource === 'status') return [];
  if (derivedByController(event)) return [];
  return containersOf(event).map((c) => c.image);
}

/** Whether the identity rolls out as the pipeline does: the CI/CD identities and the controllers. */
export function isPipeline(user: AuditUser, context: DetectContext, event: AuditEvent): boolean {
  return isController(user, context) || isCicdIdentity(user, context, event);
}

function derivedByController(event: AuditEvent): boolean {
  if (!isSystemIdentity(actor(event))) return false;
  const owners = asObject(bodyOf(event)?.metadata)?.ownerReferences;
  return Array.isArray(owners) && owners.some((o) => asObject(o)?.controller === true);
}
