import type { AuditEvent } from '../../../ingest';
import type { DetectContext } from '../../types';
import { identityKind } from './actor';
import { type IdentityKind, type LearnedPrivilege, privilegeKey } from './learned-privileges';
import { configuredUnallowedRisks, workloadKey, writesPodSpec } from './pod-security';

/**
 * The baseline that learns privileged workloads: which host access each workload was written
 * with, and by which kind of identity. Folded by the rebaseline like every other baseline.
 */
export const PRIVILEGE_BASELINE = 'privileged-workload-activity';

/** The id its observations are written under: a learner, not a detector; it never fires. */
export const PRIVILEGE_LEARNER_ID = 'learn.privileged-workloads';

/**
 * Distinct days a workload must be written with a setting, by one kind of identity, for the setting
 * to be allowed. Two: a DaemonSet a pipeline rolls out is written on most days; a privileged
 * workload an attacker creates once is never learned, and one written on two days has fired twice.
 */
export const PRIVILEGE_MIN_DAYS = 2;

/** What the rebaseline knows about one observed value: the days it was seen on. */
interface PrivilegeEntry {
  /** The cluster (the audit baselines' scope). */
  scope: string;
  value: string;
  dayCounts: Record<string, number>;
}

type Fact = [workload: string, setting: string, by: IdentityKind];

/**
 * What one event tells about its workload's host access: each setting the configured allowlist
 * does not cover, with the kind of identity that wrote it. Learned settings are observed too, so a
 * workload stays learned while it keeps being written the same way.
 */
export function privilegeObservations(event: AuditEvent, context: DetectContext): string[] | undefined {
  if (!context.config.audit.learnPrivilegedWorkloads || !writesPodSpec(event)) return undefined;
  const risks = configuredUnallowedRisks(event, context);
  if (risks.length === 0) return undefined;
  const workload = workloadKey(event);
  const by = identityKind(event, context);
  return [...new Set(risks.map((r) => r.setting))].map((setting) =>
    JSON.stringify([workload, setting, by] satisfies Fact),
  );
}

/** The allowances the baseline shows: settings seen on {@link PRIVILEGE_MIN_DAYS} days, per workload and identity kind. */
export function learnPrivileges(entries: readonly PrivilegeEntry[]): LearnedPrivilege[] {
  const days = new Map<string, Set<string>>();
  for (const entry of entries) {
    const fact = parseFact(entry.value);
    if (!fact) continue;
    const id = privilegeKey(entry.scope, ...fact);
    const seen = days.get(id) ?? new Set<string>();
    for (const day of Object.keys(entry.dayCounts)) seen.add(day);
    days.set(id, seen);
  }
  const byWorkload = new Map<string, LearnedPrivilege>();
  for (const [id, seen] of days) {
    if (seen.size < PRIVILEGE_MIN_DAYS) continue;
    const [cluster, workload, setting, by] = JSON.parse(id) as [string, ...Fact];
    const group = JSON.stringify([cluster, workload, by]);
    const learned = byWorkload.get(group) ?? { cluster, workload, allow: [], by };
    learned.allow.push(setting);
    byWorkload.set(group, learned);
  }
  return [...byWorkload.values()]
    .map((p) => ({ ...p, allow: p.allow.sort() }))
    .sort(
      (a, b) => a.cluster.localeCompare(b.cluster) || a.workload.localeCompare(b.workload) || a.by.localeCompare(b.by),
    );
}

const KINDS: ReadonlySet<string> = new Set(['pipeline', 'controller', 'service-account', 'system', 'person']);

function parseFact(value: string): Fact | undefined {
  try {
    const fact = JSON.parse(value) as unknown;
    if (!Array.isArray(fact) || fact.length !== 3 || !fact.every((f) => typeof f === 'string')) return undefined;
    return KINDS.has(String(fact[2])) ? (fact as Fact) : undefined;
  } catch {
    return undefined;
  }
}
