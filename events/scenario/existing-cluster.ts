import { API_SERVER_IPS, ARGOCD, EXTERNAL, WORKLOADS } from './cluster';
import type { FlowLog } from './flow-log';
import { type Identity, rbacReason, USER_AGENTS } from './identities';
import { type Activity, reportPodRunning, rollout } from './lifecycle';
import { workloadManifest } from './manifests';
import { bumpVersion, dailyChores, INGRESS, type PlannedAction, SERVICES, serviceManifest } from './normal-life';
import { type Prng, streamOf } from './prng';
import { externalCall, internalCall } from './traffic';
import type { Pod, World } from './world';

/**
 * The `existing-cluster` variant of `shop-prod`'s life: logging starts on a cluster that has run
 * for months. Its pods started long before the first log, and the kubelets report only changes,
 * so no audit record names them or their addresses during the learning period. Argo CD's
 * application controller, not the CI pipeline, applies the manifests every day; releases resume
 * on day 8, when three workloads get their first rollout of the scenario.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WINDOW_SECONDS = 600;

/** Days of the learning period: no pod of the cluster's own workloads is named in them. */
export const LEARNING_DAYS = 7;
/** Workloads whose first rollout of the scenario comes on day 8, by the GitOps agent. */
export const FIRST_ROLLOUTS = ['shop/cart', 'payments/api', 'payments/worker'] as const;
/** The workload whose pod restarts a container on day 8, without a rollout. */
export const RESTARTED_WORKLOAD = 'shop/redis';
export const ARGOCD_KEY = `${ARGOCD.namespace}/${ARGOCD.name}`;
export const ARGOCD_USER = `system:serviceaccount:${ARGOCD.namespace}:${ARGOCD.serviceAccount}`;

/** The Argo CD installation, running since before the scenario like everything else. */
export function addGitOpsAgent(world: World): void {
  world.addInitialWorkload(streamOf(world.seed, 'world', ARGOCD_KEY), ARGOCD);
}

/** The agent's pod at `time`: the variant never restarts it, so its address is constant. */
export function agentPod(a: Activity, time: number): Pod {
  const pod = a.world.live(ARGOCD_KEY, time)[0];
  if (!pod) throw new Error('no Argo CD application controller pod');
  return pod;
}

function agentIdentity(a: Activity, pod: Pod): Identity {
  return a.ids.serviceAccount(
    ARGOCD.namespace,
    ARGOCD.serviceAccount,
    USER_AGENTS.argocd,
    { name: pod.name, uid: pod.uid, node: pod.node.name },
    rbacReason(
      'ClusterRoleBinding',
      ARGOCD.serviceAccount,
      ARGOCD.serviceAccount,
      `ServiceAccount "${ARGOCD.serviceAccount}/${ARGOCD.namespace}"`,
    ),
  );
}

const APPLY_QUERY = 'fieldManager=argocd-controller&force=true';

function tracked<T extends Record<string, unknown>>(body: T, kind: string, namespace: string, name: string): T {
  const metadata = body.metadata as Record<string, unknown>;
  metadata.annotations = { 'argocd.argoproj.io/tracking-id': `shop-prod:apps/${kind}:${namespace}/${name}` };
  return body;
}

/**
 * One sync of the `shop-prod` application: Argo CD reads its repository credentials (Secrets of
 * its own namespace only), then server-side applies every manifest. With `releaseKey`, that
 * Deployment's first container gets a new tag of the same repository and rolls out.
 */
export function gitOpsSync(a: Activity, rng: Prng, time: number, releaseKey?: string): void {
  const pod = agentPod(a, time);
  const who = agentIdentity(a, pod);
  let t = time;
  a.audit.emit(rng, t, who, pod.ip, {
    verb: 'list',
    resource: 'secrets',
    namespace: ARGOCD.namespace,
    query: 'labelSelector=argocd.argoproj.io%2Fsecret-type%3Drepository',
  });
  t += rng.int(20, 90);
  a.audit.emit(rng, t, who, pod.ip, {
    verb: 'get',
    resource: 'secrets',
    namespace: ARGOCD.namespace,
    name: 'argocd-secret',
  });
  for (const spec of WORKLOADS.filter((w) => w.managedBy === 'cicd')) {
    t += rng.int(150, 700);
    const key = `${spec.namespace}/${spec.name}`;
    const state = a.world.workload(key);
    const released = key === releaseKey;
    const containers = released
      ? state.containers.map((c, i) => (i === 0 ? bumpVersion(c, rng) : c))
      : state.containers;
    a.audit.emit(rng, t, who, pod.ip, {
      verb: 'patch',
      resource: spec.kind === 'Deployment' ? 'deployments' : 'daemonsets',
      namespace: spec.namespace,
      name: spec.name,
      query: APPLY_QUERY,
      requestObject: tracked(workloadManifest({ ...state, containers }), spec.kind, spec.namespace, spec.name),
    });
    if (released) rollout(a, rng, key, t + rng.int(30, 80), containers, true);
  }
  for (const service of SERVICES) {
    t += rng.int(150, 500);
    a.audit.emit(rng, t, who, pod.ip, {
      verb: 'patch',
      resource: 'services',
      namespace: service.namespace,
      name: service.name,
      query: APPLY_QUERY,
      requestObject: tracked(serviceManifest(service), 'Service', service.namespace, service.name),
    });
  }
  t += rng.int(150, 500);
  a.audit.emit(rng, t, who, pod.ip, {
    verb: 'patch',
    resource: 'ingresses',
    namespace: 'shop',
    name: 'web',
    query: APPLY_QUERY,
    requestObject: tracked(structuredClone(INGRESS), 'Ingress', 'shop', 'web'),
  });
}

/**
 * Plans and runs the changes of every day, in time order: the agent's daily sync, releases
 * from day 8 on, autoscaling and the add-on manager as in the default scenario, and on day 8 a
 * container restart of {@link RESTARTED_WORKLOAD}'s pod.
 */
export function planExistingClusterChanges(a: Activity): void {
  const actions: PlannedAction[] = [];
  for (let day = 1; day <= a.days; day++) {
    const dayStart = a.start + (day - 1) * DAY;
    const weekday = new Date(dayStart).getUTCDay();
    const rng = streamOf(a.seed, 'gitops-plan', day);
    actions.push({
      time: dayStart + 2 * HOUR + rng.int(0, 10 * MINUTE),
      label: `argocd-sync-${day}`,
      run: (r, t) => gitOpsSync(a, r, t),
    });
    let releases: string[] = [];
    if (day === LEARNING_DAYS + 1) releases = [...FIRST_ROLLOUTS];
    else if (day > LEARNING_DAYS + 1) {
      releases = WORKLOADS.filter((w) => w.releaseWeekdays?.includes(weekday)).map((w) => `${w.namespace}/${w.name}`);
    }
    const slots = rng.sample([9, 10, 11, 13, 14, 15, 16], releases.length).sort((x, y) => x - y);
    releases.forEach((key, i) => {
      actions.push({
        time: dayStart + (slots[i] as number) * HOUR + rng.int(0, 50 * MINUTE),
        label: `argocd-release-${day}-${key}`,
        run: (r, t) => gitOpsSync(a, r, t, key),
      });
    });
    if (day === LEARNING_DAYS + 1) {
      actions.push({
        time: dayStart + 17 * HOUR + rng.int(0, 50 * MINUTE),
        label: `restart-${day}`,
        run: (r, t) => {
          for (const pod of a.world.live(RESTARTED_WORKLOAD, t)) reportPodRunning(a, r, pod, t, 1);
        },
      });
    }
    actions.push(...dailyChores(a, rng, day, dayStart));
  }
  actions.sort((x, y) => x.time - y.time);
  for (const action of actions) action.run(streamOf(a.seed, 'gitops-action', action.label), action.time);
}

/**
 * Kubelets report only changes: after the learning period, now and then a pod that ran from
 * before the scenario restarts a container. Pods started during the scenario were reported
 * when they started.
 */
export function podRestartsOfDay(a: Activity, day: number): void {
  if (day <= LEARNING_DAYS + 1) return;
  const dayStart = a.start + (day - 1) * DAY;
  const rng = streamOf(a.seed, 'pod-restarts', day);
  for (const pod of a.world.podsBetween(dayStart, dayStart + DAY)) {
    if (!pod.normal || pod.createdAt >= a.start || !rng.chance(0.1)) continue;
    const to = Math.min(pod.deletedAt, dayStart + DAY) - MINUTE;
    if (to <= dayStart) continue;
    const time = rng.int(dayStart, to);
    reportPodRunning(a, rng, pod, time, rng.int(1, 3));
  }
}

/** The agent's own traffic: its watch connections to the API server, and an hourly git fetch from GitHub. */
export function gitOpsTrafficOfHour(a: Activity, log: FlowLog, hourStart: number): void {
  const pod = agentPod(a, hourStart);
  for (let i = 0; i < 6; i++) {
    const rng = streamOf(a.seed, 'flow-argocd', hourStart, i);
    const w = { start: hourStart / 1000 + i * WINDOW_SECONDS, rng };
    internalCall(log, w, {
      client: pod,
      server: rng.pick(API_SERVER_IPS),
      port: 443,
      longLived: true,
      bytes: [8_000, 90_000],
    });
    if (i > 0) continue;
    const host = `${EXTERNAL.github.block}.${rng.pick(EXTERNAL.github.hosts)}`;
    externalCall(log, w, { client: pod, server: host, port: 443, bytes: [2_500, 30_000] });
  }
}
