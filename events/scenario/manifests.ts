import { createHash } from 'node:crypto';
import type { ContainerSpec, WorkloadSpec } from './cluster';
import type { Prng } from './prng';
import { labelsOf, type Pod, type ReplicaSetState, type WorkloadState } from './world';

/** Kubernetes object bodies as clients send them and the API server returns them. */

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function container(c: ContainerSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { name: c.name, image: c.image };
  if (c.args) out.args = c.args;
  if (c.ports) {
    out.ports = c.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol ?? 'TCP' }));
  }
  out.resources = { limits: { memory: c.memory }, requests: { cpu: c.cpu, memory: c.memory } };
  out.imagePullPolicy = 'IfNotPresent';
  return out;
}

/** The pod spec of a workload's template. */
export function podSpec(spec: WorkloadSpec, containers: readonly ContainerSpec[]): Record<string, unknown> {
  const out: Record<string, unknown> = {
    containers: containers.map(container),
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: spec.hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
    serviceAccountName: spec.serviceAccount,
  };
  if (spec.hostNetwork) out.hostNetwork = true;
  if (spec.kind === 'DaemonSet') out.priorityClassName = 'system-node-critical';
  return out;
}

function template(spec: WorkloadSpec, containers: readonly ContainerSpec[], hash?: string): Record<string, unknown> {
  const labels = labelsOf(spec);
  if (hash) labels['pod-template-hash'] = hash;
  return { metadata: { labels }, spec: podSpec(spec, containers) };
}

/** The manifest a pipeline applies (server-side apply sends the whole object). */
export function workloadManifest(state: WorkloadState): Record<string, unknown> {
  const spec = state.spec;
  const selector = { matchLabels: { 'app.kubernetes.io/name': spec.name } };
  const body: Record<string, unknown> = {
    apiVersion: 'apps/v1',
    kind: spec.kind,
    metadata: { name: spec.name, namespace: spec.namespace, labels: labelsOf(spec) },
  };
  body.spec =
    spec.kind === 'Deployment'
      ? {
          ...(spec.autoscaling ? {} : { replicas: state.replicas }),
          revisionHistoryLimit: 5,
          selector,
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
          template: template(spec, state.containers),
        }
      : {
          selector,
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
          template: template(spec, state.containers),
        };
  return body;
}

/** The ReplicaSet the deployment controller creates for a new template. */
export function replicaSetBody(state: WorkloadState, rs: ReplicaSetState): Record<string, unknown> {
  const spec = state.spec;
  return {
    kind: 'ReplicaSet',
    apiVersion: 'apps/v1',
    metadata: {
      name: rs.name,
      namespace: spec.namespace,
      creationTimestamp: null,
      labels: { ...labelsOf(spec), 'pod-template-hash': rs.hash },
      annotations: {
        'deployment.kubernetes.io/desired-replicas': String(state.replicas),
        'deployment.kubernetes.io/max-replicas': String(state.replicas + 1),
        'deployment.kubernetes.io/revision': String(rs.revision),
      },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: spec.name,
          uid: state.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      replicas: 0,
      selector: { matchLabels: { 'app.kubernetes.io/name': spec.name, 'pod-template-hash': rs.hash } },
      template: template(spec, rs.containers, rs.hash),
    },
    status: { replicas: 0 },
  };
}

/** The pod a controller asks for (request) and the pod the API server stored (response). */
export function podBodies(
  state: WorkloadState,
  pod: Pod,
  rng: Prng,
): { request: Record<string, unknown>; response: Record<string, unknown> } {
  const spec = state.spec;
  const ownerRef = {
    apiVersion: 'apps/v1',
    kind: pod.owner.kind,
    name: pod.owner.name,
    uid: pod.owner.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
  const generateName = `${pod.name.slice(0, -5)}`;
  const requested = podSpec(spec, pod.containers);
  const request = {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { generateName, creationTimestamp: null, labels: pod.labels, ownerReferences: [ownerRef] },
    spec: requested,
    status: {},
  };
  const volume = `kube-api-access-${rng.chars('bcdfghjklmnpqrstvwxz2456789', 5)}`;
  const stored = {
    ...requested,
    volumes: [
      {
        name: volume,
        projected: {
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          ],
          defaultMode: 420,
        },
      },
    ],
    containers: (requested.containers as Record<string, unknown>[]).map((c) => ({
      ...c,
      volumeMounts: [{ name: volume, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
    })),
  };
  const response = {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name: pod.name,
      generateName,
      namespace: pod.namespace,
      uid: pod.uid,
      resourceVersion: rng.digits(8),
      creationTimestamp: iso(pod.createdAt),
      labels: pod.labels,
      ownerReferences: [ownerRef],
    },
    spec: stored,
    status: { phase: 'Pending', qosClass: 'Burstable' },
  };
  return { request, response };
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const CONDITIONS = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];

/**
 * The kubelet's status patch for a running pod. It always carries the pod IP, so that a reader
 * of the audit log can map pod IPs to pods.
 */
export function runningStatusPatch(pod: Pod, time: number, restarts: number, rng: Prng): Record<string, unknown> {
  const since = iso(time);
  return {
    metadata: { uid: pod.uid },
    status: {
      '$setElementOrder/conditions': CONDITIONS.map((type) => ({ type })),
      conditions: [
        { lastProbeTime: null, lastTransitionTime: since, status: 'True', type: 'Ready' },
        { lastProbeTime: null, lastTransitionTime: since, status: 'True', type: 'ContainersReady' },
      ],
      containerStatuses: pod.containers.map((c) => ({
        containerID: `containerd://${rng.hex(64)}`,
        image: c.image,
        imageID: `${c.image.replace(/:[^:/]+$/, '')}@sha256:${digest(c.image)}`,
        lastState: {},
        name: c.name,
        ready: true,
        restartCount: restarts,
        started: true,
        state: { running: { startedAt: iso(restarts > 0 ? time - 2000 : pod.createdAt + 3000) } },
      })),
      hostIP: pod.node.ip,
      hostIPs: [{ ip: pod.node.ip }],
      phase: 'Running',
      podIP: pod.ip,
      podIPs: [{ ip: pod.ip }],
      startTime: iso(pod.createdAt + 1000),
    },
  };
}

/**
 * The kubelet's last status patch for a pod it stopped after its deletion: containers
 * terminated, phase Succeeded, and still the pod IP, so the address it held maps to the pod.
 */
export function terminatedStatusPatch(pod: Pod, time: number, rng: Prng): Record<string, unknown> {
  const since = iso(time);
  return {
    metadata: { uid: pod.uid },
    status: {
      '$setElementOrder/conditions': CONDITIONS.map((type) => ({ type })),
      conditions: [
        { lastProbeTime: null, lastTransitionTime: since, status: 'False', type: 'Ready' },
        { lastProbeTime: null, lastTransitionTime: since, status: 'False', type: 'ContainersReady' },
      ],
      containerStatuses: pod.containers.map((c) => ({
        containerID: `containerd://${rng.hex(64)}`,
        image: c.image,
        imageID: `${c.image.replace(/:[^:/]+$/, '')}@sha256:${digest(c.image)}`,
        lastState: {},
        name: c.name,
        ready: false,
        restartCount: 0,
        started: false,
        state: {
          terminated: {
            containerID: `containerd://${rng.hex(64)}`,
            exitCode: 0,
            reason: 'Completed',
            startedAt: iso(pod.createdAt + 3000),
            finishedAt: since,
          },
        },
      })),
      hostIP: pod.node.ip,
      hostIPs: [{ ip: pod.node.ip }],
      phase: 'Succeeded',
      podIP: pod.ip,
      podIPs: [{ ip: pod.ip }],
      startTime: iso(pod.createdAt + 1000),
    },
  };
}

/** The Binding the scheduler posts to place a pod on a node. */
export function bindingBody(pod: Pod): Record<string, unknown> {
  return {
    kind: 'Binding',
    apiVersion: 'v1',
    metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid, creationTimestamp: null },
    target: { kind: 'Node', name: pod.node.name },
  };
}

/** A core/v1 Event the kubelet records about a pod. */
export function podEventBody(pod: Pod, reason: string, message: string, time: number): Record<string, unknown> {
  return {
    kind: 'Event',
    apiVersion: 'v1',
    metadata: { name: `${pod.name}.${(BigInt(time) * 1_000_000n).toString(16)}`, namespace: pod.namespace },
    involvedObject: { kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid, apiVersion: 'v1' },
    reason,
    message,
    source: { component: 'kubelet', host: pod.node.name },
    firstTimestamp: iso(time),
    lastTimestamp: iso(time),
    count: 1,
    type: 'Normal',
    eventTime: null,
    reportingComponent: 'kubelet',
    reportingInstance: pod.node.name,
  };
}
