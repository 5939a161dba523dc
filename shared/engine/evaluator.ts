import type { DetectContext } from '../detect';
import { MINUTE_MS } from '../util';
import type { Draft } from './draft';
import type { ObjectRun } from './object-run';

/**
 * What the engine needs to know about the events of one log source: which baselines an event
 * belongs to, which cluster it names, and what makes it the event it is.
 */
export interface EventShape<E> {
  /** The scope whose baselines and windows the event counts in: its cluster, or its VPC. */
  scope(event: E): string;
  cluster(event: E): string;
  /** The underlying event's identity, for a finding's id. */
  identity(event: E): string;
  /**
   * The event as it was known before something renamed it (a flow end a late pod report named):
   * what it shows in its baselines counts as known for the event too. Undefined when nothing did.
   */
  prior?(event: E): E | undefined;
}

/**
 * Runs the detectors of one kind over objects. It lives as long as the engine (stores, caches);
 * each object gets a session of its own.
 */
export interface Evaluator<E> {
  /**
   * Sees every edge when its object is read, the edges that wait for the audit log included, and
   * does not run when they are decided: what judges the object as delivered (flow-log health) and
   * what must not wait for pod names (rules).
   */
  readonly perObject?: boolean;
  begin(run: ObjectRun): EvaluatorSession<E>;
}

/** One evaluator's work on one object. */
export interface EvaluatorSession<E> {
  /** Sees one event: an audit event as it is read, a flow edge once attributed. */
  see(event: E): void;
  /** Writes what the object taught (observations), after its learning periods are noted. */
  record?(): Promise<void>;
  /**
   * Reads and writes state across objects as the kind needs, and returns the drafts. `events` are
   * the object's events when its source keeps them (a flow object's edges, once for every kind
   * that judges them together); audit events stream and are not kept.
   */
  finish(events: readonly E[]): Promise<Draft[]>;
}

/** A detector that counts per key in fixed windows of event time, with its limits. */
export interface Windowed<D> {
  detector: D;
  threshold: number;
  windowMs: number;
}

/** Each detector with its threshold and window, read once: they come from the config. */
export function windowed<D extends { limits(context: DetectContext): { threshold: number; windowMinutes: number } }>(
  detectors: readonly D[],
  context: DetectContext,
): Windowed<D>[] {
  return detectors.map((detector) => {
    const { threshold, windowMinutes } = detector.limits(context);
    return { detector, threshold, windowMs: windowMinutes * MINUTE_MS };
  });
}

/**
 * Holds back learned-baseline findings about some events (a new workload's first hours) while they
 * are still learned. Rules never wait: only anomaly and spike evaluators take one.
 */
export interface Grace<E> {
  /** What the grace is decided on for an event (its workloads), or undefined when it never waits. */
  subject(event: E): string | undefined;
  /**
   * For one object: whether a subject's events up to a time are held back. Reads (and writes)
   * once per object, however many evaluators ask.
   */
  judge(run: ObjectRun, events: readonly E[]): Promise<(subject: string, time: number) => boolean>;
}
