import type { AlertDeduper, Entities, Finding, Outbox, OutboxEntry } from '../alert';
import type { Config, Severity } from '../config';
import { severityRank } from '../config';
import type { IncidentBook, IncidentMessage, MessageSink, TimelineEntry } from '../incident';
import { MessageDelivery, MessageDeliveryError, type MessageDeliveryOptions, Retries } from '../incident';
import { iso, stableHash } from '../util';
import type { Draft } from './draft';

/** What became of an owner's (an object's or a rebaseline's) drafts. */
export interface Delivered {
  /** Findings this owner holds the dedupe window of, recorded into incidents (now or by an earlier attempt). */
  sent: Finding[];
  /** Messages about incidents this owner published (now or, decided by an earlier attempt, now published). */
  messages: IncidentMessage[];
  /** Findings inside a window another owner holds, not sent. */
  suppressed: number;
  /**
   * Findings below `alerts.minSeverity`, counted, never told; those that joined an incident as
   * context (now or by an earlier attempt) carry its `incidentId`.
   */
  belowThreshold: Finding[];
  /** Findings a suppression muted (recorded, joined, not told), by suppression id. */
  muted: Record<string, number>;
}

/** A delivery that could not publish everything: the owner is not done, and its retry publishes the rest. */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
}

/** How publishing retries what the sink failed, and marking done what could not be marked (tests wait less). */
export type DeliveryOptions = MessageDeliveryOptions;

/** Which suppression mutes a finding (config and table suppressions), and the count of what they muted. */
export interface Mutes {
  matcher(): Promise<{ match(finding: Finding, at: number): string | undefined }>;
  countMuted(counts: ReadonlyMap<string, number>): Promise<void>;
}

/** The stores delivery writes to. */
export interface DeliveryStores {
  deduper: AlertDeduper;
  /** Findings an owner has to record into incidents. */
  findings: Outbox<Finding>;
  /** Messages an owner has to publish. */
  messages: Outbox<IncidentMessage>;
  incidents: IncidentBook;
  mutes?: Mutes;
}

/** Under which owner an owner's messages wait. */
const messagesOf = (owner: string) => `${owner}#msg`;

/**
 * The one way findings leave the engine, exactly once under retries:
 *
 * 1. drafts become findings (config overrides applied); those below the alert threshold are context:
 *    counted, and joined in step 4 to an incident they lead to, never claimed, never told;
 * 2. each new finding claims its dedupe window, naming its owner, so a retry finds its own claims;
 * 3. each claimed finding is recorded in the owner's outbox, held by this attempt (a lease);
 * 4. the held findings join incidents (suppressions mute their notification, never their joining),
 *    and the context findings join those already there (the incident book's marker records each once);
 *    the messages that causes are recorded in the owner's message outbox before the incidents are
 *    saved, and the findings are marked recorded;
 * 5. the messages the outbox holds and nobody else holds are published in order; a sink's failed
 *    entries are retried with backoff and jitter, and what went is marked sent.
 *
 * A failure anywhere leaves the owner undone: its retry skips what is marked done and does the
 * rest, including findings the retry would no longer find.
 */
export class FindingDelivery {
  private readonly retries: Retries;
  private readonly publisher: MessageDelivery;

  constructor(
    private readonly config: Config,
    private readonly stores: DeliveryStores,
    sink: MessageSink,
    options: DeliveryOptions = {},
  ) {
    this.retries = new Retries(options);
    this.publisher = new MessageDelivery(stores.messages, sink, options);
  }

  async deliver(owner: string, drafts: readonly Draft[]): Promise<Delivered> {
    const { findings, below } = this.findings(drafts);
    const outbox = this.stores.findings;
    const entries = await outbox.entries(owner);
    const state: Taken = { held: [], done: [], busy: 0, suppressed: 0 };
    const seen = new Set<string>();
    for (const { finding, draft } of findings) {
      if (seen.has(finding.id)) {
        state.suppressed++;
        continue;
      }
      seen.add(finding.id);
      const entry = entries.get(finding.id);
      if (entry) await this.take(owner, entry, state);
      else if (!(await this.claim(owner, finding, draft))) state.suppressed++;
      else if (await outbox.add(owner, finding)) state.held.push(finding);
      // A concurrent delivery of the same object recorded it between our read and our write: it holds it.
      else state.busy++;
    }
    // What an earlier attempt recorded and this one no longer finds (a rebaseline ran in between) still goes.
    for (const [id, entry] of entries) if (!seen.has(id)) await this.take(owner, entry, state);
    // Only a retry (its outbox had entries) can find messages an earlier attempt decided in vain.
    if (entries.size > 0 && state.held.length > 0) await this.voidUnsaved(owner);
    const { recorded, muted, added, incidentOf } = await this.record(owner, state.held, below);
    // Only an owner with findings can have messages waiting (an object with none, or only context, costs no read).
    const messages = entries.size > 0 || state.held.length > 0 ? await this.publishOutbox(owner, added) : [];
    if (state.busy > 0) {
      throw new DeliveryError(
        `${state.busy} finding(s) of ${owner} are held by another attempt; retry after its lease`,
      );
    }
    return {
      sent: byTime([...state.done, ...recorded]),
      messages,
      suppressed: state.suppressed,
      belowThreshold: below.map((f) => {
        const incidentId = incidentOf.get(f.id);
        return incidentId ? { ...f, incidentId } : f;
      }),
      muted,
    };
  }

  /** An entry an earlier attempt recorded: done already, or taken over once its lease ran out. */
  private async take(owner: string, entry: OutboxEntry<Finding>, state: Taken): Promise<void> {
    if (entry.sent) state.done.push(entry.value);
    else if (await this.stores.findings.lease(owner, entry.value.id)) state.held.push(entry.value);
    else state.busy++;
  }

  /**
   * Forgets the messages an earlier attempt decided and wrote but whose incident it never saved (it
   * failed in between). Their ids were never counted: another owner may have told the incident under
   * the same id since, and this attempt decides again what its findings are news of.
   */
  private async voidUnsaved(owner: string): Promise<void> {
    const box = messagesOf(owner);
    const unsaved: string[] = [];
    for (const entry of (await this.stores.messages.entries(box)).values()) {
      if (entry.sent || (await this.saved(entry.value))) continue;
      // One another attempt holds is its to publish or void.
      if (await this.stores.messages.lease(box, entry.value.id)) unsaved.push(entry.value.id);
    }
    await this.stores.messages.remove(box, unsaved);
  }

  /**
   * Whether a message's incident was saved as it was decided: its timeline has every finding the
   * message saw, each seen as late (a timeline only grows: findings join, repeats move on).
   */
  private async saved(message: IncidentMessage): Promise<boolean> {
    if (!message.incident) return true;
    const stored = await this.stores.incidents.get(message.incident.id);
    const last = (t: TimelineEntry) => t.repeats?.last ?? t.time;
    return message.incident.timeline.every((seen) => {
      const entry = stored?.timeline.find((t) => t.findingId === seen.findingId);
      return entry !== undefined && last(entry) >= last(seen);
    });
  }

  /**
   * Joins the held findings, and the context findings, to incidents; the messages that causes go
   * into the owner's message outbox first; then the held findings are marked recorded, carrying
   * their incident.
   *
   * Context takes no dedupe claim and no outbox entry: a claim would share its window with a louder
   * finding of the same key and could suppress it, and the book's finding → incident marker
   * already makes a retry join it once. One that joins nothing is only counted, and costs no write.
   */
  private async record(
    owner: string,
    held: readonly Finding[],
    context: readonly Finding[],
  ): Promise<{
    recorded: Finding[];
    muted: Record<string, number>;
    added: IncidentMessage[];
    incidentOf: ReadonlyMap<string, string>;
  }> {
    if (held.length === 0 && context.length === 0) return { recorded: [], muted: {}, added: [], incidentOf: new Map() };
    const added: IncidentMessage[] = [];
    const matcher = held.length > 0 ? await this.stores.mutes?.matcher() : undefined;
    const items = [
      ...held.map((finding) => {
        const mutedBy = matcher?.match(finding, Date.parse(finding.time));
        return mutedBy ? { finding, mutedBy } : { finding };
      }),
      ...[...new Map(context.map((f) => [f.id, f])).values()].map((finding) => ({ finding, context: true })),
    ];
    const result = await this.stores.incidents.record(items, async (messages) => {
      for (const message of messages) {
        // Held by this attempt once added; an entry an earlier attempt wrote is leased with the rest.
        if (await this.stores.messages.add(messagesOf(owner), message)) added.push(message);
      }
    });
    const recorded = held.map((f) => {
      const incidentId = result.incidentOf.get(f.id);
      return incidentId ? { ...f, incidentId } : f;
    });
    await this.retries.write(() => this.stores.findings.markSent(owner, recorded));
    const muted: Record<string, number> = {};
    for (const item of items) {
      const mutedBy = 'mutedBy' in item ? item.mutedBy : undefined;
      if (mutedBy) muted[mutedBy] = (muted[mutedBy] ?? 0) + 1;
    }
    if (Object.keys(muted).length > 0) await this.stores.mutes?.countMuted(new Map(Object.entries(muted)));
    return { recorded, muted, added, incidentOf: result.incidentOf };
  }

  /** Publishes what the owner's message outbox holds: what this attempt added, and what an earlier one left unsent. */
  private async publishOutbox(owner: string, added: readonly IncidentMessage[]): Promise<IncidentMessage[]> {
    try {
      return (await this.publisher.deliverHeld(messagesOf(owner), added)).published;
    } catch (error) {
      if (error instanceof MessageDeliveryError) throw new DeliveryError(error.message);
      throw error;
    }
  }

  /**
   * The drafts' findings at or above the alert threshold (in event-time order), and the rest as
   * context. A context finding's id is its own: a detector may report the same key at two
   * severities, and the louder finding must never be taken for a repeat of the quiet one.
   */
  private findings(drafts: readonly Draft[]) {
    const minimum = severityRank(this.config.alerts.minSeverity);
    const findings: { finding: Finding; draft: Draft }[] = [];
    const below: Finding[] = [];
    for (const draft of drafts) {
      const finding = this.toFinding(draft);
      if (severityRank(finding.severity) < minimum) below.push({ ...finding, id: stableHash('context', finding.id) });
      else findings.push({ finding, draft });
    }
    findings.sort((a, b) => a.finding.time.localeCompare(b.finding.time));
    return { findings, below };
  }

  private claim(owner: string, finding: Finding, draft: Draft): Promise<boolean> {
    return this.stores.deduper.claim({
      ruleId: draft.detector.id,
      dedupeKey: dedupeKeyOf(draft),
      findingId: finding.id,
      time: Date.parse(finding.time),
      windowMinutes: this.config.detectors[draft.detector.id]?.dedupeMinutes ?? draft.detector.dedupeMinutes,
      owner,
    });
  }

  /** The finding a draft describes, with the config's severity override. */
  toFinding(draft: Draft): Finding {
    const { detector, detection, sample, baseline } = draft;
    const severity: Severity = this.config.detectors[detector.id]?.severity ?? detection.severity ?? detector.severity;
    const entities: Entities = { cluster: draft.cluster, ...withoutUndefined(detection.entities) };
    return {
      id: stableHash(detector.id, draft.identity, detection.dedupeKey),
      ruleId: detector.id,
      kind: baseline ? 'anomaly' : 'rule',
      severity,
      source: detector.source,
      time: iso(sample.time),
      title: detection.title ?? detector.title,
      summary: detection.summary,
      description: detector.description,
      entities,
      ...(detection.roles ? { roles: detection.roles } : {}),
      evidence: detection.evidence.slice(0, 1000),
      origin: sample.origin,
      ...(baseline ? { baseline } : {}),
      mitre: detector.mitre,
      count: draft.count,
      runbook: detector.runbook,
    };
  }
}

interface Taken {
  held: Finding[];
  done: Finding[];
  busy: number;
  suppressed: number;
}

/** In event-time order; a stable sort, so findings of one time keep the order detection gave them. */
function byTime(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => a.time.localeCompare(b.time));
}

/** A finding's dedupe window is per scope: the same key in two clusters is two windows. */
function dedupeKeyOf(draft: Draft): string {
  return `${draft.scope}|${draft.detection.dedupeKey}`;
}

function withoutUndefined(entities: Entities): Entities {
  const out: Entities = {};
  for (const [k, v] of Object.entries(entities)) if (v !== undefined) out[k] = v;
  return out;
}
