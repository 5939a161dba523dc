export { incidentJson, renderEmail, renderSubject, toChatNotification } from './render';
export * from './sink';
export type * from './types';
