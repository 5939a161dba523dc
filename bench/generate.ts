import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { createGzip } from 'node:zlib';
import { Prng } from '../events/scenario/prng';
import { STACK_FLOW_FORMAT, STACK_FLOW_HEADER } from '../shared/ingest';

/**
 * Seeded generators of benchmark objects that look like a busy EKS cluster's logs: the same seed
 * gives the same bytes, so runs compare like with like. Objects are written to `bench/data/`
 * once and reused.
 */

/** 1-based column numbers in {@link STACK_FLOW_HEADER} of what the peers aggregate: bytes per pkt-srcaddr, pkt-dstaddr, dstport. */
export const FLOW_COLUMNS = {
  pktSrc: column('pkt-srcaddr'),
  pktDst: column('pkt-dstaddr'),
  dstPort: column('dstport'),
  bytes: column('bytes'),
} as const;

function column(field: (typeof STACK_FLOW_FORMAT)[number]): number {
  return STACK_FLOW_FORMAT.indexOf(field) + 1;
}

const ACCOUNT = '123456789012';
const VPC = 'vpc-0a1b2c3d4e5f60718';
const START = Math.floor(Date.parse('2026-11-02T10:00:00Z') / 1000);

/** A Zipf-like pick: index 0 is the most popular, with a long tail. */
function zipf(rng: Prng, n: number, skew = 1.1): number {
  // Inverse of a continuous power law over [1, n]: cheap, and close enough to Zipf for traffic.
  const u = rng.next();
  const a = 1 - skew;
  const x = Math.abs(a) < 1e-9 ? n ** u : (u * (n ** a - 1) + 1) ** (1 / a);
  return Math.min(n - 1, Math.max(0, Math.floor(x) - 1));
}

interface Node {
  eni: string;
  subnet: string;
  instance: string;
  ip: string;
  az: string;
}

interface Workload {
  ip: string;
  node: Node;
  port: number;
}

interface Pod {
  ip: string;
  node: Node;
  /** Services it calls (each a few backing pods). */
  dependencies: Workload[][];
  /** Outside endpoints it reaches. */
  destinations: string[];
}

/**
 * The world a flow object describes: 60 nodes in three subnets, 1,800 pods, 120 services each
 * backed by a few pods; each pod calls 2 to 6 services (popular ones fan in from many pods) and
 * reaches 1 to 8 outside endpoints out of a long tail of 30,000 (APIs, registries, S3); CoreDNS;
 * 40,000 internet clients hitting two load-balanced ingress workloads; and a trickle of scans
 * that are rejected. Client ports are ephemeral, so records are many and edges far fewer.
 */
function flowWorld(rng: Prng) {
  const azs = ['euw1-az1', 'euw1-az2', 'euw1-az3'];
  const nodes: Node[] = Array.from({ length: 60 }, (_, i) => ({
    eni: `eni-0${rng.hex(16)}`,
    subnet: `subnet-0${rng.hex(16)}`,
    instance: `i-0${rng.hex(16)}`,
    ip: `10.0.${(i % 3) * 32 + 1}.${10 + i}`,
    az: azs[i % 3] as string,
  }));
  const pods: Pod[] = Array.from({ length: 1800 }, (_, i) => ({
    ip: `10.0.${64 + (i % 96)}.${1 + Math.floor(i / 96) * 12 + (i % 11)}`,
    node: nodes[i % nodes.length] as Node,
    dependencies: [],
    destinations: [],
  }));
  const ports = [8080, 8080, 8080, 443, 5432, 6379, 9090, 3306, 8443, 50051];
  const services: Workload[][] = Array.from({ length: 120 }, (_, s) => {
    const port = ports[s % ports.length] as number;
    return Array.from({ length: 2 + (s % 5) }, () => {
      const pod = rng.pick(pods);
      return { ip: pod.ip, node: pod.node, port };
    });
  });
  const dns = services[0]?.map((w) => ({ ...w, port: 53 })) ?? [];
  const external = Array.from(
    { length: 30_000 },
    (_, i) =>
      `${[52, 54, 3, 13, 18, 35, 104, 140, 151, 185][i % 10]}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`,
  );
  const internet = Array.from(
    { length: 40_000 },
    () => `${rng.int(1, 223)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`,
  );
  const ingress = [services[1], services[2]].flat() as Workload[];
  // Each pod calls a few services and a few outside endpoints, the popular ones most often.
  for (const pod of pods) {
    const calls = rng.int(2, 6);
    for (let k = 0; k < calls; k++) pod.dependencies.push(services[zipf(rng, services.length)] as Workload[]);
    const reaches = rng.int(1, 8);
    for (let k = 0; k < reaches; k++) pod.destinations.push(external[zipf(rng, external.length, 1.05)] as string);
  }
  return { nodes, pods, services, dns, external, internet, ingress };
}

/** Lines of one flow-log object: a header, then records in arrival order. */
export function* flowLines(seed: number, records: number): Generator<string> {
  const rng = new Prng(seed);
  const w = flowWorld(rng);
  yield STACK_FLOW_HEADER;
  const line = (
    node: Node,
    src: string,
    dst: string,
    sport: number,
    dport: number,
    proto: number,
    packets: number,
    bytes: number,
    t: number,
    action: string,
    flags: number,
    direction: string,
    path: string,
    dstService = '-',
  ) =>
    `5 ${ACCOUNT} ${node.eni} ${node.ip} ${direction === 'egress' || src.startsWith('10.') ? node.ip : dst} ${sport} ${dport} ${proto} ${packets} ${bytes} ${t} ${t + 60} ${action} OK ${VPC} ${node.subnet} ${node.instance} ${flags} IPv4 ${src} ${dst} eu-west-1 ${node.az} - ${dstService} ${direction} ${path}`;
  let n = 0;
  while (n < records) {
    const t = START + rng.int(0, 540);
    const roll = rng.next();
    if (roll < 0.55) {
      // Pod to service: a request record on the client's interface and a reply on the server's.
      const client = w.pods[zipf(rng, w.pods.length, 0.8)] as Pod;
      const server = rng.pick(rng.pick(client.dependencies));
      const sport = rng.int(32768, 60999);
      const packets = rng.int(1, 200);
      yield line(
        client.node,
        client.ip,
        server.ip,
        sport,
        server.port,
        6,
        packets,
        packets * rng.int(60, 900),
        t,
        'ACCEPT',
        2,
        'egress',
        '1',
      );
      yield line(
        server.node,
        server.ip,
        client.ip,
        server.port,
        sport,
        6,
        packets,
        packets * rng.int(60, 1400),
        t,
        'ACCEPT',
        18,
        'egress',
        '1',
      );
      n += 2;
    } else if (roll < 0.65) {
      const client = rng.pick(w.pods);
      const server = rng.pick(w.dns);
      yield line(
        client.node,
        client.ip,
        server.ip,
        rng.int(32768, 60999),
        53,
        17,
        1,
        rng.int(60, 120),
        t,
        'ACCEPT',
        0,
        'egress',
        '1',
      );
      n++;
    } else if (roll < 0.87) {
      // Egress to the internet and AWS services: a long tail of destinations.
      const client = w.pods[zipf(rng, w.pods.length, 0.6)] as Pod;
      // Mostly the pod's own endpoints; now and then somewhere new (the long tail).
      const dst = rng.chance(0.97)
        ? rng.pick(client.destinations)
        : (w.external[zipf(rng, w.external.length, 0.9)] as string);
      const packets = rng.int(2, 400);
      const service = dst.startsWith('52.') ? 'S3' : '-';
      yield line(
        client.node,
        client.ip,
        dst,
        rng.int(32768, 60999),
        443,
        6,
        packets,
        packets * rng.int(100, 1400),
        t,
        'ACCEPT',
        2,
        'egress',
        '8',
        service,
      );
      n++;
    } else if (roll < 0.98) {
      // Internet clients to the load-balanced ingress workloads.
      const server = rng.pick(w.ingress);
      const src = w.internet[zipf(rng, w.internet.length, 1.0)] as string;
      const packets = rng.int(3, 60);
      yield line(
        server.node,
        src,
        server.ip,
        rng.int(1024, 65535),
        server.port,
        6,
        packets,
        packets * rng.int(60, 600),
        t,
        'ACCEPT',
        2,
        'ingress',
        '-',
      );
      n++;
    } else {
      // Scans, rejected at the security group.
      const node = rng.pick(w.nodes);
      const src = rng.pick(w.internet);
      yield line(node, src, node.ip, rng.int(1024, 65535), rng.int(1, 10000), 6, 1, 40, t, 'REJECT', 2, 'ingress', '-');
      n++;
    }
  }
}

/** Whether an IPv4 address (unsigned) is on the public internet: outside private, shared, loopback, link-local, multicast and reserved space. */
function isPublicIpv4(ip: number): boolean {
  const a = ip >>> 24;
  const b = (ip >>> 16) & 255;
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 100 && b >= 64 && b < 128) return false;
  if (a === 169 && b === 254) return false;
  if (a === 172 && b >= 16 && b < 32) return false;
  return !(a === 192 && b === 168);
}

/**
 * Lines of a flow-log object an internet-wide scan makes of a load balancer: one record per
 * distinct public source (a SYN to 443, answered or not, a packet or three), all logged at the
 * load balancer's interface for its one internal address. Sources are distinct because they walk
 * the address space by an odd stride (a bijection of 32-bit numbers), skipping what is not public.
 */
export function* scanLines(seed: number, records: number): Generator<string> {
  const rng = new Prng(seed);
  const eni = `eni-0${rng.hex(16)}`;
  const subnet = `subnet-0${rng.hex(16)}`;
  const lb = '10.0.0.37';
  const offset = rng.int(0, 0x7fff_ffff);
  yield STACK_FLOW_HEADER;
  let n = 0;
  for (let i = 0; n < records; i++) {
    const ip = (Math.imul(i, 0x9e37_79b1) + offset) >>> 0;
    if (!isPublicIpv4(ip)) continue;
    const src = `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
    const t = START + rng.int(0, 540);
    const packets = rng.int(1, 3);
    yield `5 ${ACCOUNT} ${eni} ${src} ${lb} ${rng.int(1024, 65535)} 443 6 ${packets} ${packets * rng.int(40, 60)} ${t} ${t + 60} ACCEPT OK ${VPC} ${subnet} - 2 IPv4 ${src} ${lb} eu-west-1 euw1-az1 - - ingress -`;
    n++;
  }
}

const USERS = [
  {
    username: 'system:serviceaccount:kube-system:replicaset-controller',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
  },
  { username: 'system:kube-controller-manager', groups: ['system:authenticated'] },
  { username: 'system:kube-scheduler', groups: ['system:authenticated'] },
  { username: 'system:node:ip-10-0-1-23.eu-west-1.compute.internal', groups: ['system:nodes', 'system:authenticated'] },
  {
    username: 'system:serviceaccount:kube-system:aws-node',
    groups: ['system:serviceaccounts', 'system:authenticated'],
  },
  {
    username: 'system:serviceaccount:argocd:argocd-application-controller',
    groups: ['system:serviceaccounts', 'system:authenticated'],
  },
  {
    username: 'arn:aws:sts::123456789012:assumed-role/platform-admin/alice',
    groups: ['system:masters', 'system:authenticated'],
  },
];
const RESOURCES = [
  'pods',
  'leases',
  'configmaps',
  'endpoints',
  'endpointslices',
  'nodes',
  'deployments',
  'replicasets',
  'services',
  'secrets',
  'events',
];
const NAMESPACES = ['kube-system', 'shop', 'payments', 'argocd', 'monitoring', 'default', 'kube-node-lease'];

/** One audit.k8s.io/v1 event as the API server writes it (Metadata level, the EKS default). */
function auditEvent(rng: Prng, i: number, time: number): Record<string, unknown> {
  const user = USERS[zipf(rng, USERS.length, 1.3)] as (typeof USERS)[number];
  const resource = RESOURCES[zipf(rng, RESOURCES.length)] as string;
  const namespace = resource === 'nodes' ? undefined : (NAMESPACES[zipf(rng, NAMESPACES.length)] as string);
  const verbRoll = rng.next();
  const verb =
    verbRoll < 0.45
      ? 'get'
      : verbRoll < 0.7
        ? 'list'
        : verbRoll < 0.82
          ? 'watch'
          : verbRoll < 0.94
            ? 'update'
            : verbRoll < 0.97
              ? 'patch'
              : verbRoll < 0.99
                ? 'create'
                : 'delete';
  const name = `${resource.slice(0, -1)}-${rng.hex(5)}`;
  const stamp = new Date(time).toISOString().replace('Z', '000Z');
  const event: Record<string, unknown> = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `${rng.hex(8)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/${namespace ? `namespaces/${namespace}/` : ''}${resource}${verb === 'list' || verb === 'watch' ? '?limit=500&resourceVersion=0' : `/${name}`}`,
    verb,
    user: { ...user, uid: `${rng.hex(8)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}` },
    sourceIPs: [`10.0.${rng.int(1, 96)}.${rng.int(1, 254)}`],
    userAgent: `${user.username.includes('node') ? 'kubelet/v1.31.2-eks-7f9249a' : 'kube-controller-manager/v1.31.2'} (linux/arm64) kubernetes/${rng.hex(7)}`,
    objectRef: { resource, namespace, name: verb === 'list' || verb === 'watch' ? undefined : name, apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: verb === 'create' ? 201 : 200 },
    requestReceivedTimestamp: stamp,
    stageTimestamp: stamp,
    annotations: {
      'authorization.k8s.io/decision': 'allow',
      'authorization.k8s.io/reason': `RBAC: allowed by ClusterRoleBinding "system:controller:${resource}" of ClusterRole "system:controller:${resource}" to ServiceAccount "${user.username.split(':').pop()}"`,
    },
  };
  if (i % 997 === 0) {
    // Now and then someone runs kubectl exec.
    event.verb = 'create';
    event.objectRef = { resource: 'pods', subresource: 'exec', namespace: 'shop', name: 'api-0', apiVersion: 'v1' };
    event.requestURI = '/api/v1/namespaces/shop/pods/api-0/exec?command=sh&stdin=true&tty=true';
    event.user = USERS[6];
  }
  return event;
}

/**
 * Documents of one Firehose audit object: CloudWatch Logs DATA_MESSAGE envelopes of up to 400
 * events from one of three API server streams, concatenated with no delimiter, with a control
 * message now and then.
 */
export function* auditDocuments(seed: number, events: number): Generator<string> {
  const rng = new Prng(seed);
  const start = START * 1000;
  let i = 0;
  let batch = 0;
  while (i < events) {
    if (batch++ % 50 === 0) {
      yield JSON.stringify({
        messageType: 'CONTROL_MESSAGE',
        owner: 'CloudwatchLogs',
        logGroup: '',
        logStream: '',
        subscriptionFilters: [],
        logEvents: [
          { id: '', timestamp: start, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' },
        ],
      });
    }
    const size = Math.min(events - i, rng.int(100, 400));
    const logEvents = [];
    for (let k = 0; k < size; k++, i++) {
      const time = start + Math.floor((i / events) * 60_000);
      logEvents.push({ id: rng.digits(56), timestamp: time, message: JSON.stringify(auditEvent(rng, i, time)) });
    }
    yield JSON.stringify({
      messageType: 'DATA_MESSAGE',
      owner: ACCOUNT,
      logGroup: '/aws/eks/shop-prod/cluster',
      logStream: `kube-apiserver-audit-${rng.pick(['0a1b2c3d', '4e5f6a7b', '8c9d0e1f'])}${rng.hex(24)}`,
      subscriptionFilters: ['driftwatch-audit'],
      logEvents,
    });
  }
}

/**
 * What each identity of {@link hostileAuditDocuments} does, in turn: every one is new to the
 * cluster (new-identity) and calls from a network it never used (new-source-ip); besides, it
 * execs into a pod (exec-into-pod), lists its own permissions (permission-probing), reads a
 * namespace's secrets (unusual-secret-access), or is denied (a forbidden-burst tally that stays
 * under the threshold).
 */
const HOSTILE_ACTS = [
  { verb: 'create', resource: 'pods', code: 101 },
  { verb: 'create', resource: 'selfsubjectrulesreviews', code: 201 },
  { verb: 'list', resource: 'secrets', code: 200 },
  { verb: 'list', resource: 'secrets', code: 403 },
] as const;

/** One compact audit event of a hostile identity (Metadata level, nothing random: ~25 bytes gzipped). */
function hostileEvent(n: number, time: number): string {
  const act = HOSTILE_ACTS[n % HOSTILE_ACTS.length] as (typeof HOSTILE_ACTS)[number];
  const id = String(n).padStart(6, '0');
  const namespace = `team-${n % 40}`;
  const name = act.resource === 'pods' ? `api-${n % 50}` : undefined;
  const path = `${act.resource === 'selfsubjectrulesreviews' ? '/apis/authorization.k8s.io/v1' : `/api/v1/namespaces/${namespace}`}/${act.resource}${name ? `/${name}/exec?command=sh&stdin=true&tty=true` : ''}`;
  const stamp = new Date(time).toISOString().replace('Z', '000Z');
  return JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    stage: 'ResponseComplete',
    requestURI: path,
    verb: act.verb,
    user: { username: `dev-${id}@corp.example`, groups: ['system:authenticated'] },
    sourceIPs: [`10.${64 + (n % 32)}.${(n >> 5) & 255}.${1 + ((n * 7) % 254)}`],
    userAgent: 'kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46',
    objectRef: {
      resource: act.resource,
      ...(act.resource === 'selfsubjectrulesreviews' ? { apiGroup: 'authorization.k8s.io' } : { namespace }),
      ...(name ? { name, subresource: 'exec' } : {}),
      apiVersion: 'v1',
    },
    responseStatus: { code: act.code },
    requestReceivedTimestamp: stamp,
  });
}

/**
 * A hostile audit object: `identities` distinct people, each new to the cluster and each doing
 * something that fires a rule or an anomaly, in CloudWatch Logs envelopes as Firehose delivers
 * them. Measures bounded work: the findings an object yields must not grow with its identities.
 */
export function* hostileAuditDocuments(identities: number): Generator<string> {
  const start = START * 1000;
  let n = 0;
  while (n < identities) {
    const size = Math.min(identities - n, 400);
    const logEvents = [];
    for (let k = 0; k < size; k++, n++) {
      const time = start + Math.floor((n / identities) * 60_000);
      logEvents.push({ id: String(n).padStart(56, '0'), timestamp: time, message: hostileEvent(n, time) });
    }
    yield JSON.stringify({
      messageType: 'DATA_MESSAGE',
      owner: ACCOUNT,
      logGroup: '/aws/eks/shop-prod/cluster',
      logStream: 'kube-apiserver-audit-0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d',
      subscriptionFilters: ['driftwatch-audit'],
      logEvents,
    });
  }
}

/**
 * Writes pieces to a gzip file (atomically: to a temporary name first), `separator` after each,
 * until `count` pieces are written or `stopAtBytes` compressed bytes are reached.
 */
export async function writeGzip(
  path: string,
  pieces: Iterable<string>,
  options: { separator: string; stopAtBytes?: number },
): Promise<{ pieces: number; bytes: number }> {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.partial`;
  const out = createWriteStream(temporary);
  const gzip = createGzip({ level: 6 });
  gzip.pipe(out);
  let written = 0;
  let compressed = 0;
  gzip.on('data', (chunk: Buffer) => {
    compressed += chunk.length;
  });
  let buffer: string[] = [];
  for (const piece of pieces) {
    buffer.push(piece);
    written++;
    if (buffer.length >= 4096) {
      if (!gzip.write(buffer.join(options.separator) + options.separator)) await once(gzip, 'drain');
      buffer = [];
      if (options.stopAtBytes !== undefined && compressed >= options.stopAtBytes) break;
    }
  }
  if (buffer.length) gzip.write(buffer.join(options.separator) + options.separator);
  gzip.end();
  await once(out, 'close');
  renameSync(temporary, path);
  return { pieces: written, bytes: statSync(path).size };
}

/** Generates a file unless it is already there. */
export async function ensure(path: string, make: () => Promise<unknown>): Promise<void> {
  if (existsSync(path)) return;
  const started = Date.now();
  process.stdout.write(`generating ${path} ... `);
  await make();
  process.stdout.write(
    `${((Date.now() - started) / 1000).toFixed(1)} s, ${(statSync(path).size / 1e6).toFixed(1)} MB\n`,
  );
}
