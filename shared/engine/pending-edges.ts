import type { Config } from '../config';
import type { DetectContext } from '../detect';
import { reject } from '../ingest';
import type { FlowEdge, NetworkEntity, PendingGroup, WaitingEdge } from '../network';
import { AuditWatermark, EntityResolver, isInternal, PendingEdgeStore, PodIpMap } from '../network';
import { earlierAddressesIn } from '../record';
import type { Key, Table } from '../store';
import { addCounts, HOUR_MS, MINUTE_MS, stableHash } from '../util';
import type { Delivered } from './delivery';
import type { Evaluator } from './evaluator';
import type { FlowObject } from './flow-read';
import { ObjectRun } from './object-run';
import type { NetworkOutcome } from './types';

/** A claim on a waiting group older than this is a dead processor's: a Lambda runs 15 minutes at most. */
const CLAIM_LEASE_MS = 15 * MINUTE_MS;

/** Edges with their ends named, ready to be recorded and detected on. */
export type DecidableEdges = Omit<FlowObject, 'entryAddresses'>;

/** The evaluators that judge what edges mean: those that run again when waiting edges are decided. */
export function decidingEvaluators<E>(evaluators: readonly Evaluator<E>[]): Evaluator<E>[] {
  return evaluators.filter((e) => !e.perObject);
}

/** What the engine does with edges once their ends are named: record, detect, deliver (as for an object's own). */
export type DecideEdges = (run: ObjectRun, flow: DecidableEdges) => Promise<Delivered>;

/** What became of the waiting groups one settling decided. */
export interface Settled extends Delivered {
  /** Groups decided, and the edges in them. */
  groups: number;
  edges: number;
  /** What the decided edges added to the network, summed over the groups. */
  network?: NetworkOutcome;
  /** Groups that failed to be decided, by the object they came from: they stay claimed, and are tried again after the lease. */
  failed: { uri: string; detail: string }[];
}

/**
 * Flow edges that wait for the audit log. Pod addresses are named from the audit log's pod
 * reports, which may arrive hours after the flows that used them; an edge named before its pod's
 * report would be recorded, baselined and detected on under the wrong name for good. So an edge
 * with an internal end (not a configured entry point) that is later than the cluster's audit
 * watermark, less a margin, waits in the table. Once the watermark passes it (an audit object
 * moved it, seen by whichever processor next handles an object or the rebaseline), it is named
 * again against the now complete pod IP map and decided like any other edge, with its findings
 * delivered then. An edge waits `maxWaitHours` at most (in event time), then is decided as it
 * is. A cluster with no audit watermark (its audit log never arrived) never waits. With several
 * clusters listed (`network.clusters`), an edge waits until every listed cluster's audit log has
 * passed it (see {@link PendingEdges.watermark}).
 */
export class PendingEdges {
  private readonly watermarks: AuditWatermark;
  private readonly store: PendingEdgeStore;
  private readonly resolver: EntityResolver;
  private readonly podIps: PodIpMap;
  private readonly cluster: string;
  /** The clusters whose audit logs name pod addresses: the configured one and those `network.clusters` lists. */
  private readonly clusters: string[];
  private readonly marginMs: number;
  private readonly maxWaitMs: number;

  constructor(
    config: Config,
    table: Table,
    context: DetectContext,
    /** Wall clock, for the claims' lease. */
    private readonly clock: () => number,
    private readonly decide: DecideEdges,
    /** The pod IP map, shared with the engine's other readers of it: the watermarks read here tell its cache how far it may answer. */
    podIps: PodIpMap = new PodIpMap(table),
  ) {
    this.watermarks = new AuditWatermark(table);
    this.store = new PendingEdgeStore(table);
    this.podIps = podIps;
    this.resolver = new EntityResolver(context.network, podIps, earlierAddressesIn(table));
    this.cluster = config.clusterName;
    this.clusters = [...new Set([config.clusterName, ...config.network.clusters.map((c) => c.name)])];
    this.marginMs = config.network.lateAudit.marginMinutes * MINUTE_MS;
    this.maxWaitMs = config.network.lateAudit.maxWaitHours * HOUR_MS;
  }

  /**
   * Sets aside the edges of a flow object that the audit log may still name, and returns the
   * rest, with the set-aside edges as `waiting`: they still count in the object's time range (and
   * so in its scope's learning period) and its delivery, as they would have in order.
   */
  async hold(flow: FlowObject, run: ObjectRun): Promise<FlowObject> {
    if (this.maxWaitMs === 0 || flow.edges.length === 0) return flow;
    const watermark = await this.watermark();
    if (watermark === undefined) return flow;
    let now = Number.NEGATIVE_INFINITY;
    for (const edge of flow.edges) if (edge.lastTime > now) now = edge.lastTime;
    const waiting: WaitingEdge[] = [];
    const decided: FlowEdge[] = [];
    for (const edge of flow.edges) {
      if (needsPodIps(edge) && !this.isDue(edge.time + this.marginMs, watermark, now)) {
        waiting.push({ edge, relayed: flow.relayed.has(edge) });
      } else decided.push(edge);
    }
    if (waiting.length === 0) return flow;
    await this.store.park(
      this.cluster,
      { id: run.objectId, uri: run.uri },
      waiting,
      flow.entryAddresses,
      this.marginMs,
    );
    run.outcome.lateAttribution = { waiting: waiting.length, decided: 0 };
    const relayed = new Set(decided.filter((edge) => flow.relayed.has(edge)));
    const delivered = waiting.filter((w) => !w.relayed).map((w) => w.edge);
    return { ...flow, edges: decided, relayed, waiting: delivered };
  }

  /**
   * Decides the waiting groups that are due at `now` (event time: the newest event of the object
   * being processed, or the rebaseline's time), claiming each so that two processors never
   * decide one twice at once. `owner` names the claimant. The end of a replay passes Infinity:
   * nothing more will arrive.
   */
  async settle(now: number, owner: string): Promise<Settled> {
    const settled: Settled = {
      sent: [],
      messages: [],
      muted: {},
      suppressed: 0,
      belowThreshold: [],
      groups: 0,
      edges: 0,
      failed: [],
    };
    const watermark = await this.watermark();
    if (watermark === undefined && now !== Number.POSITIVE_INFINITY) return settled;
    const isDue = (dueAt: number) => this.isDue(dueAt, watermark, now);
    const skip = new Set<string>();
    for (;;) {
      const due = await this.store.due(this.cluster, isDue, skip);
      if (due.length === 0) return settled;
      for (const key of due) {
        // One group that cannot be decided must not fail the object that happened to find it.
        const decided = await this.claimAndDecide(key, owner).catch((error: unknown) => {
          const detail = `waiting edges ${key.sk}: ${(error as Error).message ?? String(error)}`;
          settled.failed.push({ uri: key.pk, detail });
          return undefined;
        });
        if (!decided) {
          skip.add(key.sk);
          continue;
        }
        await this.store.remove(key);
        addDecided(settled, decided.delivered, decided.network);
        settled.edges += decided.edges;
      }
    }
  }

  /**
   * Settles at the end of an object: what it decided is added to its outcome. An object's own
   * time is how far event time has come; an audit object may have moved the watermark.
   */
  async settleAfter(run: ObjectRun): Promise<void> {
    const settled = await this.settle(run.outcome.lastEventTime ?? Number.NEGATIVE_INFINITY, run.objectId);
    for (const { uri, detail } of settled.failed) reject(run.stats, 'waiting-edges-error', { uri }, detail);
    if (settled.groups === 0) return;
    const { outcome } = run;
    outcome.findings = [...outcome.findings, ...settled.sent];
    outcome.messages = [...outcome.messages, ...settled.messages];
    addCounts(outcome.muted, settled.muted);
    outcome.suppressed += settled.suppressed;
    outcome.belowThreshold = [...outcome.belowThreshold, ...settled.belowThreshold];
    if (settled.network) outcome.network = addNetwork(outcome.network, settled.network);
    outcome.lateAttribution = { waiting: outcome.lateAttribution?.waiting ?? 0, decided: settled.edges };
  }

  /** Claims a group and decides it; undefined when another processor holds it or has decided it. */
  private async claimAndDecide(key: Key, owner: string) {
    const group = await this.store.claim(key, owner, this.clock(), CLAIM_LEASE_MS);
    if (!group) return undefined;
    try {
      return { ...(await this.decideGroup(group)), edges: group.edges.length };
    } catch (error) {
      throw new Error(`${group.uri}: ${(error as Error).message ?? String(error)}`, { cause: error });
    }
  }

  /** Names a group's edges again and decides them, as an object of their own whose id comes from the group's key. */
  private async decideGroup(group: PendingGroup): Promise<{ delivered: Delivered; network?: NetworkOutcome }> {
    const edges = group.edges.map((w) => w.edge);
    const attribution = await this.resolver.attribute(edges, new Set(group.entryAddresses));
    const relayed = new Set(group.edges.filter((w) => w.relayed).map((w) => w.edge));
    const run = new ObjectRun(stableHash(group.key.pk, group.key.sk), group.uri, this.cluster, this.clock, 'flow');
    const delivered = await this.decide(run, { edges, relayed, attribution });
    return { delivered, ...(run.outcome.network ? { network: run.outcome.network } : {}) };
  }

  /**
   * How far the audit logs have been processed: with several clusters, the least of their
   * watermarks (`AuditWatermark.least`). Edges of every cluster wait in the configured cluster's
   * partition, for that one mark: which cluster an address is in is known only once its report
   * has been read, and waiting for the slowest log costs only time, never a wrong name. Each value
   * read tells the pod IP map's cache how far its records may answer.
   */
  async watermark(): Promise<number | undefined> {
    const watermark = await this.watermarks.least(this.clusters, this.maxWaitMs);
    this.podIps.auditReached(watermark);
    return watermark;
  }

  private isDue(dueAt: number, watermark: number | undefined, now: number): boolean {
    return (watermark !== undefined && dueAt <= watermark) || dueAt + this.maxWaitMs <= now;
  }
}

/** True when an end of the edge is an internal address the pod IP map may name (not a configured entry point). */
function needsPodIps(edge: FlowEdge): boolean {
  return mayBePod(edge.clientClass, edge.clientEntity) || mayBePod(edge.serverClass, edge.serverEntity);
}

function mayBePod(cls: FlowEdge['clientClass'], entity: NetworkEntity | undefined): boolean {
  return isInternal(cls) && entity?.entryPoint !== true;
}

function addDecided(settled: Settled, delivered: Delivered, network: NetworkOutcome | undefined): void {
  settled.sent.push(...delivered.sent);
  settled.messages.push(...delivered.messages);
  addCounts(settled.muted, delivered.muted);
  settled.suppressed += delivered.suppressed;
  settled.belowThreshold.push(...delivered.belowThreshold);
  settled.groups++;
  if (network) settled.network = addNetwork(settled.network, network);
}

/** Two parts of the network one object (or one settling) adds, as one: distinct keys, counts summed. */
function addNetwork(a: NetworkOutcome | undefined, b: NetworkOutcome): NetworkOutcome {
  if (!a) return { ...b };
  return {
    hourlyEdges: [...new Set([...a.hourlyEdges, ...b.hourlyEdges])],
    entities: [...new Set([...a.entities, ...b.entities])],
    addressesLookedUp: a.addressesLookedUp + b.addressesLookedUp,
    addressesAttributed: a.addressesAttributed + b.addressesAttributed,
    relayedEdges: a.relayedEdges + b.relayedEdges,
  };
}
