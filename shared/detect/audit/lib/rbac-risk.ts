import type { AuditEvent } from '../../../ingest';
import {
  isSystemRoleName,
  objectName,
  RBAC_KINDS,
  RBAC_RESOURCES,
  type RbacContent,
  rbacContent,
  riskyBinding,
  riskyRules,
  succeeded,
} from '../../../kube';

const CHANGE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** A successful change of a Role, ClusterRole or binding, and what makes it risky (nothing, for a plain change). */
export interface RbacChange {
  /** `ClusterRoleBinding`, `Role`, ... */
  kind: string;
  deleting: boolean;
  content?: RbacContent;
  /** Why it is risky: grants cluster-admin, wildcards, escalation verbs, system roles, everyone. */
  reasons: string[];
}

/** The RBAC change an event makes, with its risks; undefined for anything else. */
export function rbacChangeRisks(event: AuditEvent): RbacChange | undefined {
  const ref = event.objectRef;
  if (!ref?.resource || !RBAC_RESOURCES.has(ref.resource) || !CHANGE_VERBS.has(event.verb)) return undefined;
  if (ref.subresource || !succeeded(event)) return undefined;
  const kind = RBAC_KINDS[ref.resource] ?? ref.resource;
  const deleting = event.verb === 'delete' || event.verb === 'deletecollection';
  const content = deleting ? undefined : rbacContent(event);
  const reasons: string[] = [];
  if (content && ref.resource.endsWith('bindings')) reasons.push(...riskyBinding(content));
  if (content?.rules) reasons.push(...riskyRules(content.rules));
  const name = ref.name ?? objectName(event);
  if (isSystemRoleName(name)) reasons.push(`${deleting ? 'deletes' : 'changes'} the platform's own ${kind} ${name}`);
  return { kind, deleting, content, reasons };
}
