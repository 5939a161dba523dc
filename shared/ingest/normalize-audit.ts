import type { AuditEvent, AuditUser, ObjectReference, Origin } from './types';

/** Keys that would change an object's prototype if assigned; a hostile log can carry them. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Turns a parsed `audit.k8s.io` event into an {@link AuditEvent}. Returns a reason string when a
 * required field is missing. Only known fields are copied, so hostile keys such as `__proto__`
 * never reach an object we build.
 */
export function normalizeAuditEvent(
  raw: Record<string, unknown>,
  cluster: string,
  origin: Origin,
): AuditEvent | string {
  const apiVersion = str(raw.apiVersion);
  if (apiVersion !== undefined && !apiVersion.startsWith('audit.k8s.io/')) {
    return `apiVersion ${apiVersion.slice(0, 40)} is not audit.k8s.io`;
  }
  const verb = str(raw.verb);
  if (!verb) return 'event has no verb';
  const user = normalizeUser(raw.user);
  if (!user) return 'event has no user.username';
  const timeText = str(raw.requestReceivedTimestamp) ?? str(raw.stageTimestamp) ?? str(raw.timestamp);
  const time = timeText ? Date.parse(timeText) : Number.NaN;
  if (!Number.isFinite(time)) return 'event has no valid timestamp';
  const annotations = stringRecord(raw.annotations);
  const responseStatus = obj(raw.responseStatus);
  const code = responseStatus?.code;
  return {
    auditId: str(raw.auditID) ?? '',
    cluster,
    time,
    stage: str(raw.stage) ?? 'ResponseComplete',
    level: str(raw.level),
    verb,
    requestUri: str(raw.requestURI) ?? '',
    user,
    impersonatedUser: normalizeUser(raw.impersonatedUser),
    sourceIps: Array.isArray(raw.sourceIPs) ? raw.sourceIPs.filter(isString) : [],
    userAgent: str(raw.userAgent),
    objectRef: normalizeObjectRef(raw.objectRef),
    responseCode: typeof code === 'number' ? code : undefined,
    decision: annotations?.['authorization.k8s.io/decision'],
    requestObject: raw.requestObject,
    responseObject: raw.responseObject,
    annotations,
    origin,
  };
}

function normalizeUser(value: unknown): AuditUser | undefined {
  const user = obj(value);
  const username = str(user?.username);
  if (!user || !username) return undefined;
  const extra = obj(user.extra);
  let extras: Record<string, string[]> | undefined;
  if (extra) {
    extras = {};
    for (const [k, v] of Object.entries(extra)) {
      if (Array.isArray(v) && !UNSAFE_KEYS.has(k)) extras[k] = v.filter(isString);
    }
  }
  return {
    username,
    groups: Array.isArray(user.groups) ? user.groups.filter(isString) : [],
    uid: str(user.uid),
    extra: extras,
  };
}

function normalizeObjectRef(value: unknown): ObjectReference | undefined {
  const ref = obj(value);
  if (!ref) return undefined;
  return {
    resource: str(ref.resource),
    subresource: str(ref.subresource),
    namespace: str(ref.namespace),
    name: str(ref.name),
    apiGroup: str(ref.apiGroup),
    apiVersion: str(ref.apiVersion),
  };
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  const o = obj(value);
  if (!o) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === 'string' && !UNSAFE_KEYS.has(k)) out[k] = v;
  return out;
}

function obj(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
