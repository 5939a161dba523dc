import type { AuditEvent, AuditUser } from '../ingest';

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

/** The identity that acted: the impersonated user when impersonation was used. */
export function actor(event: AuditEvent): AuditUser {
  return event.impersonatedUser ?? event.user;
}

/** Whether the API server carried out the request (not denied, not failed). */
export function succeeded(event: AuditEvent): boolean {
  if (event.decision === 'forbid') return false;
  return event.responseCode === undefined || event.responseCode < 400;
}

/** `namespace/name` or `name`, for sentences; the body's name when the URI has none (a create). */
export function objectName(event: AuditEvent): string {
  const ref = event.objectRef;
  const name = ref?.name ?? bodyName(event);
  if (!name) return ref?.namespace ? `${ref.namespace}/*` : '(unnamed)';
  return ref?.namespace ? `${ref.namespace}/${name}` : name;
}

/** `metadata.name` (or `generateName` followed by `*`) of the request or response body. */
function bodyName(event: AuditEvent): string | undefined {
  for (const body of [event.requestObject, event.responseObject]) {
    if (typeof body !== 'object' || body === null) continue;
    const metadata = (body as Record<string, unknown>).metadata as Record<string, unknown> | undefined;
    if (typeof metadata?.name === 'string' && metadata.name) return metadata.name;
    if (typeof metadata?.generateName === 'string' && metadata.generateName) return `${metadata.generateName}*`;
  }
  return undefined;
}

/** A request the API server attributed to nobody. */
export function isAnonymous(user: AuditUser): boolean {
  return user.username === 'system:anonymous' || user.groups.includes('system:unauthenticated');
}

/** `alice`, or `alice (impersonated by bob)` when impersonation was used. */
export function actorName(event: AuditEvent): string {
  return event.impersonatedUser
    ? `${event.impersonatedUser.username} (impersonated by ${event.user.username})`
    : event.user.username;
}

const PAST: Record<string, string> = {
  create: 'created',
  update: 'updated',
  patch: 'patched',
  delete: 'deleted',
  deletecollection: 'deleted every',
  get: 'read',
  list: 'listed',
  watch: 'watched',
};

/** The verb in the past tense, for sentences. */
export function pastTense(verb: string): string {
  return PAST[verb] ?? verb;
}

const WRITES = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

export function isWrite(verb: string): boolean {
  return WRITES.has(verb);
}

/**
 * Whether a write created the object: a create, or an apply (patch) or update that the API
 * server answered with 201 Created.
 */
export function created(event: AuditEvent): boolean {
  return event.verb === 'create' || ((event.verb === 'patch' || event.verb === 'update') && event.responseCode === 201);
}

const ASSUMED_ROLE_SESSION = /^(arn:aws[a-z-]*:sts::\d{12}:assumed-role\/[^/]+)\/.+$/;

/**
 * The identity as baselines learn it: kubelets as one `system:node:*`, and EKS access-entry
 * usernames (an assumed-role ARN with the session name) without the session, which changes
 * with every login.
 */
export function identityKey(user: AuditUser): string {
  if (user.username.startsWith('system:node:')) return 'system:node:*';
  const session = ASSUMED_ROLE_SESSION.exec(user.username);
  return session ? `${session[1]}/*` : user.username;
}
