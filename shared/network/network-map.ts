import type { Config } from '../config';
import type { Item, Table } from '../store';
import { keys, OBSERVATION_SHARDS, type PackedRow, packRows, unpackRows } from '../store';
import { dayOf, epochSeconds, HOUR_MS, shardOf } from '../util';
import { isInternal } from './address';
import type { FlowEdge } from './flow-edge';

/** Which way an edge crosses the VPC's boundary, from the client's side. */
export type EdgeDirection = 'internal' | 'egress' | 'ingress' | 'external';

/** Traffic counts of an edge. `bytesOut` is what the client sent, `bytesIn` what it received. */
export interface EdgeTotals {
  bytesOut: number;
  bytesIn: number;
  packets: number;
  flows: number;
  accepted: number;
  rejected: number;
}

/**
 * One edge of the network map in one hour: who talked to whom (entities, not addresses), on which
 * port and protocol, and how much. Built from an object's flow edges; written once per object.
 */
export interface MapEdge extends EdgeTotals {
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

/** The map's name for the internet as a client: inbound traffic is kept per entry, not per source block. */
export const INTERNET_ID = 'external:internet';

/** An end of a map edge: its id and its label. */
interface MapEnd {
  readonly id: string;
  readonly label: string;
}

const INTERNET_END: MapEnd = { id: INTERNET_ID, label: 'internet' };

/**
 * An end's id and label on the map. Two kinds of address are folded, so the map grows with what
 * the cluster is, not with churn: public clients of inbound traffic are one node, the internet (a
 * busy site sees thousands of client blocks an hour, and no statistic uses them); internal
 * addresses nobody claimed stand for their /24 (pod IPs come and go). Findings still name the
 * exact addresses.
 */
function endOf(edge: FlowEdge, side: 'client' | 'server', direction: EdgeDirection): MapEnd {
  if (side === 'client' && edge.clientClass === 'public' && direction === 'ingress') return INTERNET_END;
  const entity = side === 'client' ? edge.clientEntity : edge.serverEntity;
  if (entity?.kind === 'unknown' && entity.cidr) return subnetEnd(entity.cidr);
  // An entity has an id and a label of its own: it is the end.
  if (entity) return entity;
  const address = side === 'client' ? edge.client : edge.server;
  return { id: `ip:${address}`, label: address };
}

/** Ends of folded subnets, by CIDR: every unclaimed address of a /24 shares one. */
const subnetEnds = new Map<string, MapEnd>();

function subnetEnd(cidr: string): MapEnd {
  let end = subnetEnds.get(cidr);
  if (!end) {
    if (subnetEnds.size >= 10_000) subnetEnds.clear();
    end = { id: `subnet:${cidr}`, label: cidr };
    subnetEnds.set(cidr, end);
  }
  return end;
}

/** Where a flow edge sits on the map: its ends, key, hour and map edge id. */
export interface MapPlacement {
  client: MapEnd;
  server: MapEnd;
  direction: EdgeDirection;
  /** See {@link mapEdgeKey}. */
  key: string;
  /** Start of the edge's hour, epoch ms. */
  hour: number;
}

/** Where a flow edge sits on the map, once it is attributed. */
export function mapPlacement(edge: FlowEdge): MapPlacement {
  const direction = directionOf(edge);
  const client = endOf(edge, 'client', direction);
  const server = endOf(edge, 'server', direction);
  const key = `${direction}|${client.id}|${server.id}|${edge.serverPort ?? ''}|${edge.protocol ?? ''}`;
  const hour = Math.floor(edge.time / HOUR_MS) * HOUR_MS;
  return { client, server, direction, key, hour };
}

/** The ids of both ends of a flow edge on the map. */
export function mapEnds(edge: FlowEdge): [string, string] {
  const { client, server } = mapPlacement(edge);
  return [client.id, server.id];
}

/** The map key of a flow edge: its direction, both ends' entities, port and protocol. */
export function mapEdgeKey(edge: FlowEdge): string {
  return mapPlacement(edge).key;
}

export function emptyTotals(): EdgeTotals {
  return { bytesOut: 0, bytesIn: 0, packets: 0, flows: 0, accepted: 0, rejected: 0 };
}

/** The map edge a flow edge belongs to, within an object: scope, hour and key. */
export function mapEdgeId(edge: FlowEdge): string {
  const { hour, key } = mapPlacement(edge);
  return mapEdgeIdOf(edge.scope, hour, key);
}

function mapEdgeIdOf(scope: string, hour: number, key: string): string {
  return `${scope}\u0000${hour}\u0000${key}`;
}

/** Folds flow edges (already attributed) into map edges per scope, hour and key, by {@link mapEdgeId}. */
export function aggregateMap(edges: Iterable<FlowEdge>): Map<string, MapEdge> {
  const out = new Map<string, MapEdge>();
  // By scope and hour (an object has one or two of each), then key: no id string per flow edge.
  const byHour = new Map<string, Map<number, Map<string, MapEdge>>>();
  for (const edge of edges) {
    const { client, server, direction, key, hour } = mapPlacement(edge);
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
    let map = keyed.get(key);
    if (!map) {
      map = {
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
        bytesOut: edge.bytesToServer,
        bytesIn: edge.bytesToClient,
        packets: edge.packets,
        flows: edge.flows,
        accepted: edge.accepted,
        rejected: edge.rejected,
        firstTime: edge.time,
        lastTime: edge.lastTime,
      };
      keyed.set(key, map);
      out.set(mapEdgeIdOf(edge.scope, hour, key), map);
      continue;
    }
    map.bytesOut += edge.bytesToServer;
    map.bytesIn += edge.bytesToClient;
    map.packets += edge.packets;
    map.flows += edge.flows;
    map.accepted += edge.accepted;
    map.rejected += edge.rejected;
    map.firstTime = Math.min(map.firstTime, edge.time);
    map.lastTime = Math.max(map.lastTime, edge.lastTime);
  }
  return out;
}

/** `HH` of an hour, for sort keys. */
function hourOfDay(hour: number): string {
  return new Date(hour).toISOString().slice(11, 13);
}

/** Days map items are kept: the statistics window, and a week for the folds to catch up. */
export function networkMapTtlDays(config: Config): number {
  return config.network.stats.windowDays + 7;
}

export interface NetworkMapStoreOptions {
  /** Days map items are kept; the statistics window must fit in it. @default 21 */
  ttlDays?: number;
}

/** A map edge as a packed row; the order of {@link MAP_ROW_FIELDS}. */
const MAP_ROW_FIELDS = [
  'scope',
  'hour',
  'key',
  'direction',
  'client',
  'server',
  'clientLabel',
  'serverLabel',
  'port',
  'protocol',
  'bytesOut',
  'bytesIn',
  'packets',
  'flows',
  'accepted',
  'rejected',
  'firstTime',
  'lastTime',
] as const;

function toRow(edge: MapEdge): PackedRow {
  return MAP_ROW_FIELDS.map((field) => (edge[field] ?? null) as string | number | null);
}

function fromRow(row: PackedRow): MapEdge {
  const edge: Record<string, unknown> = {};
  MAP_ROW_FIELDS.forEach((field, i) => {
    const value = row[i];
    if (value !== null && value !== undefined) edge[field] = value;
  });
  return edge as unknown as MapEdge;
}

/**
 * The network map in the table. One object's map edges of one hour are packed (gzipped rows)
 * into a few items per shard of the day's partition (`NETMAP#<scope>#<day>#<shard>`, sort key
 * `<HH>#<objectId>#<n>`, edges sharded by key): a redelivered object overwrites its own items,
 * an hour's total on an edge is one query of its shard by prefix, the rebaseline job reads a day
 * with one query per shard, and writes cost by compressed size instead of one unit per edge.
 * Days written are listed on the scope (`SCOPE#<scope>`/`NETMAP`) until the statistics have
 * folded them.
 */
export class NetworkMapStore {
  private readonly ttlDays: number;

  constructor(
    private readonly table: Table,
    options: NetworkMapStoreOptions = {},
  ) {
    this.ttlDays = options.ttlDays ?? 21;
  }

  private static shard(key: string): number {
    return shardOf(key, OBSERVATION_SHARDS);
  }

  /** Writes one object's map edges; returns the number of items. */
  async write(objectId: string, edges: Iterable<MapEdge>): Promise<number> {
    const groups = new Map<string, { scope: string; hour: number; shard: number; rows: PackedRow[] }>();
    const pending = new Map<string, Set<string>>();
    for (const edge of edges) {
      const shard = NetworkMapStore.shard(edge.key);
      const id = `${edge.scope}\u0000${edge.hour}\u0000${shard}`;
      let group = groups.get(id);
      if (!group) {
        group = { scope: edge.scope, hour: edge.hour, shard, rows: [] };
        groups.set(id, group);
        const days = pending.get(edge.scope) ?? new Set<string>();
        days.add(dayOf(edge.hour));
        pending.set(edge.scope, days);
      }
      group.rows.push(toRow(edge));
    }
    const items: Item[] = [];
    for (const group of groups.values()) {
      packRows(group.rows).forEach((packed, n) => {
        items.push({
          pk: keys.networkMapPartition(group.scope, dayOf(group.hour), group.shard),
          sk: `${hourOfDay(group.hour)}#${objectId}#${n}`,
          packed,
          rows: group.rows.length,
          expiresAt: epochSeconds(group.hour) + this.ttlDays * 86_400,
        });
      });
    }
    await this.table.batchPut(items);
    for (const [scope, days] of pending) {
      await this.table.update(keys.networkMapMeta(scope), {
        addToSet: { pendingDays: [...days] },
        setIfAbsent: { scope },
      });
    }
    return items.length;
  }

  /**
   * An edge's totals in one hour, over every object written so far. `cache` keeps the decoded
   * shard-hours of one object's lookups, so asking about many edges reads each once.
   */
  async hourTotals(
    scope: string,
    hour: number,
    key: string,
    cache: Map<string, MapEdge[]> = new Map(),
  ): Promise<EdgeTotals> {
    const pk = keys.networkMapPartition(scope, dayOf(hour), NetworkMapStore.shard(key));
    const prefix = `${hourOfDay(hour)}#`;
    let edges = cache.get(`${pk}\u0000${prefix}`);
    if (!edges) {
      edges = [];
      for (const item of await this.table.query(pk, { skPrefix: prefix })) {
        for (const row of unpackRows(item.packed)) edges.push(fromRow(row));
      }
      cache.set(`${pk}\u0000${prefix}`, edges);
    }
    const totals = emptyTotals();
    for (const edge of edges) if (edge.key === key && edge.hour === hour) addTotals(totals, edge);
    return totals;
  }

  /** Every map edge of a scope's day, unpacked. */
  async day(scope: string, day: string): Promise<MapEdge[]> {
    const out: MapEdge[] = [];
    for (let shard = 0; shard < OBSERVATION_SHARDS; shard++) {
      for (const item of await this.table.query(keys.networkMapPartition(scope, day, shard))) {
        for (const row of unpackRows(item.packed)) out.push(fromRow(row));
      }
    }
    return out;
  }

  async pendingDays(scope: string): Promise<string[]> {
    const item = await this.table.get(keys.networkMapMeta(scope));
    return item?.pendingDays instanceof Set ? [...(item.pendingDays as Set<string>)].sort() : [];
  }

  async markFolded(scope: string, days: readonly string[], time: number): Promise<void> {
    await this.table.update(keys.networkMapMeta(scope), {
      deleteFromSet: { pendingDays: [...days] },
      set: { foldedAt: time },
    });
  }
}

export function addTotals(into: EdgeTotals, item: Partial<EdgeTotals>): void {
  into.bytesOut += Number(item.bytesOut ?? 0);
  into.bytesIn += Number(item.bytesIn ?? 0);
  into.packets += Number(item.packets ?? 0);
  into.flows += Number(item.flows ?? 0);
  into.accepted += Number(item.accepted ?? 0);
  into.rejected += Number(item.rejected ?? 0);
}
