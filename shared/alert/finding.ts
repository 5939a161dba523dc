import type { Severity } from '../config';
import type { Origin } from '../ingest';

export type FindingKind = 'rule' | 'anomaly';
export type FindingSource = 'eks-audit' | 'vpc-flow';

/**
 * The identifiers a finding involves, copied verbatim from the log (never secret values). Known
 * keys are typed; detectors may add more.
 */
export interface Entities {
  cluster?: string;
  user?: string;
  groups?: string[];
  sourceIps?: string[];
  userAgent?: string;
  namespace?: string;
  resource?: string;
  subresource?: string;
  name?: string;
  verb?: string;
  image?: string;
  registry?: string;
  srcAddr?: string;
  dstAddr?: string;
  srcPort?: number;
  dstPort?: number;
  protocol?: number;
  interfaceId?: string;
  vpcId?: string;
  [key: string]: unknown;
}

export interface BaselineContext {
  /** What the baseline expected, in words. */
  expected: string;
  /** When the baseline began (the scope's first event), ISO-8601. */
  since?: string;
  /** A few of the known values. */
  known?: string[];
}

/** The unit of output: a JSON Line in the CLI, the JSON payload in SNS. A stable contract. */
export interface Finding {
  /** Stable hash: the same for the same underlying event. */
  id: string;
  ruleId: string;
  kind: FindingKind;
  severity: Severity;
  source: FindingSource;
  /** Event time, ISO-8601. */
  time: string;
  title: string;
  /** One human sentence. */
  summary: string;
  entities: Entities;
  /** A short excerpt; never secret values. */
  evidence: string;
  origin: Origin;
  baseline?: BaselineContext;
  /** MITRE ATT&CK technique ids. */
  mitre: string[];
  /** How many events this finding stands for. */
  count: number;
  /** What to do about it. */
  runbook: string;
}
