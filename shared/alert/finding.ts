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

/** One end of traffic, as the log named it and as attribution did. */
export interface Endpoint {
  /** The address, verbatim from the log. */
  address?: string;
  /** The entity attribution named (`workload:shop/web`, `node:ip-10-0-1-5`, `external:203.0.113.0/24`). */
  entity?: string;
  /** What people call it (a label, `internet`), when neither of the others says it. */
  name?: string;
}

/**
 * The part each thing a finding names plays in it, typed, for readers that place a finding (the
 * report's network map) without parsing entity names: the two ends of the traffic it is about,
 * or the hops of a path.
 */
export interface FindingRoles {
  /** The end that opened the connections. */
  client?: Endpoint;
  /** The end that listened. */
  server?: Endpoint;
  /** The server's port. */
  port?: number;
  /** A path through the network, hop by hop: the public source, an entry point, a workload, a sensitive resource. */
  path?: Endpoint[];
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
  /** Why the rule matters: the detector's description, so a message stands on its own. */
  description: string;
  entities: Entities;
  /** What part the entities play, for findings about traffic. */
  roles?: FindingRoles;
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
  /**
   * The incident correlation put it in, when it did: readers (the report, a message) show the
   * finding as part of that incident instead of on its own.
   */
  incidentId?: string;
}
