export { addCounts } from './counts';
export { DistinctKeys } from './distinct-keys';
export { GlobSet } from './glob';
export { shardOf, stableHash } from './hash';
export { chunksOf, mapLimit } from './pool';
export { printable, redact } from './redact';
export { DAY_MS, dayOf, dayStart, epochSeconds, HOUR_MS, iso, MINUTE_MS } from './time';
