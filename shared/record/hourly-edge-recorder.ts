import type { FlowEdge } from '../network';
import { type HourlyEdge, HourlyEdgeStore, hourlyEdges, hourlyEdgeTtlDays } from '../network';
import type { Table } from '../store';
import type { Recorder, RecorderSession } from './types';

/**
 * One flow object's hourly edges: its flow edges (attributed to entities) folded per hour, written
 * once per hourly edge when the object is done.
 */
export class HourlyEdgeSession implements RecorderSession<FlowEdge> {
  private readonly edges: FlowEdge[] = [];
  private folded: HourlyEdge[] | undefined;

  constructor(
    private readonly objectId: string,
    private readonly ttlDays?: number,
  ) {}

  see(edge: FlowEdge): void {
    this.edges.push(edge);
    this.folded = undefined;
  }

  /** The object's hourly edges, folded once for the engine's summary and the write. */
  hourlyEdges(): HourlyEdge[] {
    this.folded ??= [...hourlyEdges(this.edges).values()];
    return this.folded;
  }

  async flush(table: Table): Promise<void> {
    if (this.edges.length === 0) return;
    await new HourlyEdgeStore(table, { ttlDays: this.ttlDays }).write(this.objectId, this.hourlyEdges());
  }
}

/** Keeps the hourly edges (`NETMAP#...`) that the rebaseline job turns into per-edge hourly statistics. */
export const hourlyEdgeRecorder: Recorder<FlowEdge> = {
  id: 'hourly-edges',
  begin: (object) => new HourlyEdgeSession(object.id, object.config ? hourlyEdgeTtlDays(object.config) : undefined),
};
