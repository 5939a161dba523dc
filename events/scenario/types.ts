/** Options of {@link generateScenario}. */
export interface ScenarioOptions {
  /** Folder to write the objects and `manifest.json` into; created if missing. */
  outDir: string;
  /**
   * Seed of the pseudo-random generator: the same seed gives byte-identical output.
   * @default 42
   */
  seed?: number;
  /**
   * Days of logs to generate, from 1 to 60. Incidents planted on later days are left out.
   * @default 14
   */
  days?: number;
  /**
   * First instant of the logs: midnight UTC, ISO-8601.
   * @default '2026-11-01T00:00:00Z'
   */
  start?: string;
  /**
   * `fresh`: the cluster's life is logged from its first day, every pod reported running.
   * `existing-cluster`: logging starts on a cluster that has run for months (see README).
   * @default 'fresh'
   */
  variant?: ScenarioVariant;
  /**
   * The flow logs' format: `stack`, the custom format Driftwatch's stack creates (with `tcp-flags`,
   * `pkt-*` addresses, `flow-direction`), or `v2`, AWS's default format, which has none of them:
   * the same traffic as the flow logs most accounts already have.
   * @default 'stack'
   */
  flowFormat?: FlowFormat;
  /**
   * How big a world to generate (see {@link ScenarioScale}); every knob left out keeps today's
   * size, so `{}` and no scale at all write the same bytes.
   */
  scale?: ScenarioScale;
}

/**
 * Knobs that grow the sample scenario for measurements (bench, docs/SCALE.md). Each defaults to
 * the size of the sample cluster, and the defaults write the sample scenario byte for byte.
 */
export interface ScenarioScale {
  /**
   * Clusters, each in its own VPC (`10.<n>.0.0/16`) with its own audit log group and flow log.
   * The first is `shop-prod`, with the planted incidents; the others (`shop-prod-2`, ...) live
   * the same normal life from their own seed, with no incidents.
   * @default 1
   */
  clusters?: number;
  /** Nodes per cluster; DaemonSets run one pod on each. Nodes past the third get a /24 each. @default 3 */
  nodes?: number;
  /** Multiplies every Deployment's replicas, and the autoscaler's bounds. @default 1 */
  replicas?: number;
  /** Multiplies the conversations each client pod holds per capture window. @default 1 */
  traffic?: number;
  /** Objects each source delivers per hour (per cluster), each covering a slice of the hour. @default 1 */
  objectsPerHour?: number;
}

/** The flow-log formats {@link generateScenario} can write. */
export const FLOW_FORMATS = ['stack', 'v2'] as const;
export type FlowFormat = (typeof FLOW_FORMATS)[number];

/** The kinds of scenario {@link generateScenario} can generate. */
export const SCENARIO_VARIANTS = ['fresh', 'existing-cluster'] as const;
export type ScenarioVariant = (typeof SCENARIO_VARIANTS)[number];

/** One pod that held an address for a while. */
export interface AddressHolder {
  cluster: string;
  namespace: string;
  pod: string;
  /** `namespace/name` of its Deployment. */
  workload: string;
  /** ISO-8601 UTC; `from` may be before the scenario's start. */
  from: string;
  to: string;
}

/** A pod address held by pods of different clusters one after the other. */
export interface AddressReuse {
  address: string;
  /** In time order. */
  holders: AddressHolder[];
}

/** An incident the scenario plants, and what Driftwatch should report about it. */
export interface PlantedIncident {
  id: string;
  /** Day of the scenario, 1-based. */
  day: number;
  /** When it starts, ISO-8601 UTC. */
  time: string;
  description: string;
  /** Rule ids of the findings it should raise. */
  expectedRuleIds: string[];
  /** The attack it belongs to: its own id, or the planted incident it continues. Driftwatch should make one incident per attack. */
  attack: string;
  /** Key identifiers, verbatim as they appear in the logs (user, pod, addresses, ...). */
  entities: Record<string, unknown>;
}

/** What a scenario run wrote; also saved as `manifest.json` in the output folder. */
export interface ScenarioManifest {
  /** First instant of the logs, ISO-8601 UTC. */
  start: string;
  days: number;
  seed: number;
  cluster: string;
  vpcId: string;
  /** Log objects written (audit and flow), not counting `manifest.json`. */
  objects: number;
  /** Audit events, over all objects. */
  auditEvents: number;
  /** Flow records with log-status OK (NODATA records are not counted). */
  flowRecords: number;
  incidents: PlantedIncident[];
  /**
   * Set by the `existing-cluster` variant only, so that the default manifest stays
   * byte-identical to earlier versions: read `variant ?? 'fresh'`.
   */
  variant?: ScenarioVariant;
  /** Clusters whose audit logs were written (variant or `scale.clusters` only; the default has just `cluster`). */
  clusters?: string[];
  /** Pod addresses held by pods of two clusters in turn (variant only). */
  addressReuse?: AddressReuse[];
  /** Set only for flow logs not in the stack's format, as `variant`: read `flowFormat ?? 'stack'`. */
  flowFormat?: FlowFormat;
  /** Set only when a knob is off its default, as `variant`, with every knob's value. */
  scale?: Required<ScenarioScale>;
  /** Each cluster's VPC and address range, when `scale.clusters` is above 1 (`clusters` names them too). */
  vpcs?: { cluster: string; vpcId: string; cidr: string }[];
}

/** A scenario option that cannot be honoured. */
export class ScenarioError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScenarioError';
  }
}
