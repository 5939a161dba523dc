export * from './errors';
export { keys, OBSERVATION_SHARDS, pendingRowsOf, valueKey } from './keys';
export { ObjectLedger } from './ledger';
export * from './memory-table';
export { type PackedRow, packedItems, packedRowsIn, packRows, unpackRows } from './packing';
export * from './state-file';
export * from './types';
