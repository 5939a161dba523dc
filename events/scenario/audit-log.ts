import { API_SERVER_INSTANCES } from './cluster';
import type { Identity } from './identities';
import type { Prng } from './prng';

/** One audit event, ready to be delivered: when the API server finished it, and on which log stream. */
export interface AuditRecord {
  /** `stageTimestamp`, in epoch microseconds; CloudWatch orders and timestamps by it. */
  stageTime: number;
  /** Index into {@link API_SERVER_INSTANCES}: the API server instance that logged it. */
  instance: number;
  /** The event as the API server writes it: one line of JSON. */
  message: string;
}

/** API groups and versions of the resources the scenario touches. */
const GROUPS: Record<string, { group: string; version: string }> = {
  pods: { group: '', version: 'v1' },
  nodes: { group: '', version: 'v1' },
  namespaces: { group: '', version: 'v1' },
  services: { group: '', version: 'v1' },
  endpoints: { group: '', version: 'v1' },
  configmaps: { group: '', version: 'v1' },
  secrets: { group: '', version: 'v1' },
  serviceaccounts: { group: '', version: 'v1' },
  events: { group: '', version: 'v1' },
  leases: { group: 'coordination.k8s.io', version: 'v1' },
  deployments: { group: 'apps', version: 'v1' },
  replicasets: { group: 'apps', version: 'v1' },
  daemonsets: { group: 'apps', version: 'v1' },
  endpointslices: { group: 'discovery.k8s.io', version: 'v1' },
  ingresses: { group: 'networking.k8s.io', version: 'v1' },
  clusterroles: { group: 'rbac.authorization.k8s.io', version: 'v1' },
  clusterrolebindings: { group: 'rbac.authorization.k8s.io', version: 'v1' },
  roles: { group: 'rbac.authorization.k8s.io', version: 'v1' },
  rolebindings: { group: 'rbac.authorization.k8s.io', version: 'v1' },
  certificatesigningrequests: { group: 'certificates.k8s.io', version: 'v1' },
  targetgroupbindings: { group: 'elbv2.k8s.aws', version: 'v1beta1' },
  cninodes: { group: 'vpcresources.k8s.aws', version: 'v1alpha1' },
};

/** What a request did. Resource requests name a resource; others (discovery, /metrics) give a path. */
export interface AuditRequest {
  verb: string;
  resource?: string;
  /** API group, when the resource name alone is ambiguous (pods in metrics.k8s.io). */
  group?: string;
  version?: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** Query string appended to the URI, without `?`. */
  query?: string;
  /** A non-resource URL such as `/metrics` or `/apis`. */
  path?: string;
  /** @default 201 for create, 200 otherwise */
  code?: number;
  /** Set with a non-2xx code: the Status reason and message. */
  failure?: { reason: string; message: string };
  /** @default Metadata, or Request when there is a request object */
  level?: 'Metadata' | 'Request' | 'RequestResponse';
  requestObject?: unknown;
  responseObject?: unknown;
  /** @default ResponseComplete */
  stage?: string;
  /** How long the API server took; watches last minutes. */
  latencyMs?: number;
  annotations?: Record<string, string>;
}

/** The URI an API client requests for a resource. */
export function resourceUri(request: AuditRequest): string {
  if (request.path) return request.query ? `${request.path}?${request.query}` : request.path;
  const resource = request.resource as string;
  const known = GROUPS[resource];
  const group = request.group ?? known?.group ?? '';
  const version = request.version ?? known?.version ?? 'v1';
  let uri = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  if (request.namespace) uri += `/namespaces/${request.namespace}`;
  uri += `/${resource}`;
  if (request.name) uri += `/${request.name}`;
  if (request.subresource) uri += `/${request.subresource}`;
  return request.query ? `${uri}?${request.query}` : uri;
}

/** `2026-11-01T10:00:00.123456Z` from epoch microseconds. */
export function microIso(us: number): string {
  const ms = Math.floor(us / 1000);
  return `${new Date(ms).toISOString().slice(0, -1)}${String(us % 1000).padStart(3, '0')}Z`;
}

const DEFAULT_LATENCY_MS: Record<string, [number, number]> = {
  get: [1, 9],
  list: [3, 40],
  create: [4, 25],
  update: [2, 12],
  patch: [3, 20],
  delete: [3, 18],
};

/** Collects audit events as the API server would log them, in any order; delivery sorts them. */
export class AuditLog {
  readonly records: AuditRecord[] = [];

  /**
   * Logs one request received at `time` (epoch ms, with a random sub-millisecond part) by
   * `who` from `sourceIp`.
   */
  emit(rng: Prng, time: number, who: Identity, sourceIp: string, request: AuditRequest): AuditRecord {
    const received = Math.floor(time) * 1000 + rng.int(0, 999);
    const [low, high] = DEFAULT_LATENCY_MS[request.verb] ?? [1, 10];
    const latencyUs = Math.round((request.latencyMs ?? low + rng.next() * (high - low)) * 1000);
    const stage = received + Math.max(latencyUs, 150);
    const code = request.code ?? (request.verb === 'create' ? 201 : 200);
    const level = request.level ?? (request.requestObject !== undefined ? 'Request' : 'Metadata');
    const event: Record<string, unknown> = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level,
      auditID: rng.uuid(),
      stage: request.stage ?? 'ResponseComplete',
      requestURI: resourceUri(request),
      verb: request.verb,
      user: who.actor,
      sourceIPs: [sourceIp],
      userAgent: who.userAgent,
    };
    if (request.resource) {
      const known = GROUPS[request.resource];
      const ref: Record<string, string> = { resource: request.resource };
      if (request.namespace) ref.namespace = request.namespace;
      if (request.name) ref.name = request.name;
      const group = request.group ?? known?.group ?? '';
      if (group) ref.apiGroup = group;
      ref.apiVersion = request.version ?? known?.version ?? 'v1';
      if (request.subresource) ref.subresource = request.subresource;
      event.objectRef = ref;
    }
    event.responseStatus = request.failure
      ? { metadata: {}, status: 'Failure', message: request.failure.message, reason: request.failure.reason, code }
      : { metadata: {}, code };
    if (request.requestObject !== undefined && level !== 'Metadata') event.requestObject = request.requestObject;
    if (request.responseObject !== undefined && level === 'RequestResponse') {
      event.responseObject = request.responseObject;
    }
    event.requestReceivedTimestamp = microIso(received);
    event.stageTimestamp = microIso(stage);
    const forbidden = code === 403;
    event.annotations = {
      'authorization.k8s.io/decision': forbidden ? 'forbid' : 'allow',
      'authorization.k8s.io/reason': forbidden ? '' : who.reason,
      ...request.annotations,
    };
    // Serialized right away: holding tens of thousands of event objects only feeds the garbage collector.
    const record = {
      stageTime: stage,
      instance: rng.int(0, API_SERVER_INSTANCES.length - 1),
      message: JSON.stringify(event),
    };
    this.records.push(record);
    return record;
  }

  /** Hands over the records logged so far and starts afresh. */
  drain(): AuditRecord[] {
    return this.records.splice(0, this.records.length);
  }

  /**
   * Logs a later stage of the same request (a long-running request is logged when the response
   * starts and again when it completes): same audit ID and received time, a later stage time.
   */
  restage(record: AuditRecord, stage: string, afterMs: number): AuditRecord {
    const stageTime = record.stageTime + Math.round(afterMs * 1000);
    const event = {
      ...(JSON.parse(record.message) as Record<string, unknown>),
      stage,
      stageTimestamp: microIso(stageTime),
    };
    const next = { stageTime, instance: record.instance, message: JSON.stringify(event) };
    this.records.push(next);
    return next;
  }
}
