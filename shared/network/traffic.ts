/**
 * Traffic between a client and a server, counted: what a flow edge, an hourly edge and a run edge
 * each hold, and what the report's map shows of them. Sums of it are made with {@link addTraffic}
 * and nowhere else, so that a count added to it is summed everywhere.
 *
 * The per-edge hourly statistics name two counts after the client: `bytesOut` is
 * {@link Traffic.bytesToServer}, `bytesIn` {@link Traffic.bytesToClient} (`EdgeMetric`, `edgeMetric`
 * in shared/baseline).
 */
export interface Traffic {
  /** Bytes the client sent. */
  bytesToServer: number;
  /** Bytes the server sent back. */
  bytesToClient: number;
  packets: number;
  /** Flow records. */
  flows: number;
  /** Flow records accepted, and rejected (a record may be neither: its action was not logged). */
  accepted: number;
  rejected: number;
}

/** Traffic with every count at zero, to sum into. */
export function emptyTraffic(): Traffic {
  return { bytesToServer: 0, bytesToClient: 0, packets: 0, flows: 0, accepted: 0, rejected: 0 };
}

/** Adds `traffic`'s counts to `into`'s. */
export function addTraffic(into: Traffic, traffic: Readonly<Traffic>): void {
  into.bytesToServer += traffic.bytesToServer;
  into.bytesToClient += traffic.bytesToClient;
  into.packets += traffic.packets;
  into.flows += traffic.flows;
  into.accepted += traffic.accepted;
  into.rejected += traffic.rejected;
}

/** Bytes both ways. */
export function trafficBytes(traffic: Readonly<Traffic>): number {
  return traffic.bytesToServer + traffic.bytesToClient;
}
