import type { Located } from '../detect';
import type { ObjectIdentity, ReadStats } from '../ingest';
import { newReadStats, reject } from '../ingest';
import type { Delivered } from './delivery';
import type { ObjectOutcome } from './types';

/** A scope's learning period: statistical detectors stay silent before `end`. */
export interface Learning {
  start: number;
  end: number;
}

/**
 * One object on its way through the engine: its ids, what reading it found, and what every stage
 * adds to the outcome. Evaluators read it when they finish.
 */
export class ObjectRun {
  readonly stats: ReadStats = newReadStats();
  readonly outcome: ObjectOutcome;
  /** Learning periods by scope, set by the record stage before evaluators finish. */
  learning: ReadonlyMap<string, Learning> = new Map();
  /** Each scope's earliest event in the object. */
  readonly firstTimes = new Map<string, number>();
  private lastTime = Number.NEGATIVE_INFINITY;

  constructor(
    readonly objectId: string,
    readonly uri: string,
    /** The configured cluster name, for flow findings (flow logs do not name a cluster). */
    readonly cluster: string,
    /** Wall clock, for objects whose records carry no time (all SKIPDATA). */
    readonly clock: () => number,
    kind?: ObjectOutcome['kind'],
  ) {
    this.outcome = {
      uri,
      kind: kind ?? 'unknown',
      stats: this.stats,
      findings: [],
      messages: [],
      muted: {},
      suppressed: 0,
      belowThreshold: [],
      observations: 0,
      detectorErrors: {},
    };
  }

  /** The outcome of an object that was not analysed, and why. */
  skipped(why: NonNullable<ObjectOutcome['skipped']>): ObjectOutcome {
    this.outcome.skipped = why;
    return this.outcome;
  }

  /** Notes what became of the object's findings. */
  delivered(delivered: Delivered): void {
    this.outcome.findings = delivered.sent;
    this.outcome.messages = delivered.messages;
    this.outcome.muted = delivered.muted;
    this.outcome.suppressed = delivered.suppressed;
    this.outcome.belowThreshold = delivered.belowThreshold;
  }

  /** The object's kind and format, once identified. */
  identified(identity: ObjectIdentity): void {
    this.outcome.identity = identity;
    this.outcome.kind = identity.kind;
  }

  /** Notes an event's time: the scope's first event starts its learning period. */
  noteTime(scope: string, time: number): void {
    const first = this.firstTimes.get(scope);
    if (first === undefined || time < first) this.firstTimes.set(scope, time);
    if (time > this.lastTime) this.lastTime = time;
  }

  /** Copies the object's event time range into the outcome. */
  closeTimes(): void {
    if (this.firstTimes.size === 0) return;
    this.outcome.firstEventTime = Math.min(...this.firstTimes.values());
    this.outcome.lastEventTime = this.lastTime;
  }

  /**
   * Calls one detector function on one event. A detector that throws on one odd event must not
   * cost the rest of the object: the event is skipped for that detector only, counted, and the
   * first failure of each detector is reported with its location.
   */
  attempt<T>(detectorId: string, event: Located, call: () => T): T | undefined {
    try {
      return call();
    } catch (error) {
      this.failed(detectorId, event, error);
      return undefined;
    }
  }

  private failed(detectorId: string, event: Located, error: unknown): void {
    const errors = this.outcome.detectorErrors;
    errors[detectorId] = (errors[detectorId] ?? 0) + 1;
    if (errors[detectorId] === 1) {
      reject(this.stats, 'detector-error', event.origin, `${detectorId}: ${(error as Error).message ?? String(error)}`);
    }
  }
}
