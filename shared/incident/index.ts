export { IncidentBook, IncidentNotFoundError, type LifecycleChange, type ToRecord } from './book';
export { because, keysOf } from './keys';
export { IncidentsBusyError } from './lock';
export { incidentJson, renderEmail, renderSubject, toChatNotification } from './render';
export * from './sink';
export {
  SuppressionError,
  SuppressionMatcher,
  SuppressionStore,
  type SuppressionView,
} from './suppressions';
export { tacticOf } from './tactics';
export type * from './types';
