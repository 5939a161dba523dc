/**
 * The sample cluster, `shop-prod`: its account, VPC, nodes, workloads and the places its pods
 * talk to. Everything here is static; what changes over the days (pods, image tags) lives in
 * the world model.
 */

import { streamOf } from './prng';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const CLUSTER = 'shop-prod';
export const VPC_ID = 'vpc-0a1b2c3d4e5f60718';
export const FLOW_LOG_ID = 'fl-0a1b2c3d4e5f';
export const KUBERNETES_VERSION = 'v1.31.2-eks-7f9249a';
/** The account's own ECR registry. */
export const ECR = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
/** The registry EKS pulls its add-ons from in eu-west-1. */
export const EKS_ECR = `602401143452.dkr.ecr.${REGION}.amazonaws.com`;

/** A network interface that VPC Flow Logs reports on. */
export interface Eni {
  id: string;
  subnetId: string;
  azId: string;
  instanceId?: string;
}

export interface NodeSpec {
  /** The node's Kubernetes name (its private DNS name). */
  name: string;
  ip: string;
  instanceId: string;
  eni: Eni;
  /** First three octets of the node's subnet; pods get secondary IPs from it. */
  subnet: string;
}

const SUBNETS = {
  publicA: { id: 'subnet-0f1e2d3c4b5a60001', az: 'euw1-az1' },
  publicB: { id: 'subnet-0f1e2d3c4b5a60002', az: 'euw1-az2' },
  privateA: { id: 'subnet-0a9b8c7d6e5f40011', az: 'euw1-az1' },
  privateB: { id: 'subnet-0a9b8c7d6e5f40012', az: 'euw1-az2' },
  privateC: { id: 'subnet-0a9b8c7d6e5f40013', az: 'euw1-az3' },
} as const;

function node(ip: string, instanceId: string, eniId: string, subnet: { id: string; az: string }): NodeSpec {
  return {
    name: `ip-${ip.replace(/\./g, '-')}.${REGION}.compute.internal`,
    ip,
    instanceId,
    eni: { id: eniId, subnetId: subnet.id, azId: subnet.az, instanceId },
    subnet: ip.split('.').slice(0, 3).join('.'),
  };
}

/** Three nodes of one managed node group, one per availability zone. */
export const NODES: readonly NodeSpec[] = [
  node('10.0.1.23', 'i-0a3f5c7e9b1d24680', 'eni-0b1c2d3e4f5a60123', SUBNETS.privateA),
  node('10.0.2.47', 'i-0b4e6d8f0a2c35791', 'eni-0c2d3e4f5a6b70247', SUBNETS.privateB),
  node('10.0.3.112', 'i-0c5f7e9a1b3d46802', 'eni-0d3e4f5a6b7c80312', SUBNETS.privateC),
];

/**
 * The cluster's nodes when it runs `count` of them: the three above, then more of the same node
 * group, spread over the three zones. Each extra node takes its pods' addresses from a /24 of
 * its own (`10.0.<10 + n>.0/24`, clear of the load balancer's and the database's subnets), so
 * a big cluster never runs out of pod addresses. Same count, same nodes.
 */
export function nodesOf(count: number): readonly NodeSpec[] {
  if (count === NODES.length) return NODES;
  const zones = [SUBNETS.privateA, SUBNETS.privateB, SUBNETS.privateC];
  const out = NODES.slice(0, count);
  for (let n = NODES.length; n < count; n++) {
    const rng = streamOf(0, 'node', n);
    const ip = `10.0.${10 + n}.${rng.int(5, 19)}`;
    out.push(node(ip, `i-0${rng.hex(16)}`, `eni-0${rng.hex(16)}`, zones[n % zones.length] as (typeof zones)[number]));
  }
  return out;
}

/** The internet-facing Application Load Balancer in front of shop/web: one interface per public subnet. */
export const LOAD_BALANCER = {
  name: 'k8s-shop-web-3f9a1c2b7e',
  interfaces: [
    { ip: '10.0.0.37', eni: { id: 'eni-0e4f5a6b7c8d90037', subnetId: SUBNETS.publicA.id, azId: SUBNETS.publicA.az } },
    { ip: '10.0.0.164', eni: { id: 'eni-0e4f5a6b7c8d90164', subnetId: SUBNETS.publicB.id, azId: SUBNETS.publicB.az } },
  ],
} as const;

/** The NAT gateway the private subnets reach the internet through. */
export const NAT_GATEWAY = {
  ip: '10.0.0.100',
  eni: { id: 'eni-0f5a6b7c8d9e00100', subnetId: SUBNETS.publicA.id, azId: SUBNETS.publicA.az } satisfies Eni,
} as const;

/** An interface endpoint nobody uses: VPC Flow Logs reports NODATA for it. */
export const IDLE_ENI: Eni = { id: 'eni-0a0b0c0d0e0f01234', subnetId: SUBNETS.privateA.id, azId: SUBNETS.privateA.az };

/** The cross-account interfaces EKS places in the node subnets for the control plane. */
export const API_SERVER_IPS = ['10.0.1.5', '10.0.2.6'] as const;

/** The payments database (RDS for PostgreSQL). */
export const DATABASE = { ip: '10.0.200.10', port: 5432 } as const;

export interface ContainerSpec {
  name: string;
  /** Image without its tag when the tag changes per release; see `tag`. */
  image: string;
  /** Ports the container listens on. */
  ports?: { name: string; port: number; protocol?: 'TCP' | 'UDP' }[];
  args?: string[];
  cpu: string;
  memory: string;
}

export interface WorkloadSpec {
  kind: 'Deployment' | 'DaemonSet';
  namespace: string;
  name: string;
  /** Replicas of a Deployment (the HPA may change shop/web's). */
  replicas?: number;
  serviceAccount: string;
  containers: ContainerSpec[];
  hostNetwork?: boolean;
  /** Who applies the manifest: the CI/CD pipeline, the EKS add-on manager, or someone by hand. */
  managedBy: 'cicd' | 'eks-addon' | 'manual';
  /**
   * Weekdays (0 = Sunday) the team releases a new image of the first container. Only our own
   * ECR images are released during the scenario.
   */
  releaseWeekdays?: number[];
  /** Replica bounds when a HorizontalPodAutoscaler owns the replica count (the manifest then omits it). */
  autoscaling?: { min: number; max: number };
  /** The port the workload serves on, and where Prometheus scrapes it. */
  servicePort?: number;
  metricsPort?: number;
}

const ecrApp = (repo: string, version: string, port: number, cpu: string, memory: string): ContainerSpec => ({
  name: repo.split('/')[1] as string,
  image: `${ECR}/${repo}:${version}`,
  ports: [{ name: 'http', port }],
  cpu,
  memory,
});

/** Every workload of the cluster, in the order the pipeline applies them. */
export const WORKLOADS: readonly WorkloadSpec[] = [
  {
    kind: 'Deployment',
    namespace: 'shop',
    name: 'web',
    replicas: 3,
    serviceAccount: 'web',
    containers: [
      ecrApp('shop/web', '1.42.0', 8080, '250m', '256Mi'),
      {
        name: 'nginx',
        image: 'nginx:1.27.2',
        ports: [{ name: 'static', port: 8081 }],
        cpu: '50m',
        memory: '64Mi',
      },
    ],
    managedBy: 'cicd',
    releaseWeekdays: [1, 2, 3, 4, 5],
    autoscaling: { min: 3, max: 5 },
    servicePort: 8080,
    metricsPort: 8080,
  },
  {
    kind: 'Deployment',
    namespace: 'shop',
    name: 'cart',
    replicas: 2,
    serviceAccount: 'cart',
    containers: [ecrApp('shop/cart', '2.7.3', 8080, '200m', '256Mi')],
    managedBy: 'cicd',
    releaseWeekdays: [2, 4],
    servicePort: 8080,
    metricsPort: 8080,
  },
  {
    kind: 'Deployment',
    namespace: 'shop',
    name: 'redis',
    replicas: 1,
    serviceAccount: 'default',
    containers: [
      { name: 'redis', image: 'redis:7.2.5', ports: [{ name: 'redis', port: 6379 }], cpu: '100m', memory: '512Mi' },
    ],
    managedBy: 'cicd',
    servicePort: 6379,
  },
  {
    kind: 'Deployment',
    namespace: 'payments',
    name: 'api',
    replicas: 2,
    serviceAccount: 'api',
    containers: [ecrApp('payments/api', '3.18.1', 8443, '500m', '512Mi')],
    managedBy: 'cicd',
    releaseWeekdays: [4],
    servicePort: 8443,
    metricsPort: 9090,
  },
  {
    kind: 'Deployment',
    namespace: 'payments',
    name: 'worker',
    replicas: 2,
    serviceAccount: 'worker',
    containers: [ecrApp('payments/worker', '3.18.0', 9090, '250m', '384Mi')],
    managedBy: 'cicd',
    releaseWeekdays: [1, 3, 5],
    metricsPort: 9090,
  },
  {
    kind: 'Deployment',
    namespace: 'monitoring',
    name: 'prometheus',
    replicas: 1,
    serviceAccount: 'prometheus',
    containers: [
      {
        name: 'prometheus',
        image: 'quay.io/prometheus/prometheus:v2.54.1',
        ports: [{ name: 'web', port: 9090 }],
        args: ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.retention.time=2d'],
        cpu: '500m',
        memory: '2Gi',
      },
    ],
    managedBy: 'cicd',
    servicePort: 9090,
  },
  {
    kind: 'Deployment',
    namespace: 'monitoring',
    name: 'kube-state-metrics',
    replicas: 1,
    serviceAccount: 'kube-state-metrics',
    containers: [
      {
        name: 'kube-state-metrics',
        image: 'registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0',
        ports: [{ name: 'http-metrics', port: 8080 }],
        cpu: '100m',
        memory: '128Mi',
      },
    ],
    managedBy: 'cicd',
    metricsPort: 8080,
  },
  {
    kind: 'DaemonSet',
    namespace: 'monitoring',
    name: 'node-exporter',
    serviceAccount: 'node-exporter',
    hostNetwork: true,
    containers: [
      {
        name: 'node-exporter',
        image: 'quay.io/prometheus/node-exporter:v1.8.2',
        ports: [{ name: 'metrics', port: 9100 }],
        cpu: '50m',
        memory: '64Mi',
      },
    ],
    managedBy: 'cicd',
    metricsPort: 9100,
  },
  {
    kind: 'DaemonSet',
    namespace: 'monitoring',
    name: 'fluent-bit',
    serviceAccount: 'fluent-bit',
    containers: [
      {
        name: 'fluent-bit',
        image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.2.20240627',
        ports: [{ name: 'metrics', port: 2020 }],
        cpu: '50m',
        memory: '128Mi',
      },
    ],
    managedBy: 'cicd',
    metricsPort: 2020,
  },
  {
    kind: 'Deployment',
    namespace: 'kube-system',
    name: 'aws-load-balancer-controller',
    replicas: 1,
    serviceAccount: 'aws-load-balancer-controller',
    containers: [
      {
        name: 'controller',
        image: 'public.ecr.aws/eks/aws-load-balancer-controller:v2.8.3',
        ports: [{ name: 'webhook', port: 9443 }],
        args: [`--cluster-name=${CLUSTER}`, '--ingress-class=alb'],
        cpu: '100m',
        memory: '256Mi',
      },
    ],
    managedBy: 'cicd',
    metricsPort: 8080,
  },
  {
    kind: 'DaemonSet',
    namespace: 'kube-system',
    name: 'aws-node',
    serviceAccount: 'aws-node',
    hostNetwork: true,
    containers: [
      { name: 'aws-node', image: `${EKS_ECR}/amazon-k8s-cni:v1.18.5-eksbuild.1`, cpu: '25m', memory: '64Mi' },
      {
        name: 'aws-eks-nodeagent',
        image: `${EKS_ECR}/amazon/aws-network-policy-agent:v1.1.3-eksbuild.1`,
        cpu: '25m',
        memory: '64Mi',
      },
    ],
    managedBy: 'eks-addon',
  },
  {
    kind: 'DaemonSet',
    namespace: 'kube-system',
    name: 'kube-proxy',
    serviceAccount: 'kube-proxy',
    hostNetwork: true,
    containers: [
      {
        name: 'kube-proxy',
        image: `${EKS_ECR}/eks/kube-proxy:v1.31.2-minimal-eksbuild.3`,
        cpu: '100m',
        memory: '64Mi',
      },
    ],
    managedBy: 'eks-addon',
  },
  {
    kind: 'Deployment',
    namespace: 'kube-system',
    name: 'coredns',
    replicas: 2,
    serviceAccount: 'coredns',
    containers: [
      {
        name: 'coredns',
        image: `${EKS_ECR}/eks/coredns:v1.11.3-eksbuild.2`,
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53 },
        ],
        cpu: '100m',
        memory: '70Mi',
      },
    ],
    managedBy: 'eks-addon',
    servicePort: 53,
    metricsPort: 9153,
  },
  {
    kind: 'Deployment',
    namespace: 'kube-system',
    name: 'metrics-server',
    replicas: 1,
    serviceAccount: 'metrics-server',
    containers: [
      {
        name: 'metrics-server',
        image: `${EKS_ECR}/eks/metrics-server:v0.7.2-eksbuild.1`,
        ports: [{ name: 'https', port: 10251 }],
        cpu: '100m',
        memory: '200Mi',
      },
    ],
    managedBy: 'eks-addon',
  },
];

/** A public service our pods call, by /24. */
export interface ExternalService {
  name: string;
  /** The /24 the service answers from, as its first three octets. */
  block: string;
  hosts: number[];
  port: number;
}

export const EXTERNAL = {
  /** The card processor payments/api calls (a Stripe-like API). */
  cardProcessor: { name: 'card processor API', block: '54.187.216', hosts: [19, 52, 118], port: 443 },
  /** GitHub, where payments/worker fetches published exchange-rate tables. */
  github: { name: 'GitHub', block: '140.82.112', hosts: [3, 5, 6], port: 443 },
  /** The telemetry SaaS Prometheus remote-writes to. */
  telemetry: { name: 'telemetry SaaS', block: '34.107.210', hosts: [22, 23], port: 443 },
} as const satisfies Record<string, ExternalService>;

/** AWS service endpoints, as VPC Flow Logs names them in pkt-*-aws-service. */
export const AWS_SERVICES = {
  /** Through the S3 gateway endpoint. */
  S3: { prefixes: ['52.218.16', '52.218.41', '52.218.108', '3.5.66'], port: 443 },
  /** Through the DynamoDB gateway endpoint. */
  DYNAMODB: { prefixes: ['52.119.240', '52.119.243'], port: 443 },
  /** CloudWatch Logs, ECR and STS, through the NAT gateway. */
  AMAZON: { prefixes: ['52.94.216', '52.94.219', '3.248.12'], port: 443 },
} as const;

/** /16s of the European consumer networks the shop's customers browse from. */
export const CUSTOMER_PREFIXES = [
  '2.24',
  '5.64',
  '31.94',
  '37.228',
  '46.208',
  '62.31',
  '77.96',
  '78.144',
  '81.2',
  '86.128',
  '88.97',
  '90.152',
  '92.40',
  '94.174',
  '109.144',
  '151.224',
  '176.24',
  '178.238',
  '188.28',
  '212.56',
  '213.205',
  '217.42',
] as const;

/** /16s of internet-wide scanners whose probes the load balancer's security group rejects. */
export const SCANNER_PREFIXES = ['45.148', '80.82', '89.248', '162.142', '167.94', '193.163'] as const;

/** Where the people who run the cluster connect from. */
export const OFFICE_IPS = { office: '203.0.113.200', vpn: '203.0.113.201' } as const;

/** GitHub-hosted runners: the CI pipeline reaches the public API endpoint from these. */
export const RUNNER_PREFIXES = ['4.175', '20.61', '52.236'] as const;

/** The API server's two instances; their log streams carry the audit events. */
export const API_SERVER_INSTANCES = [
  {
    stream: 'kube-apiserver-audit-9d4c7e1f0b2a83d6e5f14a7c9b0d2e31',
    hostIp: '172.16.52.118',
    leaseHash: 'n4kqxmo5dlqw5tmjbwb6zvnxyq',
  },
  {
    stream: 'kube-apiserver-audit-2f6b8a0c4e1d97f3a5c28e6b1d0f4a93',
    hostIp: '172.16.96.231',
    leaseHash: 'w7sfl3u2btj6a3xkaqvj4hyq2e',
  },
] as const;

// ---------------------------------------------------------------------------------------------
// The `existing-cluster` variant only.

/** Argo CD's application controller, which deploys `shop-prod` in the variant instead of the CI pipeline. */
export const ARGOCD: WorkloadSpec = {
  kind: 'Deployment',
  namespace: 'argocd',
  name: 'argocd-application-controller',
  replicas: 1,
  serviceAccount: 'argocd-application-controller',
  containers: [
    {
      name: 'application-controller',
      image: 'quay.io/argoproj/argocd:v2.13.2',
      ports: [{ name: 'metrics', port: 8082 }],
      args: ['/usr/local/bin/argocd-application-controller', '--status-processors=20'],
      cpu: '250m',
      memory: '1Gi',
    },
  ],
  managedBy: 'manual',
};

/**
 * `shop-staging`: a second, smaller cluster in the same VPC and subnets. Its nodes take pod IPs
 * from the same subnets as `shop-prod`'s, so an address one cluster released can go to the other.
 */
export const STAGING = {
  cluster: 'shop-staging',
  /** Staging's own payments database, in the same RDS subnet. */
  database: { ip: '10.0.200.20', port: 5432 },
  /** Its API server's cross-account interfaces. */
  apiServerIps: ['10.0.1.8', '10.0.3.9'],
  apiServerInstances: [
    { stream: 'kube-apiserver-audit-5e0c7a9b2d4f61e83c7b5a0d9f2e4c18', hostIp: '172.16.61.40' },
    { stream: 'kube-apiserver-audit-b3d9f1a7c5e2084d6f1a3c9e7b5d2f06', hostIp: '172.16.88.152' },
  ],
  /** One node per private subnet; node IPs below the range `shop-prod`'s pods use. */
  nodes: [
    node('10.0.1.14', 'i-0d6a8f0b2c4e57913', 'eni-0e5f6a7b8c9d00114', SUBNETS.privateA),
    node('10.0.2.16', 'i-0e7b9a1c3d5f68024', 'eni-0f6a7b8c9d0e10216', SUBNETS.privateB),
    node('10.0.3.11', 'i-0f8c0b2d4e6a79135', 'eni-0a7b8c9d0e1f20311', SUBNETS.privateC),
  ] as readonly NodeSpec[],
  /** Last octets of the pod IPs staging's own allocations use: outside `shop-prod`'s range (20 to 250). */
  podOctets: [251, 252, 253, 254],
} as const;
