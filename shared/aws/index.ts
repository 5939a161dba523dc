export { DeadLetterQueue } from './dead-letters';
export { type DeadlineOptions, InvocationDeadline } from './deadline';
export { DYNAMO_CLIENT_CONFIG, DynamoTable } from './dynamo-table';
export { lambdaEnvironment } from './environment';
export { processObjectRecord, smallestFirst } from './object-records';
export { QueueDepths } from './queue-depths';
export { parseS3Uri, s3ListFetcher } from './s3-source';
export { scheduleTime } from './schedule-event';
export { SnsPublisher } from './sns-publisher';
export {
  S3ListStore,
  STALE_LISTS_METRIC,
  THREAT_LIST_FETCH_SERVICE,
  THREAT_LIST_PREFIX,
  threatListEnvironment,
  threatListKey,
} from './threat-list-store';
