import type { AuditRequest } from './audit-log';
import { API_SERVER_INSTANCES, type ContainerSpec, OFFICE_IPS, RUNNER_PREFIXES, WORKLOADS } from './cluster';
import { HUMANS, type HumanName, type Identity, rbacReason, USER_AGENTS } from './identities';
import {
  type Activity,
  autoscale,
  CONTROLLER_MANAGER_IP,
  dayOf,
  reportPodRunning,
  rollout,
  SCHEDULER_IP,
} from './lifecycle';
import { workloadManifest } from './manifests';
import { type Prng, streamOf } from './prng';
import type { Pod } from './world';

/**
 * The cluster's ordinary days: the pipeline applying manifests and releasing, the autoscaler,
 * EKS's own agents, the kubelets and controllers, and people reading. Every identity and image
 * registry used here shows up on every day, so nothing normal is new once learning ends.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Where EKS's managed agents reach the API server from. */
const EKS_AGENT_IP = '172.16.47.9';

// ---------------------------------------------------------------------------------------------
// Day plan: pipeline runs, releases, autoscaling, add-on sync. Run in time order, because each
// changes the pods that later events and flows see.

export interface PlannedAction {
  time: number;
  label: string;
  run: (rng: Prng, time: number) => void;
}

/**
 * What every day brings whoever deploys: shop/web follows its traffic (up around midday, down in
 * the evening), and the add-on manager syncs in the early morning. Draws from `rng` in a fixed
 * order, so a scenario that plans them keeps its bytes.
 */
export function dailyChores(a: Activity, rng: Prng, day: number, dayStart: number): PlannedAction[] {
  const peak = rng.int(4, 5);
  return [
    {
      time: dayStart + 10 * HOUR + rng.int(30 * MINUTE, 150 * MINUTE),
      label: `hpa-up-${day}`,
      run: (r, t) => autoscale(a, r, 'shop/web', t, peak * a.world.replicas),
    },
    {
      time: dayStart + 20 * HOUR + rng.int(0, 150 * MINUTE),
      label: `hpa-down-${day}`,
      run: (r, t) => autoscale(a, r, 'shop/web', t, 3 * a.world.replicas),
    },
    {
      time: dayStart + 3 * HOUR + rng.int(0, 120 * MINUTE),
      label: `addon-sync-${day}`,
      run: (r, t) => addonSync(a, r, t),
    },
  ];
}

/** Plans and runs the changes of every day, in time order. */
export function planChanges(a: Activity): void {
  const actions: PlannedAction[] = [];
  for (let day = 1; day <= a.days; day++) {
    const dayStart = a.start + (day - 1) * DAY;
    const weekday = new Date(dayStart).getUTCDay();
    const rng = streamOf(a.seed, 'plan', day);
    // The nightly pipeline re-applies every manifest, so the CI identity acts every day.
    actions.push({
      time: dayStart + 2 * HOUR + rng.int(0, 10 * MINUTE),
      label: `ci-nightly-${day}`,
      run: (r, t) => pipelineRun(a, r, t),
    });
    const releases = WORKLOADS.filter((w) => w.releaseWeekdays?.includes(weekday));
    const slots = rng.sample([9, 10, 11, 13, 14, 15, 16], releases.length).sort((x, y) => x - y);
    releases.forEach((w, i) => {
      const key = `${w.namespace}/${w.name}`;
      actions.push({
        time: dayStart + (slots[i] as number) * HOUR + rng.int(0, 50 * MINUTE),
        label: `ci-release-${day}-${key}`,
        run: (r, t) => pipelineRun(a, r, t, key),
      });
    });
    actions.push(...dailyChores(a, rng, day, dayStart));
  }
  actions.sort((x, y) => x.time - y.time);
  for (const action of actions) action.run(streamOf(a.seed, 'action', action.label), action.time);
}

export function bumpVersion(container: ContainerSpec, rng: Prng): ContainerSpec {
  const at = container.image.lastIndexOf(':');
  const [major, minor, patch] = container.image
    .slice(at + 1)
    .split('.')
    .map(Number) as [number, number, number];
  const next = rng.chance(0.2) ? `${major}.${minor + 1}.0` : `${major}.${minor}.${patch + 1}`;
  return { ...container, image: `${container.image.slice(0, at)}:${next}` };
}

/** Services and the Ingress the pipeline applies next to the workloads. */
export const SERVICES = [
  { namespace: 'shop', name: 'web', port: 8080 },
  { namespace: 'shop', name: 'cart', port: 8080 },
  { namespace: 'shop', name: 'redis', port: 6379 },
  { namespace: 'payments', name: 'api', port: 8443 },
  { namespace: 'monitoring', name: 'prometheus', port: 9090 },
] as const;

export function serviceManifest(s: (typeof SERVICES)[number]): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, namespace: s.namespace },
    spec: {
      type: 'ClusterIP',
      selector: { 'app.kubernetes.io/name': s.name },
      ports: [{ name: 'http', port: s.port, targetPort: s.port, protocol: 'TCP' }],
    },
  };
}

export const INGRESS = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: {
    name: 'web',
    namespace: 'shop',
    annotations: {
      'alb.ingress.kubernetes.io/scheme': 'internet-facing',
      'alb.ingress.kubernetes.io/target-type': 'ip',
      'alb.ingress.kubernetes.io/listen-ports': '[{"HTTPS":443}]',
    },
  },
  spec: {
    ingressClassName: 'alb',
    rules: [
      {
        host: 'shop.example.com',
        http: {
          paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 8080 } } } }],
        },
      },
    ],
  },
};

const APPLY_QUERY = 'fieldManager=kubectl&fieldValidation=Strict&force=false';

/**
 * One run of the deployment pipeline: discovery, then a server-side apply of every manifest.
 * With `releaseKey`, that Deployment gets a new image tag and rolls out, and the pipeline waits
 * for the rollout.
 */
export function pipelineRun(a: Activity, rng: Prng, time: number, releaseKey?: string): void {
  const who = a.ids.cicd(dayOf(a, time));
  const ip = `${rng.pick(RUNNER_PREFIXES)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
  let t = time;
  a.audit.emit(rng, t, who, ip, { verb: 'get', path: '/api', query: 'timeout=32s' });
  t += rng.int(30, 90);
  a.audit.emit(rng, t, who, ip, { verb: 'get', path: '/apis', query: 'timeout=32s' });
  for (const spec of WORKLOADS.filter((w) => w.managedBy === 'cicd')) {
    t += rng.int(150, 700);
    const key = `${spec.namespace}/${spec.name}`;
    const state = a.world.workload(key);
    const released = key === releaseKey;
    const containers = released
      ? state.containers.map((c, i) => (i === 0 ? bumpVersion(c, rng) : c))
      : state.containers;
    a.audit.emit(rng, t, who, ip, {
      verb: 'patch',
      resource: spec.kind === 'Deployment' ? 'deployments' : 'daemonsets',
      namespace: spec.namespace,
      name: spec.name,
      query: APPLY_QUERY,
      requestObject: workloadManifest({ ...state, containers }),
    });
    if (!released) continue;
    rollout(a, rng, key, t + rng.int(30, 80), containers);
    for (const wait of [1500, 9000, 21_000, 30_000]) {
      a.audit.emit(rng, t + wait + rng.int(0, 800), who, ip, {
        verb: 'get',
        resource: 'deployments',
        namespace: spec.namespace,
        name: spec.name,
      });
    }
  }
  for (const service of SERVICES) {
    t += rng.int(150, 500);
    a.audit.emit(rng, t, who, ip, {
      verb: 'patch',
      resource: 'services',
      namespace: service.namespace,
      name: service.name,
      query: APPLY_QUERY,
      requestObject: serviceManifest(service),
    });
  }
  t += rng.int(150, 500);
  a.audit.emit(rng, t, who, ip, {
    verb: 'patch',
    resource: 'ingresses',
    namespace: 'shop',
    name: 'web',
    query: APPLY_QUERY,
    requestObject: INGRESS,
  });
}

/**
 * EKS's add-on manager re-applying the managed add-ons (VPC CNI, kube-proxy, CoreDNS,
 * metrics-server) with server-side apply, including the CNI's RBAC objects: RBAC changes by the
 * platform itself, which Driftwatch reports at info severity.
 */
export function addonSync(a: Activity, rng: Prng, time: number): void {
  const who = a.ids.eks('addon-manager', USER_AGENTS.addonManager);
  const query = 'fieldManager=eks&force=true';
  let t = time;
  for (const spec of WORKLOADS.filter((w) => w.managedBy === 'eks-addon')) {
    t += rng.int(200, 900);
    a.audit.emit(rng, t, who, EKS_AGENT_IP, {
      verb: 'patch',
      resource: spec.kind === 'Deployment' ? 'deployments' : 'daemonsets',
      namespace: spec.namespace,
      name: spec.name,
      query,
      requestObject: workloadManifest(a.world.workload(`${spec.namespace}/${spec.name}`)),
    });
  }
  t += rng.int(200, 900);
  a.audit.emit(rng, t, who, EKS_AGENT_IP, {
    verb: 'patch',
    resource: 'serviceaccounts',
    namespace: 'kube-system',
    name: 'aws-node',
    query,
    requestObject: {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'aws-node', namespace: 'kube-system' },
    },
  });
  t += rng.int(200, 900);
  a.audit.emit(rng, t, who, EKS_AGENT_IP, {
    verb: 'patch',
    resource: 'clusterroles',
    name: 'aws-node',
    query,
    requestObject: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'aws-node' },
      rules: [
        { apiGroups: ['crd.k8s.amazonaws.com'], resources: ['eniconfigs'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['namespaces', 'pods', 'nodes'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['vpcresources.k8s.aws'], resources: ['cninodes'], verbs: ['get', 'list', 'patch'] },
      ],
    },
  });
  t += rng.int(200, 900);
  a.audit.emit(rng, t, who, EKS_AGENT_IP, {
    verb: 'patch',
    resource: 'clusterrolebindings',
    name: 'aws-node',
    query,
    requestObject: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'aws-node' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'aws-node' },
      subjects: [{ kind: 'ServiceAccount', name: 'aws-node', namespace: 'kube-system' }],
    },
  });
}

// ---------------------------------------------------------------------------------------------
// People.

interface HumanHabits {
  namespaces: string[];
  weekdaySessions: [number, number];
}

const HABITS: Record<HumanName, HumanHabits> = {
  alice: { namespaces: ['shop', 'payments', 'monitoring', 'kube-system'], weekdaySessions: [2, 4] },
  bob: { namespaces: ['shop', 'payments'], weekdaySessions: [3, 5] },
  carol: { namespaces: ['shop', 'monitoring'], weekdaySessions: [2, 3] },
};

/** A person's reads during one sitting: listing and describing pods, reading logs, events, deployments. */
export function humanSession(a: Activity, rng: Prng, name: HumanName, time: number, ip: string): void {
  const day = dayOf(a, time);
  const habits = HABITS[name];
  let t = time;
  const send = (request: AuditRequest, namespace?: string) => {
    const who: Identity = a.ids.human(name, day, namespace);
    a.audit.emit(rng, t, who, ip, request);
    t += rng.int(2000, 45_000);
  };
  if (rng.chance(0.5)) send({ verb: 'get', path: '/api', query: 'timeout=32s' });
  const steps = rng.int(3, 9);
  for (let i = 0; i < steps; i++) {
    const ns = rng.pick(habits.namespaces);
    const key = rng.pick(WORKLOADS.filter((w) => w.namespace === ns).map((w) => `${w.namespace}/${w.name}`));
    const pod = rng.pick([...a.world.live(key, t), undefined]);
    const roll = rng.next();
    if (roll < 0.3) {
      send({ verb: 'list', resource: 'pods', namespace: ns, query: 'limit=500' }, ns);
    } else if (roll < 0.45 && pod) {
      send({ verb: 'get', resource: 'pods', namespace: ns, name: pod.name }, ns);
      send(
        {
          verb: 'list',
          resource: 'events',
          namespace: ns,
          query: `fieldSelector=involvedObject.name%3D${pod.name}%2CinvolvedObject.namespace%3D${ns}%2CinvolvedObject.uid%3D${pod.uid}`,
        },
        ns,
      );
    } else if (roll < 0.62 && pod) {
      send(
        {
          verb: 'get',
          resource: 'pods',
          namespace: ns,
          name: pod.name,
          subresource: 'log',
          query: `container=${pod.containers[0]?.name ?? ''}&tailLines=200`,
          latencyMs: rng.int(20, 400),
        },
        ns,
      );
    } else if (roll < 0.74) {
      send({ verb: 'list', resource: 'deployments', namespace: ns, query: 'limit=500' }, ns);
    } else if (roll < 0.82) {
      send({ verb: 'get', resource: 'deployments', namespace: ns, name: key.split('/')[1] }, ns);
    } else if (roll < 0.9) {
      send({ verb: 'list', resource: 'events', namespace: ns, query: 'limit=500' }, ns);
    } else if (roll < 0.95) {
      send({ verb: 'list', resource: 'nodes', query: 'limit=500' });
    } else {
      send({ verb: 'list', resource: 'namespaces', query: 'limit=500' });
    }
  }
}

/** Everyone's sittings of one day: more on weekdays, an on-call look at weekends. */
export function peopleOfDay(a: Activity, day: number): void {
  const dayStart = a.start + (day - 1) * DAY;
  const weekend = [0, 6].includes(new Date(dayStart).getUTCDay());
  for (const name of Object.keys(HUMANS) as HumanName[]) {
    const rng = streamOf(a.seed, 'people', day, name);
    const [low, high] = weekend ? [1, 1] : HABITS[name].weekdaySessions;
    const sessions = rng.int(low, high);
    for (let i = 0; i < sessions; i++) {
      const hour = weekend ? rng.int(9, 18) : rng.int(7, 16);
      const time = dayStart + hour * HOUR + rng.int(0, 55 * MINUTE);
      const ip = !weekend && rng.chance(0.7) ? OFFICE_IPS.office : OFFICE_IPS.vpn;
      humanSession(a, rng, name, time, ip);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Kubelets re-reporting pod status.

/**
 * Each kubelet re-reports the status of its pods about once a day (readiness changes, restarts),
 * on day 1 within the first minutes, so that every pod IP in the flow logs maps to a pod.
 */
export function podStatusOfDay(a: Activity, day: number): void {
  const dayStart = a.start + (day - 1) * DAY;
  const dayEnd = dayStart + DAY;
  const rng = streamOf(a.seed, 'pod-status', day);
  for (const pod of a.world.podsBetween(dayStart, dayEnd)) {
    if (!pod.normal || pod.createdAt >= dayStart) continue;
    const to = Math.min(pod.deletedAt, dayEnd) - MINUTE;
    const from = dayStart;
    if (to <= from) continue;
    const time = day === 1 ? from + rng.int(5_000, Math.min(15 * MINUTE, to - from)) : rng.int(from, to);
    reportPodRunning(a, rng, pod, time, rng.chance(0.1) ? rng.int(1, 3) : 0);
  }
}

// ---------------------------------------------------------------------------------------------
// The steady hum of every hour.

function watchQuery(rng: Prng, seconds: number, selector?: string): string {
  const minutes = Math.floor(seconds / 60);
  return (
    `allowWatchBookmarks=true${selector ? `&fieldSelector=${selector}` : ''}` +
    `&resourceVersion=${rng.digits(8)}&timeout=${minutes}m${seconds % 60}s&timeoutSeconds=${seconds}&watch=true`
  );
}

/** The pod of a workload a client runs in, at `time`. */
function podOf(a: Activity, key: string, time: number, rng: Prng): Pod | undefined {
  const pods = a.world.live(key, time);
  return pods.length > 0 ? rng.pick(pods) : undefined;
}

interface InClusterClient {
  workload: string;
  serviceAccount: [string, string];
  userAgent: string;
  binding: [string, string];
  watches: { resource: string; group?: string; version?: string }[];
}

const IN_CLUSTER_CLIENTS: InClusterClient[] = [
  {
    workload: 'kube-system/coredns',
    serviceAccount: ['kube-system', 'coredns'],
    userAgent: USER_AGENTS.coredns,
    binding: ['system:coredns', 'system:coredns'],
    watches: [{ resource: 'endpointslices' }, { resource: 'services' }, { resource: 'namespaces' }],
  },
  {
    workload: 'kube-system/kube-proxy',
    serviceAccount: ['kube-system', 'kube-proxy'],
    userAgent: USER_AGENTS.kubeProxy,
    binding: ['eks:kube-proxy', 'system:node-proxier'],
    watches: [{ resource: 'services' }, { resource: 'endpointslices' }],
  },
  {
    workload: 'kube-system/aws-node',
    serviceAccount: ['kube-system', 'aws-node'],
    userAgent: USER_AGENTS.awsNode,
    binding: ['aws-node', 'aws-node'],
    watches: [{ resource: 'pods' }],
  },
  {
    workload: 'kube-system/aws-load-balancer-controller',
    serviceAccount: ['kube-system', 'aws-load-balancer-controller'],
    userAgent: USER_AGENTS.loadBalancerController,
    binding: ['aws-load-balancer-controller-rolebinding', 'aws-load-balancer-controller-role'],
    watches: [{ resource: 'services' }, { resource: 'ingresses' }, { resource: 'targetgroupbindings' }],
  },
  {
    workload: 'monitoring/prometheus',
    serviceAccount: ['monitoring', 'prometheus'],
    userAgent: USER_AGENTS.prometheus,
    binding: ['prometheus', 'prometheus'],
    watches: [{ resource: 'pods' }, { resource: 'endpoints' }, { resource: 'services' }, { resource: 'nodes' }],
  },
  {
    workload: 'monitoring/kube-state-metrics',
    serviceAccount: ['monitoring', 'kube-state-metrics'],
    userAgent: USER_AGENTS.kubeStateMetrics,
    binding: ['kube-state-metrics', 'kube-state-metrics'],
    watches: [
      { resource: 'pods' },
      { resource: 'deployments' },
      { resource: 'replicasets' },
      { resource: 'daemonsets' },
      { resource: 'nodes' },
    ],
  },
  {
    workload: 'kube-system/metrics-server',
    serviceAccount: ['kube-system', 'metrics-server'],
    userAgent: USER_AGENTS.metricsServer,
    binding: ['system:metrics-server', 'system:metrics-server'],
    watches: [{ resource: 'nodes' }],
  },
];

/** Leases, watches, status updates and EKS's agents: what the API server logs every hour. */
export function backgroundOfHour(a: Activity, hourStart: number): void {
  const rng = streamOf(a.seed, 'hour', hourStart);
  const day = dayOf(a, hourStart);
  const at = (offset: number) => hourStart + offset;
  const watch = (who: Identity, ip: string, request: Omit<AuditRequest, 'verb'>, selector?: string) => {
    const seconds = rng.int(300, 580);
    const end = at(rng.int(0, HOUR - 1000));
    const begin = Math.max(a.start, end - seconds * 1000);
    a.audit.emit(rng, begin, who, ip, {
      ...request,
      verb: 'watch',
      query: watchQuery(rng, seconds, selector),
      latencyMs: end - begin,
    });
  };

  // Kubelets: node leases every ten minutes, node status, their watches.
  for (const node of a.world.nodes) {
    const kubelet = a.ids.node(node.name, node.instanceId, day);
    // The kubelet renews every 10 seconds; the scenario keeps one renewal in 30.
    const phase = streamOf(a.seed, 'lease-phase', node.name).int(500, 290_000);
    for (let k = 0; k < 12; k++) {
      a.audit.emit(rng, at(phase + k * 5 * MINUTE + rng.int(0, 400)), kubelet, node.ip, {
        verb: 'update',
        resource: 'leases',
        namespace: 'kube-node-lease',
        name: node.name,
        query: 'timeout=10s',
      });
    }
    a.audit.emit(rng, at(rng.int(0, HOUR - 1000)), kubelet, node.ip, {
      verb: 'patch',
      resource: 'nodes',
      name: node.name,
      subresource: 'status',
      query: 'timeout=10s',
    });
    watch(kubelet, node.ip, { resource: 'pods' }, `spec.nodeName%3D${node.name}`);
    const namespace = rng.pick(['shop', 'payments', 'monitoring', 'kube-system']);
    watch(kubelet, node.ip, { resource: 'configmaps', namespace }, 'metadata.name%3Dkube-root-ca.crt');
  }

  // Leader election of the control plane and of the load balancer controller.
  const leases: [Identity, string, string, number][] = [
    [
      a.ids.component('system:kube-controller-manager', 'leader-election'),
      CONTROLLER_MANAGER_IP,
      'kube-controller-manager',
      12,
    ],
    [a.ids.component('system:kube-scheduler', 'leader-election'), SCHEDULER_IP, 'kube-scheduler', 12],
    [
      a.ids.eks('cloud-controller-manager', USER_AGENTS.cloudControllerManager),
      EKS_AGENT_IP,
      'cloud-controller-manager',
      3,
    ],
  ];
  API_SERVER_INSTANCES.forEach((instance, i) => {
    leases.push([a.ids.apiserver(i), '::1', `apiserver-${instance.leaseHash}`, 3]);
  });
  for (const [who, ip, name, count] of leases) {
    const phase = rng.int(0, Math.floor(HOUR / count) - 1000);
    for (let k = 0; k < count; k++) {
      const conflict = rng.chance(0.01);
      a.audit.emit(rng, at(phase + (k * HOUR) / count), who, ip, {
        verb: 'update',
        resource: 'leases',
        namespace: 'kube-system',
        name,
        query: 'timeout=5s',
        ...(conflict
          ? {
              code: 409,
              failure: {
                reason: 'Conflict',
                message: `Operation cannot be fulfilled on leases.coordination.k8s.io "${name}": the object has been modified; please apply your changes to the latest version and try again`,
              },
            }
          : {}),
      });
    }
  }
  const lbc = podOf(a, 'kube-system/aws-load-balancer-controller', hourStart, rng);
  if (lbc) {
    const who = inClusterIdentity(a, IN_CLUSTER_CLIENTS[3] as InClusterClient, lbc);
    for (let k = 0; k < 3; k++) {
      a.audit.emit(rng, at(k * 20 * MINUTE + rng.int(0, 60_000)), who, lbc.ip, {
        verb: 'update',
        resource: 'leases',
        namespace: 'kube-system',
        name: 'aws-load-balancer-controller-leader',
        query: 'timeout=5s',
      });
    }
  }

  // In-cluster clients re-establishing their watches.
  for (const client of IN_CLUSTER_CLIENTS) {
    for (const w of client.watches) {
      const pod = podOf(a, client.workload, hourStart + 30 * MINUTE, rng);
      if (!pod) continue;
      const selector = client.workload === 'kube-system/aws-node' ? `spec.nodeName%3D${pod.node.name}` : undefined;
      watch(inClusterIdentity(a, client, pod), pod.ip, { resource: w.resource }, selector);
    }
  }

  // Controllers of the controller manager that poll or watch on their own.
  const hpa = a.ids.controller('horizontal-pod-autoscaler');
  for (let k = 0; k < 2; k++) {
    a.audit.emit(rng, at(k * 30 * MINUTE + rng.int(0, 29 * MINUTE)), hpa, CONTROLLER_MANAGER_IP, {
      verb: 'list',
      resource: 'pods',
      group: 'metrics.k8s.io',
      version: 'v1beta1',
      namespace: 'shop',
      query: 'labelSelector=app.kubernetes.io%2Fname%3Dweb',
    });
  }
  const gc = a.ids.controller('generic-garbage-collector');
  watch(gc, CONTROLLER_MANAGER_IP, { resource: 'replicasets' });
  watch(gc, CONTROLLER_MANAGER_IP, { resource: 'pods' });

  // EKS's agents.
  const certificates = a.ids.eks('certificate-controller', USER_AGENTS.certificateController);
  a.audit.emit(rng, at(rng.int(0, HOUR - 1000)), certificates, EKS_AGENT_IP, {
    verb: 'list',
    resource: 'certificatesigningrequests',
    query: 'limit=500',
  });
  a.audit.emit(rng, at(rng.int(0, HOUR - 1000)), certificates, EKS_AGENT_IP, {
    verb: 'get',
    resource: 'configmaps',
    namespace: 'kube-system',
    name: 'extension-apiserver-authentication',
  });
  const metrics = a.ids.eks('k8s-metrics', USER_AGENTS.k8sMetrics);
  for (let k = 0; k < 2; k++) {
    a.audit.emit(rng, at(k * 30 * MINUTE + rng.int(0, 29 * MINUTE)), metrics, EKS_AGENT_IP, {
      verb: 'get',
      path: '/metrics',
    });
  }
  watch(
    a.ids.eks('authenticator', USER_AGENTS.authenticator),
    EKS_AGENT_IP,
    { resource: 'configmaps', namespace: 'kube-system' },
    'metadata.name%3Daws-auth',
  );
  a.audit.emit(
    rng,
    at(rng.int(0, HOUR - 1000)),
    a.ids.eks('cloud-controller-manager', USER_AGENTS.cloudControllerManager),
    EKS_AGENT_IP,
    { verb: 'list', resource: 'nodes', query: 'limit=500' },
  );
  a.audit.emit(rng, at(rng.int(0, HOUR - 1000)), a.ids.eks('addon-manager', USER_AGENTS.addonManager), EKS_AGENT_IP, {
    verb: 'get',
    resource: 'daemonsets',
    namespace: 'kube-system',
    name: 'aws-node',
  });
}

function inClusterIdentity(a: Activity, client: InClusterClient, pod: Pod): Identity {
  const [namespace, name] = client.serviceAccount;
  return a.ids.serviceAccount(
    namespace,
    name,
    client.userAgent,
    { name: pod.name, uid: pod.uid, node: pod.node.name },
    rbacReason('ClusterRoleBinding', client.binding[0], client.binding[1], `ServiceAccount "${name}/${namespace}"`),
  );
}
