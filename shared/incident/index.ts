export { IncidentBook, IncidentNotFoundError } from './book';
export { keysOf } from './keys';
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
