import type { Finding } from '../alert';
import { AlertDeduper, Outbox } from '../alert';
import {
  BaselineStore,
  EdgeStatsStore,
  finishObservations,
  foldObservations,
  type ItemReport,
  itemDays,
  planItems,
  type RebaselinePlan,
  ThreatListStatusStore,
  type WorkItem,
} from '../baseline';
import { type Config, sourceBuckets } from '../config';
import type { DetectContext, LearnedEntryPoint, LearnedPipeline, LearnedPrivilege } from '../detect';
import {
  AUDIT_DETECTORS,
  AUDIT_KINDS,
  baselineKinds,
  degradedDetectors,
  ENTRY_POINT_BASELINE,
  enabledDetectors,
  FLOW_DETECTORS,
  FLOW_KINDS,
  type FlowDetector,
  LIST_DETECTORS,
  learnEntryPoints,
  learnPipelines,
  learnPrivileges,
  PIPELINE_BASELINE,
  PRIVILEGE_BASELINE,
} from '../detect';
import { DailyCounts, IncidentBook, type IncidentMessage, type MessageSink, SuppressionStore } from '../incident';
import type { AuditEvent, ObjectFormat, ObjectIdentity, ObjectSource, SourcePrefixes } from '../ingest';
import { identifyObject, readAuditObject, reject, totalRejected } from '../ingest';
import type { FlowEdge, PodIpCacheOptions } from '../network';
import { FlowSources, HourlyEdgeStore, hourlyEdgeTtlDays, PodIpCache, PodIpMap } from '../network';
import type { Recorder } from '../record';
import { auditRecorders, FLOW_RECORDERS, HourlyEdgeSession, workloadIntroductionRecorder } from '../record';
import { ObjectLedger, type Table } from '../store';
import { DAY_MS, dayOf, iso, MINUTE_MS, stableHash } from '../util';
import { type Delivered, type DeliveryOptions, FindingDelivery, type Mutes } from './delivery';
import type { Draft } from './draft';
import type { Evaluator, EventShape } from './evaluator';
import {
  AUDIT_SHAPE,
  auditEvaluators,
  clusterFlowShape,
  flowEvaluators,
  type HealthEvaluator,
  ListHealthEvaluator,
} from './evaluators';
import { FlowReading } from './flow-read';
import { type Learning, ObjectRun } from './object-run';
import { type DecidableEdges, decidingEvaluators, PendingEdges, type Settled } from './pending-edges';
import { ObjectSessions } from './sessions';
import type { EngineRebaselinePlan, EngineRebaselineReport, ObjectOutcome } from './types';
import { WorkloadGrace } from './workload-grace';

/** The options of {@link Engine}: what differs between the Lambdas, the CLI and the tests. */
export interface EngineOptions {
  config: Config;
  table: Table;
  /** Detector context: config lookups and the threat intel, built once per process. */
  context: DetectContext;
  /** Where messages about incidents go. */
  sink: MessageSink;
  /** Which suppressions mute a finding's notification. @default the config's and the table's */
  mutes?: Mutes;
  /** Wall clock, for the processed-object ledger. @default Date.now */
  clock?: () => number;
  /**
   * Recorders of audit events and flow edges, in addition to the registry's (RBAC trail, pod IP
   * map, ...). The CLI adds one that collects the run's edges for the report's network map.
   */
  extraRecorders?: { audit?: readonly Recorder<AuditEvent>[]; flow?: readonly Recorder<FlowEdge>[] };
  /** How publishing retries what the sink failed (tests wait less). */
  delivery?: DeliveryOptions;
  /**
   * Bounds of the cache of pod IP records read (`PodIpCache`), which lets a warm container name
   * addresses without reading them again; false reads every object's addresses (to measure).
   * @default 50,000 addresses, 32 MiB, 10 minutes
   */
  podIpCache?: Pick<PodIpCacheOptions, 'maxAddresses' | 'maxBytes' | 'maxAgeMs'> | false;
}

/**
 * How long one attempt holds a finding it is publishing. A retry comes after the queue's
 * visibility timeout (six times the function's timeout), long after this.
 */
const PUBLISH_LEASE_MS = 5 * 60_000;

/**
 * How long a process trusts the pipelines it read from the baseline. The rebaseline that changes
 * them runs in another Lambda; a CLI replay rereads them after each of its own rebaselines.
 */
const PIPELINES_TTL_MS = 10 * 60_000;

/**
 * The detection engine: one object in, findings out. The Lambdas and the CLI both drive it; only
 * the table, the sink and the object source differ. One engine serves many objects: its stores'
 * caches are meant to outlive an object.
 */
export class Engine {
  readonly baselines: BaselineStore;
  /** The incidents findings join. */
  readonly incidents: IncidentBook;
  private readonly config: Config;
  private readonly context: DetectContext;
  private readonly table: Table;
  /** Wall-clock time the learned pipelines and privileges were last read, or undefined to read them again. */
  private pipelinesRead?: number;
  /** Wall-clock time the learned entry points were last read, or undefined to read them again. */
  private entryPointsRead?: number;
  private readonly clock: () => number;
  private readonly ledger: ObjectLedger;
  private readonly counts: DailyCounts;
  private readonly delivery: FindingDelivery;
  private readonly flowReading: FlowReading;
  private readonly pending: PendingEdges;
  private readonly map: HourlyEdgeStore;
  private readonly edgeStats: EdgeStatsStore;
  private readonly health: HealthEvaluator;
  private readonly listHealth: ListHealthEvaluator;
  private readonly flowShape: EventShape<FlowEdge>;
  private readonly audit: { evaluators: Evaluator<AuditEvent>[]; recorders: Recorder<AuditEvent>[] };
  private readonly flow: { evaluators: Evaluator<FlowEdge>[]; recorders: Recorder<FlowEdge>[] };
  /** The flow detectors the config leaves enabled: those an object without their fields degrades. */
  private readonly flowDetectors: readonly FlowDetector[];
  /** Every configured prefix of each log kind, one per bucket: what an object's key proposes. */
  private readonly prefixes: SourcePrefixes;

  constructor(options: EngineOptions) {
    const { config, table, context } = options;
    this.config = config;
    this.context = context;
    this.table = table;
    this.clock = options.clock ?? Date.now;
    this.baselines = new BaselineStore({ table });
    this.ledger = new ObjectLedger(table, this.clock);
    this.counts = new DailyCounts(table);
    this.incidents = new IncidentBook(table, config, this.clock);
    this.delivery = new FindingDelivery(
      config,
      {
        deduper: new AlertDeduper(table),
        findings: new Outbox<Finding>(table, this.clock, PUBLISH_LEASE_MS),
        messages: new Outbox<IncidentMessage>(table, this.clock, PUBLISH_LEASE_MS),
        incidents: this.incidents,
        mutes: options.mutes ?? suppressionsOf(table, config, this.clock),
      },
      options.sink,
      options.delivery,
    );
    // One pod IP map for every reader and the audit side's writes, so its cache lives with the engine (warm containers).
    const podIps = new PodIpMap(
      table,
      options.podIpCache === false
        ? {}
        : {
            cache: new PodIpCache({
              marginMs: config.network.lateAudit.marginMinutes * MINUTE_MS,
              clock: this.clock,
              readWatermark: () => this.pending.watermark(),
              ...options.podIpCache,
            }),
          },
    );
    this.flowReading = new FlowReading(context, table, config.sources.flow.format, podIps);
    this.prefixes = {
      audit: sourceBuckets(config, 'audit').map((b) => b.prefix),
      flow: sourceBuckets(config, 'flow').map((b) => b.prefix),
    };
    this.pending = new PendingEdges(
      config,
      table,
      context,
      this.clock,
      (run, flow) => this.decideEdges(run, flow),
      podIps,
    );
    this.map = new HourlyEdgeStore(table, { ttlDays: hourlyEdgeTtlDays(config) });
    this.edgeStats = new EdgeStatsStore(table, { windowDays: config.network.stats.windowDays });
    const graceHours = config.learning.newWorkloadHours;
    const stores = {
      table,
      baselines: this.baselines,
      map: this.map,
      edgeStats: this.edgeStats,
      sources: new FlowSources(table),
      ...(graceHours > 0 ? { grace: new WorkloadGrace(table, graceHours) } : {}),
    };
    const flow = flowEvaluators(enabledDetectors(FLOW_DETECTORS, FLOW_KINDS, config), context, stores);
    this.flowDetectors = FLOW_DETECTORS.filter((detector) => config.detectors[detector.id]?.enabled !== false);
    this.health = flow.health;
    this.listHealth = new ListHealthEvaluator(
      LIST_DETECTORS.filter((detector) => config.detectors[detector.id]?.enabled !== false),
      context,
      new ThreatListStatusStore(table),
    );
    this.flowShape = clusterFlowShape(context);
    this.audit = {
      evaluators: auditEvaluators(enabledDetectors(AUDIT_DETECTORS, AUDIT_KINDS, config), context, stores),
      recorders: [
        ...auditRecorders(graceHours > 0 ? [workloadIntroductionRecorder(context)] : [], podIps),
        ...(options.extraRecorders?.audit ?? []),
      ],
    };
    this.flow = {
      evaluators: flow.evaluators,
      recorders: [...FLOW_RECORDERS, ...(options.extraRecorders?.flow ?? [])],
    };
  }

  /** Identify, read, record, detect, deliver, mark done. */
  async process(source: ObjectSource): Promise<ObjectOutcome> {
    const objectId = stableHash(source.uri, source.version);
    const run = new ObjectRun(objectId, source.uri, this.config.clusterName, this.clock, source.kind);
    if (await this.ledger.isDone(objectId)) return run.skipped('already-processed');
    const identity = await this.identify(source, run);
    if (identity.kind === 'unknown') {
      await this.ledger.markDone(objectId, source.uri);
      return run.skipped(identity.empty ? 'empty' : 'unknown-kind');
    }
    if (identity.kind === 'audit') await this.refreshPipelines();
    else await this.refreshEntryPoints();
    const sessions =
      identity.kind === 'audit' ? await this.readAudit(source, run) : await this.readFlow(source, identity.format, run);
    await this.record(run, sessions);
    const drafts = await sessions.finish();
    run.delivered(await this.delivery.deliver(objectId, drafts));
    await this.pending.settleAfter(run);
    await this.countDay(run);
    await this.ledger.markDone(objectId, source.uri);
    return run.outcome;
  }

  /** Rereads the learned pipelines into the detector context when they may have changed. */
  private async refreshPipelines(): Promise<void> {
    const now = this.clock();
    if (this.pipelinesRead !== undefined && now - this.pipelinesRead < PIPELINES_TTL_MS) return;
    this.context.learnedPipelines.replace(await this.learnedPipelines());
    this.context.learnedPrivileges.replace(await this.learnedPrivileges());
    this.pipelinesRead = now;
  }

  /** Rereads the learned entry points into the detector context when they may have changed. */
  private async refreshEntryPoints(): Promise<void> {
    const now = this.clock();
    if (this.entryPointsRead !== undefined && now - this.entryPointsRead < PIPELINES_TTL_MS) return;
    this.context.learnedEntryPoints.replace(await this.learnedEntryPoints());
    this.entryPointsRead = now;
  }

  /** The workloads' host access the audit log shows written day after day, as the baseline knows it now. */
  async learnedPrivileges(): Promise<LearnedPrivilege[]> {
    if (!this.config.audit.learnPrivilegedWorkloads) return [];
    return learnPrivileges(await this.entriesOfEveryScope(PRIVILEGE_BASELINE));
  }

  /** The addresses the flow log shows taking the internet's web traffic like a load balancer, in every scope. */
  async learnedEntryPoints(): Promise<LearnedEntryPoint[]> {
    if (!this.config.network.learnEntryPoints) return [];
    return learnEntryPoints(await this.entriesOfEveryScope(ENTRY_POINT_BASELINE));
  }

  /**
   * A learner's baseline entries in every scope: audit baselines are kept by the events' cluster
   * name, which need not be the configured one, and flow baselines by VPC.
   */
  private async entriesOfEveryScope(kind: string): Promise<Awaited<ReturnType<BaselineStore['entries']>>> {
    const entries: Awaited<ReturnType<BaselineStore['entries']>> = [];
    for (const scope of await this.baselines.scopes()) entries.push(...(await this.baselines.entries(scope, kind)));
    return entries;
  }

  /**
   * The identities the audit log shows deploying like a pipeline, as the baseline knows them now,
   * in every cluster the audit log names (its scopes: the cluster of each event, which the config's
   * clusterName need not be). Flow scopes hold no pipeline baseline and add nothing.
   */
  async learnedPipelines(): Promise<LearnedPipeline[]> {
    const learned: LearnedPipeline[] = [];
    for (const scope of await this.baselines.scopes()) {
      const entries = await this.baselines.entries(scope, PIPELINE_BASELINE);
      if (entries.length > 0) learned.push(...learnPipelines(scope, entries, this.context.learnedPipelines));
    }
    return learned;
  }

  /**
   * The digest's counts of the object's day (event time): the object, its rejects, its findings
   * below the threshold by rule, and what suppressions muted. Before the object is marked done, so
   * a failure is retried (and may count twice, never not at all).
   */
  private async countDay(run: ObjectRun): Promise<void> {
    const { outcome } = run;
    const below: Record<string, number> = {};
    for (const f of outcome.belowThreshold) below[f.ruleId] = (below[f.ruleId] ?? 0) + 1;
    const day = dayOf(outcome.lastEventTime ?? this.clock());
    await this.counts.add(day, this.config.clusterName, {
      objects: 1,
      rejected: totalRejected(outcome.stats),
      below,
      muted: outcome.muted,
    });
  }

  /** What the object is; an object of neither kind is counted as rejected, with the reason (an empty one is only skipped). */
  private async identify(source: ObjectSource, run: ObjectRun): Promise<ObjectIdentity> {
    const identity = await identifyObject(source, {
      prefixes: this.prefixes,
      flowFormat: this.config.sources.flow.format,
    });
    run.identified(identity);
    if (identity.kind === 'unknown' && !identity.empty) {
      run.stats.objects++;
      reject(run.stats, 'unrecognized-content', { uri: source.uri, line: 1 }, identity.detail);
    }
    return identity;
  }

  /** Streams an audit object's events to its sessions: nothing holds the events themselves. */
  private async readAudit(source: ObjectSource, run: ObjectRun): Promise<ObjectSessions<AuditEvent>> {
    const sessions = new ObjectSessions(
      run,
      AUDIT_SHAPE,
      this.audit.evaluators,
      this.audit.recorders,
      this.config,
      false,
    );
    await readAuditObject(
      await source.open(),
      { uri: source.uri, stats: run.stats, cluster: this.config.clusterName, signal: source.signal },
      (event) => sessions.see(event),
    );
    return sessions;
  }

  /**
   * Reads a flow object into attributed edges, sets aside those the audit log may still name, and
   * shows the others to the sessions.
   */
  private async readFlow(
    source: ObjectSource,
    format: ObjectFormat,
    run: ObjectRun,
  ): Promise<ObjectSessions<FlowEdge>> {
    const flow = await this.pending.hold(await this.flowReading.read(source, format, run), run);
    const degraded = degradedDetectors(this.flowDetectors, Object.keys(run.stats.flowFieldsMissing));
    if (degraded.length > 0) run.outcome.degraded = degraded;
    return this.flowSessions(run, flow);
  }

  /**
   * Every edge to the recorders, and the edges a relay did not log twice to detection; what they
   * add to the network, into the run's outcome.
   */
  private flowSessions(
    run: ObjectRun,
    flow: DecidableEdges,
    evaluators = this.flow.evaluators,
  ): ObjectSessions<FlowEdge> {
    const sessions = new ObjectSessions(run, this.flowShape, evaluators, this.flow.recorders, this.config, true);
    for (const edge of flow.edges) {
      if (flow.relayed.has(edge)) sessions.recordOnly(edge);
      else sessions.see(edge);
    }
    for (const edge of flow.waiting ?? []) sessions.seeDelivered(edge);
    // What the object adds to the hourly edges, from their recorder's fold (one per hourly edge, not per flow edge).
    const hourlyEdges = new Set<string>();
    const entities = new Set<string>();
    for (const part of sessions.recorder(HourlyEdgeSession)?.hourlyEdges() ?? []) {
      hourlyEdges.add(part.key);
      entities.add(part.client);
      entities.add(part.server);
    }
    run.outcome.network = {
      hourlyEdges: [...hourlyEdges],
      entities: [...entities],
      addressesLookedUp: flow.attribution.lookedUp,
      addressesAttributed: flow.attribution.attributed,
      relayedEdges: flow.relayed.size,
    };
    return sessions;
  }

  /** Edges that waited for the audit log, named at last: recorded, detected on and delivered as an object's own. */
  private async decideEdges(run: ObjectRun, flow: DecidableEdges): Promise<Delivered> {
    const sessions = this.flowSessions(run, flow, decidingEvaluators(this.flow.evaluators));
    await this.record(run, sessions);
    // The group is an object of its own: its findings go out once, and what it taught counts once it is done.
    const delivered = await this.delivery.deliver(run.objectId, await sessions.finish());
    await this.ledger.markDone(run.objectId, run.uri);
    return delivered;
  }

  /**
   * Decides the edges waiting for the audit log that are due at `now` (event time); the rebaseline
   * does it too. The end of a replay passes Infinity: nothing more will arrive to name them.
   */
  async decideWaiting(now: number): Promise<Settled> {
    return this.pending.settle(now, `decide@${now}`);
  }

  /**
   * What the object taught: each scope's first event (which starts its learning period), then the
   * observations and the recorders' records.
   */
  private async record(run: ObjectRun, sessions: ObjectSessions<AuditEvent> | ObjectSessions<FlowEdge>): Promise<void> {
    run.closeTimes();
    const learning = new Map<string, Learning>();
    for (const [scope, first] of run.firstTimes) {
      const start = await this.baselines.noteEvents(scope, first);
      learning.set(scope, { start, end: start + this.config.learning.days * DAY_MS });
    }
    run.learning = learning;
    await sessions.flush(this.table);
  }

  /**
   * Folds observations into baselines and the hourly edges into per-edge hourly statistics, and
   * reports flow logs that stopped arriving; `now` is event time in a replay, wall-clock in Lambda.
   * `run` names the run for exactly-once delivery of its findings: a retry of the same scheduled
   * run must pass the same name. In process: {@link Engine.planRebaseline}, every item, then
   * {@link Engine.finishRebaseline}; a deployment may run the items in parallel elsewhere.
   */
  async rebaseline(now: number, run = iso(now)): Promise<EngineRebaselineReport> {
    const plan = await this.planRebaseline(now, run);
    const reports: ItemReport[] = [];
    for (const item of plan.items) reports.push(await this.runWorkItem(plan, item));
    return this.finishRebaseline(plan, reports);
  }

  /**
   * Decides the waiting edges due at `now` (their findings are the run's), then lists the work:
   * every scope's due days of observations and hourly edges, split into items by their row counts.
   */
  async planRebaseline(now: number, run = iso(now)): Promise<EngineRebaselinePlan> {
    const late = await this.decideWaiting(now);
    const scopes = await this.baselines.scopes();
    const items = await planItems({ baselines: this.baselines, hourly: this.map }, scopes, now);
    return {
      run,
      now,
      items,
      scopes,
      ...(late.groups + late.failed.length > 0
        ? { waiting: { groups: late.groups, decided: late.edges, failed: late.failed } }
        : {}),
      ...(late.sent.length > 0 ? { findings: late.sent } : {}),
      ...(late.messages.length > 0 ? { messages: late.messages } : {}),
    };
  }

  /** Folds one item of a plan. Idempotent: a retried or repeated item leaves the same table. */
  async runWorkItem(plan: RebaselinePlan, item: WorkItem): Promise<ItemReport> {
    const started = performance.now();
    const before = { ...this.table.counters };
    const folded = { rowsRead: 0, entriesWritten: 0, edgesUpdated: 0 };
    for (const day of itemDays(item)) {
      if (day.type === 'edges') {
        const done = await this.edgeStats.foldItem(this.map, day, plan.now);
        folded.rowsRead += done.rowsRead;
        folded.edgesUpdated += done.edgesUpdated;
      } else {
        const retentionDays = this.config.rebaseline.retentionDays;
        const done = await foldObservations(this.baselines, day, { now: plan.now, retentionDays });
        folded.rowsRead += done.rowsRead;
        folded.entriesWritten += done.entriesWritten;
      }
    }
    return {
      item,
      rowsRead: folded.rowsRead,
      entriesWritten: folded.entriesWritten,
      edgesUpdated: folded.edgesUpdated,
      readUnits: this.table.counters.readUnits - before.readUnits,
      writeUnits: this.table.counters.writeUnits - before.writeUnits,
      durationMs: performance.now() - started,
    };
  }

  /**
   * After every item of the plan: per scope, marks the settled days folded (the current and previous
   * day stay pending: objects for them may still arrive) and prunes expired entries; then finds the
   * flow logs that went silent and delivers the run's findings.
   */
  async finishRebaseline(plan: EngineRebaselinePlan, reports: readonly ItemReport[]): Promise<EngineRebaselineReport> {
    const { now } = plan;
    const keepPendingFrom = dayOf(now - DAY_MS);
    const daysOf = (type: WorkItem['type'], scope: string) => [
      ...new Set(plan.items.filter((i) => i.type === type && i.scope === scope).flatMap((i) => i.days)),
    ];
    let edgeDays = 0;
    let obsDays = 0;
    let entriesPruned = 0;
    for (const scope of plan.scopes) {
      const edges = daysOf('edges', scope);
      edgeDays += edges.length;
      if (edges.length > 0)
        await this.map.markFolded(
          scope,
          edges.filter((day) => day < keepPendingFrom),
          now,
        );
      const observations = daysOf('observations', scope);
      obsDays += observations.length;
      const finished = await finishObservations(this.baselines, scope, observations, {
        now,
        retentionDays: this.config.rebaseline.retentionDays,
        kinds: baselineKinds(),
      });
      entriesPruned += finished.entriesPruned;
    }
    const silent = await this.health.silences(now, this.config.clusterName);
    const staleLists = await this.staleThreatLists(now);
    this.pipelinesRead = undefined;
    this.entryPointsRead = undefined;
    const own = await this.delivery.deliver(`rebaseline#${plan.run}`, [...silent, ...staleLists]);
    const sent = [...(plan.findings ?? []), ...own.sent];
    const messages = [...(plan.messages ?? []), ...own.messages];
    const sum = (type: WorkItem['type'], field: 'rowsRead' | 'entriesWritten' | 'edgesUpdated') =>
      reports.reduce((total, r) => total + (r.item.type === type ? r[field] : 0), 0);
    return {
      scopes: plan.scopes.length,
      daysFolded: obsDays,
      observationsRead: sum('observations', 'rowsRead'),
      entriesWritten: sum('observations', 'entriesWritten'),
      entriesPruned,
      network: {
        daysFolded: edgeDays,
        mapItemsRead: sum('edges', 'rowsRead'),
        edgesUpdated: sum('edges', 'edgesUpdated'),
        silentLogs: silent.length,
      },
      ...(staleLists.length > 0 ? { staleThreatLists: staleLists.length } : {}),
      ...(plan.waiting ? { waiting: { decided: plan.waiting.decided, failed: plan.waiting.failed } } : {}),
      ...(sent.length > 0 ? { findings: sent } : {}),
      ...(messages.length > 0 ? { messages } : {}),
    };
  }

  /**
   * The fetched threat lists that have not refreshed for too long (the fetcher writes their status):
   * a finding each, delivered with the rebaseline's own. A stage of its own, to move with them.
   */
  private staleThreatLists(now: number): Promise<Draft[]> {
    return this.listHealth.stale(now, this.config.clusterName);
  }
}

/**
 * The config's suppressions and the table's (added with `driftwatch suppress add`): each applies to
 * findings whose event time is before its expiry.
 */
function suppressionsOf(table: Table, config: Config, clock: () => number): Mutes {
  const store = new SuppressionStore(table, clock, { maxDays: config.maxSuppressionDays, config: config.suppressions });
  return {
    matcher: () => store.active(config.suppressions, Number.NEGATIVE_INFINITY),
    countMuted: (counts) => store.countMuted(counts),
  };
}
