import type { AuditEvent } from '../../../ingest';
import { asObject, containersOf, ownerWorkload, podSpecsOf, succeeded, WORKLOAD_RESOURCES } from '../../../kube';
import type { DetectContext } from '../../types';
import { identityKind } from './actor';

const CHANGES = new Set(['create', 'update', 'patch']);

/** Whether the event writes a pod spec: a successful change of a pod or a workload, or an ephemeral container. */
export function writesPodSpec(event: AuditEvent): boolean {
  const ref = event.objectRef;
  if (!ref?.resource || !WORKLOAD_RESOURCES.has(ref.resource) || !CHANGES.has(event.verb)) return false;
  if (ref.subresource && ref.subresource !== 'ephemeralcontainers') return false;
  return succeeded(event);
}

/** A pod setting that breaks the isolation between a container and its node. */
export interface PodRisk {
  /** The setting's name, as `audit.privilegedWorkloads[].allow` names it. */
  setting: 'privileged' | 'hostNetwork' | 'hostPID' | 'hostIPC' | 'hostPath' | 'capabilities';
  /** What exactly, for the summary: `container miner is privileged`, `hostPath / at /host`. */
  detail: string;
  /** Whether it hands over the node (root on the host, its processes or its files). */
  high: boolean;
  /** Whether it only reaches a corner of the host (a host path outside the sensitive ones): reported low. */
  low?: boolean;
}

/**
 * Host paths that hold the node's secrets or control it: the container runtime's socket, the
 * kubelet's credentials and every pod's volumes, the node's configuration and processes. A
 * mount of one of these, of anything inside them, or of a parent of one, exposes it.
 */
const SENSITIVE_TREES = [
  '/proc',
  '/root',
  '/home',
  '/boot',
  '/dev',
  '/etc/kubernetes',
  '/etc/shadow',
  '/etc/sudoers',
  '/var/lib/kubelet',
  '/var/lib/etcd',
  '/var/lib/docker',
  '/var/lib/containerd',
  '/var/run/docker.sock',
  '/run/docker.sock',
  '/var/run/containerd',
  '/run/containerd',
  '/var/run/crio',
  '/run/crio',
  '/var/run/dockershim.sock',
];

/** Capabilities that amount to root on the node, and the few that only widen its reach (network, kernel log). */
const HIGH_CAPABILITIES = new Set([
  'ALL',
  'SYS_ADMIN',
  'SYS_MODULE',
  'SYS_PTRACE',
  'SYS_RAWIO',
  'SYS_BOOT',
  'DAC_READ_SEARCH',
  'DAC_OVERRIDE',
  'BPF',
  'PERFMON',
]);
/** SYSLOG reads the kernel log, which leaks kernel addresses (a step to a kernel exploit) and other pods' messages. */
const MEDIUM_CAPABILITIES = new Set(['NET_ADMIN', 'NET_RAW', 'SYS_RESOURCE', 'SYS_TIME', 'SYSLOG']);

function normalizePath(path: string): string {
  const cleaned = path.replace(/\/+/g, '/').replace(/\/$/, '');
  return cleaned === '' ? '/' : cleaned;
}

export function isSensitiveHostPath(path: string): boolean {
  const p = normalizePath(path);
  return SENSITIVE_TREES.some(
    (tree) => p === tree || p.startsWith(`${tree}/`) || tree.startsWith(p === '/' ? '/' : `${p}/`),
  );
}

/** Every isolation-breaking setting in the pod specs an event writes, in every kind of container. */
function podRisks(event: AuditEvent): PodRisk[] {
  const risks: PodRisk[] = [];
  for (const spec of podSpecsOf(event)) {
    if (spec.hostNetwork === true) risks.push({ setting: 'hostNetwork', detail: 'the host network', high: false });
    if (spec.hostPID === true) risks.push({ setting: 'hostPID', detail: "the host's processes (hostPID)", high: true });
    if (spec.hostIPC === true) risks.push({ setting: 'hostIPC', detail: "the host's IPC (hostIPC)", high: false });
    const volumes = Array.isArray(spec.volumes) ? spec.volumes : [];
    for (const volume of volumes) {
      const path = asObject(asObject(volume)?.hostPath)?.path;
      if (typeof path !== 'string') continue;
      // Any host path outlives the pod and is shared with whatever else mounts it: low, unless sensitive.
      if (isSensitiveHostPath(path)) risks.push({ setting: 'hostPath', detail: `host path ${path}`, high: true });
      else risks.push({ setting: 'hostPath', detail: `host path ${path}`, high: false, low: true });
    }
  }
  for (const container of containersOf(event)) {
    const context = asObject(container.spec.securityContext);
    const label = `${container.kind === 'container' ? 'container' : container.kind} ${container.name}`;
    if (context?.privileged === true)
      risks.push({ setting: 'privileged', detail: `${label} is privileged`, high: true });
    const added = asObject(context?.capabilities)?.add;
    const caps = (Array.isArray(added) ? added : [])
      .filter((c): c is string => typeof c === 'string')
      .map((c) => c.toUpperCase().replace(/^CAP_/, ''));
    const high = caps.filter((c) => HIGH_CAPABILITIES.has(c));
    const medium = caps.filter((c) => MEDIUM_CAPABILITIES.has(c));
    if (high.length || medium.length) {
      risks.push({
        setting: 'capabilities',
        detail: `${label} adds ${[...high, ...medium].join(', ')}`,
        high: high.length > 0,
      });
    }
  }
  return risks;
}

/** The `namespace/name` of the workload an event writes, as `audit.privilegedWorkloads` names it. */
export function workloadKey(event: AuditEvent): string {
  const owner = ownerWorkload(event);
  return `${owner.namespace}/${owner.name}`;
}

/** The risks the configured allowlist (and EKS's built-in one) does not cover for the event's workload. */
export function configuredUnallowedRisks(
  event: AuditEvent,
  context: Pick<DetectContext, 'privilegedAllowlist'>,
): PodRisk[] {
  const risks = podRisks(event);
  if (risks.length === 0) return risks;
  const key = workloadKey(event);
  const allowed = new Set<string>();
  for (const entry of context.privilegedAllowlist) {
    if (entry.workload.matches(key)) for (const setting of entry.allow) allowed.add(setting);
  }
  return risks.filter((r) => !allowed.has(r.setting));
}

/**
 * The risks neither the allowlist nor the baseline covers: a setting the workload was seen with
 * during learning, applied by the same kind of identity, is a learned allowance.
 */
export function unallowedRisks(event: AuditEvent, context: DetectContext): PodRisk[] {
  const risks = configuredUnallowedRisks(event, context);
  if (risks.length === 0) return risks;
  const key = workloadKey(event);
  const kind = identityKind(event, context);
  return risks.filter((r) => !context.learnedPrivileges.allows(event.cluster, key, r.setting, kind));
}
