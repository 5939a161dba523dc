export { IncidentBook, IncidentNotFoundError } from './book';
export { DailyCounts } from './daily-counts';
export { buildDigest, digestMessage, type LearningLine } from './digest';
export { keysOf } from './keys';
export { IncidentsBusyError } from './lock';
export { MessageDelivery, MessageDeliveryError, type MessageDeliveryOptions, Retries } from './message-delivery';
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
