export * from './dynamo-table';
export * from './errors';
export * from './memory-table';
export * from './state-file';
export * from './types';
