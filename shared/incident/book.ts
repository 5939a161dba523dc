import type { Finding } from '../alert';
import type { Config, Severity } from '../config';
import { SEVERITIES, severityRank } from '../config';
import type { Item, Table } from '../store';
import { keys } from '../store';
import { DAY_MS, epochSeconds, HOUR_MS, iso, stableHash } from '../util';
import { because, keysOf, repositoryOf } from './keys';
import { IncidentLock, type LockOptions } from './lock';
import { tacticOf } from './tactics';
import type { Incident, IncidentMessage, IncidentStatus, TimelineEntry } from './types';

/** A finding to record, and the suppression that muted its notification, if one did. */
export interface ToRecord {
  finding: Finding;
  mutedBy?: string;
  /**
   * A finding below `alerts.minSeverity`: it joins an incident that is not resolved as context on its
   * timeline, and does nothing else (see {@link IncidentBook.record}).
   */
  context?: boolean;
}

export interface RecordResult {
  /**
   * The incident each finding joined, by finding id (also those recorded by an earlier attempt);
   * a context finding that found no incident to join has none.
   */
  incidentOf: Map<string, string>;
  /** Messages the new findings caused, already handed to `write`. */
  messages: IncidentMessage[];
  /** Findings recorded now (not by an earlier attempt). */
  added: number;
}

/** What a person did to an incident. */
export interface LifecycleChange {
  by: string;
  reason?: string;
  /** Acknowledged until this time (ISO-8601); after it, news of the incident is sent again. */
  until?: string;
}

/** How long resolved and merged incidents, and the findings kept with them, stay in the table. */
const KEEP_DAYS = 180;

/**
 * The incidents of every cluster, in the state table, and the one way findings join them.
 *
 * A finding joins the incident that holds one of its correlation keys when the finding falls within
 * the window after that incident's last finding (a condition's key has no window while it is
 * observed). When its keys lead to several incidents, the younger ones are merged into the oldest.
 * A full incident (`incidents.maxFindings`) is continued by a new one linked to it. Every change
 * happens under {@link IncidentLock}; the finding → incident marker is written last, so a retry
 * after a failure part-way records each finding once.
 */
export class IncidentBook {
  private readonly lock: IncidentLock;
  private readonly windowMs: number;
  private readonly quietMs: number;

  constructor(
    private readonly table: Table,
    private readonly config: Config,
    private readonly clock: () => number,
    lock: LockOptions = {},
  ) {
    this.lock = new IncidentLock(table, clock, lock);
    this.windowMs = config.incidents.windowHours * HOUR_MS;
    this.quietMs = config.incidents.conditionQuietDays * DAY_MS;
  }

  /**
   * Joins findings to incidents and decides the messages they cause; `write` must keep the
   * messages (an outbox) before this returns, because the incidents are saved after it.
   *
   * A context finding (below the alert threshold) is what an investigation wants beside an incident,
   * not news: it joins an incident its keys lead to (within the window, not resolved) as a timeline
   * entry marked `context`, and never opens, reopens, extends, merges or links one, never brings its
   * keys, rules or tactics (so it neither correlates findings nor raises severity), and never causes
   * or counts toward a message. Its marker makes a retry record it once, like any finding.
   */
  async record(
    items: readonly ToRecord[],
    write: (messages: IncidentMessage[]) => Promise<void>,
  ): Promise<RecordResult> {
    if (items.length === 0) return { incidentOf: new Map(), messages: [], added: 0 };
    return this.lock.with(async () => {
      const session = new Session(this.table, this.config, this.windowMs, this.quietMs);
      const incidentOf = await session.recordedBefore(items.map((i) => i.finding.id));
      // Context after the rest, so that it can join an incident its own batch opens (it opens none).
      const sorted = [...items].sort(
        (a, b) =>
          Number(a.context === true) - Number(b.context === true) || a.finding.time.localeCompare(b.finding.time),
      );
      const fresh = sorted.filter((i) => !incidentOf.has(i.finding.id));
      for (const item of sorted) {
        const recorded = incidentOf.get(item.finding.id);
        if (recorded) incidentOf.set(item.finding.id, await session.observe(item, recorded));
        else {
          const joined = item.context ? await session.joinAsContext(item.finding) : await session.join(item);
          if (joined) incidentOf.set(item.finding.id, joined);
        }
      }
      const messages = await session.decide();
      await write(messages);
      await session.save();
      return { incidentOf, messages, added: fresh.length };
    });
  }

  /** Every incident, newest first; `merged` ones only when asked by status. */
  async list(filter: { status?: IncidentStatus } = {}): Promise<Incident[]> {
    const items = await this.table.query(keys.incidents());
    const all = items.map(parse).filter((i) => (filter.status ? i.status === filter.status : i.status !== 'merged'));
    return all.sort((a, b) => b.lastSeen.localeCompare(a.lastSeen) || a.id.localeCompare(b.id));
  }

  async get(id: string): Promise<Incident | undefined> {
    const item = await this.table.get(keys.incident(id));
    return item ? parse(item) : undefined;
  }

  /** An incident's findings, whole, in time order. */
  async findings(id: string): Promise<Finding[]> {
    const items = await this.table.query(keys.incidentFindings(id));
    return items.map((item) => JSON.parse(String(item.finding)) as Finding);
  }

  /** Acknowledges an incident: nothing more is sent about it until `until` (or ever, without one), unless it is resolved and comes back. */
  async acknowledge(id: string, change: LifecycleChange): Promise<Incident> {
    return this.change(id, (incident, at) => {
      incident.status = 'acknowledged';
      incident.acknowledged = {
        reason: change.reason ?? '',
        by: change.by,
        at,
        ...(change.until ? { until: change.until } : {}),
      };
      incident.history.push({
        at,
        action: 'acknowledged',
        by: change.by,
        ...(change.reason ? { reason: change.reason } : {}),
      });
    });
  }

  /** Resolves an incident; a finding that joins it again reopens it, and that is told. */
  async resolve(id: string, change: LifecycleChange): Promise<Incident> {
    return this.change(id, (incident, at) => {
      incident.status = 'resolved';
      incident.resolvedAt = at;
      incident.history.push({
        at,
        action: 'resolved',
        by: change.by,
        ...(change.reason ? { reason: change.reason } : {}),
      });
    });
  }

  private async change(id: string, apply: (incident: Incident, at: string) => void): Promise<Incident> {
    return this.lock.with(async () => {
      const incident = await this.get(id);
      if (!incident) throw new IncidentNotFoundError(`no incident ${id}; list them with: driftwatch incidents`);
      if (incident.status === 'merged') {
        throw new IncidentNotFoundError(`incident ${id} was merged into ${incident.mergedInto}; use that id`);
      }
      apply(incident, iso(this.clock()));
      await this.table.put(toItem(incident));
      return incident;
    });
  }
}

export class IncidentNotFoundError extends Error {
  override readonly name = 'IncidentNotFoundError';
}

/** One `record` call's view of the table: what it read, what it changed. */
class Session {
  private readonly incidents = new Map<string, Incident>();
  private readonly keyItems = new Map<string, string | undefined>();
  /** Findings added, per incident, whole (context ones apart); and whether one of them was not muted. */
  private readonly added = new Map<
    string,
    { findings: Finding[]; context: Finding[]; repeats: number; loud: boolean; reopened: boolean }
  >();
  /** Markers to write besides those of the findings added: findings merged into another incident, and findings an earlier attempt saved without its marker. */
  private readonly moved = new Map<string, string>();

  constructor(
    private readonly table: Table,
    private readonly config: Config,
    private readonly windowMs: number,
    private readonly quietMs: number,
  ) {}

  /** The incidents of findings recorded before (by an earlier attempt of the same owner). */
  async recordedBefore(findingIds: readonly string[]): Promise<Map<string, string>> {
    const found = await this.table.batchGet(findingIds.map(keys.findingIncident));
    return new Map(found.map((item) => [item.pk.slice('FINDING#'.length), String(item.incidentId)]));
  }

  /** Joins one finding; returns its incident's id. */
  async join({ finding, mutedBy }: ToRecord): Promise<string> {
    const cluster = String(finding.entities.cluster ?? 'default');
    const { keys: findingKeys, condition } = keysOf(finding);
    const time = Date.parse(finding.time);
    const candidates: Incident[] = [];
    // An earlier attempt opened an incident for this finding and failed before saving the keys that
    // lead to it: another finding may have opened one by the same keys since. The finding is in the
    // first already, so it is a candidate: joining only the second would put the finding in both.
    const opened = await this.follow(openedFor(finding.id));
    if (opened?.findings.includes(finding.id)) candidates.push(opened);
    for (const key of findingKeys) {
      const incident = await this.holderOf(cluster, key);
      if (!incident || candidates.some((c) => c.id === incident.id)) continue;
      if (this.live(incident, key, time)) candidates.push(incident);
    }
    candidates.sort((a, b) => a.firstSeen.localeCompare(b.firstSeen) || a.id.localeCompare(b.id));
    let target = candidates[0];
    const max = this.config.incidents.maxFindings;
    if (target && target.findings.length >= max) {
      const linked = this.open(finding, cluster);
      linked.linkedTo = target.id;
      linked.history.push({
        at: finding.time,
        action: 'linked',
        by: 'driftwatch',
        reason: `${target.id} is full (${max} findings)`,
      });
      target = linked;
    }
    const incident = target ?? this.open(finding, cluster);
    for (const other of candidates.slice(1)) {
      if (other.id !== incident.id && incident.findings.length + other.findings.length <= max)
        await this.merge(other, incident);
    }
    this.reopenIfClosed(incident, finding, condition !== undefined);
    // An earlier attempt saved the incident with this finding and failed before the marker: `add` skips it, the marker is still due.
    if (incident.findings.includes(finding.id)) this.moved.set(finding.id, incident.id);
    this.add(incident, finding, findingKeys, mutedBy, condition);
    for (const key of findingKeys) this.keyItems.set(`${cluster}\u0000${key}`, incident.id);
    return incident.id;
  }

  /**
   * Joins a context finding to the oldest incident its keys lead to that is live at its time, not
   * resolved and not full; undefined when there is none (it opens nothing). Its keys are followed,
   * never pointed at the incident: context must not lead later findings anywhere.
   */
  async joinAsContext(finding: Finding): Promise<string | undefined> {
    const cluster = String(finding.entities.cluster ?? 'default');
    const { keys: findingKeys } = keysOf(finding);
    const time = Date.parse(finding.time);
    let target: Incident | undefined;
    for (const key of findingKeys) {
      const incident = await this.holderOf(cluster, key);
      if (!incident || incident.status === 'resolved' || !this.live(incident, key, time)) continue;
      if (
        !target ||
        incident.firstSeen < target.firstSeen ||
        (incident.firstSeen === target.firstSeen && incident.id < target.id)
      )
        target = incident;
    }
    if (!target || target.findings.length >= this.config.incidents.maxFindings) return undefined;
    // An earlier attempt saved it here and failed before the marker: `add` skips it, the marker is still due.
    if (target.findings.includes(finding.id)) this.moved.set(finding.id, target.id);
    this.add(target, finding, findingKeys, undefined, undefined, true);
    return target.id;
  }

  /**
   * A finding that joined an incident before, seen again: the same event retried (nothing to do),
   * or the same finding recurring later (after its dedupe window), which is an observation of its
   * incident: it extends it, reopens it when it was resolved, and may change its condition.
   */
  async observe({ finding, mutedBy }: ToRecord, recordedIn: string): Promise<string> {
    const incident = await this.follow(recordedIn);
    const entry = incident?.timeline.find((t) => t.findingId === finding.id);
    if (!incident || !entry) return recordedIn;
    if (finding.time <= (entry.repeats?.last ?? entry.time)) return incident.id;
    entry.repeats = { count: (entry.repeats?.count ?? 0) + 1, last: finding.time };
    // Context seen again is counted on its entry, and changes nothing else (the incident is saved with the session).
    if (entry.context) return incident.id;
    const { condition } = keysOf(finding);
    this.reopenIfClosed(incident, finding, condition !== undefined);
    if (finding.time > incident.lastSeen) incident.lastSeen = finding.time;
    if (condition) {
      const existing = incident.conditions.find((c) => c.key === condition.key);
      if (existing) addAll(existing.elements, condition.elements);
    }
    const state = this.state(incident);
    state.repeats++;
    if (!mutedBy) state.loud = true;
    return incident.id;
  }

  private async follow(id: string | undefined): Promise<Incident | undefined> {
    for (let hops = 0; id && hops < 10; hops++) {
      const incident = await this.load(id);
      if (!incident) return undefined;
      if (incident.status !== 'merged' || !incident.mergedInto) return incident;
      id = incident.mergedInto;
    }
    return undefined;
  }

  /** The incident a key last joined, following merges. */
  private async holderOf(cluster: string, key: string): Promise<Incident | undefined> {
    const slot = `${cluster}\u0000${key}`;
    let id: string | undefined;
    if (this.keyItems.has(slot)) id = this.keyItems.get(slot);
    else {
      const item = await this.table.get(keys.incidentKey(cluster, key));
      id = item ? String(item.incidentId) : undefined;
      this.keyItems.set(slot, id);
    }
    return this.follow(id);
  }

  private async load(id: string): Promise<Incident | undefined> {
    const cached = this.incidents.get(id);
    if (cached) return cached;
    const item = await this.table.get(keys.incident(id));
    if (!item) return undefined;
    const incident = parse(item);
    this.incidents.set(id, incident);
    return incident;
  }

  /**
   * Whether a finding at `time` joins an incident through `key`: within the window around its
   * findings; a condition's key for as long as it is observed (and, resolved, to reopen it).
   */
  private live(incident: Incident, key: string, time: number): boolean {
    if (key.startsWith('condition:')) return true;
    const first = Date.parse(incident.firstSeen);
    const last = Date.parse(incident.lastSeen);
    return time <= last + this.windowMs && time >= first - this.windowMs;
  }

  private open(finding: Finding, cluster: string): Incident {
    const id = openedFor(finding.id);
    const incident: Incident = {
      id,
      cluster,
      title: finding.title,
      severity: finding.severity,
      findingSeverity: finding.severity,
      status: 'open',
      firstSeen: finding.time,
      lastSeen: finding.time,
      findings: [],
      rules: [],
      keys: [],
      joins: [],
      tactics: [],
      entities: { identities: [], workloads: [], sources: [], destinations: [], images: [], namespaces: [] },
      timeline: [],
      conditions: [],
      messages: 0,
      quiet: 0,
      merged: [],
      history: [{ at: finding.time, action: 'opened', by: 'driftwatch' }],
    };
    this.incidents.set(id, incident);
    return incident;
  }

  /**
   * A finding that joins a resolved incident reopens it; so does a condition observed again after
   * it was quiet for `conditionQuietDays` (it had ended). An acknowledgement whose time has passed ends.
   */
  private reopenIfClosed(incident: Incident, finding: Finding, isCondition: boolean): void {
    const time = Date.parse(finding.time);
    const stale = isCondition && time - Date.parse(incident.lastSeen) > this.quietMs;
    const state = this.state(incident);
    if (incident.status === 'resolved' || (stale && incident.status !== 'acknowledged')) {
      incident.status = 'open';
      incident.history.push({
        at: finding.time,
        action: 'reopened',
        by: 'driftwatch',
        reason: stale ? 'the condition was observed again' : `${finding.ruleId} joined it after it was resolved`,
      });
      delete incident.resolvedAt;
      state.reopened = true;
    } else if (
      incident.status === 'acknowledged' &&
      incident.acknowledged?.until &&
      Date.parse(incident.acknowledged.until) < time
    ) {
      incident.status = 'open';
      incident.history.push({
        at: finding.time,
        action: 'ack-expired',
        by: 'driftwatch',
        reason: 'still observed after the acknowledgement ended',
      });
      state.reopened = true;
    }
  }

  private state(incident: Incident) {
    let state = this.added.get(incident.id);
    if (!state) {
      state = { findings: [], context: [], repeats: 0, loud: false, reopened: false };
      this.added.set(incident.id, state);
    }
    return state;
  }

  private add(
    incident: Incident,
    finding: Finding,
    findingKeys: string[],
    mutedBy: string | undefined,
    condition: { key: string; elements: string[] } | undefined,
    context = false,
  ): void {
    if (incident.findings.includes(finding.id)) return;
    const state = this.state(incident);
    const tactic = tacticOf(finding.mitre);
    const entry: TimelineEntry = {
      findingId: finding.id,
      ruleId: finding.ruleId,
      severity: finding.severity,
      time: finding.time,
      title: finding.title,
      summary: finding.summary,
      keys: findingKeys,
      ...(tactic ? { tactic } : {}),
      ...(mutedBy ? { mutedBy } : {}),
      ...(context ? { context: true } : {}),
    };
    insertByTime(incident.timeline, entry);
    incident.findings = incident.timeline.map((t) => t.findingId);
    if (context) {
      // On the timeline and nowhere else: its time, keys, rule and tactic would change what the incident is.
      state.context.push(finding);
      return;
    }
    state.findings.push(finding);
    if (!mutedBy) state.loud = true;
    if (finding.time < incident.firstSeen) incident.firstSeen = finding.time;
    if (finding.time > incident.lastSeen) incident.lastSeen = finding.time;
    addAll(incident.rules, [finding.ruleId]);
    addAll(incident.keys, findingKeys);
    if (tactic) addAll(incident.tactics, [tactic]);
    if (condition) {
      const existing = incident.conditions.find((c) => c.key === condition.key);
      if (existing) addAll(existing.elements, condition.elements);
      else incident.conditions.push({ key: condition.key, elements: [...condition.elements] });
    }
    addEntities(incident, finding, findingKeys);
    this.summarize(incident);
  }

  /** Severity, joins and title, from the timeline. */
  private summarize(incident: Incident): void {
    let top: TimelineEntry | undefined;
    const told = incident.timeline.filter((entry) => !entry.context);
    for (const entry of told) {
      if (!top || severityRank(entry.severity) > severityRank(top.severity)) top = entry;
    }
    incident.findingSeverity = top?.severity ?? incident.findingSeverity;
    incident.severity = incident.tactics.length >= 3 ? raise(incident.findingSeverity) : incident.findingSeverity;
    const counts = new Map<string, number>();
    for (const entry of told) for (const key of entry.keys) counts.set(key, (counts.get(key) ?? 0) + 1);
    incident.joins = [...counts]
      .filter(([, n]) => n > 1 || told.length === 1)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([key, findings]) => ({ key, findings, because: because(key) }));
    incident.title = titleOf(incident, top);
  }

  /** Moves a younger incident's findings into an older one that shares a key with it. */
  private async merge(from: Incident, into: Incident): Promise<void> {
    const findings = await this.findingsOf(from);
    const fromState = this.added.get(from.id);
    for (const entry of from.timeline) {
      const finding =
        findings.get(entry.findingId) ??
        [...(fromState?.findings ?? []), ...(fromState?.context ?? [])].find((f) => f.id === entry.findingId);
      if (!finding) continue;
      const condition = entry.keys.find((k) => k.startsWith('condition:'));
      const elements = from.conditions.find((c) => c.key === condition)?.elements ?? [];
      const joined = condition ? { key: condition, elements } : undefined;
      this.add(into, finding, entry.keys, entry.mutedBy, joined, entry.context === true);
      this.moved.set(finding.id, into.id);
    }
    // What the younger one told subscribers counts as told.
    into.messages += from.messages;
    if (from.notified && into.notified) addAll(into.notified.rules, from.notified.rules);
    addAll(into.merged, [from.id, ...from.merged]);
    into.history.push({
      at: into.lastSeen,
      action: 'merged',
      by: 'driftwatch',
      reason: `${from.id} shared a key with it`,
    });
    from.status = 'merged';
    from.mergedInto = into.id;
    from.history.push({ at: into.lastSeen, action: 'merged', by: 'driftwatch', reason: `into ${into.id}` });
    for (const [slot, id] of this.keyItems) if (id === from.id) this.keyItems.set(slot, into.id);
    for (const key of from.keys) this.keyItems.set(`${from.cluster}\u0000${key}`, into.id);
    this.added.delete(from.id);
  }

  private async findingsOf(incident: Incident): Promise<Map<string, Finding>> {
    const items = await this.table.query(keys.incidentFindings(incident.id));
    return new Map(items.map((item) => [String(item.findingId), JSON.parse(String(item.finding)) as Finding]));
  }

  /** The messages: an incident that opened, or changed in a way subscribers should hear of. */
  async decide(): Promise<IncidentMessage[]> {
    const messages: IncidentMessage[] = [];
    for (const [id, state] of this.added) {
      const incident = this.incidents.get(id);
      if (!incident || incident.status === 'merged') continue;
      const reason = state.loud ? this.news(incident, state.reopened) : undefined;
      if (!reason) {
        incident.quiet += state.findings.length + state.repeats;
        continue;
      }
      incident.messages += 1;
      incident.notified = {
        severity: incident.severity,
        rules: [...incident.rules],
        elements: incident.conditions.flatMap((c) => c.elements),
        status: incident.status,
        at: incident.lastSeen,
      };
      incident.quiet = 0;
      // Context stays on the timeline the message carries; its findings are not what the message tells.
      const context = new Set(incident.timeline.filter((t) => t.context).map((t) => t.findingId));
      const stored = [...(await this.findingsOf(incident)).values()].filter((f) => !context.has(f.id));
      const findings = [...stored, ...state.findings];
      messages.push({
        id: `${incident.id}#${incident.messages}`,
        kind: reason === 'opened' ? 'incident' : 'update',
        severity: incident.severity,
        cluster: incident.cluster,
        ruleIds: [...incident.rules],
        reason,
        incident: structuredClone(incident),
        findings: inTimelineOrder(dedupeById(findings), incident).map((f) => ({ ...f, incidentId: incident.id })),
      });
    }
    return messages;
  }

  /** What changed since the last message, in words; undefined when nothing subscribers should hear of. */
  private news(incident: Incident, reopened: boolean): string | undefined {
    if (incident.status === 'acknowledged') return undefined;
    const told = incident.notified;
    if (!told) return 'opened';
    const reasons: string[] = [];
    if (reopened)
      reasons.push(
        incident.history.at(-1)?.action === 'ack-expired' ? 'acknowledgement expired, still observed' : 'reopened',
      );
    if (severityRank(incident.severity) > severityRank(told.severity)) {
      reasons.push(`escalated from ${told.severity} to ${incident.severity}`);
    }
    const rules = incident.rules.filter((r) => !told.rules.includes(r));
    if (rules.length > 0) reasons.push(`new kind of finding: ${rules.join(', ')}`);
    const elements = incident.conditions.flatMap((c) => c.elements).filter((e) => !told.elements.includes(e));
    if (elements.length > 0) reasons.push(`the condition changed: ${elements.join(', ')}`);
    return reasons.length > 0 ? reasons.join('; ') : undefined;
  }

  /** Findings first, then incidents, then keys; the finding → incident markers last, so a retry finds the rest done. */
  async save(): Promise<void> {
    const findingItems: Item[] = [];
    const markers: Item[] = [];
    for (const [id, state] of this.added) {
      for (const finding of [...state.findings, ...state.context]) {
        findingItems.push({
          pk: keys.incidentFindings(id),
          sk: `${finding.time}#${finding.id}`,
          findingId: finding.id,
          finding: JSON.stringify({ ...finding, incidentId: id }),
        });
        markers.push({ ...keys.findingIncident(finding.id), incidentId: id });
      }
    }
    for (const [findingId, id] of this.moved) markers.push({ ...keys.findingIncident(findingId), incidentId: id });
    await this.table.batchPut(findingItems);
    await this.table.batchPut([...this.incidents.values()].map(toItem));
    const keyItems: Item[] = [];
    for (const [slot, id] of this.keyItems) {
      if (!id) continue;
      const [cluster, key] = slot.split('\u0000') as [string, string];
      keyItems.push({ ...keys.incidentKey(cluster, key), key, incidentId: id });
    }
    await this.table.batchPut(keyItems);
    await this.table.batchPut(dedupeMarkers(markers));
  }
}

/** The id of the incident a finding opens: the same in every attempt. */
function openedFor(findingId: string): string {
  return `inc-${stableHash('incident', findingId).slice(0, 12)}`;
}

function toItem(incident: Incident): Item {
  const closed = incident.status === 'resolved' || incident.status === 'merged';
  return {
    ...keys.incident(incident.id),
    incident: JSON.stringify(incident),
    status: incident.status,
    severity: incident.severity,
    lastSeen: incident.lastSeen,
    ...(closed ? { expiresAt: epochSeconds(Date.parse(incident.lastSeen)) + KEEP_DAYS * 86_400 } : {}),
  };
}

function parse(item: Item): Incident {
  return JSON.parse(String(item.incident)) as Incident;
}

function raise(severity: Severity): Severity {
  return SEVERITIES[Math.min(SEVERITIES.length - 1, severityRank(severity) + 1)] ?? severity;
}

function insertByTime(timeline: TimelineEntry[], entry: TimelineEntry): void {
  let i = timeline.length;
  while (i > 0 && (timeline[i - 1]?.time ?? '') > entry.time) i--;
  timeline.splice(i, 0, entry);
}

function addAll(list: string[], values: readonly string[]): void {
  for (const v of values) if (!list.includes(v)) list.push(v);
}

function addEntities(incident: Incident, finding: Finding, findingKeys: readonly string[]): void {
  const e = finding.entities;
  const out = incident.entities;
  const str = (v: unknown) => (typeof v === 'string' && v ? [v] : []);
  addAll(out.identities, str(e.user));
  addAll(out.namespaces, str(e.namespace));
  addAll(out.images, str(e.image).map(repositoryOf));
  for (const key of findingKeys) {
    const [kind, ...rest] = key.split(':');
    const value = rest.join(':');
    if (kind === 'workload') addAll(out.workloads, [value]);
    if (kind === 'source') addAll(out.sources, [value]);
    if (kind === 'destination') addAll(out.destinations, [value]);
  }
  if (finding.source === 'eks-audit') addAll(out.sources, Array.isArray(e.sourceIps) ? e.sourceIps.map(String) : []);
}

/** "<actor> → <target>: <what>", from the most severe finding (the first of them). */
function titleOf(incident: Incident, top: TimelineEntry | undefined): string {
  if (!top) return incident.title;
  const e = incident.entities;
  const actor = e.identities[0] ?? e.sources[0] ?? e.workloads[0];
  const target = [...e.workloads, ...e.destinations].find((t) => t !== actor);
  const who = [actor, target].filter(Boolean).join(' → ');
  const more = incident.rules.length > 1 ? ` (+${incident.rules.length - 1} more rules)` : '';
  return `${who ? `${who}: ` : ''}${top.title}${more}`.slice(0, 200);
}

/**
 * By time, and findings of one time as the timeline has them: the same message whichever attempt
 * decides it (a retry reads the findings an earlier attempt saved, in another order).
 */
function inTimelineOrder(findings: Finding[], incident: Incident): Finding[] {
  const at = new Map(incident.findings.map((id, i) => [id, i]));
  const rank = (f: Finding) => at.get(f.id) ?? incident.findings.length;
  return findings.sort((a, b) => a.time.localeCompare(b.time) || rank(a) - rank(b));
}

function dedupeById(findings: Finding[]): Finding[] {
  return [...new Map(findings.map((f) => [f.id, f])).values()];
}

function dedupeMarkers(items: Item[]): Item[] {
  return [...new Map(items.map((i) => [i.pk, i])).values()];
}
