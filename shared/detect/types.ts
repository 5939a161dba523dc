import type { Entities, FindingSource } from '../alert/finding';
import type { Config, Severity } from '../config/schema';
import type { Origin } from '../ingest/types';
import type { ThreatIntel } from '../intel/threat-intel';
import type { GlobSet } from '../util/glob';

/** What a detector returns when it fires. The engine turns it into a Finding. */
export interface Detection {
  /** One human sentence: what happened, by whom, where. */
  summary: string;
  /** Overrides the detector's title for this finding. */
  title?: string;
  /** Overrides the detector's default severity for this finding. */
  severity?: Severity;
  entities: Entities;
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
  execAllowlist: GlobSet;
  trustedRegistries: GlobSet;
}

export interface RuleExamples<E> {
  /** Each must produce a detection. */
  fires: E[];
  /** None may produce a detection. */
  quiet: E[];
}

/** Fires on a single event from rules alone, from the first event seen. */
export interface RuleDetector<E> extends DetectorMeta {
  kind: 'rule';
  detect(event: E, context: DetectContext): Detection | undefined;
  examples: RuleExamples<E>;
}

export interface AnomalyExamples<E> {
  /** Values the baseline already holds in the examples. */
  baseline: string[];
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
  /** Describes the first event that showed a value the baseline has not seen. */
  describe(value: string, sample: E, context: DetectContext): Detection | undefined;
  /** How the baseline's known values are worded in an alert, e.g. "registries seen before". */
  expectedNoun: string;
  examples: AnomalyExamples<E>;
}

export type Detector<E> = RuleDetector<E> | AnomalyDetector<E>;

/** Something detectors look at: it has a time and an origin. */
export interface Located {
  time: number;
  origin: Origin;
}
