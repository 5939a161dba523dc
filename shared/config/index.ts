export * from './errors';
export * from './load';
export * from './public-lists';
export * from './schema';
export * from './source-buckets';
