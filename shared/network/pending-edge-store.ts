import type { Origin } from '../ingest';
import type { Item, Key, Table } from '../store';
import { keys, type PackedRow, packRows, unpackRows } from '../store';
import { epochSeconds, HOUR_MS } from '../util';
import type { AddressClass } from './address';
import type { FlowEdge } from './flow-edge';

/** A flow edge as it waits: without its entities, which are named again when it is decided. */
export interface WaitingEdge {
  edge: FlowEdge;
  /** A relay's copy of a connection: recorded, not detected on. */
  relayed: boolean;
}

/** One stored group of waiting edges: one flow object's edges of one hour (one chunk of them). */
export interface PendingGroup {
  key: Key;
  /** The flow object the edges came from. */
  objectId: string;
  uri: string;
  /** When the group may be decided: its latest edge's time plus the margin. */
  dueAt: number;
  edges: WaitingEdge[];
  /** Entry-point addresses the object's records taught (load balancers configured by interface). */
  entryAddresses: string[];
}

export interface PendingEdgeStoreOptions {
  /** Days a group is kept at most, whatever becomes of it (a safety net: groups are deleted once decided). @default 30 */
  ttlDays?: number;
}

/** A waiting edge as a packed row: these fields in this order. The order is the stored format. */
const ROW_FIELDS = [
  'scope',
  'client',
  'server',
  'serverPort',
  'protocol',
  'clientClass',
  'serverClass',
  'clientService',
  'serverService',
  'bytesToServer',
  'bytesToClient',
  'packets',
  'flows',
  'accepted',
  'rejected',
  'opened',
  'time',
  'lastTime',
  'interfaceId',
  'vpcId',
] as const;

/** Milliseconds as a sort key: thirteen digits sort as numbers until the year 2286. */
const SORTABLE_DIGITS = 13;

function toRow({ edge, relayed }: WaitingEdge): PackedRow {
  const { origin } = edge;
  return [
    ...ROW_FIELDS.map((field) => (edge[field] ?? null) as string | number | null),
    origin.line ?? null,
    origin.document ?? null,
    origin.record ?? null,
    relayed,
    // After the origin: rows stored before it was kept read as edges with flags.
    edge.flagless === true,
  ];
}

function fromRow(row: PackedRow, uri: string): WaitingEdge {
  const value = (i: number) => row[i] ?? undefined;
  const n = ROW_FIELDS.length;
  const origin: Origin = { uri };
  const [line, document, record] = [value(n), value(n + 1), value(n + 2)];
  if (typeof line === 'number') origin.line = line;
  if (typeof document === 'number') origin.document = document;
  if (typeof record === 'number') origin.record = record;
  // The same fields, in the same order, as the aggregator makes them.
  const edge = {
    scope: value(0),
    client: value(1),
    server: value(2),
    serverPort: value(3),
    protocol: value(4),
    clientClass: value(5) as AddressClass,
    serverClass: value(6) as AddressClass,
    clientService: value(7),
    serverService: value(8),
    bytesToServer: value(9),
    bytesToClient: value(10),
    packets: value(11),
    flows: value(12),
    accepted: value(13),
    rejected: value(14),
    time: value(16),
    lastTime: value(17),
    origin,
    interfaceId: value(18),
    vpcId: value(19),
  } as FlowEdge;
  const opened = value(15);
  if (typeof opened === 'number') edge.opened = opened;
  if (row[n + 4] === true) edge.flagless = true;
  return { edge, relayed: row[n + 3] === true };
}

/**
 * Flow edges waiting for the audit log to name their internal ends (`PENDING#<cluster>`). One
 * flow object's waiting edges of one hour are packed into an item keyed by when they are due,
 * the object and the hour (`<dueAt>#<objectId>#<hour>#<n>`): a redelivered object overwrites its
 * own items instead of adding a second copy, and the items come back from a query in the order
 * they fall due, so the ones not due yet are never read past the first.
 */
export class PendingEdgeStore {
  private readonly ttlDays: number;

  constructor(
    private readonly table: Table,
    options: PendingEdgeStoreOptions = {},
  ) {
    this.ttlDays = options.ttlDays ?? 30;
  }

  /** Stores one object's waiting edges, due `marginMs` after the latest edge of each hour. Returns the items written. */
  async park(
    cluster: string,
    object: { id: string; uri: string },
    waiting: readonly WaitingEdge[],
    entryAddresses: ReadonlySet<string>,
    marginMs: number,
  ): Promise<number> {
    const hours = new Map<number, WaitingEdge[]>();
    for (const w of waiting) {
      const hour = Math.floor(w.edge.time / HOUR_MS) * HOUR_MS;
      const group = hours.get(hour) ?? [];
      group.push(w);
      hours.set(hour, group);
    }
    const items: Item[] = [];
    for (const [hour, group] of hours) {
      const dueAt = Math.max(...group.map((w) => w.edge.time)) + marginMs;
      const entry = new Set<string>();
      for (const { edge } of group) {
        if (entryAddresses.has(edge.client)) entry.add(edge.client);
        if (entryAddresses.has(edge.server)) entry.add(edge.server);
      }
      packRows(group.map(toRow)).forEach((packed, n) => {
        items.push({
          pk: keys.pendingEdges(cluster),
          sk: `${String(dueAt).padStart(SORTABLE_DIGITS, '0')}#${object.id}#${hour}#${n}`,
          objectId: object.id,
          uri: object.uri,
          dueAt,
          packed,
          rows: group.length,
          ...(entry.size > 0 ? { entryAddresses: [...entry].sort() } : {}),
          expiresAt: epochSeconds(dueAt) + this.ttlDays * 86_400,
        });
      });
    }
    await this.table.batchPut(items);
    return items.length;
  }

  /**
   * The cluster's waiting groups that `isDue` accepts, earliest due first, up to the first that
   * it refuses. Keys in `skip` (groups another processor holds) are passed over.
   */
  async due(cluster: string, isDue: (dueAt: number) => boolean, skip: ReadonlySet<string>, limit = 16): Promise<Key[]> {
    const items = await this.table.query(keys.pendingEdges(cluster), { limit: skip.size + limit });
    const out: Key[] = [];
    for (const item of items) {
      if (skip.has(item.sk)) continue;
      // A group whose claim outlived it (see `claim`) has no due time: it is due.
      if (typeof item.dueAt === 'number' && !isDue(item.dueAt)) break;
      out.push({ pk: item.pk, sk: item.sk });
    }
    return out;
  }

  /**
   * Claims a group for `owner` unless another claim younger than `leaseMs` holds it, and returns
   * it to decide; undefined when someone else holds it or already decided it. A processor that
   * dies holding a claim loses it after the lease, and whoever comes next decides the group.
   */
  async claim(key: Key, owner: string, now: number, leaseMs: number): Promise<PendingGroup | undefined> {
    const claimed = await this.table.update(
      key,
      { set: { claimedAt: now, claimedBy: owner } },
      { kind: 'absentOrBelow', attribute: 'claimedAt', value: now - leaseMs },
    );
    if (!claimed) return undefined;
    const item = await this.table.get(key);
    if (!item || item.claimedBy !== owner || item.claimedAt !== now) return undefined;
    if (typeof item.uri !== 'string' || typeof item.objectId !== 'string') {
      // Decided and deleted between the query and the claim: the claim made an empty item again.
      await this.table.delete(key);
      return undefined;
    }
    const uri = item.uri;
    return {
      key,
      objectId: item.objectId,
      uri,
      dueAt: Number(item.dueAt),
      edges: unpackRows(item.packed).map((row) => fromRow(row, uri)),
      entryAddresses: Array.isArray(item.entryAddresses) ? item.entryAddresses.map(String) : [],
    };
  }

  /** Deletes a decided group. */
  async remove(key: Key): Promise<void> {
    await this.table.delete(key);
  }
}
