export { AlertDeduper } from './dedupe';
export type { BaselineContext, Endpoint, Entities, Finding, FindingRoles, FindingSource } from './finding';
export { Outbox, type OutboxEntry } from './outbox';
