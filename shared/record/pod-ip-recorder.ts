import type { AuditEvent } from '../ingest';
import { type PodIpEntry, PodIpMap, reportedLate, sameHolder } from '../network';
import type { Table } from '../store';
import type { Recorder, RecorderSession } from './types';
import { WorkloadIntroductions } from './workload-introductions';

/** The alphabet Kubernetes draws generated name suffixes and pod-template hashes from. */
const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';
const DEPLOYMENT_POD = new RegExp(`^(.+)-${SAFE}{6,10}-${SAFE}{5}$`);
const REPLICA_SET = new RegExp(`^(.+)-${SAFE}{6,10}$`);
const GENERATED_POD = new RegExp(`^(.+)-${SAFE}{5}$`);
const STATEFUL_POD = /^(.+)-\d+$/;

function obj(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** The workload that owns a pod, from its owner reference when the log has one, else from its name. */
export function ownerOfPod(pod: string, ownerReferences?: unknown): { workload: string; ownerKind?: string } {
  const refs = Array.isArray(ownerReferences) ? ownerReferences.map(obj).filter((r) => r !== undefined) : [];
  const controller = refs.find((r) => r.controller === true) ?? refs[0];
  const kind = str(controller?.kind);
  const name = str(controller?.name);
  if (kind && name) {
    if (kind === 'ReplicaSet') {
      const deployment = REPLICA_SET.exec(name)?.[1];
      return deployment ? { workload: deployment, ownerKind: 'Deployment' } : { workload: name, ownerKind: kind };
    }
    if (kind === 'Job') {
      // A CronJob's Jobs are named `<cronjob>-<scheduled minute>`.
      const cron = /^(.+)-\d{8,}$/.exec(name)?.[1];
      return cron ? { workload: cron, ownerKind: 'CronJob' } : { workload: name, ownerKind: kind };
    }
    return { workload: name, ownerKind: kind };
  }
  const deployment = DEPLOYMENT_POD.exec(pod)?.[1];
  if (deployment) return { workload: deployment, ownerKind: 'Deployment' };
  const generated = GENERATED_POD.exec(pod)?.[1];
  if (generated) return { workload: generated };
  const stateful = STATEFUL_POD.exec(pod)?.[1];
  if (stateful) return { workload: stateful, ownerKind: 'StatefulSet' };
  return { workload: pod, ownerKind: 'Pod' };
}

function ipsOf(status: Record<string, unknown> | undefined): string[] {
  const out = new Set<string>();
  const single = str(status?.podIP);
  if (single) out.add(single);
  if (Array.isArray(status?.podIPs)) {
    for (const entry of status.podIPs) {
      const ip = str(obj(entry)?.ip);
      if (ip) out.add(ip);
    }
  }
  return [...out];
}

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

/**
 * One audit object's pod IP reports: the kubelets' `pods/status` patches carry `status.podIP`
 * (and `podIPs`), `hostIP` and `startTime`; a pod's creation may carry its owner references.
 * Host-network pods report the node's address, which is kept as the node's, not the pod's.
 */
export class PodIpSession implements RecorderSession<AuditEvent> {
  private readonly sightings = new Map<string, PodIpEntry[]>();
  /** Owner references from pod creations in this object, by `namespace/name`. */
  private readonly owners = new Map<string, unknown>();

  constructor(private readonly map: (table: Table) => PodIpMap) {}

  see(event: AuditEvent): void {
    const ref = event.objectRef;
    if (ref?.resource !== 'pods' || (event.responseCode !== undefined && event.responseCode >= 300)) return;
    const response = obj(event.responseObject);
    if (event.verb === 'create' && !ref.subresource) {
      const metadata = obj(response?.metadata) ?? obj(obj(event.requestObject)?.metadata);
      const name = str(metadata?.name) ?? ref.name;
      const namespace = str(metadata?.namespace) ?? ref.namespace;
      if (name && namespace && metadata?.ownerReferences)
        this.owners.set(`${namespace}/${name}`, metadata.ownerReferences);
      return;
    }
    const statusUpdate = ref.subresource === 'status' && (event.verb === 'patch' || event.verb === 'update');
    const deletion = event.verb === 'delete' && !ref.subresource;
    if (!statusUpdate && !deletion) return;
    const namespace = ref.namespace;
    const name = ref.name;
    if (!namespace || !name) return;
    // The full pod when the log level kept it; else the patch itself.
    const body = response ?? obj(event.requestObject);
    const status = obj(body?.status) ?? obj(obj(event.requestObject)?.status);
    const metadata = obj(body?.metadata) ?? obj(obj(event.requestObject)?.metadata);
    const spec = obj(body?.spec);
    const ips = ipsOf(status);
    if (ips.length === 0) return;
    const hostIp = str(status?.hostIP);
    const node =
      str(spec?.nodeName) ??
      (event.user.username.startsWith('system:node:') ? event.user.username.slice('system:node:'.length) : undefined);
    const startTime = Date.parse(str(status?.startTime) ?? '');
    const from = Number.isFinite(startTime) ? Math.min(startTime, event.time) : event.time;
    const stopped = deletion || TERMINAL_PHASES.has(str(status?.phase) ?? '');
    const hostNetwork = spec?.hostNetwork === true || (hostIp !== undefined && ips.includes(hostIp));
    if (hostIp && node)
      this.add(hostIp, { kind: 'node', node, cluster: event.cluster, from: event.time, seen: event.time });
    if (hostNetwork) return;
    const owner = ownerOfPod(name, metadata?.ownerReferences ?? this.owners.get(`${namespace}/${name}`));
    const uid = str(metadata?.uid);
    for (const ip of ips) {
      this.add(ip, {
        kind: 'pod',
        cluster: event.cluster,
        namespace,
        pod: name,
        ...(uid ? { uid } : {}),
        workload: owner.workload,
        ...(owner.ownerKind ? { ownerKind: owner.ownerKind } : {}),
        ...(node ? { node } : {}),
        from,
        seen: event.time,
        reported: event.time,
        ...(stopped ? { to: event.time } : {}),
      });
    }
  }

  private add(address: string, entry: PodIpEntry): void {
    const list = this.sightings.get(address) ?? [];
    // One object may carry several clusters' log groups: a report is merged within its cluster only.
    const same = list.find((e) => sameHolder(e, entry));
    if (!same) {
      list.push(entry);
      this.sightings.set(address, list);
      return;
    }
    same.from = Math.min(same.from, entry.from);
    same.seen = Math.max(same.seen, entry.seen);
    if (entry.reported !== undefined) same.reported = Math.min(same.reported ?? entry.reported, entry.reported);
    if (entry.to !== undefined) same.to = Math.max(same.to ?? 0, entry.to);
    same.uid ??= entry.uid;
  }

  async flush(table: Table): Promise<void> {
    // A pod the map learns of long after it started ran unnamed: its addresses are its workload's history.
    const earlier = new Map<string, { cluster: string; workload: string; addresses: string[] }>();
    await this.map(table).record(this.sightings, (address, entry) => {
      if (!entry.workload || !entry.cluster || !reportedLate(entry)) return;
      const workload = `${entry.namespace ?? 'default'}/${entry.workload}`;
      const key = `${entry.cluster}\u0000${workload}`;
      const held = earlier.get(key) ?? { cluster: entry.cluster, workload, addresses: [] };
      held.addresses.push(address);
      earlier.set(key, held);
    });
    const store = new WorkloadIntroductions(table);
    for (const { cluster, workload, addresses } of earlier.values())
      await store.heldEarlier(cluster, workload, addresses);
  }
}

/** Keeps the pod IP map (`PODIP#<address>`) from the audit log, so flow findings can name workloads. */
export const podIpRecorder: Recorder<AuditEvent> = {
  id: 'pod-ip-map',
  begin: () => new PodIpSession((table) => new PodIpMap(table)),
};

/** {@link podIpRecorder} writing through a given map (of the same table): its cache forgets what is written. */
export function podIpRecorderUsing(map: PodIpMap): Recorder<AuditEvent> {
  return { id: podIpRecorder.id, begin: () => new PodIpSession(() => map) };
}
