import type { BaselineStore, EdgeStatsStore } from '../../baseline';
import { CorrelationStore, DistinctCounter, WindowCounter } from '../../baseline';
import type { AuditDetector, DetectContext, DetectorSet, FlowDetector } from '../../detect';
import {
  ADDRESS_PORT_BASELINE,
  addressPortObservations,
  ENTRY_POINT_BASELINE,
  ENTRY_POINT_LEARNER_ID,
  entryPointObservations,
  PIPELINE_BASELINE,
  PIPELINE_LEARNER_ID,
  PRIVILEGE_BASELINE,
  PRIVILEGE_LEARNER_ID,
  pipelineObservations,
  privilegeObservations,
  USER_AGENT_IDENTITY_BASELINE,
  USER_AGENT_IDENTITY_LEARNER_ID,
  userAgentIdentityObservations,
} from '../../detect';
import type { AuditEvent } from '../../ingest';
import { type FlowEdge, type FlowSources, type HourlyEdgeStore, priorEdge } from '../../network';
import type { Table } from '../../store';
import { HOUR_MS } from '../../util';
import type { Evaluator, EventShape, Grace } from '../evaluator';
import { AnomalyEvaluator, type Learner } from './anomaly';
import { CorrelationEvaluator } from './correlation';
import { DistinctEvaluator } from './distinct';
import { HealthEvaluator } from './health';
import { ListHealthEvaluator } from './list-health';
import { RuleEvaluator } from './rule';
import { SpikeEvaluator } from './spike';
import { ThresholdEvaluator } from './threshold';

export { HealthEvaluator, ListHealthEvaluator };

/** The stores evaluators keep their state in, shared by every object of an engine. */
export interface EvaluatorStores {
  table: Table;
  baselines: BaselineStore;
  map: HourlyEdgeStore;
  edgeStats: EdgeStatsStore;
  sources: FlowSources;
  /** A new workload's grace, when `learning.newWorkloadHours` is on. */
  grace?: Grace<FlowEdge>;
}

/** Audit events count in their cluster's baselines; the audit id is the event. */
export const AUDIT_SHAPE: EventShape<AuditEvent> = {
  scope: (event) => event.cluster,
  cluster: (event) => event.cluster,
  identity: (event) => event.auditId,
};

/**
 * Flow edges count in their VPC's baselines; a conversation in an hour is the event. Flow logs
 * name no cluster: an edge's findings name the cluster `clusterOf` says (`ClusterMap.ofEdge`:
 * the cluster of the workload at either end, else of the configured range, else the configured
 * cluster).
 */
export function flowShape(clusterOf: (edge: FlowEdge) => string): EventShape<FlowEdge> {
  return {
    scope: (edge) => edge.scope,
    cluster: clusterOf,
    identity: (e) =>
      `${e.client}|${e.server}|${e.serverPort ?? ''}|${e.protocol ?? ''}|${Math.floor(e.time / HOUR_MS)}`,
    prior: priorEdge,
  };
}

/** {@link flowShape} with the clusters the config lists. */
export function clusterFlowShape(context: DetectContext): EventShape<FlowEdge> {
  const { clusters } = context.network;
  return flowShape((edge) => clusters.ofEdge(edge));
}

/** Learns which identities deploy like a pipeline, for {@link DetectContext.learnedPipelines}. */
const PIPELINE_LEARNER: Learner<AuditEvent> = {
  id: PIPELINE_LEARNER_ID,
  baselineKind: PIPELINE_BASELINE,
  observe: pipelineObservations,
};

/** Learns which identities call the API with a client, for `audit.new-user-agent`'s word on a new one. */
const USER_AGENT_IDENTITY_LEARNER: Learner<AuditEvent> = {
  id: USER_AGENT_IDENTITY_LEARNER_ID,
  baselineKind: USER_AGENT_IDENTITY_BASELINE,
  observe: userAgentIdentityObservations,
};

/** Keeps what unnamed internal sources did address by address: a workload named late inherits it. */
const ADDRESS_PORT_LEARNER: Learner<FlowEdge> = {
  id: 'learn.address-ports',
  baselineKind: ADDRESS_PORT_BASELINE,
  observe: addressPortObservations,
};

/** Learns the host access each workload is written with, for {@link DetectContext.learnedPrivileges}. */
const PRIVILEGE_LEARNER: Learner<AuditEvent> = {
  id: PRIVILEGE_LEARNER_ID,
  baselineKind: PRIVILEGE_BASELINE,
  observe: privilegeObservations,
};

/** Learns which addresses take the internet's web traffic like a load balancer, for {@link DetectContext.learnedEntryPoints}. */
const ENTRY_POINT_LEARNER: Learner<FlowEdge> = {
  id: ENTRY_POINT_LEARNER_ID,
  baselineKind: ENTRY_POINT_BASELINE,
  observe: entryPointObservations,
};

/**
 * The evaluators of the audit log's detector kinds, in the order their drafts are delivered:
 * rules, thresholds, distinct values, correlations, anomalies. The registry's types allow no
 * other kind on audit events.
 */
export function auditEvaluators(
  set: DetectorSet<AuditDetector>,
  context: DetectContext,
  stores: EvaluatorStores,
): Evaluator<AuditEvent>[] {
  return [
    new RuleEvaluator(set.rule, context, AUDIT_SHAPE),
    new ThresholdEvaluator(set.threshold, context, AUDIT_SHAPE, new WindowCounter(stores.table)),
    // Audit events stream past: these keep the few that matter to them.
    new DistinctEvaluator(set.distinct, context, AUDIT_SHAPE, new DistinctCounter(stores.table), true),
    new CorrelationEvaluator(set.correlation, context, AUDIT_SHAPE, new CorrelationStore(stores.table), true),
    new AnomalyEvaluator(set.anomaly, context, AUDIT_SHAPE, stores.baselines, [
      PIPELINE_LEARNER,
      PRIVILEGE_LEARNER,
      USER_AGENT_IDENTITY_LEARNER,
    ]),
  ];
}

/**
 * The evaluators of every flow detector kind, in the order their drafts are delivered: rules,
 * thresholds, distinct values, correlations, spikes, the log's health, anomalies. The health
 * evaluator also serves the rebaseline (silent logs).
 */
export function flowEvaluators(
  set: DetectorSet<FlowDetector>,
  context: DetectContext,
  stores: EvaluatorStores,
): { evaluators: Evaluator<FlowEdge>[]; health: HealthEvaluator } {
  const shape = clusterFlowShape(context);
  const health = new HealthEvaluator(set.health, context, stores.sources);
  const evaluators: Evaluator<FlowEdge>[] = [
    new RuleEvaluator(set.rule, context, shape),
    new ThresholdEvaluator(set.threshold, context, shape, new WindowCounter(stores.table)),
    new DistinctEvaluator(set.distinct, context, shape, new DistinctCounter(stores.table)),
    new CorrelationEvaluator(set.correlation, context, shape, new CorrelationStore(stores.table)),
    new SpikeEvaluator(set.spike, context, stores.edgeStats, stores.map, stores.grace),
    health,
    new AnomalyEvaluator(
      set.anomaly,
      context,
      shape,
      stores.baselines,
      [ENTRY_POINT_LEARNER, ADDRESS_PORT_LEARNER],
      stores.grace,
    ),
  ];
  return { evaluators, health };
}
