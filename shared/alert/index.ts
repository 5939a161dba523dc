export { AlertDeduper } from './dedupe';
export type { BaselineContext, Entities, Finding, FindingSource } from './finding';
export { renderEmail, renderSubject } from './render';
export { type AlertSink, CollectingSink, FanOutSink } from './sink';
