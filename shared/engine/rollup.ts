import type { Entities } from '../alert';
import type { Config } from '../config';
import { severityRank } from '../config';
import type { Located } from '../detect';
import type { Draft, RolledUp } from './draft';

/** How many findings of one detector an object may give before they are rolled up, and how many samples a roll-up keeps. */
export interface RollupLimits {
  cap: number;
  samples: number;
}

/** A detector's limits: its own `rollupCap` override, else `alerts.rollup`. */
export function rollupLimits(config: Config, detectorId: string): RollupLimits {
  const { cap, samples } = config.alerts.rollup;
  return { cap: config.detectors[detectorId]?.rollupCap ?? cap, samples };
}

function severityOf(draft: Draft): number {
  return severityRank(draft.detection.severity ?? draft.detector.severity);
}

/** Most severe first, then earliest, then by identity and key: the same samples on every retry. */
function sampleOrder(a: Draft, b: Draft): number {
  return (
    severityOf(b) - severityOf(a) ||
    a.sample.time - b.sample.time ||
    (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0) ||
    (a.detection.dedupeKey < b.detection.dedupeKey ? -1 : a.detection.dedupeKey > b.detection.dedupeKey ? 1 : 0)
  );
}

/**
 * One detector's findings of one object in one scope, past its cap: how many there are, how many
 * events they stand for, the earliest event, and the most severe few as samples. Its size does not
 * grow with the findings it counts.
 */
export class Rollup {
  private findings = 0;
  private events = 0;
  private first: Located | undefined;
  private readonly samples: Draft[] = [];

  constructor(private readonly limits: RollupLimits) {}

  /** A finding (or, with `findings` 0, another event of one already counted that may describe it better). */
  add(draft: Draft, findings = 1): void {
    if (draft.rollup) {
      this.merge(draft.rollup, draft.sample);
      return;
    }
    this.findings += findings;
    this.events += draft.count;
    this.offer(draft);
  }

  /** Another event of a finding already counted, with no draft of its own. */
  addEvent(): void {
    this.events++;
  }

  private merge(part: RolledUp, sample: Located): void {
    this.findings += part.findings;
    this.events += part.events;
    if (!this.first || sample.time < this.first.time) this.first = sample;
    for (const draft of part.samples) this.offer(draft);
  }

  private offer(draft: Draft): void {
    if (!this.first || draft.sample.time < this.first.time) this.first = draft.sample;
    const { samples } = this;
    // One sample per finding: its most severe event.
    const same = samples.findIndex((d) => d.detection.dedupeKey === draft.detection.dedupeKey);
    if (same >= 0) {
      if (sampleOrder(draft, samples[same] as Draft) >= 0) return;
      samples.splice(same, 1);
    }
    if (samples.length >= this.limits.samples && sampleOrder(draft, samples[samples.length - 1] as Draft) >= 0) return;
    let at = samples.length;
    while (at > 0 && sampleOrder(draft, samples[at - 1] as Draft) < 0) at--;
    samples.splice(at, 0, draft);
    if (samples.length > this.limits.samples) samples.pop();
  }

  /**
   * The one finding that stands for them all. Its id is the detector's, the object's and the
   * scope's: the same on every retry of the object.
   */
  draft(objectId: string): Draft {
    const top = this.samples[0];
    if (!top || !this.first) throw new Error('a roll-up needs at least one finding');
    const { detector } = top;
    const { cap } = this.limits;
    const n = this.findings.toLocaleString('en-US');
    const entities: Entities = {
      ...top.detection.entities,
      rolledUp: this.findings,
      samples: this.samples.map((d) => withoutUndefined({ ...d.detection.entities, key: d.detection.dedupeKey })),
    };
    const share = Math.floor(1000 / this.samples.length) - 1;
    return {
      detector,
      detection: {
        severity: top.detection.severity ?? detector.severity,
        title: `${detector.title}: ${n} findings rolled up`,
        summary:
          `Roll-up: one log object gave ${n} findings of ${detector.id} (${this.events.toLocaleString('en-US')} events), ` +
          `over the cap of ${cap} per detector and object; the most severe: ${top.detection.summary}`,
        entities,
        evidence: this.samples.map((d) => d.detection.evidence.slice(0, share)).join('\n'),
        dedupeKey: `rollup|${objectId}`,
      },
      sample: this.first,
      count: this.events,
      identity: `rollup|${objectId}|${top.scope}`,
      scope: top.scope,
      cluster: top.cluster,
      ...(top.baseline ? { baseline: top.baseline } : {}),
      rollup: { findings: this.findings, events: this.events, samples: [...this.samples] },
    };
  }
}

/** Up to its cap, one group's drafts as they came (with their place in the whole); past it, their roll-up. */
interface Group {
  /** The place of the group's first draft. */
  at: number;
  drafts: { at: number; draft: Draft }[] | undefined;
  rollup: Rollup | undefined;
}

/**
 * Caps the findings each detector gives per object (and scope): drafts are added one at a time,
 * and a detector's drafts past its cap become one roll-up draft, so what is held never grows with
 * the findings. Drafts under the cap come out unchanged and in the order they came in.
 */
export class DraftCap {
  private readonly groups = new Map<string, Group>();
  private added = 0;

  constructor(
    private readonly config: Config,
    private readonly objectId: string,
  ) {}

  add(draft: Draft): void {
    const id = `${draft.detector.id}\u0000${draft.scope}`;
    const at = this.added++;
    let group = this.groups.get(id);
    if (!group) {
      group = { at, drafts: [], rollup: undefined };
      this.groups.set(id, group);
    }
    if (group.drafts && !draft.rollup && group.drafts.length < this.limits(draft).cap) {
      group.drafts.push({ at, draft });
      return;
    }
    if (!group.rollup) {
      group.rollup = new Rollup(this.limits(draft));
      for (const held of group.drafts ?? []) group.rollup.add(held.draft);
      group.drafts = undefined;
    }
    group.rollup.add(draft);
  }

  /** The drafts in the order they came, each roll-up in the place of its group's first draft. */
  drafts(): Draft[] {
    const out: { at: number; draft: Draft }[] = [];
    for (const group of this.groups.values()) {
      if (group.rollup) out.push({ at: group.at, draft: group.rollup.draft(this.objectId) });
      else for (const held of group.drafts ?? []) out.push(held);
    }
    return out.sort((a, b) => a.at - b.at).map((held) => held.draft);
  }

  private limits(draft: Draft): RollupLimits {
    return rollupLimits(this.config, draft.detector.id);
  }
}

function withoutUndefined(entities: Entities): Entities {
  const out: Entities = {};
  for (const [k, v] of Object.entries(entities)) if (v !== undefined) out[k] = v;
  return out;
}
