import {
  API_SERVER_IPS,
  AWS_SERVICES,
  CUSTOMER_PREFIXES,
  DATABASE,
  EXTERNAL,
  type ExternalService,
  IDLE_ENI,
  LOAD_BALANCER,
  NAT_GATEWAY,
  type NodeSpec,
  SCANNER_PREFIXES,
} from './cluster';
import { type Conversation, type FlowLog, nodataLine, TRAFFIC_PATH } from './flow-log';
import type { Activity } from './lifecycle';
import { type Prng, streamOf } from './prng';
import type { Pod } from './world';

/**
 * The cluster's network life as VPC Flow Logs records it. Each conversation is logged by the
 * client's interface (both directions), except traffic from the internet, which the load
 * balancer's interface logs. Traffic to the internet also shows at the NAT gateway's interface,
 * where the interface addresses (srcaddr/dstaddr) differ from the packet's (pkt-srcaddr/pkt-dstaddr).
 */

const WINDOW_SECONDS = 600;

/** Where a conversation happens: one 10-minute capture window. */
export interface Window {
  /** Epoch seconds of the window's start. */
  start: number;
  rng: Prng;
}

/** A random moment in the window and an end no later than the window's. */
function span(w: Window, longLived: boolean): { start: number; end: number } {
  if (longLived) {
    const start = w.start + w.rng.int(0, 20);
    return { start, end: w.start + WINDOW_SECONDS - w.rng.int(0, 15) };
  }
  const start = w.start + w.rng.int(0, WINDOW_SECONDS - 70);
  return { start, end: start + w.rng.int(1, 65) };
}

export function ephemeralPort(rng: Prng): number {
  return rng.int(32768, 60999);
}

/** The interface a pod's traffic leaves through: its node's (pod IPs are secondary IPs on it). */
function eniOf(pod: Pod | NodeSpec) {
  return 'node' in pod ? pod.node.eni : pod.eni;
}

function ipOf(end: Pod | NodeSpec): string {
  return end.ip;
}

export interface InternalCall {
  client: Pod | NodeSpec;
  server: string;
  port: number;
  protocol?: 6 | 17;
  longLived?: boolean;
  /** Bytes the client sends and receives, roughly. */
  bytes: [number, number];
}

/** A conversation inside the VPC, logged at the client's interface. */
export function internalCall(log: FlowLog, w: Window, call: InternalCall): void {
  const { start, end } = span(w, call.longLived === true);
  const rng = w.rng;
  const scale = 0.6 + rng.next() * 0.8;
  const bytesOut = Math.max(60, Math.round(call.bytes[0] * scale));
  const bytesIn = Math.max(60, Math.round(call.bytes[1] * scale));
  log.conversation({
    eni: eniOf(call.client),
    side: 'client',
    client: ipOf(call.client),
    server: call.server,
    clientPort: ephemeralPort(rng),
    serverPort: call.port,
    protocol: call.protocol ?? 6,
    start,
    end,
    packetsOut: Math.max(1, Math.round(bytesOut / 420)),
    bytesOut,
    packetsIn: Math.max(1, Math.round(bytesIn / 900)),
    bytesIn,
    opened: call.protocol === 17 ? false : !call.longLived || rng.chance(0.1),
    closed: call.protocol === 17 ? false : !call.longLived,
    trafficPath: TRAFFIC_PATH.inVpc,
  });
}

export interface ExternalCall {
  client: Pod | NodeSpec;
  server: string;
  port: number;
  bytes: [number, number];
  /** pkt-dst-aws-service of the server, for AWS endpoints. */
  service?: string;
  /** Through a gateway VPC endpoint (S3, DynamoDB) instead of the NAT gateway. */
  gatewayEndpoint?: boolean;
  /** Use `bytes` as given rather than varying them. */
  exactBytes?: boolean;
  /** Seconds the conversation lasts, when it is long (an upload). */
  seconds?: number;
  at?: number;
}

/**
 * A connection from a pod or node to a public address: at the pod's interface, and (unless it
 * goes through a gateway endpoint) at the NAT gateway's interface, on both of its sides.
 */
export function externalCall(log: FlowLog, w: Window, call: ExternalCall): void {
  const rng = w.rng;
  const start = call.at ?? w.start + rng.int(0, WINDOW_SECONDS - 70);
  const end = Math.min(start + (call.seconds ?? rng.int(1, 40)), w.start + WINDOW_SECONDS);
  const scale = call.exactBytes ? 1 : 0.7 + rng.next() * 0.6;
  const bytesOut = Math.max(60, Math.round(call.bytes[0] * scale));
  const bytesIn = Math.max(60, Math.round(call.bytes[1] * scale));
  const client = ipOf(call.client);
  const clientPort = ephemeralPort(rng);
  const base = {
    server: call.server,
    serverPort: call.port,
    protocol: 6 as const,
    start,
    end,
    packetsOut: Math.max(1, Math.round(bytesOut / 1200)),
    bytesOut,
    packetsIn: Math.max(1, Math.round(bytesIn / 1200)),
    bytesIn,
    opened: true,
    closed: true,
    serverService: call.service,
  };
  log.conversation({
    ...base,
    eni: eniOf(call.client),
    side: 'client',
    client,
    clientPort,
    trafficPath: call.gatewayEndpoint ? TRAFFIC_PATH.gatewayEndpoint : TRAFFIC_PATH.inVpc,
  });
  if (call.gatewayEndpoint) return;
  // The NAT gateway's interface sees the pod's packets arrive (addressed to it at the interface
  // level) and leave again from its own address and a translated port.
  const nat: Omit<Conversation, 'side' | 'client' | 'clientPort' | 'trafficPath'> = { ...base, eni: NAT_GATEWAY.eni };
  log.conversation({
    ...nat,
    side: 'server',
    client,
    clientPort,
    ifServer: NAT_GATEWAY.ip,
    trafficPath: TRAFFIC_PATH.inVpc,
  });
  log.conversation({
    ...nat,
    side: 'client',
    client: NAT_GATEWAY.ip,
    clientPort: rng.int(1024, 65535),
    trafficPath: TRAFFIC_PATH.internetGateway,
  });
}

function externalHost(rng: Prng, service: ExternalService): string {
  return `${service.block}.${rng.pick(service.hosts)}`;
}

function awsHost(rng: Prng, service: keyof typeof AWS_SERVICES): string {
  return `${rng.pick(AWS_SERVICES[service].prefixes)}.${rng.int(1, 254)}`;
}

/** Customers per window by UTC hour: quiet at night, busy in the European afternoon and evening. */
const CUSTOMERS_BY_HOUR = [1, 1, 1, 1, 1, 1, 2, 3, 4, 4, 5, 5, 5, 5, 5, 6, 6, 6, 7, 7, 6, 4, 3, 2];

function customerIp(rng: Prng): string {
  return `${rng.pick(CUSTOMER_PREFIXES)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

/** Every service every client pod calls, plus a random pick of the rest, in one window. */
function windowTraffic(a: Activity, log: FlowLog, w: Window, hourOfDay: number, first: boolean): void {
  const rng = w.rng;
  const t = w.start * 1000 + 30_000;
  const live = (key: string) => a.world.live(key, t).filter((p) => p.normal);
  const web = live('shop/web');
  const cart = live('shop/cart');
  const redis = live('shop/redis');
  const api = live('payments/api');
  const worker = live('payments/worker');
  const prometheus = live('monitoring/prometheus');
  const coredns = live('kube-system/coredns');
  const fluentBit = live('monitoring/fluent-bit');

  // Customers reach the load balancer over HTTPS; it keeps connections open to the web pods.
  const customers = Math.max(1, CUSTOMERS_BY_HOUR[hourOfDay] as number) + rng.int(-1, 1);
  for (let i = 0; i < customers; i++) {
    const lb = rng.pick(LOAD_BALANCER.interfaces);
    const { start, end } = span(w, false);
    const bytesOut = rng.int(900, 6000);
    const bytesIn = rng.int(8000, 180_000);
    log.conversation({
      eni: lb.eni,
      side: 'server',
      client: customerIp(rng),
      server: lb.ip,
      clientPort: rng.int(49152, 65535),
      serverPort: 443,
      protocol: 6,
      start,
      end,
      packetsOut: Math.ceil(bytesOut / 500),
      bytesOut,
      packetsIn: Math.ceil(bytesIn / 1300),
      bytesIn,
      opened: true,
      closed: true,
      trafficPath: TRAFFIC_PATH.internetGateway,
    });
  }
  for (const pod of web) {
    const lb = rng.pick(LOAD_BALANCER.interfaces);
    const { start, end } = span(w, true);
    const bytesOut = rng.int(20_000, 90_000);
    const bytesIn = rng.int(200_000, 900_000);
    log.conversation({
      eni: { ...lb.eni },
      side: 'client',
      client: lb.ip,
      server: pod.ip,
      clientPort: ephemeralPort(rng),
      serverPort: 8080,
      protocol: 6,
      start,
      end,
      packetsOut: Math.ceil(bytesOut / 600),
      bytesOut,
      packetsIn: Math.ceil(bytesIn / 1300),
      bytesIn,
      opened: rng.chance(0.1),
      closed: false,
      trafficPath: TRAFFIC_PATH.inVpc,
    });
  }
  // The shop's own calls.
  for (const pod of web) {
    if (cart.length > 0 && rng.chance(0.6)) {
      internalCall(log, w, { client: pod, server: rng.pick(cart).ip, port: 8080, bytes: [3000, 9000] });
    }
  }
  for (const pod of cart) {
    if (redis.length > 0) {
      internalCall(log, w, {
        client: pod,
        server: rng.pick(redis).ip,
        port: 6379,
        longLived: true,
        bytes: [40_000, 120_000],
      });
    }
    if (api.length > 0 && rng.chance(0.7)) {
      internalCall(log, w, { client: pod, server: rng.pick(api).ip, port: 8443, bytes: [2500, 1800] });
    }
  }
  for (const pod of worker) {
    if (api.length > 0 && rng.chance(0.5)) {
      internalCall(log, w, { client: pod, server: rng.pick(api).ip, port: 8443, bytes: [1500, 4000] });
    }
  }
  // The api replicas share a rate-limit state with each other.
  if (api.length > 1 && rng.chance(0.4)) {
    const [from, to] = rng.sample(api, 2) as [Pod, Pod];
    internalCall(log, w, { client: from, server: to.ip, port: 8443, bytes: [600, 400] });
  }
  for (const pod of api) {
    internalCall(log, w, {
      client: pod,
      server: DATABASE.ip,
      port: DATABASE.port,
      longLived: true,
      bytes: [30_000, 150_000],
    });
  }
  // Out of the VPC. Each destination shows at least once an hour (in the first window).
  if (api.length > 0 && (first || rng.chance(0.6))) {
    const host = externalHost(rng, EXTERNAL.cardProcessor);
    externalCall(log, w, { client: rng.pick(api), server: host, port: 443, bytes: [4000, 6000] });
  }
  if (worker.length > 0 && (first || rng.chance(0.1))) {
    const host = externalHost(rng, EXTERNAL.github);
    externalCall(log, w, { client: rng.pick(worker), server: host, port: 443, bytes: [1800, 45_000] });
  }
  for (const pod of prometheus.filter(() => first || rng.chance(0.5))) {
    const host = externalHost(rng, EXTERNAL.telemetry);
    externalCall(log, w, { client: pod, server: host, port: 443, bytes: [350_000, 9000], seconds: 300 });
  }
  if (worker.length > 0) {
    externalCall(log, w, {
      client: rng.pick(worker),
      server: awsHost(rng, 'DYNAMODB'),
      port: 443,
      service: 'DYNAMODB',
      gatewayEndpoint: true,
      bytes: [6000, 14_000],
    });
  }
  if (web.length > 0 && (first || rng.chance(0.5))) {
    externalCall(log, w, {
      client: rng.pick(web),
      server: awsHost(rng, 'S3'),
      port: 443,
      service: 'S3',
      gatewayEndpoint: true,
      bytes: [2000, 250_000],
    });
  }
  if (fluentBit.length > 0 && (first || rng.chance(0.4))) {
    externalCall(log, w, {
      client: rng.pick(fluentBit),
      server: awsHost(rng, 'AMAZON'),
      port: 443,
      service: 'AMAZON',
      bytes: [60_000, 4000],
    });
  }
  // In-cluster plumbing: name lookups, scrapes, the kubelets' connections to the API server.
  const pods = [...web, ...cart, ...api, ...worker];
  if (coredns.length > 0) {
    for (const client of rng.sample(pods, 1)) {
      internalCall(log, w, {
        client,
        server: rng.pick(coredns).ip,
        port: 53,
        protocol: 17,
        bytes: [180, 420],
      });
    }
  }
  if (prometheus[0]) {
    const targets = scrapeTargets(a, t);
    for (const target of rng.sample(targets, 2)) {
      internalCall(log, w, {
        client: prometheus[0],
        server: target.ip,
        port: target.port,
        longLived: true,
        bytes: [2500, 60_000],
      });
    }
  }
  const node = rng.pick(a.world.nodes);
  internalCall(log, w, {
    client: node,
    server: rng.pick(API_SERVER_IPS),
    port: 443,
    longLived: true,
    bytes: [25_000, 60_000],
  });
  // Probes from internet scanners, rejected by the load balancer's security group.
  if (rng.chance(0.25)) {
    const lb = rng.pick(LOAD_BALANCER.interfaces);
    const start = w.start + rng.int(0, WINDOW_SECONDS - 5);
    log.conversation({
      eni: lb.eni,
      side: 'server',
      client: `${rng.pick(SCANNER_PREFIXES)}.${rng.int(0, 255)}.${rng.int(1, 254)}`,
      server: lb.ip,
      clientPort: rng.int(1024, 65535),
      serverPort: rng.pick([22, 23, 3389, 8080, 6379, 9200]),
      protocol: 6,
      start,
      end: start + rng.int(0, 4),
      packetsOut: rng.int(1, 2),
      bytesOut: 44 * rng.int(1, 2),
      packetsIn: 0,
      bytesIn: 0,
      opened: true,
      closed: false,
      rejected: true,
      trafficPath: TRAFFIC_PATH.internetGateway,
    });
  }
}

interface ScrapeTarget {
  ip: string;
  port: number;
}

function scrapeTargets(a: Activity, time: number): ScrapeTarget[] {
  const out: ScrapeTarget[] = [];
  for (const state of a.world.workloads.values()) {
    const port = state.spec.metricsPort;
    if (!port) continue;
    for (const pod of a.world.live(state.key, time)) if (pod.normal) out.push({ ip: pod.ip, port });
  }
  for (const node of a.world.nodes) out.push({ ip: node.ip, port: 10250 });
  return out;
}

/**
 * The flow records of one hour of normal life, and now and then a NODATA record. With `rounds`
 * above 1, each window's conversations happen that many times over, each round from a stream of
 * its own, so that the first round stays what it is at scale 1.
 */
export function trafficOfHour(a: Activity, log: FlowLog, hourStart: number, rounds = 1): void {
  const hourOfDay = new Date(hourStart).getUTCHours();
  for (let i = 0; i < 6; i++) {
    const start = hourStart / 1000 + i * WINDOW_SECONDS;
    const rng = streamOf(a.seed, 'flow', hourStart, i);
    windowTraffic(a, log, { start, rng }, hourOfDay, i === 0);
    for (let round = 1; round < rounds; round++) {
      windowTraffic(a, log, { start, rng: streamOf(a.seed, 'flow', hourStart, i, 'round', round) }, hourOfDay, false);
    }
    if (rng.chance(0.15)) log.add([nodataLine(IDLE_ENI, start + rng.int(0, 30), start + WINDOW_SECONDS - 1)]);
  }
}
