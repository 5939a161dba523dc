export { Engine, type EngineOptions } from './engine';
export type { EngineRebaselineReport, NetworkOutcome, ObjectOutcome } from './types';
