import { AuditLog } from './audit-log';
import { type ContainerSpec, ECR, type NodeSpec, STAGING, type WorkloadSpec } from './cluster';
import type { AuditTarget } from './delivery';
import { agentPod, FIRST_ROLLOUTS } from './existing-cluster';
import type { FlowLog } from './flow-log';
import { Identities, rbacReason, USER_AGENTS } from './identities';
import { type Activity, dayOf } from './lifecycle';
import {
  bindingBody,
  podBodies,
  replicaSetBody,
  runningStatusPatch,
  terminatedStatusPatch,
  workloadManifest,
} from './manifests';
import { bumpVersion } from './normal-life';
import { type Prng, streamOf } from './prng';
import { internalCall } from './traffic';
import type { AddressHolder, AddressReuse } from './types';
import { labelsOf, type Owner, type Pod, type WorkloadState } from './world';

/**
 * `shop-staging`, the second cluster of the `existing-cluster` variant: two small workloads in
 * the same VPC and subnets as `shop-prod`, with an audit log group of their own. On day 10 its
 * shop/cart rolls out, and the new pod gets an address a `shop-prod` pod released on day 8: the
 * same address belongs to one cluster, then to the other.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WINDOW_SECONDS = 600;
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
/** Where the staging controller manager and scheduler run. */
const CONTROLLER_MANAGER_IP = STAGING.apiServerInstances[0].hostIp;
const SCHEDULER_IP = STAGING.apiServerInstances[1].hostIp;

/** Staging's audit log, delivered by a Firehose stream of its own into the same `audit/` prefix. */
export const STAGING_AUDIT: AuditTarget = {
  cluster: STAGING.cluster,
  streams: STAGING.apiServerInstances.map((i) => i.stream),
  firehose: 'driftwatch-audit-staging',
  randomLabel: 'firehose-staging',
};

const app = (repo: string, version: string): ContainerSpec => ({
  name: repo.split('/')[1] as string,
  image: `${ECR}/${repo}:${version}`,
  ports: [{ name: 'http', port: 8080 }],
  cpu: '100m',
  memory: '128Mi',
});

const WORKLOADS: readonly WorkloadSpec[] = [
  {
    kind: 'Deployment',
    namespace: 'shop',
    name: 'web',
    replicas: 1,
    serviceAccount: 'web',
    containers: [app('shop/web', '1.43.0')],
    managedBy: 'cicd',
  },
  {
    kind: 'Deployment',
    namespace: 'shop',
    name: 'cart',
    replicas: 1,
    serviceAccount: 'cart',
    containers: [app('shop/cart', '2.8.0')],
    managedBy: 'cicd',
  },
];

/** The staging cluster's life: its audit records, its pods and the address it took over from `shop-prod`. */
export interface Staging {
  audit: AuditLog;
  /** The address reuse it plants, when the scenario is long enough for it (day 10). */
  reuse?: AddressReuse;
  /** Writes the hum of one hour: kubelet and controller-manager leases, and the workloads' traffic. */
  hour(hourStart: number, flows: FlowLog): void;
}

const iso = (ms: number) => new Date(ms).toISOString();

function holder(cluster: string, pod: Pod, end: number): AddressHolder {
  return {
    cluster,
    namespace: pod.namespace,
    pod: pod.name,
    workload: pod.workload,
    from: iso(pod.createdAt),
    to: iso(Math.min(pod.deletedAt, end)),
  };
}

/**
 * A `shop-prod` pod of the first workload rolled out on day 8 that left its address before
 * `time`, and whose address no other `shop-prod` pod takes afterwards.
 */
function releasedProdPod(a: Activity, time: number): Pod | undefined {
  return a.world
    .podsBetween(a.start - 60 * DAY, time)
    .filter((p) => p.workload === FIRST_ROLLOUTS[0] && p.normal && p.createdAt < a.start && p.deletedAt < time - HOUR)
    .filter((p) => a.world.holdersOf(p.ip).every((h) => h === p || h.deletedAt <= p.createdAt))
    .sort((x, y) => x.name.localeCompare(y.name))[0];
}

/** Plans `shop-staging`: call after `shop-prod`'s changes and incidents, which decide the reused address. */
export function planStaging(a: Activity): Staging {
  const rng = streamOf(a.seed, 'staging');
  // A cluster of its own: its service accounts and controllers have UIDs of their own.
  const ids = new Identities(a.seed + 1);
  const audit = new AuditLog();
  const end = a.start + a.days * DAY;
  const pods: Pod[] = [];
  const states = new Map<string, WorkloadState>();
  const newPod = (state: WorkloadState, node: NodeSpec, ip: string, createdAt: number): Pod => {
    const rs = state.replicaSet as NonNullable<WorkloadState['replicaSet']>;
    const owner: Owner = { kind: 'ReplicaSet', name: rs.name, uid: rs.uid };
    const pod: Pod = {
      namespace: state.spec.namespace,
      name: `${rs.name}-${rng.chars(NAME_ALPHABET, 5)}`,
      uid: rng.uuid(),
      workload: state.key,
      node,
      ip,
      createdAt,
      deletedAt: Number.POSITIVE_INFINITY,
      containers: rs.containers,
      owner,
      serviceAccount: state.spec.serviceAccount,
      hostNetwork: false,
      labels: { ...labelsOf(state.spec), 'pod-template-hash': rs.hash },
      normal: true,
    };
    pods.push(pod);
    return pod;
  };
  WORKLOADS.forEach((spec, i) => {
    const state: WorkloadState = {
      key: `${spec.namespace}/${spec.name}`,
      spec,
      uid: rng.uuid(),
      containers: spec.containers,
      replicas: 1,
      generation: rng.int(3, 20),
    };
    state.replicaSet = a.world.newReplicaSet(rng, state, spec.containers);
    states.set(state.key, state);
    const node = STAGING.nodes[i] as NodeSpec;
    newPod(state, node, `${node.subnet}.${STAGING.podOctets[i]}`, a.start - rng.int(3 * DAY, 30 * DAY));
  });

  // Day 10 (or the last day): Argo CD, which also manages staging with the argocd-manager
  // service account, releases staging's cart; the new pod gets the released prod address.
  const rolloutTime = a.start + (Math.min(a.days, 10) - 1) * DAY + 13 * HOUR + rng.int(0, 30 * MINUTE);
  const released = releasedProdPod(a, rolloutTime);
  let reuse: AddressReuse | undefined;
  if (released) {
    const node = STAGING.nodes.find((n) => n.subnet === released.node.subnet) as NodeSpec;
    const pod = rolloutCart(a, rng, ids, audit, states.get('shop/cart') as WorkloadState, pods, rolloutTime, (s, t) =>
      newPod(s, node, released.ip, t),
    );
    reuse = { address: released.ip, holders: [holder('shop-prod', released, end), holder(STAGING.cluster, pod, end)] };
  }

  const live = (key: string, time: number) =>
    pods.filter((p) => p.workload === key && p.createdAt <= time && time < p.deletedAt);
  return {
    audit,
    reuse,
    hour(hourStart, flows) {
      const r = streamOf(a.seed, 'staging-hour', hourStart);
      const day = dayOf(a, hourStart);
      for (const node of STAGING.nodes) {
        const kubelet = ids.node(node.name, node.instanceId, day, STAGING.cluster);
        for (let k = 0; k < 4; k++) {
          audit.emit(r, hourStart + k * 15 * MINUTE + r.int(0, 60_000), kubelet, node.ip, {
            verb: 'update',
            resource: 'leases',
            namespace: 'kube-node-lease',
            name: node.name,
            query: 'timeout=10s',
          });
        }
      }
      const manager = ids.component('system:kube-controller-manager', 'leader-election');
      for (let k = 0; k < 4; k++) {
        audit.emit(r, hourStart + k * 15 * MINUTE + r.int(0, 60_000), manager, CONTROLLER_MANAGER_IP, {
          verb: 'update',
          resource: 'leases',
          namespace: 'kube-system',
          name: 'kube-controller-manager',
          query: 'timeout=5s',
        });
      }
      for (let i = 0; i < 6; i++) {
        const w = { start: hourStart / 1000 + i * WINDOW_SECONDS, rng: streamOf(a.seed, 'staging-flow', hourStart, i) };
        const t = w.start * 1000 + 30_000;
        const [web] = live('shop/web', t);
        const [cart] = live('shop/cart', t);
        if (web && cart && w.rng.chance(0.5)) {
          internalCall(flows, w, { client: web, server: cart.ip, port: 8080, bytes: [2000, 6000] });
        }
        if (cart) {
          internalCall(flows, w, {
            client: cart,
            server: STAGING.database.ip,
            port: STAGING.database.port,
            longLived: true,
            bytes: [5_000, 20_000],
          });
        }
        internalCall(flows, w, {
          client: w.rng.pick(STAGING.nodes),
          server: w.rng.pick(STAGING.apiServerIps),
          port: 443,
          longLived: true,
          bytes: [10_000, 30_000],
        });
      }
    },
  };
}

/**
 * A rollout of staging's cart as its audit log tells it: Argo CD's patch, the new ReplicaSet and
 * pod, the binding, the kubelet's report with the pod IP, then the old pod's deletion and final
 * status. Returns the new pod.
 */
function rolloutCart(
  a: Activity,
  rng: Prng,
  ids: Identities,
  audit: AuditLog,
  state: WorkloadState,
  pods: readonly Pod[],
  time: number,
  start: (state: WorkloadState, time: number) => Pod,
): Pod {
  const agent = agentPod(a, time);
  const manager = ids.serviceAccount(
    'kube-system',
    'argocd-manager',
    USER_AGENTS.argocd,
    undefined,
    rbacReason(
      'ClusterRoleBinding',
      'argocd-manager-role-binding',
      'argocd-manager-role',
      'ServiceAccount "argocd-manager/kube-system"',
    ),
  );
  const old = pods.filter((p) => p.workload === state.key && p.deletedAt > time);
  const containers = state.containers.map((c, i) => (i === 0 ? bumpVersion(c, rng) : c));
  state.containers = containers;
  state.generation++;
  let t = time;
  audit.emit(rng, t, manager, agent.ip, {
    verb: 'patch',
    resource: 'deployments',
    namespace: state.spec.namespace,
    name: state.spec.name,
    query: 'fieldManager=argocd-controller&force=true',
    requestObject: workloadManifest(state),
  });
  state.replicaSet = a.world.newReplicaSet(rng, state, containers);
  t += rng.int(30, 90);
  audit.emit(rng, t, ids.controller('deployment-controller'), CONTROLLER_MANAGER_IP, {
    verb: 'create',
    resource: 'replicasets',
    namespace: state.spec.namespace,
    requestObject: replicaSetBody(state, state.replicaSet),
  });
  t += rng.int(40, 120);
  const pod = start(state, t);
  const { request, response } = podBodies(state, pod, rng);
  audit.emit(rng, t, ids.controller('replicaset-controller'), CONTROLLER_MANAGER_IP, {
    verb: 'create',
    resource: 'pods',
    namespace: pod.namespace,
    level: 'RequestResponse',
    requestObject: request,
    responseObject: response,
  });
  audit.emit(rng, t + rng.int(4, 30), ids.component('system:kube-scheduler', 'scheduler'), SCHEDULER_IP, {
    verb: 'create',
    resource: 'pods',
    namespace: pod.namespace,
    name: pod.name,
    subresource: 'binding',
    requestObject: bindingBody(pod),
  });
  t += rng.int(2500, 7000);
  const kubeletOf = (p: Pod, at: number) => ids.node(p.node.name, p.node.instanceId, dayOf(a, at), STAGING.cluster);
  audit.emit(rng, t, kubeletOf(pod, t), pod.node.ip, {
    verb: 'patch',
    resource: 'pods',
    namespace: pod.namespace,
    name: pod.name,
    subresource: 'status',
    requestObject: runningStatusPatch(pod, t, 0, rng),
  });
  for (const gone of old) {
    t += rng.int(12_000, 20_000);
    audit.emit(rng, t, ids.controller('replicaset-controller'), CONTROLLER_MANAGER_IP, {
      verb: 'delete',
      resource: 'pods',
      namespace: gone.namespace,
      name: gone.name,
    });
    gone.deletedAt = t + rng.int(1500, 20_000);
    const stopped = gone.deletedAt - rng.int(50, 400);
    audit.emit(rng, stopped, kubeletOf(gone, stopped), gone.node.ip, {
      verb: 'patch',
      resource: 'pods',
      namespace: gone.namespace,
      name: gone.name,
      subresource: 'status',
      requestObject: terminatedStatusPatch(gone, stopped, rng),
    });
  }
  return pod;
}
