import { ACCOUNT, CLUSTER, OFFICE_IPS, type WorkloadSpec } from './cluster';
import { type Identity, type MappedIamIdentity, rbacReason } from './identities';
import type { IncidentContext, IncidentDefinition } from './incident-types';
import { CONTROLLER_MANAGER_IP, dayOf, reportPodRunning, SCHEDULER_IP, startPods } from './lifecycle';
import { bindingBody, replicaSetBody, workloadManifest } from './manifests';
import type { Pod, WorkloadState } from './world';

/** Where the attacker of the skeleton's incidents reaches the API from (see incidents.ts). */
const ATTACKER_IP = '203.0.113.66';
/** Where dave, a contractor given access on day 12, works from. */
const DAVE_IP = '203.0.113.150';
/** The note incidents.ts leaves: the payments/api pod whose service account token bob printed. */
const TOKEN_POD = 'token-pod';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** kubectl, as people and scripts send it. */
const CREATE_QUERY = 'fieldManager=kubectl-create&fieldValidation=Strict';

const DAVE: MappedIamIdentity = {
  username: 'dave',
  groups: ['system:masters', 'system:authenticated'],
  iam: { user: 'dave' },
  userAgent: 'kubectl/v1.31.0 (windows/amd64) kubernetes/9edcffc',
};

/** The aws-auth ConfigMap of shop-prod: the node role, the CI role and the three people. */
function awsAuth(extraUsers: string): Record<string, unknown> {
  const mapRoles =
    `- rolearn: arn:aws:iam::${ACCOUNT}:role/${CLUSTER}-node-role\n` +
    '  username: system:node:{{EC2PrivateDNSName}}\n' +
    '  groups:\n    - system:bootstrappers\n    - system:nodes\n' +
    `- rolearn: arn:aws:iam::${ACCOUNT}:role/github-actions-deployer\n` +
    '  username: github-actions\n  groups:\n    - ci-deployers\n';
  const mapUsers =
    `- userarn: arn:aws:iam::${ACCOUNT}:user/alice\n  username: alice\n  groups:\n    - platform-admins\n` +
    `- userarn: arn:aws:iam::${ACCOUNT}:user/bob\n  username: bob\n  groups:\n    - devs\n` +
    `- userarn: arn:aws:iam::${ACCOUNT}:user/carol\n  username: carol\n  groups:\n    - devs\n` +
    extraUsers;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'aws-auth', namespace: 'kube-system' },
    data: { mapRoles, mapUsers },
  };
}

const DAVE_MAPPING = `- userarn: arn:aws:iam::${ACCOUNT}:user/dave\n  username: dave\n  groups:\n    - system:masters\n`;

/** The stolen payments/api token of the skeleton's incidents, as the API server reports its user. */
function stolenToken(ctx: IncidentContext): Identity {
  const pod = ctx.notes.get(TOKEN_POD) as Pod | undefined;
  return ctx.ids.serviceAccount(
    'payments',
    'api',
    'kubectl/v1.29.3 (linux/amd64) kubernetes/6813625',
    pod ? { name: pod.name, uid: pod.uid, node: pod.node.name } : undefined,
    rbacReason('ClusterRoleBinding', 'payments-api-debug', 'cluster-admin', 'ServiceAccount "api/payments"'),
  );
}

const DEBUG_TOOLS: WorkloadSpec = {
  kind: 'Deployment',
  namespace: 'shop',
  name: 'debug-tools',
  replicas: 1,
  serviceAccount: 'default',
  containers: [
    { name: 'netshoot', image: 'nicolaka/netshoot:v0.13', args: ['sleep', 'infinity'], cpu: '50m', memory: '64Mi' },
  ],
  managedBy: 'manual',
};

const outOfBandDeployment: IncidentDefinition = {
  id: 'out-of-band-deployment',
  day: 9,
  at: '08:47:31',
  description:
    'alice, chasing a network problem, deploys shop/debug-tools (nicolaka/netshoot, an image this cluster never ran) ' +
    'with kubectl create, outside the pipeline, and leaves it running.',
  expectedRuleIds: ['audit.out-of-band-workload', 'audit.new-workload-creator', 'audit.new-image-repository'],
  plant(ctx) {
    const { rng, time } = ctx;
    const who = ctx.ids.human('alice', dayOf(ctx, time));
    const ip = OFFICE_IPS.office;
    const state: WorkloadState = {
      key: 'shop/debug-tools',
      spec: DEBUG_TOOLS,
      uid: rng.uuid(),
      containers: DEBUG_TOOLS.containers,
      replicas: 1,
      generation: 1,
    };
    ctx.world.addWorkload(state);
    ctx.audit.emit(rng, time, who, ip, {
      verb: 'create',
      resource: 'deployments',
      namespace: 'shop',
      name: DEBUG_TOOLS.name,
      query: CREATE_QUERY,
      level: 'RequestResponse',
      requestObject: workloadManifest(state),
      responseObject: workloadManifest(state),
    });
    const rs = ctx.world.newReplicaSet(rng, state, DEBUG_TOOLS.containers);
    state.replicaSet = rs;
    ctx.audit.emit(rng, time + 35, ctx.ids.controller('deployment-controller'), CONTROLLER_MANAGER_IP, {
      verb: 'create',
      resource: 'replicasets',
      namespace: 'shop',
      requestObject: replicaSetBody(state, rs),
    });
    const [pod] = startPods(ctx, rng, state, { kind: 'ReplicaSet', name: rs.name, uid: rs.uid }, 1, time + 80, false);
    return {
      user: 'alice',
      sourceIps: [ip],
      namespace: 'shop',
      resource: 'deployments',
      name: DEBUG_TOOLS.name,
      image: 'nicolaka/netshoot:v0.13',
      pod: pod?.name,
    };
  },
};

const exposedLoadBalancer: IncidentDefinition = {
  id: 'exposed-load-balancer',
  day: 11,
  at: '15:12:08',
  description:
    'carol wants to show a dashboard to a customer and exposes Prometheus to the internet: Service ' +
    'monitoring/prometheus-public of type LoadBalancer with the internet-facing scheme, no source ranges, no TLS. ' +
    'The AWS Load Balancer Controller provisions the NLB.',
  expectedRuleIds: ['audit.exposed-service'],
  plant(ctx) {
    const { rng, time } = ctx;
    const who = ctx.ids.human('carol', dayOf(ctx, time), 'monitoring');
    const ip = OFFICE_IPS.office;
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'prometheus-public',
        namespace: 'monitoring',
        annotations: {
          'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
          'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
          'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
        },
      },
      spec: {
        type: 'LoadBalancer',
        selector: { 'app.kubernetes.io/name': 'prometheus' },
        ports: [{ name: 'web', port: 80, targetPort: 9090, protocol: 'TCP' }],
      },
    };
    ctx.audit.emit(rng, time - 21_000, who, ip, {
      verb: 'get',
      resource: 'services',
      namespace: 'monitoring',
      name: 'prometheus',
    });
    ctx.audit.emit(rng, time, who, ip, {
      verb: 'create',
      resource: 'services',
      namespace: 'monitoring',
      name: 'prometheus-public',
      query: CREATE_QUERY,
      level: 'RequestResponse',
      requestObject: service,
      responseObject: { ...service, spec: { ...service.spec, clusterIP: '172.20.118.41' } },
    });
    // The controller takes the Service over: a finalizer, then the load balancer's name in the status.
    const controller = ctx.ids.serviceAccount(
      'kube-system',
      'aws-load-balancer-controller',
      'controller/v0.0.0 (linux/amd64) kubernetes/$Format',
    );
    const lbcIp = ctx.world.live('kube-system/aws-load-balancer-controller', time)[0]?.ip ?? '10.0.2.60';
    ctx.audit.emit(rng, time + 900, controller, lbcIp, {
      verb: 'patch',
      resource: 'services',
      namespace: 'monitoring',
      name: 'prometheus-public',
      requestObject: { metadata: { finalizers: ['service.k8s.aws/resources'] } },
    });
    ctx.audit.emit(rng, time + 4200, controller, lbcIp, {
      verb: 'patch',
      resource: 'services',
      namespace: 'monitoring',
      name: 'prometheus-public',
      subresource: 'status',
      requestObject: {
        status: {
          loadBalancer: {
            ingress: [{ hostname: 'k8s-monitori-promethe-4b1e0c2a9d-0f3e.elb.eu-west-1.amazonaws.com' }],
          },
        },
      },
    });
    return {
      user: 'carol',
      sourceIps: [ip],
      namespace: 'monitoring',
      resource: 'services',
      name: 'prometheus-public',
      serviceType: 'LoadBalancer',
    };
  },
};

const NODE_HELPER = {
  name: 'kube-node-helper',
  image: 'busybox:1.36',
  command: ['nsenter', '--target', '1', '--mount', '--uts', '--ipc', '--net', '--pid', '--', 'sleep', 'infinity'],
};

/** The pod spec of the attacker's DaemonSet: the host's processes, network and root file system. */
function nodeHelperPodSpec(): Record<string, unknown> {
  return {
    hostPID: true,
    hostNetwork: true,
    tolerations: [{ operator: 'Exists' }],
    containers: [
      {
        name: 'helper',
        image: NODE_HELPER.image,
        command: NODE_HELPER.command,
        securityContext: { privileged: true },
        volumeMounts: [{ name: 'host-root', mountPath: '/host' }],
      },
    ],
    volumes: [{ name: 'host-root', hostPath: { path: '/', type: 'Directory' } }],
  };
}

const privilegedDaemonSet: IncidentDefinition = {
  id: 'privileged-daemonset',
  day: 12,
  at: '03:41:26',
  description:
    'The attacker, still holding the payments/api token that is now cluster-admin, plants persistence on every ' +
    'node: DaemonSet kube-system/kube-node-helper runs busybox privileged, with the host PID and network ' +
    'namespaces and the node root file system mounted at /host.',
  expectedRuleIds: [
    'audit.privileged-workload',
    'audit.pod-in-system-namespace',
    'audit.out-of-band-workload',
    'audit.new-image-repository',
  ],
  plant(ctx) {
    const { rng, time } = ctx;
    const who = stolenToken(ctx);
    const spec: WorkloadSpec = {
      kind: 'DaemonSet',
      namespace: 'kube-system',
      name: NODE_HELPER.name,
      serviceAccount: 'default',
      hostNetwork: true,
      containers: [{ name: 'helper', image: NODE_HELPER.image, cpu: '10m', memory: '16Mi' }],
      managedBy: 'manual',
    };
    const state: WorkloadState = {
      key: `kube-system/${NODE_HELPER.name}`,
      spec,
      uid: rng.uuid(),
      containers: spec.containers,
      replicas: ctx.world.nodes.length,
      generation: 1,
    };
    ctx.world.addWorkload(state);
    const labels = { 'app.kubernetes.io/name': NODE_HELPER.name };
    const manifest = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: NODE_HELPER.name, namespace: 'kube-system', labels },
      spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: nodeHelperPodSpec() } },
    };
    ctx.audit.emit(rng, time - 48_000, who, ATTACKER_IP, { verb: 'list', resource: 'nodes', query: 'limit=500' });
    ctx.audit.emit(rng, time, who, ATTACKER_IP, {
      verb: 'create',
      resource: 'daemonsets',
      namespace: 'kube-system',
      name: NODE_HELPER.name,
      query: CREATE_QUERY,
      requestObject: manifest,
    });
    // The DaemonSet controller creates one pod per node; the scheduler binds each, the kubelet starts it.
    const controller = ctx.ids.controller('daemon-set-controller');
    const scheduler = ctx.ids.component('system:kube-scheduler', 'scheduler');
    const owner = { kind: 'DaemonSet' as const, name: NODE_HELPER.name, uid: state.uid };
    const pods: string[] = [];
    let t = time + 120;
    for (const node of ctx.world.nodes) {
      t += rng.int(10, 60);
      const pod = ctx.world.addPod(rng, state, owner, node, t, false);
      pods.push(pod.name);
      ctx.audit.emit(rng, t, controller, CONTROLLER_MANAGER_IP, {
        verb: 'create',
        resource: 'pods',
        namespace: 'kube-system',
        level: 'RequestResponse',
        requestObject: {
          kind: 'Pod',
          apiVersion: 'v1',
          metadata: {
            generateName: `${NODE_HELPER.name}-`,
            labels,
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: 'DaemonSet', name: NODE_HELPER.name, uid: state.uid, controller: true },
            ],
          },
          spec: nodeHelperPodSpec(),
        },
        responseObject: {
          kind: 'Pod',
          apiVersion: 'v1',
          metadata: { name: pod.name, namespace: 'kube-system', uid: pod.uid, creationTimestamp: iso(t) },
          spec: nodeHelperPodSpec(),
          status: { phase: 'Pending' },
        },
      });
      ctx.audit.emit(rng, t + rng.int(5, 30), scheduler, SCHEDULER_IP, {
        verb: 'create',
        resource: 'pods',
        namespace: 'kube-system',
        name: pod.name,
        subresource: 'binding',
        requestObject: bindingBody(pod),
      });
      reportPodRunning(ctx, rng, pod, t + rng.int(3000, 8000));
    }
    return {
      user: who.actor.username,
      sourceIps: [ATTACKER_IP],
      namespace: 'kube-system',
      resource: 'daemonsets',
      name: NODE_HELPER.name,
      image: NODE_HELPER.image,
      pods,
    };
  },
};

const awsAuthEdit: IncidentDefinition = {
  id: 'aws-auth-edit',
  day: 12,
  at: '09:55:12',
  description:
    'alice gives dave, a contractor, access to the cluster by editing the kube-system/aws-auth ConfigMap ' +
    '(kubectl edit) and, to save time, maps his IAM user into system:masters.',
  expectedRuleIds: ['audit.aws-auth-modified'],
  plant(ctx) {
    const { rng, time } = ctx;
    const who = ctx.ids.human('alice', dayOf(ctx, time));
    const ip = OFFICE_IPS.office;
    ctx.audit.emit(rng, time - 95_000, who, ip, {
      verb: 'get',
      resource: 'configmaps',
      namespace: 'kube-system',
      name: 'aws-auth',
    });
    const body = awsAuth(DAVE_MAPPING);
    ctx.audit.emit(rng, time, who, ip, {
      verb: 'update',
      resource: 'configmaps',
      namespace: 'kube-system',
      name: 'aws-auth',
      query: 'fieldManager=kubectl-edit&fieldValidation=Strict',
      level: 'RequestResponse',
      requestObject: body,
      responseObject: body,
    });
    return {
      user: 'alice',
      sourceIps: [ip],
      namespace: 'kube-system',
      resource: 'configmaps',
      name: 'aws-auth',
      mappedArn: `arn:aws:iam::${ACCOUNT}:user/dave`,
      groups: ['system:masters'],
    };
  },
};

const manualDelete: IncidentDefinition = {
  id: 'manual-delete',
  day: 12,
  at: '16:47:10',
  description:
    'bob, meaning to clean up the staging cluster, deletes the Secret payments/card-processor-key in production ' +
    'by hand (kubectl delete secret).',
  expectedRuleIds: ['audit.manual-delete'],
  plant(ctx) {
    const { rng, time } = ctx;
    const who = ctx.ids.human('bob', dayOf(ctx, time), 'payments');
    const ip = OFFICE_IPS.vpn;
    ctx.audit.emit(rng, time - 33_000, who, ip, {
      verb: 'list',
      resource: 'pods',
      namespace: 'payments',
      query: 'limit=500',
    });
    ctx.audit.emit(rng, time, who, ip, {
      verb: 'delete',
      resource: 'secrets',
      namespace: 'payments',
      name: 'card-processor-key',
    });
    return { user: 'bob', sourceIps: [ip], namespace: 'payments', resource: 'secrets', name: 'card-processor-key' };
  },
};

const secretReadByNewIdentity: IncidentDefinition = {
  id: 'secret-read-by-new-identity',
  day: 14,
  at: '10:31:45',
  description:
    'dave, mapped into system:masters on day 12, calls the API for the first time, from home, on a Saturday: he ' +
    'lists the secrets of payments and reads payments/db-credentials. alice removes his mapping about an hour later.',
  expectedRuleIds: ['audit.new-identity', 'audit.unusual-secret-access', 'audit.new-source-ip'],
  plant(ctx) {
    const { rng, time } = ctx;
    const day = dayOf(ctx, time);
    const who = ctx.ids.iamMapped(
      DAVE,
      day,
      rbacReason('ClusterRoleBinding', 'cluster-admin', 'cluster-admin', 'Group "system:masters"'),
    );
    ctx.audit.emit(rng, time - 6_000, who, DAVE_IP, { verb: 'get', path: '/api', query: 'timeout=32s' });
    ctx.audit.emit(rng, time, who, DAVE_IP, {
      verb: 'list',
      resource: 'secrets',
      namespace: 'payments',
      query: 'limit=500',
    });
    ctx.audit.emit(rng, time + 14_000, who, DAVE_IP, {
      verb: 'get',
      resource: 'secrets',
      namespace: 'payments',
      name: 'db-credentials',
    });
    // alice takes the mapping back out: the RBAC trail shows the line that goes.
    const alice = ctx.ids.human('alice', day);
    const body = awsAuth('');
    ctx.audit.emit(rng, time + 71 * 60_000, alice, OFFICE_IPS.vpn, {
      verb: 'update',
      resource: 'configmaps',
      namespace: 'kube-system',
      name: 'aws-auth',
      query: 'fieldManager=kubectl-edit&fieldValidation=Strict',
      level: 'RequestResponse',
      requestObject: body,
      responseObject: body,
    });
    return {
      user: 'dave',
      sourceIps: [DAVE_IP],
      namespace: 'payments',
      resource: 'secrets',
      name: 'db-credentials',
      arn: `arn:aws:iam::${ACCOUNT}:user/dave`,
    };
  },
};

/** Incidents for the audit-log detection catalog, one per family, in the order they are planted. */
export const AUDIT_INCIDENTS: readonly IncidentDefinition[] = [
  outOfBandDeployment,
  exposedLoadBalancer,
  privilegedDaemonSet,
  awsAuthEdit,
  manualDelete,
  secretReadByNewIdentity,
];
