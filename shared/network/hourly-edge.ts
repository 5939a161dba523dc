import { HOUR_MS } from '../util';
import { isInternal } from './address';
import type { FlowEdge } from './flow-edge';
import { addTraffic, emptyTraffic, type Traffic } from './traffic';

/** Which way an edge crosses the VPC's boundary, from the client's side. */
export type EdgeDirection = 'internal' | 'egress' | 'ingress' | 'external';

/**
 * An hourly edge: who talked to whom in one hour (entities, not addresses), on which port and
 * protocol, and how much. Built from an object's flow edges and written once per object
 * ({@link HourlyEdgeStore}); the per-edge hourly statistics are folded from them, by `key`.
 */
export interface HourlyEdge extends Traffic {
  scope: string;
  /** Start of the hour, epoch ms. */
  hour: number;
  /** `direction|client|server|port|protocol`, entity ids. */
  key: string;
  direction: EdgeDirection;
  client: string;
  server: string;
  clientLabel: string;
  serverLabel: string;
  port?: number;
  protocol?: number;
  firstTime: number;
  lastTime: number;
}

export function directionOf(edge: Pick<FlowEdge, 'clientClass' | 'serverClass'>): EdgeDirection {
  const client = isInternal(edge.clientClass);
  const server = isInternal(edge.serverClass);
  if (client && server) return 'internal';
  if (client) return 'egress';
  if (server) return 'ingress';
  return 'external';
}

/** The internet as the client of an hourly edge: inbound traffic is kept per entry, not per source block. */
export const INTERNET_ID = 'external:internet';

/** An end of an hourly edge: its id and its label. */
interface HourlyEnd {
  readonly id: string;
  readonly label: string;
}

const INTERNET_END: HourlyEnd = { id: INTERNET_ID, label: 'internet' };

/**
 * An end's id and label on an hourly edge. Two kinds of address are folded, so hourly edges grow
 * with what the cluster is, not with churn: public clients of inbound traffic are one node, the internet (a
 * busy site sees thousands of client blocks an hour, and no statistic uses them); internal
 * addresses nobody claimed stand for their /24 (pod IPs come and go). Findings still name the
 * exact addresses.
 */
function endOf(edge: FlowEdge, side: 'client' | 'server', direction: EdgeDirection): HourlyEnd {
  if (side === 'client' && edge.clientClass === 'public' && direction === 'ingress') return INTERNET_END;
  const entity = side === 'client' ? edge.clientEntity : edge.serverEntity;
  if (entity?.kind === 'unknown' && entity.cidr) return subnetEnd(entity.cidr);
  // An entity has an id and a label of its own: it is the end.
  if (entity) return entity;
  const address = side === 'client' ? edge.client : edge.server;
  return { id: `ip:${address}`, label: address };
}

/** Ends of folded subnets, by CIDR: every unclaimed address of a /24 shares one. */
const subnetEnds = new Map<string, HourlyEnd>();

function subnetEnd(cidr: string): HourlyEnd {
  let end = subnetEnds.get(cidr);
  if (!end) {
    if (subnetEnds.size >= 10_000) subnetEnds.clear();
    end = { id: `subnet:${cidr}`, label: cidr };
    subnetEnds.set(cidr, end);
  }
  return end;
}

/** The hourly edge a flow edge belongs to: its ends, direction, key and hour. */
export interface HourlyPlacement {
  client: HourlyEnd;
  server: HourlyEnd;
  direction: EdgeDirection;
  /** See {@link hourlyEdgeKey}. */
  key: string;
  /** Start of the edge's hour, epoch ms. */
  hour: number;
}

/** The hourly edge a flow edge belongs to, once it is attributed. */
export function hourlyPlacement(edge: FlowEdge): HourlyPlacement {
  const direction = directionOf(edge);
  const client = endOf(edge, 'client', direction);
  const server = endOf(edge, 'server', direction);
  const key = `${direction}|${client.id}|${server.id}|${edge.serverPort ?? ''}|${edge.protocol ?? ''}`;
  const hour = Math.floor(edge.time / HOUR_MS) * HOUR_MS;
  return { client, server, direction, key, hour };
}

/** The ids of both ends of a flow edge's hourly edge. */
export function hourlyEnds(edge: FlowEdge): [string, string] {
  const { client, server } = hourlyPlacement(edge);
  return [client.id, server.id];
}

/** The key of a flow edge's hourly edge: its direction, both ends' entities, port and protocol. */
export function hourlyEdgeKey(edge: FlowEdge): string {
  return hourlyPlacement(edge).key;
}

/** The id of the hourly edge a flow edge belongs to, within an object: scope, hour and key. */
export function hourlyEdgeId(edge: FlowEdge): string {
  const { hour, key } = hourlyPlacement(edge);
  return hourlyEdgeIdOf(edge.scope, hour, key);
}

function hourlyEdgeIdOf(scope: string, hour: number, key: string): string {
  return `${scope}\u0000${hour}\u0000${key}`;
}

/** Folds flow edges (already attributed) into hourly edges per scope, hour and key, by {@link hourlyEdgeId}. */
export function hourlyEdges(edges: Iterable<FlowEdge>): Map<string, HourlyEdge> {
  const out = new Map<string, HourlyEdge>();
  // By scope and hour (an object has one or two of each), then key: no id string per flow edge.
  const byHour = new Map<string, Map<number, Map<string, HourlyEdge>>>();
  for (const edge of edges) {
    const { client, server, direction, key, hour } = hourlyPlacement(edge);
    let hours = byHour.get(edge.scope);
    if (!hours) {
      hours = new Map();
      byHour.set(edge.scope, hours);
    }
    let keyed = hours.get(hour);
    if (!keyed) {
      keyed = new Map();
      hours.set(hour, keyed);
    }
    let hourly = keyed.get(key);
    if (!hourly) {
      hourly = {
        scope: edge.scope,
        hour,
        key,
        direction,
        client: client.id,
        server: server.id,
        clientLabel: client.label,
        serverLabel: server.label,
        port: edge.serverPort,
        protocol: edge.protocol,
        ...emptyTraffic(),
        firstTime: edge.time,
        lastTime: edge.lastTime,
      };
      keyed.set(key, hourly);
      out.set(hourlyEdgeIdOf(edge.scope, hour, key), hourly);
    }
    addTraffic(hourly, edge);
    hourly.firstTime = Math.min(hourly.firstTime, edge.time);
    hourly.lastTime = Math.max(hourly.lastTime, edge.lastTime);
  }
  return out;
}
