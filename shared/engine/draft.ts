import type { BaselineContext } from '../alert';
import type { Detection, DetectorMeta, Located } from '../detect';

/**
 * What an evaluator hands on when a detector fires: the detection and what the finding needs
 * beside it. The delivery stage turns it into a {@link Finding}.
 */
export interface Draft {
  detector: DetectorMeta;
  detection: Detection;
  /** The event the finding is told from: its time and origin. */
  sample: Located;
  /** How many events the finding stands for. */
  count: number;
  /** What makes the underlying event this one (with the detector and dedupe key, the finding's id). */
  identity: string;
  scope: string;
  cluster: string;
  /** For anomalies: what the baseline expected. */
  baseline?: BaselineContext;
  /** For a roll-up (`rollup.ts`): the findings it stands for and the samples it keeps. */
  rollup?: RolledUp;
}

/** What a roll-up draft stands for. */
export interface RolledUp {
  /** The findings rolled up. */
  findings: number;
  /** The events they stand for (the draft's count). */
  events: number;
  /** The most severe few, most severe first. */
  samples: Draft[];
}
