import type { AuditEvent } from '../ingest';
import { asObject, bodyOf } from './images';

/** The RBAC resources, by their kind. */
export const RBAC_KINDS: Readonly<Record<string, string>> = {
  roles: 'Role',
  clusterroles: 'ClusterRole',
  rolebindings: 'RoleBinding',
  clusterrolebindings: 'ClusterRoleBinding',
};

export const RBAC_RESOURCES: ReadonlySet<string> = new Set(Object.keys(RBAC_KINDS));

/** Roles that grant (nearly) everything when bound. */
const ADMIN_ROLES: ReadonlySet<string> = new Set(['cluster-admin', 'admin']);

/** Subjects that stand for everyone, or for whoever holds a namespace's default token. */
const EVERYONE = new Set([
  'system:anonymous',
  'system:unauthenticated',
  'system:authenticated',
  'system:serviceaccounts',
]);

/** Whether a role or binding name belongs to the platform (Kubernetes' own, or EKS's). */
export function isSystemRoleName(name: string | undefined): boolean {
  return name !== undefined && (name.startsWith('system:') || name.startsWith('eks:'));
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

function policyRules(value: unknown): PolicyRule[] {
  if (!Array.isArray(value)) return [];
  return value
    .map(asObject)
    .filter((r): r is Record<string, unknown> => r !== undefined)
    .map((r) => ({
      apiGroups: strings(r.apiGroups),
      resources: strings(r.resources),
      verbs: strings(r.verbs),
      resourceNames: strings(r.resourceNames),
      nonResourceURLs: strings(r.nonResourceURLs),
    }));
}

/** One rule as one line, for diffs and evidence: `pods, pods/log (core): get, list`. */
export function ruleLine(rule: PolicyRule): string {
  const verbs = rule.verbs.join(', ') || '(no verbs)';
  if (rule.nonResourceURLs.length > 0) return `urls ${rule.nonResourceURLs.join(', ')}: ${verbs}`;
  const groups = rule.apiGroups.map((g) => (g === '' ? 'core' : g)).join(', ') || 'core';
  const names = rule.resourceNames.length ? ` named ${rule.resourceNames.join(', ')}` : '';
  return `${rule.resources.join(', ') || '(no resources)'} (${groups})${names}: ${verbs}`;
}

export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

function subjectsOf(value: unknown): Subject[] {
  if (!Array.isArray(value)) return [];
  return value
    .map(asObject)
    .filter((s): s is Record<string, unknown> => s !== undefined)
    .map((s) => ({
      kind: typeof s.kind === 'string' ? s.kind : '?',
      name: typeof s.name === 'string' ? s.name : '?',
      namespace: typeof s.namespace === 'string' && s.namespace ? s.namespace : undefined,
    }));
}

export function subjectText(s: Subject): string {
  return `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`;
}

/** What an RBAC object grants, as it stands in an event body (fields the body leaves out are undefined). */
export interface RbacContent {
  rules?: PolicyRule[];
  aggregation?: string[];
  roleRef?: string;
  subjects?: Subject[];
}

/**
 * Reads what a request sets. A create or update carries the whole object; a merge patch carries
 * the fields it replaces (rules, subjects and roleRef are replaced whole); a JSON patch (a list of
 * operations) says nothing usable, and neither does a Metadata-level event. The response, when
 * logged, is the object as stored, so it wins.
 */
export function rbacContent(event: AuditEvent): RbacContent | undefined {
  const response = asObject(event.responseObject);
  const candidates = [response?.kind === 'Status' ? undefined : response, asObject(event.requestObject)];
  for (const body of candidates) {
    if (!body) continue;
    const content: RbacContent = {};
    if ('rules' in body) content.rules = policyRules(body.rules);
    const aggregation = asObject(body.aggregationRule);
    if (aggregation) {
      content.aggregation = (Array.isArray(aggregation.clusterRoleSelectors) ? aggregation.clusterRoleSelectors : [])
        .map((selector) => JSON.stringify(asObject(selector)?.matchLabels ?? selector))
        .sort();
    }
    const roleRef = asObject(body.roleRef);
    if (roleRef)
      content.roleRef = `${typeof roleRef.kind === 'string' ? roleRef.kind : 'ClusterRole'}/${String(roleRef.name ?? '?')}`;
    if ('subjects' in body) content.subjects = subjectsOf(body.subjects);
    if (Object.keys(content).length > 0) return content;
  }
  return undefined;
}

const READ = ['get', 'list', 'watch', '*'];
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection', '*'];

/** Grants that amount to taking over the cluster or reading every credential in it. */
const SENSITIVE: { resource: string; verbs: string[]; what: string }[] = [
  { resource: 'secrets', verbs: READ, what: 'read secrets' },
  { resource: 'pods/exec', verbs: ['create', 'get', '*'], what: 'exec into pods' },
  { resource: 'pods/attach', verbs: ['create', 'get', '*'], what: 'attach to pods' },
  { resource: 'nodes/proxy', verbs: ['get', 'create', '*'], what: 'reach kubelets through nodes/proxy' },
  { resource: 'serviceaccounts/token', verbs: ['create', '*'], what: 'mint service account tokens' },
  { resource: 'certificatesigningrequests/approval', verbs: ['update', 'patch', '*'], what: 'approve certificates' },
  { resource: 'mutatingwebhookconfigurations', verbs: WRITE, what: 'change admission webhooks' },
  { resource: 'validatingwebhookconfigurations', verbs: WRITE, what: 'change admission webhooks' },
  { resource: 'clusterrolebindings', verbs: WRITE, what: 'change cluster role bindings' },
  { resource: 'rolebindings', verbs: WRITE, what: 'change role bindings' },
  { resource: 'clusterroles', verbs: WRITE, what: 'change cluster roles' },
  { resource: 'roles', verbs: WRITE, what: 'change roles' },
];

/** Why a role's rules are dangerous, in words; empty when they are not. */
export function riskyRules(rules: readonly PolicyRule[]): string[] {
  const reasons = new Set<string>();
  for (const rule of rules) {
    if (rule.verbs.includes('*'))
      reasons.add(`every verb (*) on ${rule.resources.join(', ') || rule.nonResourceURLs.join(', ')}`);
    if (rule.resources.includes('*')) reasons.add('every resource (*)');
    for (const verb of ['escalate', 'bind', 'impersonate'])
      if (rule.verbs.includes(verb)) reasons.add(`the ${verb} verb`);
    if (rule.resourceNames.length > 0) continue;
    for (const s of SENSITIVE) {
      if (rule.resources.includes(s.resource) && rule.verbs.some((v) => s.verbs.includes(v))) reasons.add(s.what);
    }
  }
  return [...reasons];
}

/** Why a binding is dangerous, in words; empty when it is not. */
export function riskyBinding(content: RbacContent): string[] {
  const reasons: string[] = [];
  const role = content.roleRef?.split('/')[1];
  if (role && ADMIN_ROLES.has(role)) reasons.push(`grants ${role}`);
  for (const s of content.subjects ?? []) {
    if (EVERYONE.has(s.name) && (s.kind === 'User' || s.kind === 'Group')) reasons.push(`binds ${s.name}`);
    if (s.kind === 'ServiceAccount' && s.name === 'default') {
      reasons.push(`binds the default service account of ${s.namespace ?? 'a namespace'}`);
    }
  }
  return reasons;
}

/** The object an RBAC event is about, as `Kind namespace/name`. */
export function rbacObject(event: AuditEvent): { kind: string; namespace: string; name: string } | undefined {
  const ref = event.objectRef;
  const kind = ref?.resource ? RBAC_KINDS[ref.resource] : undefined;
  if (!kind) return undefined;
  const metadata = asObject(bodyOf(event)?.metadata);
  const name = ref?.name ?? (typeof metadata?.name === 'string' ? metadata.name : undefined);
  if (!name) return undefined;
  return { kind, namespace: ref?.namespace ?? '', name };
}
