import type { Config } from '../config';
import type { AuditEvent } from '../ingest';
import type { FlowEdge } from '../network';
import { admissionWebhookChanged } from './audit/admission-webhook-changed';
import { anonymousAccess } from './audit/anonymous-access';
import { awsAuthModified } from './audit/aws-auth-modified';
import { configObjectChange } from './audit/config-object-change';
import { configmapCredentials } from './audit/configmap-credentials';
import { corednsModified } from './audit/coredns-modified';
import { csrApproved } from './audit/csr-approved';
import { csrCreated } from './audit/csr-created';
import { deniedWrite } from './audit/denied-write';
import { eventsDeleted } from './audit/events-deleted';
import { execIntoPod } from './audit/exec-into-pod';
import { exposedService } from './audit/exposed-service';
import { forbiddenBurst } from './audit/forbidden-burst';
import { impersonation } from './audit/impersonation';
import { PIPELINE_BASELINE } from './audit/lib/pipelines';
import { PRIVILEGE_BASELINE } from './audit/lib/privileges';
import { manualDelete } from './audit/manual-delete';
import { namespaceCreated } from './audit/namespace-created';
import { newIdentity } from './audit/new-identity';
import { newImageRegistry } from './audit/new-image-registry';
import { newImageRepository } from './audit/new-image-repository';
import { newSourceIp } from './audit/new-source-ip';
import { newUserAgent, USER_AGENT_IDENTITY_BASELINE } from './audit/new-user-agent';
import { newWorkloadCreator } from './audit/new-workload-creator';
import { nodeJoined } from './audit/node-joined';
import { nodesProxy } from './audit/nodes-proxy';
import { offensiveTool } from './audit/offensive-tool';
import { outOfBandWorkload } from './audit/out-of-band-workload';
import { permissionProbing } from './audit/permission-probing';
import { pipelineDrift } from './audit/pipeline-drift';
import { podInSystemNamespace } from './audit/pod-in-system-namespace';
import { privilegedWorkload } from './audit/privileged-workload';
import { rbacChange } from './audit/rbac-change';
import { rbacThenWorkload } from './audit/rbac-then-workload';
import { secretEnumeration } from './audit/secret-enumeration';
import { serviceaccountCreated } from './audit/serviceaccount-created';
import { suspiciousContainerCommand } from './audit/suspicious-container-command';
import { suspiciousExecCommand } from './audit/suspicious-exec-command';
import { threatIntelCaller } from './audit/threat-intel-caller';
import { tokenRequest } from './audit/token-request';
import { untrustedRegistry } from './audit/untrusted-registry';
import { unusualSecretAccess } from './audit/unusual-secret-access';
import { bruteForce } from './net/brute-force';
import { dnsEgress } from './net/dns-egress';
import { exposurePath } from './net/exposure-path';
import { inboundPortPolicy } from './net/inbound-port-policy';
import { internetScan } from './net/internet-scan';
import { ENTRY_POINT_BASELINE } from './net/lib/entry-points';
import { logHealth } from './net/log-health';
import { mailEgress } from './net/mail-egress';
import { miningPoolPort } from './net/mining-pool-port';
import { newExternalDestination } from './net/new-external-destination';
import { newPort } from './net/new-port';
import { outboundFlood } from './net/outbound-flood';
import { portScan } from './net/port-scan';
import { portSweep } from './net/port-sweep';
import { publicIngress } from './net/public-ingress';
import { rejectSpike } from './net/reject-spike';
import { threatIntelMatch } from './net/threat-intel-match';
import { threatListStale } from './net/threat-list-stale';
import { volumeSpike } from './net/volume-spike';
import type { AnomalyDetector, Detector, DetectorMeta, ListHealthDetector } from './types';

/** The kinds that run on audit events: each event on its own, counted or collected under a key, or in sequence. */
export const AUDIT_KINDS = ['rule', 'anomaly', 'threshold', 'distinct', 'correlation'] as const;
/** Every kind runs on flow edges: the object's edges together, too (scans, paths, spikes, the log's health). */
export const FLOW_KINDS = ['rule', 'anomaly', 'threshold', 'distinct', 'correlation', 'spike', 'health'] as const;

/** A detector of audit events: only a kind the engine runs on audit events compiles here. */
export type AuditDetector = Extract<Detector<AuditEvent>, { kind: (typeof AUDIT_KINDS)[number] }>;
/** A detector of flow edges. */
export type FlowDetector = Extract<Detector<FlowEdge>, { kind: (typeof FLOW_KINDS)[number] }>;

/** Every audit-log detector, in catalog order. */
export const AUDIT_DETECTORS: readonly AuditDetector[] = [
  // Manual activity and forbidden actions
  execIntoPod,
  suspiciousExecCommand,
  manualDelete,
  deniedWrite,
  outOfBandWorkload,
  pipelineDrift,
  // RBAC and identity
  rbacChange,
  rbacThenWorkload,
  awsAuthModified,
  anonymousAccess,
  impersonation,
  tokenRequest,
  csrApproved,
  csrCreated,
  serviceaccountCreated,
  nodeJoined,
  nodesProxy,
  threatIntelCaller,
  offensiveTool,
  // Risky workloads and exposure
  privilegedWorkload,
  suspiciousContainerCommand,
  exposedService,
  configmapCredentials,
  admissionWebhookChanged,
  corednsModified,
  podInSystemNamespace,
  eventsDeleted,
  untrustedRegistry,
  configObjectChange,
  // Baseline anomalies and bursts
  newImageRegistry,
  newImageRepository,
  newIdentity,
  newWorkloadCreator,
  newSourceIp,
  newUserAgent,
  namespaceCreated,
  unusualSecretAccess,
  secretEnumeration,
  permissionProbing,
  forbiddenBurst,
];

/** Every flow-log detector, in catalog order. */
export const FLOW_DETECTORS: readonly FlowDetector[] = [
  // Known-bad and forbidden destinations
  threatIntelMatch,
  miningPoolPort,
  dnsEgress,
  mailEgress,
  // Exposure
  publicIngress,
  inboundPortPolicy,
  exposurePath,
  // Attacks under way
  bruteForce,
  outboundFlood,
  // Baseline anomalies and statistics
  newExternalDestination,
  newPort,
  volumeSpike,
  rejectSpike,
  // Reconnaissance
  portScan,
  portSweep,
  internetScan,
  // The log itself
  logHealth,
];

/**
 * Detectors of the fetched threat lists' refresh status, which the rebaseline reads: neither audit
 * events nor flow edges, but they keep the flow detectors' threat lists honest.
 */
export const LIST_DETECTORS: readonly ListHealthDetector[] = [threatListStale];

export const ALL_DETECTORS: readonly DetectorMeta[] = [...AUDIT_DETECTORS, ...FLOW_DETECTORS, ...LIST_DETECTORS];

/** Detectors split by kind: for each kind the detectors are of, the list of them. */
export type DetectorSet<D extends { kind: string }> = { [K in D['kind']]: Extract<D, { kind: K }>[] };

/** The detectors the config leaves enabled, split by kind; every kind in `kinds` has a list, maybe empty. */
export function enabledDetectors<D extends { id: string; kind: string }>(
  detectors: readonly D[],
  kinds: readonly D['kind'][],
  config: Config,
): DetectorSet<D> {
  const set = Object.fromEntries(kinds.map((kind) => [kind, [] as D[]])) as Record<string, D[]>;
  for (const detector of detectors) {
    if (config.detectors[detector.id]?.enabled === false) continue;
    set[detector.kind]?.push(detector);
  }
  return set as DetectorSet<D>;
}

export function detectorById(id: string): DetectorMeta | undefined {
  return ALL_DETECTORS.find((d) => d.id === id);
}

/** The baseline kind an anomaly detector learns, named by the detector's id, so readers never spell it twice. */
export function baselineKindOf(id: string): string {
  const detector = [...AUDIT_DETECTORS, ...FLOW_DETECTORS].find((d) => d.id === id);
  if (detector?.kind !== 'anomaly') throw new Error(`${id} is not an anomaly detector`);
  return detector.baselineKind;
}

/** Baseline kinds learned by anomaly detectors and the learners (pipelines, privileges, entry points), for pruning. */
export function baselineKinds(): string[] {
  return [...AUDIT_DETECTORS, ...FLOW_DETECTORS]
    .filter((d): d is AnomalyDetector<never> => d.kind === 'anomaly')
    .map((d) => d.baselineKind)
    .concat(PIPELINE_BASELINE, PRIVILEGE_BASELINE, ENTRY_POINT_BASELINE, USER_AGENT_IDENTITY_BASELINE);
}
