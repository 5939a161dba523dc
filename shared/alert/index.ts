export { AlertDeduper } from './dedupe';
export type { BaselineContext, Endpoint, Entities, Finding, FindingRoles, FindingSource } from './finding';
export { renderEmail, renderSubject } from './render';
export { type AlertSink, CollectingSink, FanOutSink } from './sink';
