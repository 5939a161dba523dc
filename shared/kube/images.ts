import type { AuditEvent } from '../ingest';

/** Resources whose objects carry a pod spec, and where in the object it sits. */
const POD_SPEC_PATHS: Record<string, string[][]> = {
  pods: [['spec']],
  deployments: [['spec', 'template', 'spec']],
  statefulsets: [['spec', 'template', 'spec']],
  daemonsets: [['spec', 'template', 'spec']],
  replicasets: [['spec', 'template', 'spec']],
  replicationcontrollers: [['spec', 'template', 'spec']],
  jobs: [['spec', 'template', 'spec']],
  cronjobs: [['spec', 'jobTemplate', 'spec', 'template', 'spec']],
};

export const WORKLOAD_RESOURCES = new Set(Object.keys(POD_SPEC_PATHS));

export interface ContainerRef {
  kind: 'container' | 'initContainer' | 'ephemeralContainer';
  name: string;
  image: string;
  spec: Record<string, unknown>;
}

/** The pod spec an event writes (the request body of a create, update or patch), if any. */
export function podSpecsOf(event: AuditEvent): Record<string, unknown>[] {
  const resource = event.objectRef?.resource;
  if (!resource || !['create', 'update', 'patch'].includes(event.verb)) return [];
  const paths = event.objectRef?.subresource === 'ephemeralcontainers' ? [['spec']] : POD_SPEC_PATHS[resource];
  if (!paths) return [];
  const body = event.requestObject ?? event.responseObject;
  const out: Record<string, unknown>[] = [];
  for (const path of paths) {
    let node: unknown = body;
    for (const key of path) node = isObject(node) ? node[key] : undefined;
    if (isObject(node)) out.push(node);
  }
  return out;
}

/** Every container the event's pod specs name, including init and ephemeral containers. */
export function containersOf(event: AuditEvent): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const spec of podSpecsOf(event)) {
    for (const [field, kind] of [
      ['containers', 'container'],
      ['initContainers', 'initContainer'],
      ['ephemeralContainers', 'ephemeralContainer'],
    ] as const) {
      const list = spec[field];
      if (!Array.isArray(list)) continue;
      for (const c of list) {
        if (!isObject(c) || typeof c.image !== 'string' || c.image.length === 0) continue;
        out.push({ kind, name: typeof c.name === 'string' ? c.name : '', image: c.image, spec: c });
      }
    }
  }
  return out;
}

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;
const STATUS_LISTS = ['containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses'] as const;
const WRITES = new Set(['create', 'update', 'patch']);

/**
 * Every image an event shows, wherever the audit log puts it: the pod specs of a written workload
 * in the request and in the response body (so at Request and RequestResponse level alike), and
 * the images a pod runs as its status reports them (`containerStatuses[].image` and `imageID`),
 * which the kubelet patches all day long. The last is how a workload that started before the
 * first log, and is never written again, still shows what it runs.
 */
export function imagesSeenIn(event: AuditEvent): string[] {
  const ref = event.objectRef;
  if (!ref?.resource || !WRITES.has(event.verb)) return [];
  const paths = ref.subresource === 'ephemeralcontainers' ? [['spec']] : POD_SPEC_PATHS[ref.resource];
  const out = new Set<string>();
  for (const body of [event.requestObject, event.responseObject]) {
    if (!isObject(body)) continue;
    for (const path of paths ?? []) {
      const spec = pathOf(body, ...path);
      if (!isObject(spec)) continue;
      for (const field of CONTAINER_LISTS) {
        const list = spec[field];
        if (!Array.isArray(list)) continue;
        for (const c of list) if (isObject(c)) addImage(out, c.image);
      }
    }
    if (ref.resource !== 'pods') continue;
    const status = pathOf(body, 'status');
    if (!isObject(status)) continue;
    for (const field of STATUS_LISTS) {
      const list = status[field];
      if (!Array.isArray(list)) continue;
      for (const c of list) {
        if (!isObject(c)) continue;
        addImage(out, c.image);
        addImage(out, c.imageID);
      }
    }
  }
  return [...out];
}

/**
 * An image reference as a runtime reports it, without Docker's `docker-pullable://` scheme; a bare
 * digest (`sha256:...`, an image with no name) names no repository and is left out.
 */
function addImage(out: Set<string>, value: unknown): void {
  if (typeof value !== 'string') return;
  const image = value.replace(/^[a-z-]+:\/\//, '').trim();
  if (image.length === 0 || /^sha256:/.test(image)) return;
  out.add(image);
}

export interface ImageReference {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/**
 * Splits an image reference the way the container runtime resolves it: the first path part is a
 * registry when it has a dot or a port or is `localhost`; otherwise the image is on Docker Hub.
 */
export function parseImage(image: string): ImageReference {
  let rest = image.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let registry = 'docker.io';
  const slash = rest.indexOf('/');
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = first.toLowerCase();
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon !== -1) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (registry === 'docker.io' && !rest.includes('/')) rest = `library/${rest}`;
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = 'docker.io';
  return { registry, repository: rest, tag, digest };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object an event writes: the request body, else the response body. */
export function bodyOf(event: AuditEvent): Record<string, unknown> | undefined {
  for (const body of [event.requestObject, event.responseObject]) if (isObject(body)) return body;
  return undefined;
}

/** A field path inside an object, or undefined. */
export function pathOf(value: unknown, ...path: string[]): unknown {
  let node = value;
  for (const key of path) node = isObject(node) ? node[key] : undefined;
  return node;
}

export function asObject(value: unknown): Record<string, unknown> | undefined {
  return isObject(value) ? value : undefined;
}

const KIND_OF_RESOURCE: Record<string, string> = {
  pods: 'Pod',
  deployments: 'Deployment',
  statefulsets: 'StatefulSet',
  daemonsets: 'DaemonSet',
  replicasets: 'ReplicaSet',
  replicationcontrollers: 'ReplicationController',
  jobs: 'Job',
  cronjobs: 'CronJob',
};

export function workloadKind(resource: string | undefined): string {
  return (resource && KIND_OF_RESOURCE[resource]) ?? resource ?? 'workload';
}

/** A ReplicaSet's name is its Deployment's name plus a pod-template hash. */
const TEMPLATE_HASH = /-[a-z0-9]{5,10}$/;

export interface WorkloadRef {
  kind: string;
  namespace: string;
  name: string;
}

/**
 * The workload an event's pod spec belongs to, as a person would name it: a Deployment for its
 * ReplicaSets and their pods, a DaemonSet or StatefulSet for its pods, else the object itself.
 * Pods created by controllers carry the owner in `metadata.ownerReferences`.
 */
export function ownerWorkload(event: AuditEvent): WorkloadRef {
  const ref = event.objectRef;
  const namespace = ref?.namespace ?? '';
  const body = bodyOf(event);
  const metadata = asObject(body?.metadata);
  const owners = Array.isArray(metadata?.ownerReferences) ? metadata.ownerReferences.filter(isObject) : [];
  const owner = owners.find((o) => o.controller === true) ?? owners[0];
  if (owner && typeof owner.kind === 'string' && typeof owner.name === 'string') {
    if (owner.kind === 'ReplicaSet' && TEMPLATE_HASH.test(owner.name)) {
      return { kind: 'Deployment', namespace, name: owner.name.replace(TEMPLATE_HASH, '') };
    }
    return { kind: owner.kind, namespace, name: owner.name };
  }
  const name =
    ref?.name ??
    (typeof metadata?.name === 'string' ? metadata.name : undefined) ??
    (typeof metadata?.generateName === 'string' ? metadata.generateName.replace(/-$/, '') : undefined) ??
    '?';
  return { kind: workloadKind(ref?.resource), namespace, name };
}

/** Whether an image comes from a trusted registry, or a trusted path of one (`public.ecr.aws/eks/*`). */
export function isTrustedImage(image: ImageReference, trusted: { matches(value: string): boolean }): boolean {
  return trusted.matches(image.registry) || trusted.matches(`${image.registry}/${image.repository}`);
}
