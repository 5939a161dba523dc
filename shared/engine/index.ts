export { DailyDigest, type DigestReport, type IncidentSource } from './daily-digest';
export { DeliveryError } from './delivery';
/** @public The engine's options: what differs between the Lambdas, the CLI and the tests. */
export type { EngineOptions } from './engine';
export { Engine } from './engine';
export {
  type LearnedScope,
  type LearnedState,
  pipelineNetworks,
  readLearned,
} from './learned';
export type { Settled } from './pending-edges';
export type { EngineRebaselinePlan, EngineRebaselineReport, ObjectOutcome } from './types';
