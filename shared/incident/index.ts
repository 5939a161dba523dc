export * from './sink';
export type * from './types';
