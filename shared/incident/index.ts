export * from './sink';
export {
  SuppressionError,
  SuppressionMatcher,
  SuppressionStore,
  type SuppressionView,
} from './suppressions';
export type * from './types';
