import type { AlertDeduper, AlertSink, Entities, Finding, Outbox, OutboxEntry } from '../alert';
import type { Config, Severity } from '../config';
import { severityRank } from '../config';
import { iso, stableHash } from '../util';
import type { Draft } from './draft';

/** What became of an owner's (an object's or a rebaseline's) drafts. */
export interface Delivered {
  /** Findings this owner holds the dedupe window of, published (now or by an earlier attempt). */
  sent: Finding[];
  /** Findings inside a window another owner holds, not sent. */
  suppressed: number;
  /** Findings below `alerts.minSeverity`, counted but not sent. */
  belowThreshold: Finding[];
}

/** A delivery that could not publish everything: the owner is not done, and its retry publishes the rest. */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
}

export interface DeliveryOptions {
  /** Waits between publish attempts of the findings a sink failed (each scaled by a random 0.5 to 1.5). */
  retryDelaysMs?: readonly number[];
  sleep?: (ms: number) => Promise<void>;
}

const RETRY_DELAYS_MS = [200, 1000, 3000];

/**
 * The one way findings leave the engine, exactly once under retries:
 *
 * 1. drafts become findings (config overrides applied); those below the alert threshold are only counted;
 * 2. each new finding claims its dedupe window, naming its owner, so a retry finds its own claims;
 * 3. each claimed finding is recorded in the owner's outbox, held by this attempt (a lease);
 * 4. what the outbox holds and nobody else holds is published, in event-time order; a sink's
 *    failed entries are retried with backoff and jitter, and what went is marked sent.
 *
 * A failure anywhere leaves the owner undone: its retry skips what is marked sent and publishes the
 * rest, including findings the retry would no longer find.
 */
export class FindingDelivery {
  private readonly delays: readonly number[];
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly config: Config,
    private readonly deduper: AlertDeduper,
    private readonly outbox: Outbox,
    private readonly sink: AlertSink,
    options: DeliveryOptions = {},
  ) {
    this.delays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async deliver(owner: string, drafts: readonly Draft[]): Promise<Delivered> {
    const { findings, below } = this.findings(drafts);
    const entries = await this.outbox.entries(owner);
    const state = { held: [] as Finding[], done: [] as Finding[], busy: 0, suppressed: 0 };
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
      else if (await this.outbox.add(owner, finding)) state.held.push(finding);
      // A concurrent delivery of the same object recorded it between our read and our write: it holds it.
      else state.busy++;
    }
    // What an earlier attempt recorded and this one no longer finds (a rebaseline ran in between) still goes.
    for (const [id, entry] of entries) if (!seen.has(id)) await this.take(owner, entry, state);
    const sent = byTime([...state.done, ...(await this.publish(owner, state.held))]);
    if (state.busy > 0) {
      throw new DeliveryError(
        `${state.busy} finding(s) of ${owner} are held by another attempt; retry after its lease`,
      );
    }
    return { sent, suppressed: state.suppressed, belowThreshold: below };
  }

  /** An entry an earlier attempt recorded: sent already, or taken over once its lease ran out. */
  private async take(
    owner: string,
    entry: OutboxEntry,
    state: { held: Finding[]; done: Finding[]; busy: number },
  ): Promise<void> {
    if (entry.sent) state.done.push(entry.payload);
    else if (await this.outbox.lease(owner, entry.payload.id)) state.held.push(entry.payload);
    else state.busy++;
  }

  /** The drafts' findings at or above the alert threshold (one per id, in event-time order), and the rest. */
  private findings(drafts: readonly Draft[]) {
    const minimum = severityRank(this.config.alerts.minSeverity);
    const findings: { finding: Finding; draft: Draft }[] = [];
    const below: Finding[] = [];
    for (const draft of drafts) {
      const finding = this.toFinding(draft);
      if (severityRank(finding.severity) < minimum) below.push(finding);
      else findings.push({ finding, draft });
    }
    findings.sort((a, b) => a.finding.time.localeCompare(b.finding.time));
    return { findings, below };
  }

  private claim(owner: string, finding: Finding, draft: Draft): Promise<boolean> {
    return this.deduper.claim({
      ruleId: draft.detector.id,
      dedupeKey: dedupeKeyOf(draft),
      findingId: finding.id,
      time: Date.parse(finding.time),
      windowMinutes: this.config.detectors[draft.detector.id]?.dedupeMinutes ?? draft.detector.dedupeMinutes,
      owner,
    });
  }

  /**
   * Publishes the held findings in event-time order and marks each one sent as the sink takes it;
   * retries what the sink failed. Returns what went; throws when some did not, after giving their
   * leases back.
   */
  private async publish(owner: string, findings: readonly Finding[]): Promise<Finding[]> {
    let pending = byTime([...findings]);
    const sent: Finding[] = [];
    let reason = '';
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) {
        if (attempt > this.delays.length) break;
        await this.sleep((this.delays[attempt - 1] ?? 0) * (0.5 + Math.random()));
      }
      const failed = await this.tryPublish(pending);
      const went = pending.filter((f) => !failed.has(f.id));
      await this.markSent(owner, went);
      sent.push(...went);
      pending = pending.filter((f) => failed.has(f.id));
      reason = [...failed.values()][0] ?? reason;
    }
    if (pending.length === 0) return sent;
    await this.outbox
      .release(
        owner,
        pending.map((f) => f.id),
      )
      .catch(() => undefined);
    throw new DeliveryError(`could not publish ${pending.length} finding(s) of ${owner}: ${reason}`);
  }

  /** The sink's failures by finding id; a sink that throws failed them all. */
  private async tryPublish(findings: readonly Finding[]): Promise<ReadonlyMap<string, string>> {
    try {
      return (await this.sink.publish(findings))?.failed ?? new Map();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return new Map(findings.map((f) => [f.id, reason]));
    }
  }

  /**
   * Marks findings sent, retrying the write: a mark that never lands means the next attempt
   * publishes them again (the one case that stays at-least-once).
   */
  private async markSent(owner: string, findings: readonly Finding[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.outbox.markSent(owner, findings);
        return;
      } catch (error) {
        if (attempt >= this.delays.length) throw error;
        await this.sleep((this.delays[attempt] ?? 0) * (0.5 + Math.random()));
      }
    }
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
