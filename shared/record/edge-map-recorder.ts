import type { FlowEdge } from '../network';
import { aggregateMap, type MapEdge, NetworkMapStore, networkMapTtlDays } from '../network';
import type { Table } from '../store';
import type { Recorder, RecorderSession } from './types';

/**
 * One flow object's part of the network map: its edges (attributed to entities) folded per hour
 * into map edges, written once per map edge when the object is done.
 */
export class EdgeMapSession implements RecorderSession<FlowEdge> {
  private readonly edges: FlowEdge[] = [];
  private folded: MapEdge[] | undefined;

  constructor(
    private readonly objectId: string,
    private readonly ttlDays?: number,
  ) {}

  see(edge: FlowEdge): void {
    this.edges.push(edge);
    this.folded = undefined;
  }

  /** The object's map edges, folded once for the engine's summary and the write. */
  mapEdges(): MapEdge[] {
    this.folded ??= [...aggregateMap(this.edges).values()];
    return this.folded;
  }

  async flush(table: Table): Promise<void> {
    if (this.edges.length === 0) return;
    await new NetworkMapStore(table, { ttlDays: this.ttlDays }).write(this.objectId, this.mapEdges());
  }
}

/** Keeps the network map (`NETMAP#...`) that the rebaseline job turns into per-edge hourly statistics. */
export const edgeMapRecorder: Recorder<FlowEdge> = {
  id: 'network-map',
  begin: (object) => new EdgeMapSession(object.id, object.config ? networkMapTtlDays(object.config) : undefined),
};
