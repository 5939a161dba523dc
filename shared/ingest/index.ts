export { readAuditObject } from './audit-reader';
export { GUNZIP_AHEAD, stoppedReading } from './decompress';
export { ReaderError } from './errors';
export { firstEventTime } from './first-event-time';
export {
  ActionCode,
  DEFAULT_FLOW_FORMAT,
  DirectionCode,
  FlowField,
  type FlowLine,
  NO_ADDRESS,
  NO_COUNT,
  readFlowLines,
  STACK_FLOW_FORMAT,
  STACK_FLOW_HEADER,
  type StackFlowField,
  TEXT_ADDRESS,
} from './flow-reader';
export {
  identifyObject,
  type LogKind,
  type ObjectFormat,
  type ObjectIdentity,
  type ObjectSource,
  readFlowSource,
  type SourcePrefixes,
} from './object-source';
export { mergeStats, newReadStats, type ReadStats, reject, totalRejected } from './stats';
export type { AuditEvent, AuditUser, FlowRecord, ObjectReference, Origin } from './types';
