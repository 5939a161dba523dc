import type { AuditEvent, Origin } from '../ingest';
import {
  actor,
  asObject,
  bodyOf,
  isAwsAuth,
  mappingLine,
  parseMappings,
  RBAC_KINDS,
  RBAC_RESOURCES,
  rbacContent,
  rbacObject,
  ruleLine,
  subjectText,
  succeeded,
} from '../kube';
import type { Item, Table } from '../store';
import { keys } from '../store';
import { DAY_MS, epochSeconds, GlobSet, iso } from '../util';
import type { Recorder, RecorderSession } from './types';

/** How long a trail entry is kept: a little over a year, as audit retention usually asks. */
export const RBAC_TRAIL_DAYS = 400;

/**
 * What an RBAC object (or the aws-auth ConfigMap) grants, by field: `roleRef`, `subjects`,
 * `rules`, `aggregation`, or aws-auth's `mapRoles`, `mapUsers`, `mapAccounts`. Each field is a
 * list of lines, so a diff is a comparison of lines.
 */
export type TrailContent = Record<string, string[]>;

/** One change of an RBAC object, as the trail keeps it. */
export interface RbacTrailEntry {
  cluster: string;
  /** Event time, epoch ms. */
  time: number;
  auditId: string;
  verb: string;
  /** Role, ClusterRole, RoleBinding, ClusterRoleBinding, or ConfigMap for aws-auth. */
  kind: string;
  /** Empty for cluster-scoped objects. */
  namespace: string;
  /** `*` for a deletecollection. */
  name: string;
  user: string;
  groups: string[];
  impersonatedBy?: string;
  sourceIps: string[];
  userAgent?: string;
  /** The object's content after the change; undefined when the log did not carry it (Metadata level). */
  content?: TrailContent;
  /** Lines added and removed against the previous version; undefined when a version's content is unknown. */
  diff?: { added: string[]; removed: string[] };
  /** No earlier version of the object is in the trail: the diff is against nothing. */
  first: boolean;
  /** The write changed nothing (a re-apply); kept in the log, not among the object's versions. */
  unchanged: boolean;
  origin: Origin;
}

/** The object a change is about, as the trail names it. */
function trailObject(event: AuditEvent): { kind: string; namespace: string; name: string } | undefined {
  if (isAwsAuth(event)) return { kind: 'ConfigMap', namespace: 'kube-system', name: 'aws-auth' };
  const ref = event.objectRef;
  if (!ref?.resource || !RBAC_RESOURCES.has(ref.resource)) return undefined;
  if (event.verb === 'deletecollection') {
    return { kind: RBAC_KINDS[ref.resource] ?? ref.resource, namespace: ref.namespace ?? '', name: '*' };
  }
  return rbacObject(event);
}

const TRAIL_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** Whether an event belongs in the trail: a successful write of an RBAC object or of aws-auth. */
export function isTrailEvent(event: AuditEvent): boolean {
  return TRAIL_VERBS.has(event.verb) && !event.objectRef?.subresource && succeeded(event) && !!trailObject(event);
}

/**
 * The content a write leaves, from its body. A create or update carries the whole object; a
 * merge patch only the fields it replaces (undefined fields are then carried over from the
 * previous version); a delete leaves nothing.
 */
export function contentOf(event: AuditEvent): { content?: TrailContent; partial: boolean } {
  if (event.verb === 'delete' || event.verb === 'deletecollection') return { content: {}, partial: false };
  const partial = event.verb === 'patch';
  if (isAwsAuth(event)) {
    const data = asObject(bodyOf(event)?.data);
    if (!data) return { partial };
    const content: TrailContent = {};
    for (const [field, kind] of [
      ['mapRoles', 'role'],
      ['mapUsers', 'user'],
      ['mapAccounts', 'account'],
    ] as const) {
      if (typeof data[field] === 'string') content[field] = parseMappings(data[field], kind).map(mappingLine);
      else if (!partial) content[field] = [];
    }
    return { content, partial };
  }
  const rbac = rbacContent(event);
  if (!rbac) return { partial };
  const content: TrailContent = {};
  const isBinding = event.objectRef?.resource?.endsWith('bindings') ?? false;
  if (rbac.roleRef !== undefined) content.roleRef = [`roleRef ${rbac.roleRef}`];
  if (rbac.subjects !== undefined) content.subjects = rbac.subjects.map((s) => `subject ${subjectText(s)}`);
  if (rbac.rules !== undefined) content.rules = rbac.rules.map((r) => `rule ${ruleLine(r)}`);
  if (rbac.aggregation !== undefined) content.aggregation = rbac.aggregation.map((a) => `aggregates ${a}`);
  // A full object without a field has that field empty.
  if (!partial) {
    if (isBinding) {
      content.roleRef ??= [];
      content.subjects ??= [];
    } else content.rules ??= [];
  }
  return { content, partial };
}

export function contentLines(content: TrailContent): string[] {
  return Object.keys(content)
    .sort()
    .flatMap((field) => content[field] ?? []);
}

export function diffContent(before: TrailContent, after: TrailContent): { added: string[]; removed: string[] } {
  const old = contentLines(before);
  const now = contentLines(after);
  const oldSet = new Set(old);
  const nowSet = new Set(now);
  return { added: now.filter((l) => !oldSet.has(l)), removed: old.filter((l) => !nowSet.has(l)) };
}

function sortKey(time: number, auditId: string): string {
  return `${iso(time)}#${auditId}`;
}

function toItem(pk: string, entry: RbacTrailEntry): Item {
  return {
    pk,
    sk: sortKey(entry.time, entry.auditId),
    entry: JSON.stringify(entry),
    expiresAt: epochSeconds(entry.time + RBAC_TRAIL_DAYS * DAY_MS),
  };
}

function fromItem(item: Item): RbacTrailEntry | undefined {
  try {
    return JSON.parse(String(item.entry)) as RbacTrailEntry;
  } catch {
    return undefined;
  }
}

/** Options of {@link RbacTrail.history}. */
export interface HistoryOptions {
  /** Clusters to read; every cluster the table knows when absent. */
  clusters?: readonly string[];
  /** Object name, `namespace/name`, or a glob of either (`payments-*`). */
  name?: string;
  /** Only changes at or after this time, epoch ms. */
  since?: number;
  /** Include writes that changed nothing (re-applies by a controller or pipeline). @default false */
  includeUnchanged?: boolean;
}

/**
 * The RBAC change trail on the shared {@link Table}: every change of a Role, ClusterRole, binding
 * or of the aws-auth ConfigMap, with who made it and a diff against the previous version. The
 * Lambdas write it through the engine's recorder; `driftwatch rbac-history` reads it, from the
 * embedded store or from the deployed table.
 *
 * Two partitions per change: the object's own (`RBAC#...`, its versions in time order, for
 * diffs) and the cluster's log (`RBACLOG#cluster`, every change in time order, for listing).
 * Both are keyed by time and audit ID, so a redelivered object writes the same items again.
 */
export class RbacTrail {
  constructor(private readonly table: Table) {}

  /** Adds one object's changes (in any order) and returns the entries as stored. */
  async record(events: readonly AuditEvent[]): Promise<RbacTrailEntry[]> {
    const byObject = new Map<string, { pk: string; events: AuditEvent[] }>();
    for (const event of events) {
      const object = trailObject(event);
      if (!object) continue;
      const pk = keys.rbacObject(event.cluster, object.kind, object.namespace, object.name);
      const group = byObject.get(pk) ?? { pk, events: [] };
      group.events.push(event);
      byObject.set(pk, group);
    }
    const stored: RbacTrailEntry[] = [];
    for (const { pk, events: changes } of byObject.values()) {
      const versions = (await this.table.query(pk)).map((item) => ({ sk: item.sk, entry: fromItem(item) }));
      for (const event of [...changes].sort((a, b) => a.time - b.time)) {
        const sk = sortKey(event.time, event.auditId);
        const before = versions.filter((v) => v.sk < sk && v.entry).at(-1)?.entry;
        const entry = this.entryOf(event, before);
        stored.push(entry);
        await this.table.put(toItem(keys.rbacLog(event.cluster), entry));
        if (entry.unchanged) continue;
        await this.table.put(toItem(pk, entry));
        const at = versions.findIndex((v) => v.sk >= sk);
        if (at === -1) versions.push({ sk, entry });
        else if (versions[at]?.sk === sk) versions[at] = { sk, entry };
        else {
          versions.splice(at, 0, { sk, entry });
          // A late object: the next version's diff was against an older one; make it against this.
          const next = versions[at + 1]?.entry;
          if (next?.content && entry.content) {
            next.diff = diffContent(entry.content, next.content);
            next.first = false;
            await this.table.put(toItem(pk, next));
            await this.table.put(toItem(keys.rbacLog(next.cluster), next));
          }
        }
      }
    }
    return stored;
  }

  private entryOf(event: AuditEvent, before: RbacTrailEntry | undefined): RbacTrailEntry {
    const object = trailObject(event) as { kind: string; namespace: string; name: string };
    const user = actor(event);
    const { content: raw, partial } = contentOf(event);
    // A patch replaces the fields it names; the others are as the previous version left them.
    const content = raw && partial && before?.content ? { ...before.content, ...raw } : raw;
    const diff = content && (before?.content || !before) ? diffContent(before?.content ?? {}, content) : undefined;
    const unchanged = !!before && diff !== undefined && diff.added.length === 0 && diff.removed.length === 0;
    return {
      cluster: event.cluster,
      time: event.time,
      auditId: event.auditId,
      verb: event.verb,
      kind: object.kind,
      namespace: object.namespace,
      name: object.name,
      user: user.username,
      groups: user.groups,
      impersonatedBy: event.impersonatedUser ? event.user.username : undefined,
      sourceIps: event.sourceIps,
      userAgent: event.userAgent,
      content,
      diff,
      first: !before,
      unchanged,
      origin: event.origin,
    };
  }

  /** The trail, oldest first. */
  async history(options: HistoryOptions = {}): Promise<RbacTrailEntry[]> {
    const clusters = options.clusters ?? (await this.table.query(keys.scopes())).map((item) => item.sk);
    const matcher = options.name ? nameMatcher(options.name) : undefined;
    const out: RbacTrailEntry[] = [];
    for (const cluster of clusters) {
      for (const item of await this.table.query(keys.rbacLog(cluster))) {
        const entry = fromItem(item);
        if (!entry) continue;
        if (options.since !== undefined && entry.time < options.since) continue;
        if (entry.unchanged && !options.includeUnchanged) continue;
        if (matcher && !matcher(entry)) continue;
        out.push(entry);
      }
    }
    return out.sort((a, b) => a.time - b.time || a.auditId.localeCompare(b.auditId));
  }
}

function nameMatcher(pattern: string): (entry: RbacTrailEntry) => boolean {
  const glob = new GlobSet([pattern]);
  return (entry) => glob.matches(entry.name) || glob.matches(`${entry.namespace}/${entry.name}`);
}

/** The engine's recorder: collects an object's RBAC changes, then writes them to the trail. */
export const rbacTrailRecorder: Recorder<AuditEvent> = {
  id: 'rbac-trail',
  begin(): RecorderSession<AuditEvent> {
    const changes = new Map<string, AuditEvent>();
    return {
      see(event) {
        if (isTrailEvent(event)) changes.set(`${event.cluster}|${event.auditId}`, event);
      },
      async flush(table) {
        if (changes.size > 0) await new RbacTrail(table).record([...changes.values()]);
      },
    };
  },
};
