import { NAT_GATEWAY, OFFICE_IPS, type WorkloadSpec } from './cluster';
import { rbacReason } from './identities';
import type { IncidentContext, IncidentDefinition } from './incident-types';
import { AUDIT_INCIDENTS } from './incidents-audit';
import { NETWORK_INCIDENTS } from './incidents-network';
import { CONTROLLER_MANAGER_IP, dayOf, startPods, stopPods } from './lifecycle';
import { replicaSetBody, workloadManifest } from './manifests';
import { externalCall } from './traffic';
import type { Pod, WorkloadState } from './world';

export type { IncidentContext, IncidentDefinition } from './incident-types';

/** Where the attacker reaches the cluster's public API endpoint from (a documentation address). */
export const ATTACKER_IP = '203.0.113.66';
/** The mining pool the cryptominer connects to; listed in threat-lists/scenario-threats.txt. */
export const MINING_POOL = { ip: '198.51.100.77', port: 3333 } as const;
/** Where data is uploaded to on day 13: a /24 the VPC never talked to, on no list. */
export const EXFIL_HOST = { ip: '192.0.2.44', port: 443 } as const;
export const MINER_IMAGE = 'ghcr.io/xmr-tools/xmrig:6.21';

const HOUR_MS = 3_600_000;
const TOKEN_POD = 'token-pod';
const MINER_POD = 'miner-pod';
const MINER_END = 'miner-end';

/** The first normal pod of a workload alive at the incident's time. */
export function firstPod(ctx: IncidentContext, key: string): Pod {
  const pod = ctx.world
    .live(key, ctx.time)
    .filter((p) => p.normal)
    .sort((x, y) => x.name.localeCompare(y.name))[0];
  if (!pod) throw new Error(`no pod of ${key} at ${new Date(ctx.time).toISOString()}`);
  return pod;
}

const execIntoPod: IncidentDefinition = {
  id: 'exec-into-pod',
  day: 9,
  at: '14:23:07',
  description:
    'bob, a developer who normally only reads, opens a shell in a payments/api pod and prints its service ' +
    'account token (kubectl exec ... sh -c "cat /var/run/secrets/kubernetes.io/serviceaccount/token").',
  expectedRuleIds: ['audit.exec-into-pod', 'audit.suspicious-exec-command'],
  plant(ctx) {
    const { rng, time } = ctx;
    const pod = firstPod(ctx, 'payments/api');
    ctx.notes.set(TOKEN_POD, pod);
    const who = ctx.ids.human('bob', dayOf(ctx, time), 'payments');
    const ip = OFFICE_IPS.vpn;
    ctx.audit.emit(rng, time - 41_000, who, ip, {
      verb: 'list',
      resource: 'pods',
      namespace: 'payments',
      query: 'limit=500',
    });
    ctx.audit.emit(rng, time - 12_000, who, ip, {
      verb: 'get',
      resource: 'pods',
      namespace: 'payments',
      name: pod.name,
    });
    const command = ['sh', '-c', 'cat /var/run/secrets/kubernetes.io/serviceaccount/token'];
    const container = pod.containers[0]?.name ?? 'api';
    const started = ctx.audit.emit(rng, time, who, ip, {
      verb: 'create',
      resource: 'pods',
      namespace: 'payments',
      name: pod.name,
      subresource: 'exec',
      query: `${command.map((c) => `command=${encodeURIComponent(c)}`).join('&')}&container=${container}&stderr=true&stdout=true`,
      code: 101,
      stage: 'ResponseStarted',
      latencyMs: 38,
    });
    ctx.audit.restage(started, 'ResponseComplete', 1240);
    return {
      user: 'bob',
      sourceIps: [ip],
      namespace: 'payments',
      name: pod.name,
      container,
      command: command.join(' '),
    };
  },
};

const clusterAdminBinding: IncidentDefinition = {
  id: 'cluster-admin-binding',
  day: 10,
  at: '10:41:52',
  description:
    'alice, a platform admin, creates the ClusterRoleBinding payments-api-debug, granting cluster-admin to the ' +
    'payments/api service account (the one whose token bob printed the day before).',
  expectedRuleIds: ['audit.rbac-change'],
  plant(ctx) {
    const { rng, time } = ctx;
    const who = ctx.ids.human('alice', dayOf(ctx, time));
    const ip = OFFICE_IPS.office;
    ctx.audit.emit(rng, time - 55_000, who, ip, {
      verb: 'get',
      resource: 'serviceaccounts',
      namespace: 'payments',
      name: 'api',
    });
    const binding = {
      kind: 'ClusterRoleBinding',
      apiVersion: 'rbac.authorization.k8s.io/v1',
      metadata: { name: 'payments-api-debug', creationTimestamp: null },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: 'api', namespace: 'payments' }],
    };
    ctx.audit.emit(rng, time, who, ip, {
      verb: 'create',
      resource: 'clusterrolebindings',
      name: 'payments-api-debug',
      query: 'fieldManager=kubectl-create&fieldValidation=Strict',
      level: 'RequestResponse',
      requestObject: binding,
      responseObject: {
        ...binding,
        metadata: {
          name: 'payments-api-debug',
          uid: rng.uuid(),
          resourceVersion: rng.digits(8),
          creationTimestamp: new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        },
      },
    });
    return {
      user: 'alice',
      sourceIps: [ip],
      resource: 'clusterrolebindings',
      name: 'payments-api-debug',
      role: 'cluster-admin',
      subjects: ['ServiceAccount:payments/api'],
    };
  },
};

const MINER: WorkloadSpec = {
  kind: 'Deployment',
  namespace: 'payments',
  name: 'metrics-exporter',
  replicas: 1,
  serviceAccount: 'default',
  containers: [
    {
      name: 'exporter',
      image: MINER_IMAGE,
      args: ['-o', `${MINING_POOL.ip}:${MINING_POOL.port}`, '--donate-level=0', '--cpu-max-threads-hint=75'],
      cpu: '2',
      memory: '1Gi',
    },
  ],
  managedBy: 'manual',
};

const newRegistry: IncidentDefinition = {
  id: 'new-registry',
  day: 11,
  at: '02:17:33',
  description:
    'At night, someone uses the payments/api service account token from outside the cluster (now cluster-admin) ' +
    `to create the Deployment payments/metrics-exporter running ${MINER_IMAGE}, a cryptominer from a registry ` +
    'the cluster never pulled from. They delete it again about 40 minutes later.',
  expectedRuleIds: [
    'audit.new-image-registry',
    'audit.out-of-band-workload',
    'audit.new-workload-creator',
    'audit.new-image-repository',
    'audit.new-source-ip',
    'audit.unusual-secret-access',
  ],
  plant(ctx) {
    const { rng, time } = ctx;
    const tokenPod = (ctx.notes.get(TOKEN_POD) as Pod | undefined) ?? firstPod(ctx, 'payments/api');
    const who = ctx.ids.serviceAccount(
      'payments',
      'api',
      'kubectl/v1.29.3 (linux/amd64) kubernetes/6813625',
      { name: tokenPod.name, uid: tokenPod.uid, node: tokenPod.node.name },
      rbacReason('ClusterRoleBinding', 'payments-api-debug', 'cluster-admin', 'ServiceAccount "api/payments"'),
    );
    let t = time - 95_000;
    ctx.audit.emit(rng, t, who, ATTACKER_IP, { verb: 'get', path: '/api', query: 'timeout=32s' });
    t += 400;
    ctx.audit.emit(rng, t, who, ATTACKER_IP, { verb: 'get', path: '/apis', query: 'timeout=32s' });
    t += 21_000;
    ctx.audit.emit(rng, t, who, ATTACKER_IP, { verb: 'list', resource: 'nodes', query: 'limit=500' });
    t += 34_000;
    ctx.audit.emit(rng, t, who, ATTACKER_IP, {
      verb: 'list',
      resource: 'secrets',
      namespace: 'payments',
      query: 'limit=500',
    });
    const state: WorkloadState = {
      key: 'payments/metrics-exporter',
      spec: MINER,
      uid: rng.uuid(),
      containers: MINER.containers,
      replicas: 1,
      generation: 1,
    };
    ctx.world.addWorkload(state);
    ctx.audit.emit(rng, time, who, ATTACKER_IP, {
      verb: 'create',
      resource: 'deployments',
      namespace: 'payments',
      name: MINER.name,
      query: 'fieldManager=kubectl-create&fieldValidation=Strict',
      requestObject: workloadManifest(state),
    });
    // The deployment controller takes it from here, as for any Deployment.
    const rs = ctx.world.newReplicaSet(rng, state, MINER.containers);
    state.replicaSet = rs;
    const controller = ctx.ids.controller('deployment-controller');
    ctx.audit.emit(rng, time + 40, controller, CONTROLLER_MANAGER_IP, {
      verb: 'create',
      resource: 'replicasets',
      namespace: 'payments',
      requestObject: replicaSetBody(state, rs),
    });
    const [pod] = startPods(ctx, rng, state, { kind: 'ReplicaSet', name: rs.name, uid: rs.uid }, 1, time + 90, false);
    if (!pod) throw new Error('the miner pod did not start');
    ctx.notes.set(MINER_POD, pod);
    // Cleaning up: the Deployment goes, and the garbage collector removes its ReplicaSet and pod.
    const end = time + 38 * 60_000 + 37_000;
    ctx.notes.set(MINER_END, end);
    ctx.audit.emit(rng, end, who, ATTACKER_IP, {
      verb: 'delete',
      resource: 'deployments',
      namespace: 'payments',
      name: MINER.name,
    });
    const gc = ctx.ids.controller('generic-garbage-collector');
    ctx.audit.emit(rng, end + 120, gc, CONTROLLER_MANAGER_IP, {
      verb: 'delete',
      resource: 'replicasets',
      namespace: 'payments',
      name: rs.name,
    });
    stopPods(ctx, rng, [pod], end + 300, gc);
    return {
      user: who.actor.username,
      sourceIps: [ATTACKER_IP],
      userAgent: who.userAgent,
      namespace: 'payments',
      resource: 'deployments',
      name: MINER.name,
      image: MINER_IMAGE,
      registry: 'ghcr.io',
      pod: pod.name,
    };
  },
};

const threatIntelEgress: IncidentDefinition = {
  id: 'threat-intel-egress',
  day: 11,
  at: '02:18:05',
  // The miner the stolen token deployed a minute earlier: the workload and its creator are one attack.
  partOf: 'new-registry',
  description:
    `The cryptominer's pod connects to the mining pool ${MINING_POOL.ip}:${MINING_POOL.port} (stratum), an ` +
    'address on the scenario threat list, through the NAT gateway, until its Deployment is deleted.',
  expectedRuleIds: ['net.threat-intel-match', 'net.new-external-destination'],
  plant(ctx) {
    const { rng, time } = ctx;
    const pod = ctx.notes.get(MINER_POD) as Pod | undefined;
    if (!pod) throw new Error('threat-intel-egress needs the miner of new-registry');
    const until = Math.min((ctx.notes.get(MINER_END) as number | undefined) ?? time + HOUR_MS, pod.deletedAt);
    const windowOf = (ms: number) => Math.floor(ms / 600_000) * 600;
    for (let at = time; at < until - 5000; at = (windowOf(at) + 600) * 1000 + rng.int(200, 3000)) {
      const windowStart = windowOf(at);
      const seconds = Math.min(windowStart + 600, Math.floor(until / 1000)) - Math.floor(at / 1000);
      externalCall(
        ctx.flows,
        { start: windowStart, rng },
        {
          client: pod,
          server: MINING_POOL.ip,
          port: MINING_POOL.port,
          bytes: [seconds * 900, seconds * 350],
          seconds,
          at: Math.floor(at / 1000),
        },
      );
    }
    return {
      srcAddr: pod.ip,
      dstAddr: MINING_POOL.ip,
      dstPort: MINING_POOL.port,
      natAddr: NAT_GATEWAY.ip,
      threatList: 'scenario-threats',
      listEntry: MINING_POOL.ip,
      destinationBlock: '198.51.100.0/24',
      pod: `payments/${pod.name}`,
    };
  },
};

const newExternalDestination: IncidentDefinition = {
  id: 'new-external-destination',
  day: 13,
  at: '15:02:41',
  description:
    `A payments/api pod uploads about 48 MB over HTTPS to ${EXFIL_HOST.ip}, in a /24 the VPC never talked to ` +
    'before and on no threat list: data leaving the cluster.',
  expectedRuleIds: ['net.new-external-destination'],
  plant(ctx) {
    const { rng, time } = ctx;
    const pod = firstPod(ctx, 'payments/api');
    const seconds = 290;
    const sent = 48_000_000 + rng.int(0, 900_000);
    externalCall(
      ctx.flows,
      { start: Math.floor(time / 600_000) * 600, rng },
      {
        client: pod,
        server: EXFIL_HOST.ip,
        port: EXFIL_HOST.port,
        bytes: [sent, 310_000],
        exactBytes: true,
        seconds,
        at: Math.floor(time / 1000),
      },
    );
    return {
      srcAddr: pod.ip,
      dstAddr: EXFIL_HOST.ip,
      dstPort: EXFIL_HOST.port,
      destinationBlock: '192.0.2.0/24',
      pod: `payments/${pod.name}`,
    };
  },
};

/** The planted incidents, in the order they are planted. Later ones may use what earlier ones left. */
/** The walking skeleton's incidents. */
const SKELETON_INCIDENTS: readonly IncidentDefinition[] = [
  execIntoPod,
  clusterAdminBinding,
  newRegistry,
  threatIntelEgress,
  newExternalDestination,
];

/** Every planted incident: the skeleton's, the audit catalog's and the network analysis's. */
export const INCIDENTS: readonly IncidentDefinition[] = [
  ...SKELETON_INCIDENTS,
  ...AUDIT_INCIDENTS,
  ...NETWORK_INCIDENTS,
];
