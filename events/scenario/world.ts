import { type ContainerSpec, NODES, type NodeSpec, WORKLOADS, type WorkloadSpec } from './cluster';
import { type Prng, streamOf } from './prng';

/** The alphabet Kubernetes uses for generated name suffixes and pod-template hashes. */
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const DAY_MS = 86_400_000;
/** Pod IPs come from this range of each node's subnet (secondary IPs of the node's interface). */
const POD_OCTETS = { first: 20, last: 250 } as const;

export interface Owner {
  kind: 'ReplicaSet' | 'DaemonSet';
  name: string;
  uid: string;
}

export interface Pod {
  namespace: string;
  name: string;
  uid: string;
  /** `namespace/name` of its Deployment or DaemonSet. */
  workload: string;
  node: NodeSpec;
  ip: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms; Infinity while it outlives the scenario. */
  deletedAt: number;
  containers: ContainerSpec[];
  owner: Owner;
  serviceAccount: string;
  hostNetwork: boolean;
  labels: Record<string, string>;
  /** False for pods an incident started: normal traffic never involves them. */
  normal: boolean;
}

export interface ReplicaSetState {
  name: string;
  uid: string;
  hash: string;
  revision: number;
  containers: ContainerSpec[];
}

/** A Deployment or DaemonSet and what it currently runs. */
export interface WorkloadState {
  key: string;
  spec: WorkloadSpec;
  uid: string;
  containers: ContainerSpec[];
  replicas: number;
  replicaSet?: ReplicaSetState;
  generation: number;
}

export function labelsOf(spec: Pick<WorkloadSpec, 'name' | 'namespace'>): Record<string, string> {
  return { 'app.kubernetes.io/name': spec.name, 'app.kubernetes.io/part-of': spec.namespace };
}

/** A Deployment with `factor` times its replicas and autoscaler bounds; the spec itself at 1. */
function scaled(spec: WorkloadSpec, factor: number): WorkloadSpec {
  if (factor === 1 || spec.kind !== 'Deployment') return spec;
  const { replicas, autoscaling } = spec;
  return {
    ...spec,
    ...(replicas === undefined ? {} : { replicas: replicas * factor }),
    ...(autoscaling ? { autoscaling: { min: autoscaling.min * factor, max: autoscaling.max * factor } } : {}),
  };
}

/**
 * The cluster's pods over time. Planned up front (releases, autoscaling, incidents), then read
 * by the audit and flow generators, so a flow always comes from a pod that exists at that time.
 */
export class World {
  /** The cluster's nodes: the sample's three unless scaled. */
  readonly nodes: readonly NodeSpec[];
  /** What every Deployment's replica count (and the autoscaler's) is multiplied by. */
  readonly replicas: number;
  readonly workloads = new Map<string, WorkloadState>();
  private readonly podsByWorkload = new Map<string, Pod[]>();
  private readonly podsByIp = new Map<string, Pod[]>();
  private readonly nextOctet = new Map<string, number>();

  constructor(
    readonly seed: number,
    readonly start: number,
    shape: { nodes: readonly NodeSpec[]; replicas: number } = { nodes: NODES, replicas: 1 },
  ) {
    this.nodes = shape.nodes;
    this.replicas = shape.replicas;
    const rng = streamOf(seed, 'world');
    for (const node of this.nodes) this.nextOctet.set(node.name, rng.int(POD_OCTETS.first, POD_OCTETS.last));
    for (const spec of WORKLOADS) this.addInitialWorkload(rng, scaled(spec, this.replicas));
  }

  /** Adds a workload that already ran, with its pods, days before the scenario starts. */
  addInitialWorkload(rng: Prng, spec: WorkloadSpec): void {
    const key = `${spec.namespace}/${spec.name}`;
    const state: WorkloadState = {
      key,
      spec,
      uid: rng.uuid(),
      containers: spec.containers.map((c) => ({ ...c })),
      replicas: spec.replicas ?? this.nodes.length,
      generation: rng.int(3, 40),
    };
    this.workloads.set(key, state);
    const createdAt = this.start - rng.int(2 * DAY_MS, 20 * DAY_MS);
    if (spec.kind === 'DaemonSet') {
      const owner: Owner = { kind: 'DaemonSet', name: spec.name, uid: state.uid };
      for (const node of this.nodes) this.addPod(rng, state, owner, node, createdAt + rng.int(0, 60_000), true);
      return;
    }
    state.replicaSet = this.newReplicaSet(rng, state, state.containers);
    const owner: Owner = { kind: 'ReplicaSet', name: state.replicaSet.name, uid: state.replicaSet.uid };
    const offset = rng.int(0, this.nodes.length - 1);
    const nodes = this.nodes;
    for (let i = 0; i < state.replicas; i++) {
      this.addPod(rng, state, owner, nodes[(offset + i) % nodes.length] as NodeSpec, createdAt + i * 4000, true);
    }
  }

  /** A new ReplicaSet for a Deployment's pod template; the caller makes it current. */
  newReplicaSet(rng: Prng, state: WorkloadState, containers: ContainerSpec[]): ReplicaSetState {
    const hash = rng.chars(NAME_ALPHABET, rng.int(9, 10));
    return {
      name: `${state.spec.name}-${hash}`,
      uid: rng.uuid(),
      hash,
      revision: (state.replicaSet?.revision ?? rng.int(4, 30)) + 1,
      containers,
    };
  }

  /** Starts a pod of `state` on `node` at `createdAt`, with a fresh IP unless it uses the host network. */
  addPod(rng: Prng, state: WorkloadState, owner: Owner, node: NodeSpec, createdAt: number, normal: boolean): Pod {
    const spec = state.spec;
    const hostNetwork = spec.hostNetwork === true;
    const name =
      owner.kind === 'ReplicaSet'
        ? `${owner.name}-${rng.chars(NAME_ALPHABET, 5)}`
        : `${spec.name}-${rng.chars(NAME_ALPHABET, 5)}`;
    const labels = labelsOf(spec);
    if (owner.kind === 'ReplicaSet') labels['pod-template-hash'] = owner.name.slice(spec.name.length + 1);
    const pod: Pod = {
      namespace: spec.namespace,
      name,
      uid: rng.uuid(),
      workload: state.key,
      node,
      ip: hostNetwork ? node.ip : this.allocateIp(node, createdAt),
      createdAt,
      deletedAt: Number.POSITIVE_INFINITY,
      containers: (owner.kind === 'ReplicaSet' ? state.replicaSet?.containers : undefined) ?? state.containers,
      owner,
      serviceAccount: spec.serviceAccount,
      hostNetwork,
      labels,
      normal,
    };
    let list = this.podsByWorkload.get(state.key);
    if (!list) {
      list = [];
      this.podsByWorkload.set(state.key, list);
    }
    list.push(pod);
    if (!hostNetwork) {
      const sharing = this.podsByIp.get(pod.ip) ?? [];
      sharing.push(pod);
      this.podsByIp.set(pod.ip, sharing);
    }
    return pod;
  }

  /**
   * The next free secondary IP of a node, as the VPC CNI hands them out: no other pod may hold
   * it from `from` on. IPs are not reused within the scenario unless the range wraps.
   */
  private allocateIp(node: NodeSpec, from: number): string {
    const span = POD_OCTETS.last - POD_OCTETS.first + 1;
    let octet = this.nextOctet.get(node.name) ?? POD_OCTETS.first;
    for (let tries = 0; tries < span; tries++) {
      const ip = `${node.subnet}.${octet}`;
      octet = octet >= POD_OCTETS.last ? POD_OCTETS.first : octet + 1;
      if (ip === node.ip) continue;
      const holders = this.podsByIp.get(ip) ?? [];
      if (holders.every((p) => p.deletedAt <= from)) {
        this.nextOctet.set(node.name, octet);
        return ip;
      }
    }
    throw new Error(`no free pod IP on ${node.name}`);
  }

  workload(key: string): WorkloadState {
    const state = this.workloads.get(key);
    if (!state) throw new Error(`no workload ${key}`);
    return state;
  }

  /** Adds a workload that is not part of the cluster's normal life (an incident's). */
  addWorkload(state: WorkloadState): void {
    this.workloads.set(state.key, state);
  }

  /** Pods of a workload running at `time`, by name. */
  live(key: string, time: number): Pod[] {
    return (this.podsByWorkload.get(key) ?? []).filter((p) => p.createdAt <= time && time < p.deletedAt);
  }

  /** Every pod of the cluster (not host-network) that ever held `ip`. */
  holdersOf(ip: string): readonly Pod[] {
    return this.podsByIp.get(ip) ?? [];
  }

  /** Every pod that ran at some time in [from, to). */
  podsBetween(from: number, to: number): Pod[] {
    const out: Pod[] = [];
    for (const list of this.podsByWorkload.values()) {
      for (const pod of list) if (pod.createdAt < to && pod.deletedAt > from) out.push(pod);
    }
    return out;
  }
}
