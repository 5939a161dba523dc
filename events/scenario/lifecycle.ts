import type { AuditLog } from './audit-log';
import { API_SERVER_INSTANCES, type ContainerSpec, type NodeSpec } from './cluster';
import type { Identities, Identity } from './identities';
import {
  bindingBody,
  podBodies,
  podEventBody,
  replicaSetBody,
  runningStatusPatch,
  terminatedStatusPatch,
} from './manifests';
import { type Prng, streamOf } from './prng';
import type { Owner, Pod, WorkloadState, World } from './world';

const DAY_MS = 86_400_000;

/** What every generator writes into and reads from. */
export interface Activity {
  seed: number;
  /** Epoch ms of the scenario's first instant. */
  start: number;
  days: number;
  world: World;
  audit: AuditLog;
  ids: Identities;
}

/** 1-based day of the scenario that `time` falls in. */
export function dayOf(activity: Pick<Activity, 'start'>, time: number): number {
  return Math.floor((time - activity.start) / DAY_MS) + 1;
}

/** The control-plane hosts the controller manager and the scheduler run on (the current leaders). */
export const CONTROLLER_MANAGER_IP = API_SERVER_INSTANCES[0].hostIp;
export const SCHEDULER_IP = API_SERVER_INSTANCES[1].hostIp;

/** The scheduler's choice: the node running the fewest pods of the workload, ties broken at random. */
function chooseNode(world: World, rng: Prng, key: string, time: number, pending: readonly Pod[]): NodeSpec {
  const counts = new Map<string, number>(world.nodes.map((n) => [n.name, 0]));
  for (const pod of [...world.live(key, time), ...pending]) {
    counts.set(pod.node.name, (counts.get(pod.node.name) ?? 0) + 1);
  }
  const least = Math.min(...counts.values());
  return rng.pick(world.nodes.filter((n) => counts.get(n.name) === least));
}

/** The kubelet's report that a pod runs, with its IP. */
export function reportPodRunning(a: Activity, rng: Prng, pod: Pod, time: number, restarts = 0): void {
  const kubelet = a.ids.node(pod.node.name, pod.node.instanceId, dayOf(a, time));
  a.audit.emit(rng, time, kubelet, pod.node.ip, {
    verb: 'patch',
    resource: 'pods',
    namespace: pod.namespace,
    name: pod.name,
    subresource: 'status',
    requestObject: runningStatusPatch(pod, time, restarts, rng),
  });
}

/**
 * Starts pods the way the control plane does: the owning controller creates each pod, the
 * scheduler binds it to a node, and the kubelet reports it running (with its IP) and records an
 * event.
 */
export function startPods(
  a: Activity,
  rng: Prng,
  state: WorkloadState,
  owner: Owner,
  count: number,
  time: number,
  normal = true,
): Pod[] {
  const creator = a.ids.controller(owner.kind === 'ReplicaSet' ? 'replicaset-controller' : 'daemon-set-controller');
  const scheduler = a.ids.component('system:kube-scheduler', 'scheduler');
  const pods: Pod[] = [];
  let t = time;
  for (let i = 0; i < count; i++) {
    t += rng.int(8, 40);
    const node = chooseNode(a.world, rng, state.key, t, pods);
    const pod = a.world.addPod(rng, state, owner, node, t, normal);
    pods.push(pod);
    const { request, response } = podBodies(state, pod, rng);
    a.audit.emit(rng, t, creator, CONTROLLER_MANAGER_IP, {
      verb: 'create',
      resource: 'pods',
      namespace: pod.namespace,
      level: 'RequestResponse',
      requestObject: request,
      responseObject: response,
      annotations: {
        'pod-security.kubernetes.io/enforce-policy': 'privileged:latest',
      },
    });
    a.audit.emit(rng, t + rng.int(4, 30), scheduler, SCHEDULER_IP, {
      verb: 'create',
      resource: 'pods',
      namespace: pod.namespace,
      name: pod.name,
      subresource: 'binding',
      requestObject: bindingBody(pod),
    });
    const running = t + rng.int(2500, 7000);
    reportPodRunning(a, rng, pod, running);
    const kubelet = a.ids.node(node.name, node.instanceId, dayOf(a, running));
    const started = running + rng.int(20, 400);
    a.audit.emit(rng, started, kubelet, node.ip, {
      verb: 'create',
      resource: 'events',
      namespace: pod.namespace,
      requestObject: podEventBody(pod, 'Started', `Started container ${pod.containers[0]?.name ?? ''}`, started),
    });
  }
  return pods;
}

/** The kubelet's report that a deleted pod's containers stopped, naming its IP one last time. */
function reportPodTerminated(a: Activity, rng: Prng, pod: Pod, time: number): void {
  const kubelet = a.ids.node(pod.node.name, pod.node.instanceId, dayOf(a, time));
  a.audit.emit(rng, time, kubelet, pod.node.ip, {
    verb: 'patch',
    resource: 'pods',
    namespace: pod.namespace,
    name: pod.name,
    subresource: 'status',
    requestObject: terminatedStatusPatch(pod, time, rng),
  });
}

/**
 * Deletes pods (by their controller, or whoever is given) and lets them terminate gracefully.
 * With `reportTermination`, the kubelet also patches each pod's final status (the default
 * scenario leaves it out, to stay byte-identical to its first version).
 */
export function stopPods(
  a: Activity,
  rng: Prng,
  pods: readonly Pod[],
  time: number,
  by?: Identity,
  reportTermination = false,
): void {
  let t = time;
  for (const pod of pods) {
    t += rng.int(5, 40);
    const who = by ?? a.ids.controller('replicaset-controller');
    a.audit.emit(rng, t, who, CONTROLLER_MANAGER_IP, {
      verb: 'delete',
      resource: 'pods',
      namespace: pod.namespace,
      name: pod.name,
    });
    pod.deletedAt = t + rng.int(1500, 28_000);
    if (reportTermination) reportPodTerminated(a, rng, pod, pod.deletedAt - rng.int(50, 400));
  }
}

/** The EndpointSlice controller updating a workload's slice after its pods changed. */
export function updateEndpointSlice(a: Activity, rng: Prng, state: WorkloadState, time: number): void {
  const suffix = streamOf(a.seed, 'endpointslice', state.key).chars('bcdfghjklmnpqrstvwxz2456789', 5);
  a.audit.emit(rng, time, a.ids.controller('endpointslice-controller'), CONTROLLER_MANAGER_IP, {
    verb: 'update',
    resource: 'endpointslices',
    namespace: state.spec.namespace,
    name: `${state.spec.name}-${suffix}`,
  });
}

function scaleReplicaSet(a: Activity, rng: Prng, state: WorkloadState, rsName: string, replicas: number, t: number) {
  a.audit.emit(rng, t, a.ids.controller('deployment-controller'), CONTROLLER_MANAGER_IP, {
    verb: 'patch',
    resource: 'replicasets',
    namespace: state.spec.namespace,
    name: rsName,
    requestObject: {
      metadata: { annotations: { 'deployment.kubernetes.io/desired-replicas': String(state.replicas) } },
      spec: { replicas },
    },
  });
}

function updateDeploymentStatus(a: Activity, rng: Prng, state: WorkloadState, t: number): void {
  a.audit.emit(rng, t, a.ids.controller('deployment-controller'), CONTROLLER_MANAGER_IP, {
    verb: 'update',
    resource: 'deployments',
    namespace: state.spec.namespace,
    name: state.spec.name,
    subresource: 'status',
  });
}

/**
 * A Deployment's rolling update to new containers: a new ReplicaSet, its pods, then the old
 * pods go (with their kubelets' final status patches when `reportTermination`). Returns the new pods.
 */
export function rollout(
  a: Activity,
  rng: Prng,
  key: string,
  time: number,
  containers: ContainerSpec[],
  reportTermination = false,
): Pod[] {
  const state = a.world.workload(key);
  const old = state.replicaSet;
  const oldPods = a.world.live(key, time);
  const rs = a.world.newReplicaSet(rng, state, containers);
  state.replicaSet = rs;
  state.containers = containers;
  state.generation++;
  const deploymentController = a.ids.controller('deployment-controller');
  let t = time + rng.int(20, 60);
  a.audit.emit(rng, t, deploymentController, CONTROLLER_MANAGER_IP, {
    verb: 'create',
    resource: 'replicasets',
    namespace: state.spec.namespace,
    requestObject: replicaSetBody(state, rs),
  });
  t += rng.int(10, 40);
  scaleReplicaSet(a, rng, state, rs.name, state.replicas, t);
  t += rng.int(10, 40);
  updateDeploymentStatus(a, rng, state, t);
  const owner: Owner = { kind: 'ReplicaSet', name: rs.name, uid: rs.uid };
  t += rng.int(20, 80);
  startPods(a, rng, state, owner, state.replicas, t);
  const ready = t + rng.int(12_000, 25_000);
  updateEndpointSlice(a, rng, state, ready);
  if (old) scaleReplicaSet(a, rng, state, old.name, 0, ready + rng.int(100, 600));
  stopPods(a, rng, oldPods, ready + rng.int(700, 1200), undefined, reportTermination);
  updateEndpointSlice(a, rng, state, ready + rng.int(1500, 3000));
  updateDeploymentStatus(a, rng, state, ready + rng.int(3000, 4000));
  return a.world.live(key, ready + 60_000);
}

/** The horizontal pod autoscaler resizing a Deployment, and the controllers following. */
export function autoscale(a: Activity, rng: Prng, key: string, time: number, replicas: number): void {
  const state = a.world.workload(key);
  const rs = state.replicaSet;
  if (!rs || replicas === state.replicas) return;
  const before = a.world.live(key, time);
  a.audit.emit(rng, time, a.ids.controller('horizontal-pod-autoscaler'), CONTROLLER_MANAGER_IP, {
    verb: 'update',
    resource: 'deployments',
    namespace: state.spec.namespace,
    name: state.spec.name,
    subresource: 'scale',
    requestObject: {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: state.spec.name, namespace: state.spec.namespace },
      spec: { replicas },
    },
  });
  state.replicas = replicas;
  let t = time + rng.int(20, 80);
  scaleReplicaSet(a, rng, state, rs.name, replicas, t);
  t += rng.int(20, 80);
  if (replicas > before.length) {
    startPods(a, rng, state, { kind: 'ReplicaSet', name: rs.name, uid: rs.uid }, replicas - before.length, t);
    t += rng.int(10_000, 20_000);
  } else {
    // The ReplicaSet controller removes the youngest pods first.
    const victims = [...before].sort((x, y) => y.createdAt - x.createdAt).slice(0, before.length - replicas);
    stopPods(a, rng, victims, t);
    t += rng.int(1000, 3000);
  }
  updateEndpointSlice(a, rng, state, t);
  updateDeploymentStatus(a, rng, state, t + rng.int(200, 900));
}
