import type { BaselineContext } from '../alert';
import {
  CorrelationStore,
  DistinctCounter,
  type EdgeStats,
  type EdgeStatsFoldReport,
  EdgeStatsStore,
  edgeMetric,
} from '../baseline';
import type { Config } from '../config';
import type {
  CorrelationDetector,
  CorrelationSighting,
  DetectContext,
  Detection,
  DetectorMeta,
  DetectorSet,
  FlowLogHealth,
  Located,
  MetricStats,
  SpikeDetector,
} from '../detect';
import type { ReadStats } from '../ingest';
import {
  type AttributionResult,
  EdgeAggregator,
  EntityResolver,
  type FlowEdge,
  FlowSources,
  flowLogIdOf,
  type HourlyEdge,
  HourlyEdgeStore,
  hourlyEdgeId,
  hourlyEdges,
  hourlyEdgeTtlDays,
  PodIpMap,
  type Traffic,
} from '../network';
import type { Table } from '../store';
import { DAY_MS, HOUR_MS, iso, MINUTE_MS } from '../util';

/** A detection of the flow analysis, in the shape the engine turns into a finding. */
export interface FlowDraft {
  detector: DetectorMeta;
  detection: Detection;
  sample: Located;
  count: number;
  identity: string;
  scope: string;
  cluster: string;
  baseline?: BaselineContext;
}

/** One flow object, aggregated and attributed, as the engine hands it over. */
export interface FlowObject {
  objectId: string;
  uri: string;
  edges: readonly FlowEdge[];
  detectors: DetectorSet<FlowEdge>;
  /** Learning periods by scope: statistical detectors stay silent before `end`. */
  learning: ReadonlyMap<string, { start: number; end: number }>;
  stats: ReadStats;
  cluster: string;
  /** Wall clock, for objects whose records carry no time (all SKIPDATA). */
  now: number;
  /** Reports a detector that threw on an event; the rest goes on. */
  failed(id: string, event: Located, error: unknown): void;
}

export interface NetworkRebaselineReport extends EdgeStatsFoldReport {
  /** Flow logs found silent. */
  silentLogs: number;
}

/** A remembered sighting is rewritten when it moved on by this much, to bound writes for steady traffic. */
const REFRESH_MS = 6 * HOUR_MS;
/** Second-side sightings this process wrote recently, so a container does not rewrite them every object. */
const WRITTEN_CACHE_SIZE = 50_000;
/** Objects of a flow log arrive every 5 to 10 minutes: an hour's total is at most about 12 objects' worth. */
const OBJECTS_PER_HOUR = 12;
/** A flow log silent for longer than this is forgotten rather than reported again. */
const FORGET_SILENT_MS = 7 * DAY_MS;
/** Statistics that let any value through: the lowest limit a spike detector can set (its floor). */
const FLAT: MetricStats = { hours: Number.MAX_SAFE_INTEGER, days: Number.MAX_SAFE_INTEGER, median: 0, mad: 0, max: 0 };

/**
 * The flow side of the engine beyond per-edge rules and new values: naming both ends of every
 * edge, and the detectors that need state across objects or statistics (scans and sweeps,
 * exposure paths, spikes against per-edge hourly statistics, the log's health). Reads and writes
 * grow with distinct edges, keys and entities, never with records.
 */
export class FlowAnalysis {
  private readonly context: DetectContext;
  private readonly resolver: EntityResolver;
  private readonly map: HourlyEdgeStore;
  private readonly stats: EdgeStatsStore;
  private readonly distinct: DistinctCounter;
  private readonly correlations: CorrelationStore;
  private readonly sources: FlowSources;
  private readonly written = new Map<string, number>();

  constructor(options: { table: Table; context: DetectContext; config: Config }) {
    this.context = options.context;
    this.resolver = new EntityResolver(options.context.network, new PodIpMap(options.table));
    this.map = new HourlyEdgeStore(options.table, { ttlDays: hourlyEdgeTtlDays(options.config) });
    this.stats = new EdgeStatsStore(options.table, { windowDays: options.config.network.stats.windowDays });
    this.distinct = new DistinctCounter(options.table);
    this.correlations = new CorrelationStore(options.table);
    this.sources = new FlowSources(options.table);
  }

  /** An aggregator for one object, with the configured service ports and entry-point interfaces. */
  aggregator(): EdgeAggregator {
    const labels = this.context.network;
    return new EdgeAggregator(labels.classifier, {
      servicePorts: labels.servicePorts,
      watchInterfaces: labels.entryInterfaces,
    });
  }

  /** Names both ends of every edge of the object. */
  async attribute(aggregator: EdgeAggregator, edges: readonly FlowEdge[]): Promise<AttributionResult> {
    const entryAddresses = new Set<string>();
    for (const addresses of aggregator.interfaceAddresses.values()) for (const a of addresses) entryAddresses.add(a);
    return this.resolver.attribute(edges, entryAddresses);
  }

  /** The detections of one object by the distinct, correlation, spike and health detectors. */
  async detect(object: FlowObject): Promise<FlowDraft[]> {
    return [
      ...(await this.detectDistinct(object)),
      ...(await this.detectCorrelations(object)),
      ...(await this.detectSpikes(object)),
      ...(await this.detectHealth(object)),
    ];
  }

  private async detectDistinct(object: FlowObject): Promise<FlowDraft[]> {
    const drafts: FlowDraft[] = [];
    for (const detector of object.detectors.distinct) {
      const { threshold, windowMinutes } = detector.limits(this.context);
      const windowMs = windowMinutes * MINUTE_MS;
      const groups = new Map<
        string,
        { scope: string; key: string; windowStart: number; values: Set<string>; sample: FlowEdge }
      >();
      for (const edge of object.edges) {
        let values: ReturnType<typeof detector.distinct>;
        try {
          values = detector.distinct(edge, this.context);
        } catch (error) {
          object.failed(detector.id, edge, error);
          continue;
        }
        for (const { key, value } of values ?? []) {
          const windowStart = Math.floor(edge.time / windowMs) * windowMs;
          const id = `${edge.scope}\u0000${key}\u0000${windowStart}`;
          let group = groups.get(id);
          if (!group) {
            group = { scope: edge.scope, key, windowStart, values: new Set(), sample: edge };
            groups.set(id, group);
          }
          group.values.add(value);
          if (edge.time < group.sample.time) group.sample = edge;
        }
      }
      for (const group of groups.values()) {
        const stored = await this.distinct.add(
          object.objectId,
          {
            scope: group.scope,
            ruleId: detector.id,
            key: group.key,
            windowStart: group.windowStart,
            windowMs,
            values: [...group.values],
          },
          threshold * 2,
        );
        // Other objects' values are stored capped; this object's count in full.
        const values = [...new Set([...group.values, ...stored])];
        if (values.length < threshold) continue;
        let detection: Detection | undefined;
        try {
          detection = detector.describe(group.key, values, group.sample, this.context);
        } catch (error) {
          object.failed(detector.id, group.sample, error);
          continue;
        }
        if (!detection) continue;
        drafts.push({
          detector,
          detection,
          sample: group.sample,
          count: values.length,
          identity: `${group.scope}|${group.key}|${group.windowStart}`,
          scope: group.scope,
          cluster: object.cluster,
        });
      }
    }
    return drafts;
  }

  private async detectCorrelations(object: FlowObject): Promise<FlowDraft[]> {
    const drafts: FlowDraft[] = [];
    for (const detector of object.detectors.correlations) {
      drafts.push(...(await this.correlate(detector, object)));
    }
    return drafts;
  }

  private async correlate(detector: CorrelationDetector<FlowEdge>, object: FlowObject): Promise<FlowDraft[]> {
    const windowMs = detector.windowMinutes(this.context) * MINUTE_MS;
    interface Group {
      scope: string;
      key: string;
      seen: Map<string, CorrelationSighting>;
      samples: Map<string, FlowEdge>;
    }
    const groups = new Map<string, Group>();
    for (const edge of object.edges) {
      let sides: ReturnType<typeof detector.sides>;
      try {
        sides = detector.sides(edge, this.context);
      } catch (error) {
        object.failed(detector.id, edge, error);
        continue;
      }
      for (const side of sides ?? []) {
        const id = `${edge.scope}\u0000${side.key}`;
        let group = groups.get(id);
        if (!group) {
          group = { scope: edge.scope, key: side.key, seen: new Map(), samples: new Map() };
          groups.set(id, group);
        }
        const at = `${side.side}\u0000${side.value}`;
        const known = group.seen.get(at);
        if (!known) group.seen.set(at, { ...side, firstTime: edge.time, lastTime: edge.lastTime });
        else {
          known.firstTime = Math.min(known.firstTime, edge.time);
          known.lastTime = Math.max(known.lastTime, edge.lastTime);
        }
        const sample = group.samples.get(at);
        if (!sample || edge.time < sample.time) group.samples.set(at, edge);
      }
    }
    if (groups.size === 0) return [];
    // The remembered first sides of every scope in the object: one query each.
    const storedFirsts = new Map<string, CorrelationSighting[]>();
    for (const scope of new Set([...groups.values()].map((g) => g.scope))) {
      for (const sighting of await this.correlations.firstSides(scope, detector.id)) {
        const id = `${scope}\u0000${sighting.key}`;
        const list = storedFirsts.get(id);
        if (list) list.push(sighting);
        else storedFirsts.set(id, [sighting]);
      }
    }
    const near = (a: CorrelationSighting, b: CorrelationSighting) =>
      a.lastTime >= b.firstTime - windowMs && a.firstTime <= b.lastTime + windowMs;
    const latestNear = (candidates: readonly CorrelationSighting[], to: CorrelationSighting) =>
      candidates.filter((c) => near(c, to)).sort((a, b) => b.lastTime - a.lastTime)[0];
    // One hop up a chain: the first side of the key a first side's value names, in this object.
    const withUpstream = (scope: string, first: CorrelationSighting): CorrelationSighting => {
      const up = groups.get(`${scope}\u0000${first.value}`);
      if (!up) return first;
      const upstream = [...up.seen.values()]
        .filter((s) => s.side === 'first' && s.value !== first.key)
        .sort((a, b) => b.lastTime - a.lastTime)[0];
      return upstream ? { ...first, upstream } : first;
    };
    const drafts: FlowDraft[] = [];
    for (const [id, group] of groups) {
      const objectSides = [...group.seen.entries()];
      const firsts = objectSides.filter(([, s]) => s.side === 'first').map(([, s]) => s);
      const seconds = objectSides.filter(([, s]) => s.side === 'second');
      const remembered = storedFirsts.get(id) ?? [];
      const fired = new Set<string>();
      const fire = (first: CorrelationSighting, second: CorrelationSighting, sample: FlowEdge) => {
        if (fired.has(second.value)) return;
        fired.add(second.value);
        let detection: Detection | undefined;
        try {
          detection = detector.describe(group.key, withUpstream(group.scope, first), second, sample, this.context);
        } catch (error) {
          object.failed(detector.id, sample, error);
          return;
        }
        if (!detection) return;
        drafts.push({
          detector,
          detection,
          sample,
          count: 1,
          identity: `${group.scope}|${group.key}|${second.value}`,
          scope: group.scope,
          cluster: object.cluster,
        });
      };
      // A second side in this object, with the key's first side (in this object or remembered) in the window.
      for (const [at, second] of seconds) {
        const first = latestNear([...firsts, ...remembered], second);
        if (first) fire(first, second, group.samples.get(at) as FlowEdge);
      }
      // A key that becomes a first side now: its second sides remembered from before, within the window.
      // (Keys already remembered as first sides had their second sides checked as those arrived.)
      for (const first of firsts) {
        if (remembered.some((r) => near(r, first))) continue;
        for (const second of await this.correlations.secondSides(group.scope, detector.id, group.key)) {
          if (near(first, second)) fire(first, second, group.samples.get(`first\u0000${first.value}`) as FlowEdge);
        }
        break;
      }
      // Remember this object's sightings, skipping what is remembered and fresh.
      for (const sighting of group.seen.values()) {
        const cacheKey = `${group.scope}\u0000${detector.id}\u0000${sighting.side}\u0000${group.key}\u0000${sighting.value}`;
        const stored =
          sighting.side === 'first'
            ? remembered.find((r) => r.value === sighting.value)?.lastTime
            : this.written.get(cacheKey);
        if (stored !== undefined && stored + REFRESH_MS >= sighting.lastTime) continue;
        await this.correlations.remember(group.scope, detector.id, sighting, windowMs);
        this.remembered(cacheKey, sighting.lastTime);
      }
    }
    return drafts;
  }

  /** Notes a sighting written; the cache is bounded and simply starts over when full. */
  private remembered(cacheKey: string, lastTime: number): void {
    if (this.written.size >= WRITTEN_CACHE_SIZE) this.written.clear();
    this.written.set(cacheKey, Math.max(lastTime, this.written.get(cacheKey) ?? 0));
  }

  private async detectSpikes(object: FlowObject): Promise<FlowDraft[]> {
    const spikes = object.detectors.spikes;
    if (spikes.length === 0 || object.edges.length === 0) return [];
    // This object's part of each map edge past the learning period, and the flow edges in it.
    const members = new Map<string, FlowEdge[]>();
    for (const edge of object.edges) {
      const learning = object.learning.get(edge.scope);
      if (!learning || edge.time < learning.end) continue;
      const id = hourlyEdgeId(edge);
      const list = members.get(id);
      if (list) list.push(edge);
      else members.set(id, [edge]);
    }
    if (members.size === 0) return [];
    const parts = hourlyEdges([...members.values()].flat());
    interface Candidate {
      detector: SpikeDetector<FlowEdge>;
      id: string;
      part: HourlyEdge;
      sample: FlowEdge;
    }
    const candidates: Candidate[] = [];
    const wanted = new Map<string, Set<string>>();
    for (const detector of spikes) {
      // Without statistics, no hour can spike; with them, none below the detector's floor.
      const floor = detector.limit(FLAT, this.context) ?? 0;
      for (const [id, part] of parts) {
        const value = edgeMetric(part, detector.metric);
        if (value <= 0 || value * OBJECTS_PER_HOUR < floor) continue;
        const edges = (members.get(id) ?? []).filter((e) => {
          try {
            return detector.applies(e, this.context);
          } catch (error) {
            object.failed(detector.id, e, error);
            return false;
          }
        });
        if (edges.length === 0) continue;
        const sample = edges.reduce((a, b) =>
          edgeMetric(b, detector.metric) > edgeMetric(a, detector.metric) ? b : a,
        );
        candidates.push({ detector, id, part, sample });
        const keys = wanted.get(part.scope) ?? new Set<string>();
        keys.add(part.key);
        wanted.set(part.scope, keys);
      }
    }
    if (candidates.length === 0) return [];
    const stats = new Map<string, Map<string, EdgeStats>>();
    for (const [scope, keys] of wanted) stats.set(scope, await this.stats.lookup(scope, [...keys]));
    const totals = new Map<string, Traffic>();
    const decoded = new Map<string, HourlyEdge[]>();
    const drafts: FlowDraft[] = [];
    for (const { detector, id, part, sample } of candidates) {
      const edgeStats = stats.get(part.scope)?.get(part.key);
      const metric = edgeStats?.metrics[detector.metric];
      const limit = detector.limit(metric, this.context);
      if (limit === undefined || !metric || !edgeStats) continue;
      if (edgeMetric(part, detector.metric) * OBJECTS_PER_HOUR <= limit) continue;
      let hour = totals.get(id);
      if (!hour) {
        hour = await this.map.hourTotals(part.scope, part.hour, part.key, decoded);
        totals.set(id, hour);
      }
      // The map already holds this object's part (recorders flush first); never count less than it.
      const observed = Math.max(edgeMetric(hour, detector.metric), edgeMetric(part, detector.metric));
      if (observed <= limit) continue;
      let detection: Detection | undefined;
      try {
        detection = detector.describe(observed, limit, metric, sample, this.context);
      } catch (error) {
        object.failed(detector.id, sample, error);
        continue;
      }
      if (!detection) continue;
      drafts.push({
        detector,
        detection,
        sample,
        count: part.flows,
        identity: `${part.scope}|${part.key}|${part.hour}`,
        scope: part.scope,
        cluster: object.cluster,
        baseline: {
          expected:
            `hourly ${detector.metric} on this edge: median ${metric.median}, MAD ${metric.mad}, max ${metric.max} ` +
            `over ${metric.hours} active hours on ${metric.days} days`,
          since: iso(edgeStats.firstSeen),
        },
      });
    }
    return drafts;
  }

  private async detectHealth(object: FlowObject): Promise<FlowDraft[]> {
    // Silence can only be told for a log with a name; local files of unknown origin are only inspected.
    const named = flowLogIdOf(object.uri);
    const logId = named ?? object.uri;
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const edge of object.edges) {
      if (edge.time < first) first = edge.time;
      if (edge.lastTime > last) last = edge.lastTime;
    }
    const scope = object.edges[0]?.scope ?? 'flow';
    if (named && Number.isFinite(last))
      await this.sources.seen({ logId: named, scope, lastSeen: last, uri: object.uri });
    const health: FlowLogHealth = {
      kind: 'object',
      logId,
      scope,
      time: Number.isFinite(first) ? first : object.now,
      records: object.stats.events,
      nodata: object.stats.logHealth.nodata,
      skipdata: object.stats.logHealth.skipdata,
      origin: { uri: object.uri },
    };
    const drafts: FlowDraft[] = [];
    for (const detector of object.detectors.health) {
      let detection: Detection | undefined;
      try {
        detection = detector.inspect(health, this.context);
      } catch (error) {
        object.failed(detector.id, health, error);
        continue;
      }
      if (!detection) continue;
      drafts.push({
        detector,
        detection,
        sample: health,
        count: health.skipdata,
        identity: `${logId}|${object.uri}`,
        scope,
        cluster: object.cluster,
      });
    }
    return drafts;
  }

  /**
   * The rebaseline job's network part: folds the map's pending days into per-edge hourly
   * statistics, then reports flow logs that stopped delivering.
   */
  async rebaseline(
    now: number,
    scopes: readonly string[],
    detectors: DetectorSet<FlowEdge>,
    cluster: string,
  ): Promise<{ report: NetworkRebaselineReport; drafts: FlowDraft[] }> {
    const folded = await this.stats.fold(this.map, scopes, now);
    const drafts: FlowDraft[] = [];
    let silentLogs = 0;
    if (detectors.health.length > 0) {
      for (const source of await this.sources.all()) {
        if (now - source.lastSeen > FORGET_SILENT_MS || source.lastSeen >= now) continue;
        const silence = {
          kind: 'silence' as const,
          logId: source.logId,
          scope: source.scope,
          lastSeen: source.lastSeen,
          now,
          origin: { uri: source.uri },
        };
        for (const detector of detectors.health) {
          const detection = detector.silence(silence, this.context);
          if (!detection) continue;
          silentLogs++;
          drafts.push({
            detector,
            detection,
            sample: { time: now, origin: silence.origin },
            count: 1,
            identity: `${source.logId}|silent|${source.lastSeen}`,
            scope: source.scope,
            cluster,
          });
        }
      }
    }
    return { report: { ...folded, silentLogs }, drafts };
  }
}
