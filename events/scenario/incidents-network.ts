import { STACK_FLOW_FORMAT } from '../../shared/ingest';
import { ACCOUNT, DATABASE, EXTERNAL, VPC_ID } from './cluster';
import { type Conversation, TRAFFIC_PATH } from './flow-log';
import type { IncidentContext, IncidentDefinition } from './incident-types';
import { ephemeralPort, externalCall } from './traffic';
import type { Pod } from './world';

const MINUTE_MS = 60_000;
const WINDOW_MS = 10 * MINUTE_MS;

/** The first normal pod of a workload alive at `time`. */
function podOf(ctx: IncidentContext, key: string, time = ctx.time): Pod {
  const pod = ctx.world
    .live(key, time)
    .filter((p) => p.normal)
    .sort((x, y) => x.name.localeCompare(y.name))[0];
  if (!pod) throw new Error(`no pod of ${key} at ${new Date(time).toISOString()}`);
  return pod;
}

/** A conversation from a pod, logged at its node's interface, starting at `at` (epoch ms). */
function fromPod(
  ctx: IncidentContext,
  pod: Pod,
  at: number,
  c: Omit<Conversation, 'eni' | 'side' | 'client' | 'clientPort' | 'start' | 'end' | 'trafficPath'> & {
    seconds?: number;
    trafficPath?: number;
  },
): void {
  const start = Math.floor(at / 1000);
  ctx.flows.conversation({
    eni: pod.node.eni,
    side: 'client',
    client: pod.ip,
    clientPort: ephemeralPort(ctx.rng),
    start,
    end: start + (c.seconds ?? 1),
    trafficPath: c.trafficPath ?? TRAFFIC_PATH.inVpc,
    ...c,
  });
}

/** A connection attempt: rejected by a security group, or answered (SYN, SYN-ACK) and dropped by the prober. */
function probe(ctx: IncidentContext, pod: Pod, at: number, server: string, port: number, open: boolean): void {
  fromPod(ctx, pod, at, {
    server,
    serverPort: port,
    protocol: 6,
    packetsOut: 1,
    bytesOut: 44,
    packetsIn: open ? 1 : 0,
    bytesIn: open ? 44 : 0,
    opened: true,
    closed: false,
    rejected: !open,
  });
}

const SCENARIO_END_DAY = 14;

const exposurePath: IncidentDefinition = {
  id: 'exposure-path',
  day: 10,
  at: '09:12:30',
  description:
    'shop/web, the workload behind the internet-facing load balancer, starts connecting straight to the payments ' +
    `database (${DATABASE.ip}:${DATABASE.port}) after a release, and keeps doing so: a public-facing workload one ` +
    'hop from the data, which in normal life only payments/api talks to.',
  expectedRuleIds: ['net.exposure-path', 'net.new-port'],
  plant(ctx) {
    const end = ctx.start + SCENARIO_END_DAY * 24 * 3_600_000;
    let first: Pod | undefined;
    for (let window = ctx.time; window < end; window = (Math.floor(window / WINDOW_MS) + 1) * WINDOW_MS) {
      const at = window === ctx.time ? window : window + ctx.rng.int(5_000, 60_000);
      const pods = ctx.world.live('shop/web', at).filter((p) => p.normal);
      const pod = pods[ctx.rng.int(0, pods.length - 1)];
      if (!pod) continue;
      first ??= pod;
      fromPod(ctx, pod, at, {
        server: DATABASE.ip,
        serverPort: DATABASE.port,
        protocol: 6,
        seconds: ctx.rng.int(2, 40),
        packetsOut: 8,
        bytesOut: ctx.rng.int(1_500, 6_000),
        packetsIn: 10,
        bytesIn: ctx.rng.int(4_000, 40_000),
        opened: true,
        closed: true,
      });
    }
    if (!first) throw new Error('exposure-path: no shop/web pod');
    return {
      srcAddr: first.ip,
      dstAddr: DATABASE.ip,
      dstPort: DATABASE.port,
      workload: 'shop/web',
      pod: `shop/${first.name}`,
      path: ['internet', 'alb-shop-web', 'shop/web', 'rds-subnets'],
    };
  },
};

/** Public addresses (RFC 5737) that reach Prometheus straight through a security group left open. */
const INGRESS_SOURCES = ['198.51.100.14', '198.51.100.23', '198.51.100.131'] as const;

const publicIngress: IncidentDefinition = {
  id: 'public-ingress',
  day: 11,
  at: '20:41:10',
  description:
    'A security group change leaves the Prometheus pod reachable from the internet: three public addresses open ' +
    'connections straight to monitoring/prometheus on 9090, bypassing the load balancer, and read its API.',
  expectedRuleIds: ['net.public-ingress'],
  plant(ctx) {
    const pod = podOf(ctx, 'monitoring/prometheus');
    INGRESS_SOURCES.forEach((source, i) => {
      const start = Math.floor(ctx.time / 1000) + i * ctx.rng.int(40, 300);
      ctx.flows.conversation({
        eni: pod.node.eni,
        side: 'server',
        client: source,
        server: pod.ip,
        clientPort: ctx.rng.int(49152, 65535),
        serverPort: 9090,
        protocol: 6,
        start,
        end: start + ctx.rng.int(2, 30),
        packetsOut: 14,
        bytesOut: ctx.rng.int(1_200, 4_000),
        packetsIn: 60,
        bytesIn: ctx.rng.int(60_000, 900_000),
        opened: true,
        closed: true,
        trafficPath: TRAFFIC_PATH.internetGateway,
      });
    });
    return {
      srcAddr: INGRESS_SOURCES[0],
      dstAddr: pod.ip,
      dstPort: 9090,
      workload: 'monitoring/prometheus',
      pod: `monitoring/${pod.name}`,
    };
  },
};

const rejectSpike: IncidentDefinition = {
  id: 'reject-spike',
  day: 11,
  at: '16:05:00',
  description:
    'A security group edit drops shop/cart from the rules of payments/api: for the rest of the hour every call ' +
    'cart makes to api on 8443 (and its retries) is REJECTed.',
  expectedRuleIds: ['net.reject-spike'],
  plant(ctx) {
    const carts = ctx.world.live('shop/cart', ctx.time).filter((p) => p.normal);
    const apis = ctx.world.live('payments/api', ctx.time).filter((p) => p.normal);
    if (carts.length === 0 || apis.length === 0) throw new Error('reject-spike: no cart or api pod');
    let attempts = 0;
    for (let at = ctx.time; at < ctx.time + 50 * MINUTE_MS; at += ctx.rng.int(4_000, 12_000)) {
      const cart = carts[attempts % carts.length] as Pod;
      const api = apis[ctx.rng.int(0, apis.length - 1)] as Pod;
      fromPod(ctx, cart, at, {
        server: api.ip,
        serverPort: 8443,
        protocol: 6,
        packetsOut: 1 + ctx.rng.int(0, 2),
        bytesOut: 60,
        packetsIn: 0,
        bytesIn: 0,
        opened: true,
        closed: false,
        rejected: true,
      });
      attempts++;
    }
    return {
      srcWorkload: 'shop/cart',
      dstWorkload: 'payments/api',
      dstPort: 8443,
      rejected: attempts,
    };
  },
};

const portScan: IncidentDefinition = {
  id: 'port-scan',
  day: 12,
  at: '03:07:44',
  description:
    'Someone with a shell in a payments/worker pod scans a node for services (about 120 ports in a minute; its ' +
    'security group rejects all but the kubelet and SSH), then sweeps the node subnet for Redis on 6379.',
  expectedRuleIds: ['net.port-scan', 'net.port-sweep'],
  plant(ctx) {
    const pod = podOf(ctx, 'payments/worker');
    const target = ctx.world.nodes.find((n) => n.ip !== pod.node.ip) ?? ctx.world.nodes[0];
    if (!target) throw new Error('port-scan: no node');
    const open = new Set([22, 10250]);
    const ports = new Set<number>([21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993, 995]);
    ports.add(10250);
    while (ports.size < 120) ports.add(ctx.rng.int(1, 10_000));
    let at = ctx.time;
    for (const port of [...ports].sort((a, b) => a - b)) {
      probe(ctx, pod, at, target.ip, port, open.has(port));
      at += ctx.rng.int(100, 600);
    }
    // Then Redis on every address of a node subnet; the one Redis pod answers.
    const redis = ctx.world.live('shop/redis', at)[0];
    const hosts: string[] = [];
    for (let octet = 10; octet < 50; octet++) hosts.push(`${target.subnet}.${octet}`);
    if (redis && !hosts.includes(redis.ip)) hosts.push(redis.ip);
    at += 20_000;
    for (const host of hosts) {
      probe(ctx, pod, at, host, 6379, host === redis?.ip);
      at += ctx.rng.int(50, 300);
    }
    return {
      srcAddr: pod.ip,
      dstAddr: target.ip,
      ports: ports.size,
      sweptPort: 6379,
      hosts: hosts.length,
      pod: `payments/${pod.name}`,
    };
  },
};

const volumeSpike: IncidentDefinition = {
  id: 'volume-spike',
  day: 12,
  at: '16:20:05',
  // The same payments/worker pod that scanned the node subnet in the night: recon, then exfiltration.
  partOf: 'port-scan',
  description:
    `payments/worker, which only fetches small exchange-rate tables from GitHub (${EXTERNAL.github.block}.0/24), ` +
    'uploads about 900 MB to it within half an hour: a known destination, a volume far above its baseline.',
  expectedRuleIds: ['net.volume-spike'],
  plant(ctx) {
    const pod = podOf(ctx, 'payments/worker');
    const server = `${EXTERNAL.github.block}.5`;
    let sent = 0;
    for (let i = 0; i < 3; i++) {
      const at = ctx.time + i * WINDOW_MS;
      const bytes = 300_000_000 + ctx.rng.int(0, 5_000_000);
      sent += bytes;
      externalCall(
        ctx.flows,
        { start: Math.floor(at / WINDOW_MS) * (WINDOW_MS / 1000), rng: ctx.rng },
        {
          client: pod,
          server,
          port: 443,
          bytes: [bytes, 90_000],
          exactBytes: true,
          seconds: 540,
          at: Math.floor(at / 1000),
        },
      );
    }
    return { srcAddr: pod.ip, dstAddr: server, dstPort: 443, bytesOut: sent, pod: `payments/${pod.name}` };
  },
};

/** A stratum port on an address on no threat list (RFC 2544 benchmarking space). */
const UNLISTED_POOL = { ip: '198.18.40.9', port: 14444 } as const;

const miningPort: IncidentDefinition = {
  id: 'mining-port',
  day: 13,
  at: '08:33:20',
  description:
    'The shop/redis pod, reached through its unauthenticated port, starts a miner that connects to ' +
    `${UNLISTED_POOL.ip}:${UNLISTED_POOL.port} (stratum over TLS): on no threat list, but a mining pool port.`,
  expectedRuleIds: ['net.mining-pool-port', 'net.new-external-destination', 'net.new-port'],
  plant(ctx) {
    const pod = podOf(ctx, 'shop/redis');
    for (let i = 0; i < 4; i++) {
      const at = ctx.time + i * WINDOW_MS;
      externalCall(
        ctx.flows,
        { start: Math.floor(at / WINDOW_MS) * (WINDOW_MS / 1000), rng: ctx.rng },
        {
          client: pod,
          server: UNLISTED_POOL.ip,
          port: UNLISTED_POOL.port,
          bytes: [520_000, 180_000],
          seconds: i === 0 ? 400 : 590,
          at: Math.floor(at / 1000),
        },
      );
    }
    return {
      srcAddr: pod.ip,
      dstAddr: UNLISTED_POOL.ip,
      dstPort: UNLISTED_POOL.port,
      destinationBlock: '198.18.40.0/24',
      pod: `shop/${pod.name}`,
    };
  },
};

const skipData: IncidentDefinition = {
  id: 'flow-log-skipdata',
  day: 14,
  at: '05:04:00',
  description:
    'VPC Flow Logs hits an internal capacity limit on a node interface and writes SKIPDATA records for three ' +
    'capture windows: traffic there went unrecorded.',
  expectedRuleIds: ['net.log-health'],
  plant(ctx) {
    const node = ctx.world.nodes[1] ?? ctx.world.nodes[0];
    if (!node) throw new Error('flow-log-skipdata: no node');
    const start = Math.floor(ctx.time / 1000);
    const lines = [0, 1, 2].map((i) => {
      const values = STACK_FLOW_FORMAT.map(() => '-') as string[];
      values[0] = '5';
      values[1] = ACCOUNT;
      values[2] = node.eni.id;
      values[10] = String(start + i * 60);
      values[11] = String(start + i * 60 + 59);
      values[13] = 'SKIPDATA';
      values[14] = VPC_ID;
      return { start: start + i * 60, text: values.join(' '), nodata: true };
    });
    ctx.flows.add(lines);
    return { interfaceId: node.eni.id, skipdata: lines.length };
  },
};

/** Incidents for the network analysis (exposure path, port scan, volume spike, ...). */
export const NETWORK_INCIDENTS: readonly IncidentDefinition[] = [
  exposurePath,
  rejectSpike,
  publicIngress,
  portScan,
  volumeSpike,
  miningPort,
  skipData,
];
