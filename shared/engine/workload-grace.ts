import type { FlowEdge, NetworkEntity } from '../network';
import { WorkloadIntroductions, type WorkloadRecord } from '../record';
import type { Table } from '../store';
import { HOUR_MS, MINUTE_MS } from '../util';
import type { Grace } from './evaluator';
import type { ObjectRun } from './object-run';

/**
 * A flow record's start is the start of its capture window, which may open before the connection:
 * how much earlier than its creation a new workload's first edge may seem to be.
 */
const CAPTURE_SLACK_MS = 10 * MINUTE_MS;

/** Joins the workloads of an edge into one subject (a workload name holds no newline). */
const SEPARATOR = '\n';

/**
 * A new workload's grace (`learning.newWorkloadHours`). A workload created after the learning
 * period by a controller, a CI/CD identity or a learned pipeline is new to the baselines: for the
 * hours after its first flow edge, the learned-baseline detectors (new port, new external
 * destination, spikes) learn its edges, at either end, without speaking about them.
 *
 * No grace without a recorded creation by a trusted identity: a workload brought in by a person or
 * a workload's service account, one whose creation the audit log never showed (an unknown
 * identity), one created during learning, and one whose traffic began before the creation (a name
 * reused) are judged at once. A change by anyone else ends the grace.
 */
export class WorkloadGrace implements Grace<FlowEdge> {
  private readonly store: WorkloadIntroductions;
  /** Each object's judgement, read once for every evaluator that asks. */
  private readonly judged = new WeakMap<ObjectRun, Promise<(subject: string, time: number) => boolean>>();

  constructor(
    table: Table,
    private readonly hours: number,
  ) {
    this.store = new WorkloadIntroductions(table);
  }

  subject(edge: FlowEdge): string | undefined {
    const client = workloadOf(edge.clientEntity);
    const server = workloadOf(edge.serverEntity);
    if (client && server) return `${client}${SEPARATOR}${server}`;
    return client ?? server;
  }

  judge(run: ObjectRun, edges: readonly FlowEdge[]): Promise<(subject: string, time: number) => boolean> {
    let judged = this.judged.get(run);
    if (!judged) {
      judged = this.read(run, edges);
      this.judged.set(run, judged);
    }
    return judged;
  }

  /** Reads the object's workloads' records, notes first edges the table did not know, and says when each grace ends. */
  private async read(run: ObjectRun, edges: readonly FlowEdge[]): Promise<(subject: string, time: number) => boolean> {
    const first = new Map<string, FlowEdge>();
    for (const edge of edges) {
      for (const workload of [workloadOf(edge.clientEntity), workloadOf(edge.serverEntity)]) {
        if (!workload) continue;
        const seen = first.get(workload);
        if (!seen || edge.time < seen.time) first.set(workload, edge);
      }
    }
    if (first.size === 0) return () => false;
    const records = await this.store.read(run.cluster, [...first.keys()]);
    const ends = new Map<string, number>();
    for (const [workload, edge] of first) {
      const record = records.get(workload) ?? { workload };
      if (record.firstFlow === undefined || edge.time < record.firstFlow) {
        await this.store.flowSeen(run.cluster, workload, edge.time);
        record.firstFlow = edge.time;
      }
      const learning = run.learning.get(edge.scope);
      const end = learning ? graceEnd(record, learning.end, this.hours * HOUR_MS) : undefined;
      if (end !== undefined) ends.set(workload, end);
    }
    if (ends.size === 0) return () => false;
    return (subject, time) => subject.split(SEPARATOR).some((w) => time < (ends.get(w) ?? Number.NEGATIVE_INFINITY));
  }
}

/** When a workload's grace ends, or undefined when it has none. */
function graceEnd(record: WorkloadRecord, learningEnd: number, graceMs: number): number | undefined {
  const { introducedAt, untrustedAt, firstFlow } = record;
  if (introducedAt === undefined || introducedAt < learningEnd) return undefined;
  // Someone else brought it in first.
  if (untrustedAt !== undefined && untrustedAt <= introducedAt) return undefined;
  if (firstFlow === undefined || firstFlow < introducedAt - CAPTURE_SLACK_MS) return undefined;
  return Math.min(firstFlow + graceMs, untrustedAt ?? Number.POSITIVE_INFINITY);
}

/** `namespace/name` of a workload entity. */
function workloadOf(entity: NetworkEntity | undefined): string | undefined {
  return entity?.kind === 'workload' ? entity.id.slice('workload:'.length) : undefined;
}
