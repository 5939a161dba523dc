import { type Item, keys, type Table } from '../store';

/** Who created or changed a workload, as far as a new workload's grace cares. */
export type IntroducerClass = 'controller' | 'cicd' | 'pipeline' | 'person' | 'service-account';

/**
 * The identities whose creation of a workload earns it a grace: the cluster's controllers and the
 * configured operators, the configured CI/CD identities, and the pipelines learned from the log.
 */
export const TRUSTED_INTRODUCERS: ReadonlySet<IntroducerClass> = new Set(['controller', 'cicd', 'pipeline']);

/**
 * What the table knows of one workload (`namespace/name`) of a cluster. Each time is the earliest
 * of its kind, so objects may arrive in any order and be delivered twice.
 */
export interface WorkloadRecord {
  workload: string;
  /** The earliest creation of the workload (or of what owns its pods) by a trusted identity. */
  introducedAt?: number;
  introducedBy?: IntroducerClass;
  /** The earliest creation or change by any other identity: a person, a workload's service account. */
  untrustedAt?: number;
  untrustedBy?: IntroducerClass;
  /** The earliest flow edge attributed to the workload, at either end. */
  firstFlow?: number;
}

/**
 * The table's workload records (`WORKLOAD#<cluster>`/`<namespace>/<name>`): written by the audit
 * recorder when a workload is created or changed by hand, and by the flow side on a workload's
 * first edge; read once per flow object. Every write keeps the earlier time, so a write is needed
 * only when a time is new or earlier, and a retry changes nothing.
 */
export class WorkloadIntroductions {
  constructor(private readonly table: Table) {}

  /** The records of the workloads, by `namespace/name`; a workload never recorded is absent. */
  async read(cluster: string, workloads: readonly string[]): Promise<Map<string, WorkloadRecord>> {
    const out = new Map<string, WorkloadRecord>();
    if (workloads.length === 0) return out;
    const items = await this.table.batchGet(workloads.map((w) => keys.workload(cluster, w)));
    for (const item of items) {
      const record = recordOf(item);
      if (record) out.set(record.workload, record);
    }
    return out;
  }

  /** A creation or change of the workload by an identity of class `by` at `time`. */
  async introduced(cluster: string, workload: string, time: number, by: IntroducerClass): Promise<void> {
    const [at, klass] = TRUSTED_INTRODUCERS.has(by) ? ['introducedAt', 'introducedBy'] : ['untrustedAt', 'untrustedBy'];
    await this.table.update(
      keys.workload(cluster, workload),
      { set: { workload, [at]: time, [klass]: by } },
      { kind: 'absentOrAbove', attribute: at, value: time },
    );
  }

  /** The workload's earliest flow edge, when it is earlier than what the table holds. */
  async flowSeen(cluster: string, workload: string, time: number): Promise<void> {
    await this.table.update(
      keys.workload(cluster, workload),
      { set: { workload, firstFlow: time } },
      { kind: 'absentOrAbove', attribute: 'firstFlow', value: time },
    );
  }
}

function recordOf(item: Item): WorkloadRecord | undefined {
  if (typeof item.workload !== 'string') return undefined;
  const record: WorkloadRecord = { workload: item.workload };
  if (typeof item.introducedAt === 'number') record.introducedAt = item.introducedAt;
  if (typeof item.introducedBy === 'string') record.introducedBy = item.introducedBy as IntroducerClass;
  if (typeof item.untrustedAt === 'number') record.untrustedAt = item.untrustedAt;
  if (typeof item.untrustedBy === 'string') record.untrustedBy = item.untrustedBy as IntroducerClass;
  if (typeof item.firstFlow === 'number') record.firstFlow = item.firstFlow;
  return record;
}
