/**
 * The kind of identity behind a change, as learned allowances remember it (see `identityKind`).
 * Kept apart from the learner, with no imports, so that the detector context's types can name it.
 */
export type IdentityKind = 'pipeline' | 'controller' | 'service-account' | 'system' | 'person';

/** A workload's host access as learned: the settings one kind of identity writes it with, in one cluster. */
export interface LearnedPrivilege {
  cluster: string;
  workload: string;
  allow: string[];
  by: IdentityKind;
}

/**
 * The privileged workloads learned so far, in every cluster. Built empty with the context; the
 * engine replaces its contents from the baseline.
 */
export class LearnedPrivileges {
  private allowed = new Set<string>();

  replace(learned: readonly LearnedPrivilege[]): void {
    this.allowed = new Set(learned.flatMap((p) => p.allow.map((s) => privilegeKey(p.cluster, p.workload, s, p.by))));
  }

  /** Whether the cluster's workload was seen with the setting, written by this kind of identity. */
  allows(cluster: string, workload: string, setting: string, by: IdentityKind): boolean {
    return this.allowed.has(privilegeKey(cluster, workload, setting, by));
  }
}

/** One allowance as a set member: the cluster, the workload, the setting and the kind of identity. */
export function privilegeKey(cluster: string, workload: string, setting: string, by: string): string {
  return JSON.stringify([cluster, workload, setting, by]);
}
