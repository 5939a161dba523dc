import { isDeepStrictEqual } from 'node:util';
import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { type Config, ConfigSchema, sourceBuckets } from '../shared/config';

/**
 * The config the functions receive in `DRIFTWATCH_CONFIG`, as a CloudFormation string: only what
 * the runtime reads and what differs from the defaults. Lambda caps a function's environment at
 * 4 KB, and the defaults alone fill half of it; ten clusters' buckets, keys and ranges would not
 * fit beside them. The runtime parses it with the same schema, so it gets the same config back.
 */
export function runtimeConfigJson(scope: IConstruct, config: Config): string {
  return Stack.of(scope).toJsonString(withoutDefaults(runtimeView(config)));
}

/**
 * The sources as the runtime reads them: the prefixes (an object's key proposes its kind) under
 * their bucket names. Accounts and keys are for the stack's policies only.
 */
function runtimeView(config: Config): Config {
  const lean = (kind: 'audit' | 'flow') => {
    const { account: _account, kmsKeyArn: _key, buckets, ...rest } = config.sources[kind];
    if (!buckets) return rest;
    return {
      ...rest,
      buckets: sourceBuckets(config, kind).map(({ bucketName = '', prefix }) => ({ bucketName, prefix })),
    };
  };
  return { ...config, sources: { audit: lean('audit'), flow: lean('flow') } };
}

/**
 * The config with every key left out that the schema restores as it was: each key is tried
 * without, depth first, and stays out only when parsing gives back the very same config. Checked
 * rather than assumed, so that a default that depends on its siblings is never lost.
 */
function withoutDefaults(config: Config): Record<string, unknown> {
  const lean = structuredClone(config) as unknown as Record<string, unknown>;
  const restores = (): boolean => {
    const parsed = ConfigSchema.safeParse(lean);
    return parsed.success && isDeepStrictEqual(parsed.data, config);
  };
  const visit = (node: Record<string, unknown>): void => {
    for (const key of Object.keys(node)) {
      const value = node[key];
      delete node[key];
      if (restores()) continue;
      node[key] = value;
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        visit(value as Record<string, unknown>);
      }
    }
  };
  if (!restores()) return lean;
  visit(lean);
  return lean;
}
