import type { AlertSink, BaselineContext, Entities, Finding } from '../alert';
import { AlertDeduper } from '../alert';
import type { Observation } from '../baseline';
import { BaselineStore, type RebaselineReport, rebaseline, WindowCounter } from '../baseline';
import { type Config, type Severity, severityRank } from '../config';
import type { AnomalyDetector, DetectContext, Detection, DetectorMeta, Located, ThresholdDetector } from '../detect';
import { AUDIT_DETECTORS, baselineKinds, type DetectorSet, enabledDetectors, FLOW_DETECTORS } from '../detect';
import type { AuditEvent } from '../ingest';
import {
  identifyObject,
  type LogKind,
  newReadStats,
  type ObjectIdentity,
  type ObjectSource,
  type ReadStats,
  readAuditObject,
  readFlowSource,
  reject,
} from '../ingest';
import { type FlowEdge, hourlyEdges, relayedDuplicates } from '../network';
import type { Recorder, RecorderSession } from '../record';
import { AUDIT_RECORDERS, FLOW_RECORDERS, HourlyEdgeSession } from '../record';
import type { Table } from '../store';
import { keys } from '../store';
import { DAY_MS, dayOf, epochSeconds, HOUR_MS, iso, MINUTE_MS, stableHash } from '../util';
import { FlowAnalysis, type FlowDraft, type NetworkRebaselineReport } from './flow-analysis';

export interface EngineOptions {
  config: Config;
  table: Table;
  /** Detector context: config lookups and the threat intel, built once per process. */
  context: DetectContext;
  sink: AlertSink;
  /** Wall clock, for the processed-object ledger. @default Date.now */
  clock?: () => number;
  /**
   * Recorders of audit events and flow edges, in addition to the registry's (RBAC trail, pod IP
   * map, ...). The CLI adds one that collects the network map for the report.
   */
  extraRecorders?: { audit?: readonly Recorder<AuditEvent>[]; flow?: readonly Recorder<FlowEdge>[] };
}

export interface ObjectOutcome {
  uri: string;
  kind: LogKind | 'unknown';
  /** Why the object was not analysed, if it was not. */
  skipped?: 'already-processed' | 'unknown-kind';
  /** What the key and the content said the object is (absent when it was already processed). */
  identity?: ObjectIdentity;
  stats: ReadStats;
  /** Findings that opened a new dedupe window and were sent. */
  findings: Finding[];
  /** Findings inside an open dedupe window, not sent again. */
  suppressed: number;
  /** Findings below `alerts.minSeverity`, counted but not sent. */
  belowThreshold: Finding[];
  observations: number;
  /** Detectors that threw, by id; the event was skipped for that detector only. */
  detectorErrors: Record<string, number>;
  edges?: number;
  /** For flow objects: the network map this object adds to, and how many addresses were named. */
  network?: NetworkOutcome;
  firstEventTime?: number;
  lastEventTime?: number;
}

/** What a flow object adds to the network map. */
export interface NetworkOutcome {
  /** Keys of the map edges (entity pairs, port, protocol, direction) in the object. */
  mapEdges: string[];
  /** Ids of the entities at either end. */
  entities: string[];
  /** Distinct internal addresses looked up in the pod IP map, and how many it named. */
  addressesLookedUp: number;
  addressesAttributed: number;
  /** Edges a NAT gateway logged again for connections its clients' edges show: mapped, not detected on. */
  relayedEdges: number;
}

/** The rebaseline report, with the network map's part. */
export interface EngineRebaselineReport extends RebaselineReport {
  network?: NetworkRebaselineReport;
  /** Findings the rebaseline raised (a flow log that stopped arriving). */
  findings?: Finding[];
}

interface Hit<E> {
  detector: DetectorMeta;
  detection: Detection;
  sample: E & Located;
  count: number;
  identity: string;
  scope: string;
  cluster: string;
  /** For anomalies: what the baseline expected. */
  baseline?: BaselineContext;
}

/** One object's events counted towards a threshold detector's window. */
interface WindowTally {
  detector: ThresholdDetector<Located>;
  scope: string;
  cluster: string;
  key: string;
  windowStart: number;
  windowMs: number;
  count: number;
  sample: Located;
}

/**
 * The detection engine: one object in, findings out. The Lambdas and the CLI both drive it; only
 * the table, the sink and the object source differ.
 */
export class Engine {
  readonly baselines: BaselineStore;
  private readonly deduper: AlertDeduper;
  private readonly counter: WindowCounter;
  private readonly audit: DetectorSet<AuditEvent>;
  private readonly flow: DetectorSet<FlowEdge>;
  private readonly network: FlowAnalysis;
  private readonly clock: () => number;

  constructor(private readonly options: EngineOptions) {
    this.baselines = new BaselineStore({ table: options.table });
    this.deduper = new AlertDeduper(options.table);
    this.counter = new WindowCounter(options.table);
    this.audit = enabledDetectors(AUDIT_DETECTORS, options.config);
    this.flow = enabledDetectors(FLOW_DETECTORS, options.config);
    this.network = new FlowAnalysis({ table: options.table, context: options.context, config: options.config });
    this.clock = options.clock ?? Date.now;
  }

  async process(source: ObjectSource): Promise<ObjectOutcome> {
    const { table } = this.options;
    const objectId = stableHash(source.uri, source.version);
    const stats = newReadStats();
    const outcome: ObjectOutcome = {
      uri: source.uri,
      kind: source.kind ?? 'unknown',
      stats,
      findings: [],
      suppressed: 0,
      belowThreshold: [],
      observations: 0,
      detectorErrors: {},
    };
    if (await table.get(keys.object(objectId))) {
      outcome.skipped = 'already-processed';
      return outcome;
    }
    const { sources } = this.options.config;
    const identity = await identifyObject(source, { prefixes: sources, flowFormat: sources.flow.format });
    outcome.identity = identity;
    const sniffed = identity.kind;
    if (sniffed === 'unknown') {
      stats.objects++;
      reject(stats, 'unrecognized-content', { uri: source.uri, line: 1 }, identity.detail);
      outcome.skipped = 'unknown-kind';
      outcome.kind = 'unknown';
      await this.markDone(objectId, source.uri);
      return outcome;
    }
    outcome.kind = sniffed;

    const hits = new Map<string, Hit<unknown>>();
    const observations = new Map<string, Observation<Located>>();
    const tallies = new Map<string, WindowTally>();
    const firstTimes = new Map<string, number>();
    let last = Number.NEGATIVE_INFINITY;
    const context = this.options.context;

    // A detector that throws on one odd event must not cost the rest of the object.
    const detectorFailed = (id: string, event: Located, error: unknown) => {
      outcome.detectorErrors[id] = (outcome.detectorErrors[id] ?? 0) + 1;
      if (outcome.detectorErrors[id] === 1) {
        reject(stats, 'detector-error', event.origin, `${id}: ${(error as Error).message ?? String(error)}`);
      }
    };

    const see = <E extends Located>(
      event: E,
      scope: string,
      cluster: string,
      set: DetectorSet<E>,
      identity: (event: E) => string,
    ) => {
      const first = firstTimes.get(scope);
      if (first === undefined || event.time < first) firstTimes.set(scope, event.time);
      if (event.time > last) last = event.time;
      for (const rule of set.rules) {
        let detection: Detection | undefined;
        try {
          if (rule.dedupeKey) {
            // A rule that can name its finding cheaply: only the first event of a finding is described.
            const known = rule.dedupeKey(event, context);
            if (known === undefined) continue;
            const hit = hits.get(`${rule.id}\u0000${known}`);
            if (hit) {
              hit.count++;
              continue;
            }
          }
          detection = rule.detect(event, context);
        } catch (error) {
          detectorFailed(rule.id, event, error);
          continue;
        }
        if (!detection) continue;
        const key = `${rule.id}\u0000${detection.dedupeKey}`;
        const hit = hits.get(key);
        if (hit) {
          hit.count++;
          if (
            severityRank(detection.severity ?? rule.severity) > severityRank(hit.detection.severity ?? rule.severity)
          ) {
            hit.detection = detection;
          }
        } else {
          hits.set(key, {
            detector: rule,
            detection,
            sample: event,
            count: 1,
            identity: identity(event),
            scope,
            cluster,
          });
        }
      }
      for (const anomaly of set.anomalies) {
        let values: readonly string[] | undefined;
        try {
          values = anomaly.observe(event, context);
        } catch (error) {
          detectorFailed(anomaly.id, event, error);
          continue;
        }
        if (!values) continue;
        const day = dayOf(event.time);
        for (const value of values) {
          const key = `${scope}\u0000${anomaly.baselineKind}\u0000${value}\u0000${day}`;
          const o = observations.get(key);
          if (o) {
            o.count++;
            if (event.time < o.firstTime) {
              o.firstTime = event.time;
              o.sample = event;
            }
            if (event.time > o.lastTime) o.lastTime = event.time;
          } else {
            observations.set(key, {
              scope,
              kind: anomaly.baselineKind,
              value,
              day,
              count: 1,
              firstTime: event.time,
              lastTime: event.time,
              sample: event,
              detectorId: anomaly.id,
            });
          }
        }
      }
      for (const threshold of set.thresholds) {
        let counted: readonly string[] | undefined;
        try {
          counted = threshold.count(event, context);
        } catch (error) {
          detectorFailed(threshold.id, event, error);
          continue;
        }
        if (!counted) continue;
        const windowMs = threshold.limits(context).windowMinutes * MINUTE_MS;
        const windowStart = Math.floor(event.time / windowMs) * windowMs;
        for (const key of counted) {
          const id = `${scope}\u0000${threshold.id}\u0000${key}\u0000${windowStart}`;
          const tally = tallies.get(id);
          if (tally) {
            tally.count++;
            if (event.time < tally.sample.time) tally.sample = event;
          } else {
            tallies.set(id, {
              detector: threshold as unknown as ThresholdDetector<Located>,
              scope,
              cluster,
              key,
              windowStart,
              windowMs,
              count: 1,
              sample: event,
            });
          }
        }
      }
    };

    const object = { id: objectId, uri: source.uri, config: this.options.config };
    const sessions: { flush(table: Table): Promise<void> }[] = [];
    let flowEdges: FlowEdge[] = [];
    if (sniffed === 'audit') {
      const recorders = [...AUDIT_RECORDERS, ...(this.options.extraRecorders?.audit ?? [])].map((r) => r.begin(object));
      sessions.push(...recorders);
      await readAuditObject(
        await source.open(),
        { uri: source.uri, stats, cluster: this.options.config.clusterName },
        (event) => {
          see(event, event.cluster, event.cluster, this.audit, (e) => e.auditId);
          for (const recorder of recorders) recorder.see(event);
        },
      );
    } else {
      const edges = this.network.aggregator();
      await readFlowSource(source, identity.format, { stats, format: sources.flow.format }, edges);
      outcome.edges = edges.size;
      const cluster = this.options.config.clusterName;
      const recorders: RecorderSession<FlowEdge>[] = [
        ...FLOW_RECORDERS,
        ...(this.options.extraRecorders?.flow ?? []),
      ].map((r) => r.begin(object));
      sessions.push(...recorders);
      flowEdges = edges.close();
      // Who each end is, before recorders and detectors see the edges.
      const attribution = await this.network.attribute(edges, flowEdges);
      const mapEdges = new Set<string>();
      const entities = new Set<string>();
      // The map keeps a NAT gateway's own leg of a connection; detection names the pod only once.
      const relayed = relayedDuplicates(flowEdges, edges.relays);
      for (const edge of flowEdges) {
        for (const recorder of recorders) recorder.see(edge);
        if (relayed.has(edge)) continue;
        see(
          edge,
          edge.scope,
          cluster,
          this.flow,
          (e) => `${e.client}|${e.server}|${e.serverPort ?? ''}|${e.protocol ?? ''}|${Math.floor(e.time / HOUR_MS)}`,
        );
      }
      // What the object adds to the map, from the map recorder's fold (one per map edge, not per flow edge).
      const mapSession = recorders.find((r): r is HourlyEdgeSession => r instanceof HourlyEdgeSession);
      for (const part of mapSession?.hourlyEdges() ?? hourlyEdges(flowEdges).values()) {
        mapEdges.add(part.key);
        entities.add(part.client);
        entities.add(part.server);
      }
      outcome.network = {
        mapEdges: [...mapEdges],
        entities: [...entities],
        addressesLookedUp: attribution.lookedUp,
        addressesAttributed: attribution.attributed,
        relayedEdges: relayed.size,
      };
      if (relayed.size > 0) flowEdges = flowEdges.filter((edge) => !relayed.has(edge));
    }
    if (firstTimes.size > 0) {
      outcome.firstEventTime = Math.min(...firstTimes.values());
      outcome.lastEventTime = last;
    }

    // Learning periods, observations, then anomalies against the baselines.
    const learningEnds = new Map<string, { start: number; end: number }>();
    for (const [scope, first] of firstTimes) {
      const start = await this.baselines.noteEvents(scope, first);
      learningEnds.set(scope, { start, end: start + this.options.config.learning.days * DAY_MS });
    }
    outcome.observations = await this.baselines.writeObservations(objectId, observations.values());
    for (const session of sessions) await session.flush(this.options.table);
    const anomalyDetectors = new Map<string, AnomalyDetector<Located>>(
      [...this.audit.anomalies, ...this.flow.anomalies].map((d) => [d.id, d as unknown as AnomalyDetector<Located>]),
    );
    const drafts: Hit<unknown>[] = [...hits.values()];
    // Threshold detectors: this object's counts join the window's, kept in the table.
    for (const tally of tallies.values()) {
      const total = await this.counter.add(objectId, {
        scope: tally.scope,
        ruleId: tally.detector.id,
        key: tally.key,
        windowStart: tally.windowStart,
        windowMs: tally.windowMs,
        count: tally.count,
      });
      if (total < tally.detector.limits(context).threshold) continue;
      let detection: Detection | undefined;
      try {
        detection = tally.detector.describe(tally.key, total, tally.sample, context);
      } catch (error) {
        detectorFailed(tally.detector.id, tally.sample, error);
        continue;
      }
      if (!detection) continue;
      drafts.push({
        detector: tally.detector,
        detection,
        sample: tally.sample,
        count: total,
        identity: `${tally.scope}|${tally.key}|${tally.windowStart}`,
        scope: tally.scope,
        cluster: tally.cluster,
      });
    }
    // Flow detectors that need state across objects or statistics: scans, exposure paths, spikes, log health.
    if (sniffed === 'flow') {
      drafts.push(
        ...(await this.network.detect({
          objectId,
          uri: source.uri,
          edges: flowEdges,
          detectors: this.flow,
          learning: learningEnds,
          stats,
          cluster: this.options.config.clusterName,
          now: this.clock(),
          failed: detectorFailed,
        })),
      );
    }
    for (const group of groupObservations(observations.values())) {
      const learning = learningEnds.get(group.scope);
      const detector = anomalyDetectors.get(group.detectorId);
      if (!learning || !detector) continue;
      const candidates = group.items.filter((o) => o.firstTime >= learning.end);
      if (candidates.length === 0) continue;
      const known = await this.baselines.lookup(
        group.scope,
        group.kind,
        candidates.map((o) => o.value),
      );
      let sample: string[] | undefined;
      for (const o of candidates) {
        if (known.has(o.value)) continue;
        let detection: Detection | undefined;
        try {
          detection = detector.describe(o.value, o.sample, context);
        } catch (error) {
          detectorFailed(detector.id, o.sample, error);
          continue;
        }
        if (!detection) continue;
        sample ??= (await this.baselines.sample(group.scope, group.kind)).map((e) => e.value);
        drafts.push({
          detector,
          detection,
          baseline: {
            expected: sample.length
              ? `${detector.expectedNoun}: ${sample.join(', ')}`
              : `no ${detector.expectedNoun} yet`,
            since: iso(learning.start),
            known: sample,
          },
          sample: o.sample,
          count: o.count,
          identity: `${group.scope}|${o.value}`,
          scope: group.scope,
          cluster:
            'cluster' in o.sample
              ? String((o.sample as unknown as AuditEvent).cluster)
              : this.options.config.clusterName,
        });
      }
    }

    // Findings: overrides, threshold, dedupe, send.
    const fresh: { finding: Finding; hit: Hit<unknown> }[] = [];
    const minimum = severityRank(this.options.config.alerts.minSeverity);
    for (const hit of drafts) {
      const finding = this.toFinding(hit);
      if (!finding) continue;
      if (severityRank(finding.severity) < minimum) {
        outcome.belowThreshold.push(finding);
        continue;
      }
      const window = this.options.config.detectors[hit.detector.id]?.dedupeMinutes ?? hit.detector.dedupeMinutes;
      const claimed = await this.deduper.claim(
        hit.detector.id,
        `${hit.scope}|${hit.detection.dedupeKey}`,
        finding.id,
        Date.parse(finding.time),
        window,
      );
      if (claimed) fresh.push({ finding, hit });
      else outcome.suppressed++;
    }
    fresh.sort((a, b) => a.finding.time.localeCompare(b.finding.time));
    try {
      await this.options.sink.publish(fresh.map((f) => f.finding));
    } catch (error) {
      for (const { hit } of fresh)
        await this.deduper.release(hit.detector.id, `${hit.scope}|${hit.detection.dedupeKey}`);
      throw error;
    }
    outcome.findings = fresh.map((f) => f.finding);
    await this.markDone(objectId, source.uri);
    return outcome;
  }

  /**
   * Folds observations into baselines and the network map into per-edge hourly statistics, and
   * reports flow logs that stopped arriving; `now` is event time in a replay, wall-clock in Lambda.
   */
  async rebaseline(now: number): Promise<EngineRebaselineReport> {
    const network = await this.network.rebaseline(
      now,
      await this.baselines.scopes(),
      this.flow,
      this.options.config.clusterName,
    );
    const report = await rebaseline(this.baselines, {
      now,
      retentionDays: this.options.config.rebaseline.retentionDays,
      kinds: baselineKinds(),
    });
    const findings = await this.publishDrafts(network.drafts);
    return { ...report, network: network.report, ...(findings.length > 0 ? { findings } : {}) };
  }

  /** Findings raised outside an object (at rebaseline): overrides, threshold, dedupe, send. */
  private async publishDrafts(drafts: readonly FlowDraft[]): Promise<Finding[]> {
    const fresh: { finding: Finding; hit: Hit<unknown> }[] = [];
    const minimum = severityRank(this.options.config.alerts.minSeverity);
    for (const hit of drafts as Hit<unknown>[]) {
      const finding = this.toFinding(hit);
      if (!finding || severityRank(finding.severity) < minimum) continue;
      const window = this.options.config.detectors[hit.detector.id]?.dedupeMinutes ?? hit.detector.dedupeMinutes;
      const key = `${hit.scope}|${hit.detection.dedupeKey}`;
      if (await this.deduper.claim(hit.detector.id, key, finding.id, Date.parse(finding.time), window)) {
        fresh.push({ finding, hit });
      }
    }
    if (fresh.length === 0) return [];
    try {
      await this.options.sink.publish(fresh.map((f) => f.finding));
    } catch (error) {
      for (const { hit } of fresh)
        await this.deduper.release(hit.detector.id, `${hit.scope}|${hit.detection.dedupeKey}`);
      throw error;
    }
    return fresh.map((f) => f.finding);
  }

  private toFinding(hit: Hit<unknown>): Finding | undefined {
    const { detector, detection, sample } = hit;
    const override = this.options.config.detectors[detector.id];
    const severity: Severity = override?.severity ?? detection.severity ?? detector.severity;
    const entities: Entities = { cluster: hit.cluster, ...withoutUndefined(detection.entities) };
    const baseline = hit.baseline;
    return {
      id: stableHash(detector.id, hit.identity, detection.dedupeKey),
      ruleId: detector.id,
      kind: baseline ? 'anomaly' : 'rule',
      severity,
      source: detector.source,
      time: iso(sample.time),
      title: detection.title ?? detector.title,
      summary: detection.summary,
      entities,
      evidence: detection.evidence.slice(0, 1000),
      origin: sample.origin,
      ...(baseline ? { baseline } : {}),
      mitre: detector.mitre,
      count: hit.count,
      runbook: detector.runbook,
    };
  }

  private async markDone(objectId: string, uri: string): Promise<void> {
    const now = this.clock();
    await this.options.table.put({
      ...keys.object(objectId),
      uri,
      processedAt: now,
      expiresAt: epochSeconds(now) + 30 * 86_400,
    });
  }
}

function withoutUndefined(entities: Entities): Entities {
  const out: Entities = {};
  for (const [k, v] of Object.entries(entities)) if (v !== undefined) out[k] = v;
  return out;
}

interface ObservationGroup {
  scope: string;
  kind: string;
  detectorId: string;
  /** One per value: the earliest day's observation, with counts summed over days. */
  items: Observation<Located>[];
}

function groupObservations(observations: Iterable<Observation<Located>>): ObservationGroup[] {
  const groups = new Map<string, ObservationGroup>();
  const byValue = new Map<string, Observation<Located>>();
  for (const o of observations) {
    const groupKey = `${o.scope}\u0000${o.kind}\u0000${o.detectorId}`;
    let group = groups.get(groupKey);
    if (!group) {
      group = { scope: o.scope, kind: o.kind, detectorId: o.detectorId, items: [] };
      groups.set(groupKey, group);
    }
    const valueKey = `${groupKey}\u0000${o.value}`;
    const seen = byValue.get(valueKey);
    if (!seen) {
      const copy = { ...o };
      byValue.set(valueKey, copy);
      group.items.push(copy);
    } else {
      seen.count += o.count;
      if (o.firstTime < seen.firstTime) {
        seen.firstTime = o.firstTime;
        seen.sample = o.sample;
      }
    }
  }
  return [...groups.values()];
}
