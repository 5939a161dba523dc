export { IncidentBook, IncidentNotFoundError, type LifecycleChange, type ToRecord } from './book';
export { because, keysOf } from './keys';
export { IncidentsBusyError } from './lock';
export * from './sink';
export { tacticOf } from './tactics';
export {
  SuppressionError,
  SuppressionMatcher,
  SuppressionStore,
  type SuppressionView,
} from './suppressions';
export type * from './types';
