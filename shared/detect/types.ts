import type { Entities, FindingRoles, FindingSource } from '../alert';
import type { Config, ConfigInput, Severity } from '../config';
import type { Origin, StackFlowField } from '../ingest';
import type { CidrIndex, ThreatIntel } from '../intel';
import type { NetworkLabels } from '../network';
import type { GlobSet } from '../util';
import type { LearnedPrivileges } from './audit/lib/learned-privileges';
import type { LearnedPipeline, LearnedPipelines } from './audit/lib/pipelines';
import type { LearnedEntryPoints } from './net/lib/entry-points';

/** What a detector returns when it fires. The engine turns it into a Finding. */
export interface Detection {
  /** One human sentence: what happened, by whom, where. */
  summary: string;
  /** Overrides the detector's title for this finding. */
  title?: string;
  /** Overrides the detector's default severity for this finding. */
  severity?: Severity;
  entities: Entities;
  /** The part the entities play: the ends of the traffic, or the hops of a path. */
  roles?: FindingRoles;
  /** A short excerpt of the evidence. Never put secret values here. */
  evidence: string;
  /** Two detections with the same key are one alert within the dedupe window. */
  dedupeKey: string;
}

export interface DetectorMeta {
  /** Stable id, equal to `<source>.<file name>`, such as `audit.exec-into-pod`. */
  id: string;
  title: string;
  /** Why it matters, for the alert body and the catalog. */
  description: string;
  source: FindingSource;
  severity: Severity;
  /** MITRE ATT&CK technique ids. */
  mitre: string[];
  /** Alerts with the same dedupe key within this window are sent once. */
  dedupeMinutes: number;
  /** What to do when it fires. */
  runbook: string;
  /**
   * The closest rule in each peer's catalog, by its published name, or 'none'. Feeds the
   * catalog document (docs/DETECTIONS.md).
   */
  equivalents: Equivalents;
  /**
   * Flow-log fields beyond AWS's default (version 2) format without which the detector cannot do
   * all it should: on objects that lack one it still runs, degraded, and the run says so (the
   * summary, the report, a log line). The catalog runs every other flow detector's examples on
   * default-format records too, and checks that each field named here is really needed.
   */
  needs?: readonly StackFlowField[];
  /** Fields beyond the default format it reads when present, sharper with them but whole without. */
  uses?: readonly StackFlowField[];
}

export interface Equivalents {
  /** Falco k8saudit plugin rule. */
  falco: string;
  /** Amazon GuardDuty EKS finding type. */
  guardduty: string;
  /** Elastic prebuilt Kubernetes rule. */
  elastic: string;
  /** Sigma rule title. */
  sigma: string;
}

/** Configuration and lookups a detector may read. Built once per process. */
export interface DetectContext {
  config: Config;
  intel: ThreatIntel;
  cicdIdentities: GlobSet;
  /**
   * Identities learned from the audit log to deploy like a pipeline, treated like `cicdIdentities`
   * when they act from their usual network and user agent. The engine refreshes it from the baseline.
   */
  learnedPipelines: LearnedPipelines;
  /**
   * Host access each workload was seen written with, by which kind of identity: allowed like
   * `privilegedAllowlist`. The engine refreshes it from the baseline.
   */
  learnedPrivileges: LearnedPrivileges;
  /**
   * Addresses learned to be load balancers, by scope: attribution names them entry points when no
   * pod or node holds them. The engine refreshes it from the baseline.
   */
  learnedEntryPoints: LearnedEntryPoints;
  execAllowlist: GlobSet;
  /** Registries (or `registry/repository` paths) trusted: the configured list plus EKS's own. */
  trustedRegistries: GlobSet;
  /** Operators outside kube-system that create or change workloads as their job. */
  controllerIdentities: GlobSet;
  /** Identities allowed to impersonate others without an alert. */
  impersonators: GlobSet;
  /** Identities whose denied requests are not counted toward a forbidden burst (`audit.forbiddenBurst.ignore`). */
  forbiddenBurstIgnore: GlobSet;
  /** Names nodes of the cluster are given (`audit.nodeNames`): a node joining under another is reported. */
  nodeNames: GlobSet;
  /** Namespaces anyone may create without a finding (`audit.namespaces`). */
  namespaceAllowlist: GlobSet;
  /** `namespace/name` of workloads expected in the system namespaces (built in plus configured). */
  systemWorkloads: GlobSet;
  /** Workloads allowed to run with some privileged settings, and which settings. */
  privilegedAllowlist: readonly { workload: GlobSet; allow: ReadonlySet<string> }[];
  /**
   * Accepted exposure paths (`network.exposure.allow`): a workload glob and what it may reach, a
   * label, `*`, or a CIDR (then also as a `range`).
   */
  exposureAllowlist: readonly { workload: GlobSet; to: string; range?: CidrIndex<true> }[];
  /** Source networks whose calls never count as new (office, VPN, bastion). */
  knownNetworks: { contains(address: string): boolean };
  /** What the config says about addresses: labels, public entry points, sensitive ranges and ports. */
  network: NetworkLabels;
}

export interface RuleExamples<E> {
  /** The config the examples run with, over the defaults (CI/CD identities, trusted registries, ...). */
  config?: ConfigInput;
  /** The pipelines learned from the audit log when the examples run (none by default). */
  learnedPipelines?: readonly LearnedPipeline[];
  /** Each must produce a detection. */
  fires: E[];
  /** None may produce a detection. */
  quiet: E[];
}

/** Fires on a single event from rules alone, from the first event seen. */
export interface RuleDetector<E> extends DetectorMeta {
  kind: 'rule';
  detect(event: E, context: DetectContext): Detection | undefined;
  /**
   * Optional, for rules that fire on many events of one finding (every internet client of one
   * exposed service): the `dedupeKey` that {@link detect} would give the event, or undefined when
   * it would give nothing, without building the detection. Events with one key must get one
   * severity. The engine then builds a detection for the first event of a key and counts the
   * rest. The catalog test holds every rule that has it to agreeing with `detect`.
   */
  dedupeKey?(event: E, context: DetectContext): string | undefined;
  examples: RuleExamples<E>;
}

export interface AnomalyExamples<E> {
  /** The config the examples run with, over the defaults. */
  config?: ConfigInput;
  /** Values the baseline already holds in the examples. */
  baseline: string[];
  /** Values the {@link AnomalyDetector.related} baseline holds in the examples. */
  related?: string[];
  /** Each observes a value missing from `baseline` and must fire. */
  fires: E[];
  /** Each observes nothing, or only values in `baseline`. */
  quiet: E[];
}

/**
 * Fires when an event shows a value its baseline has not seen, once the learning period is over.
 * Observing is pure; the engine aggregates observations per object and looks them up in the
 * baseline store in one batch.
 */
export interface AnomalyDetector<E> extends DetectorMeta {
  kind: 'anomaly';
  /** Name of the baseline this detector learns, e.g. `image-registry`. */
  baselineKind: string;
  /** The baseline values this event shows. */
  observe(event: E, context: DetectContext): readonly string[] | undefined;
  /**
   * Another baseline whose word on a value the description depends on, looked up with this one:
   * whether a new repository's registry is one the cluster already uses. `of` gives the related
   * baseline's value for one of this baseline's values. With `required`, a value whose counterpart
   * the related baseline does not know is no news at all (a new tool of an identity never seen),
   * even past the sampling budget, where values are told without `describe`.
   */
  related?: { kind: string; of(value: string): string; required?: boolean };
  /**
   * Where an event renamed since (a flow end a late pod report named) finds its history: the
   * values `observe` gives the event as it was named before, in baseline `kind`, which a learner
   * keeps at the grain history needs (an address, where the detector keys by subnet). Without it,
   * the detector's own baseline and values serve.
   */
  history?: { kind: string; observe(before: E, context: DetectContext): readonly string[] | undefined };
  /**
   * Describes the first event that showed a value the baseline has not seen. `relatedKnown` says
   * whether the {@link related} baseline knows the value's counterpart (undefined without one).
   */
  describe(value: string, sample: E, context: DetectContext, relatedKnown?: boolean): Detection | undefined;
  /** How the baseline's known values are worded in an alert, e.g. "registries seen before". */
  expectedNoun: string;
  examples: AnomalyExamples<E>;
}

export interface ThresholdExamples<E> {
  /** The config the examples run with, over the defaults. */
  config?: ConfigInput;
  /** Each group of events, counted together in one window, must reach the threshold and fire. */
  fires: E[][];
  /** No group may fire. */
  quiet: E[][];
}

/**
 * Fires when the events counted under one key (an identity, an address) reach a threshold within
 * a window of event time. The engine aggregates counts per object and keeps them in the table,
 * so a burst spread over many objects (and Lambda invocations) still adds up. Fires from the
 * first event, like a rule.
 */
export interface ThresholdDetector<E> extends DetectorMeta {
  kind: 'threshold';
  /** The threshold and window, usually read from the config. */
  limits(context: DetectContext): { threshold: number; windowMinutes: number };
  /** The keys this event counts towards. */
  count(event: E, context: DetectContext): readonly string[] | undefined;
  /**
   * How much the event adds to each of its keys; 1 without it. A flow edge stands for many records
   * (connection attempts, packets), so a flow detector counts what the edge holds, not the edge.
   */
  weight?(event: E, context: DetectContext): number;
  /** Describes a key that reached the threshold, from the first event of it in the object. */
  describe(key: string, total: number, sample: E, context: DetectContext): Detection | undefined;
  examples: ThresholdExamples<E>;
}

/** One value an event adds to a key's set of distinct values (a port probed on a host). */
export interface DistinctValue {
  key: string;
  value: string;
}

export interface DistinctExamples<E> {
  /** The config the examples run with, over the defaults. */
  config?: ConfigInput;
  /** Each group of events, counted together in one window, must reach the threshold and fire. */
  fires: E[][];
  /** No group may fire. */
  quiet: E[][];
}

/**
 * Fires when the distinct values seen under one key (the ports one source probed on one host)
 * reach a threshold within a window of event time. Like a threshold detector, the engine keeps
 * each object's values in the table, so a scan spread over objects still adds up.
 */
export interface DistinctDetector<E> extends DetectorMeta {
  kind: 'distinct';
  limits(context: DetectContext): { threshold: number; windowMinutes: number };
  /** The values this event adds, by key. */
  distinct(event: E, context: DetectContext): readonly DistinctValue[] | undefined;
  /** Describes a key that reached the threshold, from its first event in the object. */
  describe(key: string, values: readonly string[], sample: E, context: DetectContext): Detection | undefined;
  examples: DistinctExamples<E>;
}

/** What an event shows on one side of a correlation, for one key (a workload). */
export interface CorrelationSide {
  /** `first`: the condition that makes the key interesting (received public traffic); `second`: what completes it. */
  side: 'first' | 'second';
  key: string;
  /** What on this side (the public source, the sensitive resource and port); one sighting per value. */
  value: string;
  /** Small facts for the description, kept with the sighting. */
  facts: Record<string, string | number>;
}

/** A side as remembered: seen from `firstTime` to `lastTime` (event time, epoch ms). */
export interface CorrelationSighting extends CorrelationSide {
  firstTime: number;
  lastTime: number;
  /**
   * For a first side whose value is itself a key with a first side in the same object, that side:
   * one hop up a chain, such as internet -> load balancer -> workload.
   */
  upstream?: CorrelationSighting;
}

export interface CorrelationExamples<E> {
  /** The config the examples run with, over the defaults. */
  config?: ConfigInput;
  /** Each group of events, seen in order within the window, must complete a correlation and fire. */
  fires: E[][];
  /** No group may fire. */
  quiet: E[][];
}

/**
 * Fires when one key shows both sides within a window, in either order and in any objects: a
 * workload that receives public traffic and also reaches a sensitive resource. The engine keeps
 * the sightings in the table; each object reads them once per key it shows.
 */
export interface CorrelationDetector<E> extends DetectorMeta {
  kind: 'correlation';
  windowMinutes(context: DetectContext): number;
  sides(event: E, context: DetectContext): readonly CorrelationSide[] | undefined;
  /** Describes a key with both sides; `sample` is this object's event that completed it. */
  describe(
    key: string,
    first: CorrelationSighting,
    second: CorrelationSighting,
    sample: E,
    context: DetectContext,
  ): Detection | undefined;
  examples: CorrelationExamples<E>;
}

/** Metrics of a network map edge, per hour. */
export type EdgeMetric = 'bytesOut' | 'bytesIn' | 'flows' | 'rejected';

/** Robust statistics of one metric of an edge over its active hours within the statistics window. */
export interface MetricStats {
  /** Active hours (hours with traffic on the edge) the statistics cover. */
  hours: number;
  /** Distinct days among them. */
  days: number;
  median: number;
  /** Median absolute deviation from the median. */
  mad: number;
  max: number;
}

export interface SpikeExample<E> {
  event: E;
  /** The metric's total on the event's edge in its hour. */
  observed: number;
}

export interface SpikeExamples<E> {
  /** The config the examples run with, over the defaults. */
  config?: ConfigInput;
  /** Hourly values of the metric the edge's statistics are computed from. */
  baseline: number[];
  /** Each must be a spike against the baseline. */
  fires: SpikeExample<E>[];
  /** None may be. */
  quiet: SpikeExample<E>[];
}

/**
 * Fires when an edge's hourly total of a metric (bytes sent, REJECTs) goes far above the edge's
 * own hourly statistics, which the rebaseline job computes from the network map. Silent during
 * the learning period and while an edge's history is short.
 */
export interface SpikeDetector<E> extends DetectorMeta {
  kind: 'spike';
  metric: EdgeMetric;
  /** Whether the event's edge is one this detector watches. */
  applies(event: E, context: DetectContext): boolean;
  /** The value above which an hour is a spike, or undefined when the history is too short to say. */
  limit(stats: MetricStats | undefined, context: DetectContext): number | undefined;
  describe(
    observed: number,
    limit: number,
    stats: MetricStats,
    sample: E,
    context: DetectContext,
  ): Detection | undefined;
  examples: SpikeExamples<E>;
}

/** What one flow-log object says about the log's health. */
export interface FlowLogHealth {
  kind: 'object';
  /** The flow log (its id from the object key, such as `fl-0a1b2c3d4e5f`, else the object's prefix). */
  logId: string;
  scope: string;
  /** Event time the object covers (its first record), epoch ms. */
  time: number;
  records: number;
  nodata: number;
  skipdata: number;
  origin: Origin;
}

/** A flow log that has not delivered for a while, as the rebaseline job sees it. */
export interface FlowLogSilence {
  kind: 'silence';
  logId: string;
  scope: string;
  /** Event time of its last record, epoch ms. */
  lastSeen: number;
  /** The time of the check. */
  now: number;
  origin: Origin;
}

export interface HealthExamples {
  /** The config the examples run with, over the defaults. */
  config?: ConfigInput;
  fires: (FlowLogHealth | FlowLogSilence)[];
  quiet: (FlowLogHealth | FlowLogSilence)[];
}

/** Watches the logs themselves: records skipped, and a log that stops arriving. */
export interface HealthDetector extends DetectorMeta {
  kind: 'health';
  /** One object's counts, as it is processed. */
  inspect(health: FlowLogHealth, context: DetectContext): Detection | undefined;
  /** A log's last delivery, at rebaseline time. */
  silence(silence: FlowLogSilence, context: DetectContext): Detection | undefined;
  examples: HealthExamples;
}

/** A fetched threat list's refresh status, as the rebaseline job sees it. */
export interface ThreatListCheck {
  kind: 'list';
  /** The list's name in `threatIntel.fetch.lists`. */
  list: string;
  /** Since when it has not refreshed: its last success, or its first attempt if none succeeded. */
  since: number;
  /** Whether a copy of it is in use (a refresh succeeded once); without one it matches nothing. */
  hasCopy: boolean;
  lastAttempt: number;
  /** Refreshes failed since the last success. */
  failures: number;
  /** Why the latest refresh failed (printable, credentials removed). */
  error?: string;
  /** The copy in use (S3 version id), as of its last change. */
  version?: string;
  /** The time of the check. */
  now: number;
  origin: Origin;
}

export interface ListHealthExamples {
  /** The config the examples run with, over the defaults. */
  config?: ConfigInput;
  fires: ThreatListCheck[];
  quiet: ThreatListCheck[];
}

/**
 * Watches the threat lists the stack's fetcher keeps: one that stopped refreshing leaves the
 * threat-intel detectors matching against an old copy, or none. Runs at rebaseline time only.
 */
export interface ListHealthDetector extends DetectorMeta {
  kind: 'list-health';
  stale(check: ThreatListCheck, context: DetectContext): Detection | undefined;
  examples: ListHealthExamples;
}

export type Detector<E> =
  | RuleDetector<E>
  | AnomalyDetector<E>
  | ThresholdDetector<E>
  | DistinctDetector<E>
  | CorrelationDetector<E>
  | SpikeDetector<E>
  | HealthDetector;

/** Something detectors look at: it has a time and an origin. */
export interface Located {
  time: number;
  origin: Origin;
}
