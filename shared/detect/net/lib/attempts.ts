import type { FlowEdge } from '../../../network';

/**
 * About how many connections an edge's records stand for, with or without TCP flags. With flags,
 * the client records that opened a connection (SYN without ACK). Without them (the default
 * version 2 format), every REJECTed record is an attempt the server never answered, and an
 * accepted connection shows as a record each way: half the accepted records. Both ends of an
 * internal connection log it when both have flow logs, so internal edges may count twice; the
 * thresholds leave room for that.
 */
export function connectionAttempts(edge: FlowEdge): number {
  if (edge.opened) return edge.opened;
  return edge.rejected + Math.ceil(edge.accepted / 2);
}

/**
 * Whether an edge's records are short, as failed logins and probes are: at most `packets` packets
 * a record on average. A real session (a shell, a remote desktop, a file copy) sends far more.
 */
export function shortRecords(edge: FlowEdge, packets: number): boolean {
  return edge.flows > 0 && edge.packets <= packets * edge.flows;
}
