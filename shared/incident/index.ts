export { DailyCounts } from './daily-counts';
export { buildDigest, digestMessage, type LearningLine } from './digest';
export { renderDigestEmail, renderDigestSubject } from './digest-render';
export { MessageDelivery, type MessageDeliveryOptions } from './message-delivery';
export * from './sink';
export type * from './types';
