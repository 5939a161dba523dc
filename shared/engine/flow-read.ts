import type { DetectContext } from '../detect';
import type { ObjectFormat, ObjectSource } from '../ingest';
import { readFlowSource } from '../ingest';
import type { AttributionResult, FlowEdge } from '../network';
import { EdgeAggregator, EntityResolver, inferredRelays, PodIpMap, relayedDuplicates } from '../network';
import { earlierAddressesIn } from '../record';
import type { Table } from '../store';
import type { ObjectRun } from './object-run';

/** A flow object read: its edges, who each end is, and the edges a relay logged twice. */
export interface FlowObject {
  edges: FlowEdge[];
  /** Edges a NAT gateway logged again for connections its clients' edges show: mapped, not detected on. */
  relayed: Set<FlowEdge>;
  attribution: AttributionResult;
  /** Edges set aside to wait for the audit log (not relayed copies): they still count in the object's delivery. */
  waiting?: FlowEdge[];
  /** Addresses of entry-point interfaces learned from the object's records, and of load balancers learned from the baseline. */
  entryAddresses: ReadonlySet<string>;
}

/**
 * Reads a flow object into edges (records folded into conversations between a client and a server
 * port) and names both ends of each before anything sees them.
 */
export class FlowReading {
  private readonly resolver: EntityResolver;

  constructor(
    private readonly context: DetectContext,
    table: Table,
    /** The configured flow-log format, for text without a header. */
    private readonly format: readonly string[] | undefined,
    /** The pod IP map, shared with the engine's other readers of it (and its cache). */
    podIps: PodIpMap = new PodIpMap(table),
  ) {
    this.resolver = new EntityResolver(context.network, podIps, earlierAddressesIn(table));
  }

  async read(source: ObjectSource, format: ObjectFormat, run: ObjectRun): Promise<FlowObject> {
    const labels = this.context.network;
    const aggregator = new EdgeAggregator(labels.classifier, {
      servicePorts: labels.servicePorts,
      watchInterfaces: labels.entryInterfaces,
      foldAbove: labels.config.internetScan.foldAbove,
    });
    await readFlowSource(source, format, { stats: run.stats, format: this.format }, aggregator);
    run.outcome.edges = aggregator.size;
    const edges = aggregator.close();
    // Load balancers configured by interface: their addresses, learned from this object's records.
    const entryAddresses = new Set<string>();
    for (const addresses of aggregator.interfaceAddresses.values()) for (const a of addresses) entryAddresses.add(a);
    // And the addresses learned to be load balancers, in the scopes the object covers.
    for (const scope of new Set(edges.map((e) => e.scope))) {
      for (const a of this.context.learnedEntryPoints.addresses(scope)) entryAddresses.add(a);
    }
    const attribution = await this.resolver.attribute(edges, entryAddresses);
    // The map keeps a NAT gateway's own leg of a connection; detection names the pod only once.
    // Records without packet addresses (the default format) name no relay: the edges still show them.
    const relays =
      run.stats.flowFieldsMissing['pkt-dstaddr'] === undefined
        ? aggregator.relays
        : new Set([...aggregator.relays, ...inferredRelays(edges)]);
    return { edges, relayed: relayedDuplicates(edges, relays), attribution, entryAddresses };
  }
}
