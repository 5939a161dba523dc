import type { Config } from '../config/schema';
import type { AuditEvent } from '../ingest/types';
import type { FlowEdge } from '../network/flow-edge';
import { execIntoPod } from './audit/exec-into-pod';
import { newImageRegistry } from './audit/new-image-registry';
import { rbacChange } from './audit/rbac-change';
import { newExternalDestination } from './net/new-external-destination';
import { threatIntelMatch } from './net/threat-intel-match';
import type { AnomalyDetector, Detector, DetectorMeta, RuleDetector } from './types';

/** Every audit-log detector, in catalog order. */
export const AUDIT_DETECTORS: readonly Detector<AuditEvent>[] = [execIntoPod, rbacChange, newImageRegistry];

/** Every flow-log detector, in catalog order. */
export const FLOW_DETECTORS: readonly Detector<FlowEdge>[] = [threatIntelMatch, newExternalDestination];

export const ALL_DETECTORS: readonly DetectorMeta[] = [...AUDIT_DETECTORS, ...FLOW_DETECTORS];

export interface DetectorSet<E> {
  rules: RuleDetector<E>[];
  anomalies: AnomalyDetector<E>[];
}

/** The detectors the config leaves enabled, split by kind. */
export function enabledDetectors<E>(detectors: readonly Detector<E>[], config: Config): DetectorSet<E> {
  const set: DetectorSet<E> = { rules: [], anomalies: [] };
  for (const detector of detectors) {
    if (config.detectors[detector.id]?.enabled === false) continue;
    if (detector.kind === 'rule') set.rules.push(detector);
    else set.anomalies.push(detector);
  }
  return set;
}

export function detectorById(id: string): DetectorMeta | undefined {
  return ALL_DETECTORS.find((d) => d.id === id);
}

/** Baseline kinds learned by anomaly detectors, for pruning. */
export function baselineKinds(): string[] {
  return [...AUDIT_DETECTORS, ...FLOW_DETECTORS]
    .filter((d): d is AnomalyDetector<never> => d.kind === 'anomaly')
    .map((d) => d.baselineKind);
}
