import { shardOf, stableHash } from '../util/hash';

/**
 * The single-table layout. Every key is built here.
 *
 * | pk                              | sk                          | what                                  |
 * |---------------------------------|-----------------------------|---------------------------------------|
 * | `SCOPES`                        | scope                       | registry of scopes (clusters, VPCs)   |
 * | `SCOPE#<scope>`                 | `META`                      | first event time, pending days        |
 * | `OBS#<scope>#<day>#<shard>`     | `<kind>#<value>#<objectId>` | one object's observations of one day  |
 * | `BL#<scope>#<kind>`             | value                       | baseline entry                        |
 * | `DEDUPE#<ruleId>#<hash>`        | `WINDOW`                    | alert dedupe window                   |
 * | `OBJECT#<objectId>`             | `DONE`                      | processed-object marker               |
 */
export const OBSERVATION_SHARDS = 8;

/** Sort keys are limited to 1 KB; long values are stored by hash and kept in an attribute. */
const MAX_VALUE_KEY = 512;

export function valueKey(value: string): string {
  return value.length <= MAX_VALUE_KEY ? value : `#${stableHash(value)}`;
}

export const keys = {
  scopes: () => 'SCOPES',
  scopeMeta: (scope: string) => ({ pk: `SCOPE#${scope}`, sk: 'META' }),
  observationPartition: (scope: string, day: string, shard: number) => `OBS#${scope}#${day}#${shard}`,
  observation: (scope: string, day: string, kind: string, value: string, objectId: string) => {
    const v = valueKey(value);
    return {
      pk: keys.observationPartition(scope, day, shardOf(`${kind}#${v}`, OBSERVATION_SHARDS)),
      sk: `${kind}#${v}#${objectId}`,
    };
  },
  baselinePartition: (scope: string, kind: string) => `BL#${scope}#${kind}`,
  baseline: (scope: string, kind: string, value: string) => ({
    pk: keys.baselinePartition(scope, kind),
    sk: valueKey(value),
  }),
  dedupe: (ruleId: string, dedupeKey: string) => ({
    pk: `DEDUPE#${ruleId}#${stableHash(dedupeKey)}`,
    sk: 'WINDOW',
  }),
  object: (objectId: string) => ({ pk: `OBJECT#${objectId}`, sk: 'DONE' }),
};
