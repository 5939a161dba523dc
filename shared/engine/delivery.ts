import type { AlertDeduper, AlertSink, Entities, Finding } from '../alert';
import type { Config, Severity } from '../config';
import { severityRank } from '../config';
import { iso, stableHash } from '../util';
import type { Draft } from './draft';

/** What became of an object's (or a rebaseline's) drafts. */
export interface Delivered {
  /** Findings that opened a new dedupe window and were sent. */
  sent: Finding[];
  /** Findings inside an open dedupe window, not sent again. */
  suppressed: number;
  /** Findings below `alerts.minSeverity`, counted but not sent. */
  belowThreshold: Finding[];
}

/**
 * The one way findings leave the engine: drafts become findings (config overrides applied),
 * those below the alert threshold are only counted, each claims its dedupe window, and the
 * fresh ones are published in event-time order. When publishing fails every claim is given back,
 * so the retry can send them.
 */
export class FindingDelivery {
  constructor(
    private readonly config: Config,
    private readonly deduper: AlertDeduper,
    private readonly sink: AlertSink,
  ) {}

  async deliver(drafts: readonly Draft[]): Promise<Delivered> {
    const claimed = await this.claim(drafts);
    await this.publish(claimed.fresh);
    return { sent: claimed.fresh.map((f) => f.finding), suppressed: claimed.suppressed, belowThreshold: claimed.below };
  }

  /** Findings, the alert threshold, and one dedupe claim per finding. */
  private async claim(drafts: readonly Draft[]) {
    const fresh: { finding: Finding; draft: Draft }[] = [];
    const below: Finding[] = [];
    let suppressed = 0;
    const minimum = severityRank(this.config.alerts.minSeverity);
    for (const draft of drafts) {
      const finding = this.toFinding(draft);
      if (severityRank(finding.severity) < minimum) {
        below.push(finding);
        continue;
      }
      const window = this.config.detectors[draft.detector.id]?.dedupeMinutes ?? draft.detector.dedupeMinutes;
      const claimed = await this.deduper.claim(
        draft.detector.id,
        dedupeKeyOf(draft),
        finding.id,
        Date.parse(finding.time),
        window,
      );
      if (claimed) fresh.push({ finding, draft });
      else suppressed++;
    }
    fresh.sort((a, b) => a.finding.time.localeCompare(b.finding.time));
    return { fresh, below, suppressed };
  }

  private async publish(fresh: readonly { finding: Finding; draft: Draft }[]): Promise<void> {
    if (fresh.length === 0) return;
    try {
      await this.sink.publish(fresh.map((f) => f.finding));
    } catch (error) {
      for (const { draft } of fresh) await this.deduper.release(draft.detector.id, dedupeKeyOf(draft));
      throw error;
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

/** A finding's dedupe window is per scope: the same key in two clusters is two windows. */
function dedupeKeyOf(draft: Draft): string {
  return `${draft.scope}|${draft.detection.dedupeKey}`;
}

function withoutUndefined(entities: Entities): Entities {
  const out: Entities = {};
  for (const [k, v] of Object.entries(entities)) if (v !== undefined) out[k] = v;
  return out;
}
