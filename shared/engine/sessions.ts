import type { Config } from '../config';
import type { Located } from '../detect';
import type { Recorder, RecorderSession } from '../record';
import type { Table } from '../store';
import type { Draft } from './draft';
import type { Evaluator, EvaluatorSession, EventShape } from './evaluator';
import type { ObjectRun } from './object-run';
import { DraftCap } from './rollup';

/** Everything that sees one object's events: the evaluators of its source's detector kinds, and the recorders. */
export class ObjectSessions<E extends Located> {
  private readonly evaluators: EvaluatorSession<E>[];
  /** The sessions of the evaluators that judge the object as delivered. */
  private readonly perObject: EvaluatorSession<E>[];
  private readonly recorders: RecorderSession<E>[];
  /** The events detection saw, kept for the kinds that judge an object's events together. */
  private readonly kept: E[] = [];

  constructor(
    private readonly run: ObjectRun,
    private readonly shape: EventShape<E>,
    evaluators: readonly Evaluator<E>[],
    recorders: readonly Recorder<E>[],
    private readonly config: Config,
    /** Keep the events for `finish`: flow edges are few enough; audit events stream. */
    private readonly keep: boolean,
  ) {
    this.evaluators = evaluators.map((e) => e.begin(run));
    this.perObject = this.evaluators.filter((_, i) => evaluators[i]?.perObject);
    const object = { id: run.objectId, uri: run.uri, config };
    this.recorders = recorders.map((r) => r.begin(object));
  }

  /** An event for detection and the recorders. */
  see(event: E): void {
    this.run.noteTime(this.shape.scope(event), event.time);
    if (this.keep) this.kept.push(event);
    for (const evaluator of this.evaluators) evaluator.see(event);
    for (const recorder of this.recorders) recorder.see(event);
  }

  /**
   * An edge of the object that waits for the audit log: it counts in the object's time range and
   * its delivery, and is recorded and detected on when it is decided.
   */
  seeDelivered(event: E): void {
    this.run.noteTime(this.shape.scope(event), event.time);
    for (const evaluator of this.perObject) evaluator.see(event);
  }

  /** An event for the recorders only (a relay's copy of a connection). */
  recordOnly(event: E): void {
    for (const recorder of this.recorders) recorder.see(event);
  }

  /** The session of a recorder of this class, if one runs. */
  recorder<R extends RecorderSession<E>>(type: abstract new (...args: never[]) => R): R | undefined {
    return this.recorders.find((r): r is R => r instanceof type);
  }

  /** Writes what the object taught: observations first, then each recorder's records. */
  async flush(table: Table): Promise<void> {
    for (const evaluator of this.evaluators) await evaluator.record?.();
    for (const recorder of this.recorders) await recorder.flush(table);
  }

  /**
   * Each evaluator's drafts, in the evaluators' order; a detector's drafts past its cap (per
   * object and scope) become one roll-up.
   */
  async finish(): Promise<Draft[]> {
    const capped = new DraftCap(this.config, this.run.objectId);
    for (const evaluator of this.evaluators) for (const draft of await evaluator.finish(this.kept)) capped.add(draft);
    return capped.drafts();
  }
}
