import { type DetectContext, isController } from '../detect';
import type { AuditEvent } from '../ingest';
import { actor, created, isServiceAccount, succeeded } from '../kube';
import type { Table } from '../store';
import { ownerOfPod } from './pod-ip-recorder';
import type { Recorder, RecorderSession } from './types';
import { type IntroducerClass, TRUSTED_INTRODUCERS, WorkloadIntroductions } from './workload-introductions';

/**
 * The kinds that own pods, by resource. Pods themselves are left out: the controllers create them
 * by the thousand, and a workload is what a flow edge names.
 */
const OWNER_KINDS: Readonly<Record<string, string>> = {
  deployments: 'Deployment',
  daemonsets: 'DaemonSet',
  statefulsets: 'StatefulSet',
  replicasets: 'ReplicaSet',
  jobs: 'Job',
  cronjobs: 'CronJob',
};

const CHANGES = new Set(['create', 'update', 'patch']);

/** The class of the identity that acted, in the terms of the detectors (`isController`, `isCicdIdentity`). */
export function introducerOf(event: AuditEvent, context: DetectContext): IntroducerClass {
  const user = actor(event);
  if (isController(user, context)) return 'controller';
  if (context.cicdIdentities.matches(user.username)) return 'cicd';
  if (context.learnedPipelines.matches(event)) return 'pipeline';
  return isServiceAccount(user) ? 'service-account' : 'person';
}

/** One write's worth: the earliest event of one class group (trusted or not) for one workload. */
interface Introduction {
  workload: string;
  time: number;
  by: IntroducerClass;
}

/**
 * One audit object's creations of workloads by trusted identities, and creations or changes by
 * anyone else, earliest first per workload: what decides a new workload's grace. A trusted
 * identity's later rollouts of a workload are not introductions (the workload existed), and a
 * controller's ReplicaSet or Job for a Deployment or CronJob is its owner's, whose own creation
 * says who brought it in.
 */
export class WorkloadIntroductionSession implements RecorderSession<AuditEvent> {
  private readonly earliest = new Map<string, Introduction>();

  constructor(
    private readonly context: DetectContext,
    private readonly cluster: string | undefined,
  ) {}

  see(event: AuditEvent): void {
    const ref = event.objectRef;
    const kind = ref?.resource ? OWNER_KINDS[ref.resource] : undefined;
    if (!ref || !kind || ref.subresource || !CHANGES.has(event.verb) || !succeeded(event)) return;
    const name = ref.name ?? bodyName(event);
    if (!ref.namespace || !name) return;
    const by = introducerOf(event, this.context);
    const trusted = TRUSTED_INTRODUCERS.has(by);
    if (trusted && !created(event)) return;
    const owner = ownerOfPod(name, [{ kind, name, controller: true }]);
    if (by === 'controller' && owner.ownerKind !== kind) return;
    const workload = `${ref.namespace}/${owner.workload}`;
    const key = `${this.cluster ?? event.cluster}\u0000${workload}\u0000${trusted}`;
    const seen = this.earliest.get(key);
    if (!seen || event.time < seen.time) this.earliest.set(key, { workload, time: event.time, by });
  }

  async flush(table: Table): Promise<void> {
    const store = new WorkloadIntroductions(table);
    for (const [key, { workload, time, by }] of this.earliest) {
      await store.introduced(key.slice(0, key.indexOf('\u0000')), workload, time, by);
    }
  }
}

/** The name of a created object, from its body when the URI has none. */
function bodyName(event: AuditEvent): string | undefined {
  for (const body of [event.responseObject, event.requestObject]) {
    const metadata = (body as { metadata?: { name?: unknown } } | undefined)?.metadata;
    if (typeof metadata?.name === 'string' && metadata.name) return metadata.name;
  }
  return undefined;
}

/**
 * Keeps the workload records (`WORKLOAD#<cluster>`) a new workload's grace is decided from. Built
 * with the engine's detector context, for the identities it trusts (learned pipelines included).
 * Kept under the configured cluster name, the one flow edges are judged under.
 */
export function workloadIntroductionRecorder(context: DetectContext): Recorder<AuditEvent> {
  return {
    id: 'workload-introductions',
    begin: (object) => new WorkloadIntroductionSession(context, object.config?.clusterName),
  };
}
