import type { Endpoint, Finding } from '../alert';
import type { KeyKind } from './types';

/** Audit rules whose finding is about where the caller came from: their source address is evidence. */
const SOURCE_RULES = new Set([
  'audit.new-source-ip',
  'audit.new-identity',
  'audit.threat-intel-caller',
  'audit.anonymous-access',
]);

/** Resources whose `namespace/name` is a workload. */
const WORKLOAD_RESOURCES = new Set(['deployments', 'daemonsets', 'statefulsets', 'replicasets', 'jobs', 'cronjobs']);

/**
 * Findings that describe a state that persists, not an event: one incident stays open while the
 * state is observed, and is told again only when it changes. Each names the condition (what stays
 * the same while it persists) and its elements (what, when new, is a change).
 */
const CONDITIONS: Record<string, (f: Finding) => { what: string; elements: string[] } | undefined> = {
  'net.exposure-path': (f) => {
    const hops = (f.roles?.path ?? []).map(endpointName).filter((h): h is string => h !== undefined);
    const workload = stringOf(f.entities.workload) ?? hops[2];
    const target = hops.at(-1);
    if (!workload || !target) return undefined;
    const port = f.entities.dstPort;
    // The public client's block changes with every visitor; the path is what it reaches, from the entry point on.
    return { what: `${workload}→${target}${port !== undefined ? `:${port}` : ''}`, elements: hops.slice(1) };
  },
  'net.public-ingress': (f) => {
    const server = endpointName(f.roles?.server) ?? stringOf(f.entities.dstWorkload) ?? stringOf(f.entities.dstAddr);
    if (!server) return undefined;
    const port = f.entities.dstPort;
    // Who reaches it changes with every visitor; what is reachable is the condition.
    const what = `${server}${port !== undefined ? `:${port}` : ''}`;
    return { what, elements: [what] };
  },
  'audit.privileged-workload': (f) => {
    const workload = workloadOfAudit(f);
    return workload ? { what: workload, elements: [workload] } : undefined;
  },
  'audit.exposed-service': (f) => {
    const ns = stringOf(f.entities.namespace);
    const name = stringOf(f.entities.name);
    return ns && name ? { what: `service ${ns}/${name}`, elements: [`service ${ns}/${name}`] } : undefined;
  },
};

/** The correlation keys of a finding, `kind:value`, and its condition when it describes one. */
export interface FindingKeys {
  keys: string[];
  condition?: { key: string; elements: string[] };
}

export function keysOf(finding: Finding): FindingKeys {
  const out = new Set<string>();
  const add = (kind: KeyKind, value: string | undefined) => {
    if (value) out.add(`${kind}:${value}`);
  };
  const e = finding.entities;
  add('identity', stringOf(e.user));
  if (finding.source === 'eks-audit') {
    if (SOURCE_RULES.has(finding.ruleId)) for (const ip of arrayOf(e.sourceIps)) add('source', ip);
    add('workload', workloadOfAudit(finding));
    const image = stringOf(e.image);
    if (image) add('image', repositoryOf(image));
  } else {
    const { client, server } = finding.roles ?? {};
    for (const end of [client, server]) {
      const entity = end?.entity ?? '';
      if (entity.startsWith('workload:')) add('workload', entity.slice('workload:'.length));
      else if (entity.startsWith('external:') || end?.name === 'internet') {
        add(end === client ? 'source' : 'destination', end?.address);
      } else if (end?.address && !entity) add('pod', end.address);
    }
    add('workload', stringOf(e.srcWorkload));
    add('workload', stringOf(e.dstWorkload));
    add('workload', stringOf(e.workload));
  }
  const condition = CONDITIONS[finding.ruleId]?.(finding);
  if (condition) {
    const key = `condition:${finding.ruleId}:${condition.what}`;
    out.add(key);
    return { keys: [...out], condition: { key, elements: condition.elements } };
  }
  return { keys: [...out] };
}

/** Why a key joins findings, in words. */
export function because(key: string): string {
  const at = key.indexOf(':');
  const kind = key.slice(0, at) as KeyKind;
  const value = key.slice(at + 1);
  switch (kind) {
    case 'identity':
      return `the same identity (${value})`;
    case 'source':
      return `the same source address (${value}), outside the VPC or new for its caller`;
    case 'workload':
      return `the same workload (${value}), or pods of it`;
    case 'pod':
      return `the same pod address (${value})`;
    case 'image':
      return `the same image repository (${value})`;
    case 'destination':
      return `the same external destination (${value})`;
    case 'condition':
      return `the same condition (${value.slice(value.indexOf(':') + 1)}), open for as long as it is observed`;
  }
}

/** `namespace/name` of the workload an audit finding is about: the object itself, or the pod's owner by its name. */
function workloadOfAudit(finding: Finding): string | undefined {
  const e = finding.entities;
  const named = stringOf(e.workload);
  // `audit.privileged-workload` names it `DaemonSet kube-system/kube-node-helper`.
  if (named) return named.split(' ').at(-1);
  const ns = stringOf(e.namespace);
  const name = stringOf(e.name);
  const resource = stringOf(e.resource);
  if (!ns || !name || !resource) return undefined;
  if (WORKLOAD_RESOURCES.has(resource)) return `${ns}/${name}`;
  if (resource === 'pods') return `${ns}/${podOwner(name)}`;
  return undefined;
}

/**
 * The workload a pod belongs to, from the names controllers give pods: a Deployment's pods are
 * `<name>-<replicaset hash>-<5 chars>`, a DaemonSet's or Job's `<name>-<5 chars>`.
 */
function podOwner(pod: string): string {
  return /^(.+)-[a-z0-9]{6,10}-[a-z0-9]{5}$/.exec(pod)?.[1] ?? /^(.+)-[a-z0-9]{5}$/.exec(pod)?.[1] ?? pod;
}

/** An image's repository: without tag or digest. */
export function repositoryOf(image: string): string {
  const withoutDigest = image.split('@')[0] ?? image;
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  return colon > slash ? withoutDigest.slice(0, colon) : withoutDigest;
}

function endpointName(end: Endpoint | undefined): string | undefined {
  if (!end) return undefined;
  const entity = end.entity;
  if (entity?.startsWith('workload:')) return entity.slice('workload:'.length);
  if (entity?.startsWith('cidr:')) return entity.slice('cidr:'.length);
  return end.name ?? entity ?? end.address;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function arrayOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v.length > 0) : [];
}
