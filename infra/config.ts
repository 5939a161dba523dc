import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { Config } from '../shared/config';
import {
  ConfigError,
  defaultConfig,
  fetchedLists,
  type LogSourceKind,
  loadConfigFile,
  type SourceBucket,
  sourceBuckets,
} from '../shared/config';

/** The file the app reads when no `-c config=...` is given, relative to the working directory. */
export const DEFAULT_CONFIG_FILE = 'driftwatch.config.json';

/** Where Firehose writes records it could not deliver; it must stay outside the log prefixes. */
export const FIREHOSE_ERROR_PREFIX = 'firehose-errors/';

/** A validated config plus what the stack needs to know about where it came from. */
export interface DeployConfig {
  readonly config: Config;
  /** The config file that was read, or undefined when every default applies. */
  readonly file: string | undefined;
  /** Relative threat-list paths resolve against this folder (the config file's, as in the CLI). */
  readonly baseDir: string;
}

/**
 * Reads the deploy config: the file named by the `config` context value, else
 * `driftwatch.config.json` in `cwd` when it exists, else all defaults. Throws {@link ConfigError}
 * with a one-line message on anything the stack could not deploy.
 */
export function loadDeployConfig(contextValue: unknown, cwd: string = process.cwd()): DeployConfig {
  if (contextValue !== undefined && typeof contextValue !== 'string') {
    throw new ConfigError('context value "config" must be a file path, e.g. -c config=driftwatch.config.json');
  }
  const fallback = resolve(cwd, DEFAULT_CONFIG_FILE);
  const file = contextValue ? resolve(cwd, contextValue) : existsSync(fallback) ? fallback : undefined;
  const config = file ? loadConfigFile(file) : defaultConfig();
  const baseDir = file ? dirname(file) : cwd;
  checkDeployable(config, baseDir, file ?? 'defaults');
  return { config, file, baseDir };
}

/** True when one S3 key prefix contains the other (the empty prefix contains every key). */
export function prefixesOverlap(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

/** One configured bucket and prefix, with the config path a message about it names. */
interface PlacedBucket extends SourceBucket {
  readonly kind: LogSourceKind;
  /** `sources.audit` (one bucket) or `sources.audit.buckets[2]` (the list form). */
  readonly path: string;
}

/** Every bucket and prefix of both sources, each with its config path. */
function placedBuckets(config: Config): PlacedBucket[] {
  return (['audit', 'flow'] as const).flatMap((kind) => {
    const listed = config.sources[kind].buckets !== undefined;
    return sourceBuckets(config, kind).map((bucket, i) => ({
      ...bucket,
      kind,
      path: listed ? `sources.${kind}.buckets[${i}]` : `sources.${kind}`,
    }));
  });
}

/** How a message names a bucket: the created one has no name in the config. */
function bucketLabel(bucket: SourceBucket): string {
  return bucket.bucketName === undefined ? 'the created log bucket' : `bucket ${bucket.bucketName}`;
}

/**
 * The sources' buckets: each bucket and prefix once, no prefix inside another in one bucket (S3
 * sends an object's notification to one destination, and one object must be read once), one owner
 * per bucket, and an account or key only on a bucket the config names.
 */
function checkSourceBuckets(buckets: readonly PlacedBucket[], fail: (message: string) => never): void {
  buckets.forEach((bucket, i) => {
    if (bucket.bucketName === undefined) {
      for (const key of ['account', 'kmsKeyArn'] as const) {
        if (bucket[key] !== undefined) {
          fail(
            `${bucket.path}.${key}: only an existing bucket has an owner or a key of its own; ` +
              'give bucketName too, or leave it out for the bucket the stack creates',
          );
        }
      }
    }
    for (const other of buckets.slice(0, i)) {
      if (other.bucketName !== bucket.bucketName) continue;
      if (other.prefix === bucket.prefix) {
        fail(
          `${bucket.path}: ${bucketLabel(bucket)} with prefix "${bucket.prefix}" is already listed as ${other.path}; list each bucket and prefix once`,
        );
      }
      if (prefixesOverlap(other.prefix, bucket.prefix)) {
        fail(
          `${other.path}.prefix "${other.prefix}" and ${bucket.path}.prefix "${bucket.prefix}" overlap in the same bucket; ` +
            'S3 cannot notify two queues for one object, and an object must be read once. ' +
            'Use distinct prefixes such as "audit/" and "flow/"',
        );
      }
      if (other.account !== bucket.account) {
        fail(
          `${bucket.path}.account: ${bucketLabel(bucket)} has account ${bucket.account ?? '(this one)'} here but ` +
            `${other.account ?? '(this one)'} in ${other.path}; a bucket has one owner`,
        );
      }
    }
  });
}

/**
 * The plumbing writes into the one bucket of its source, in this account, beside Firehose's error
 * output: with buckets in other accounts, each cluster's account delivers its own logs.
 */
function checkPlumbing(config: Config, buckets: readonly PlacedBucket[], fail: (message: string) => never): void {
  const { eksClusterName, vpcIds } = config.plumbing;
  const only = (kind: LogSourceKind, key: string): PlacedBucket => {
    const mine = buckets.filter((b) => b.kind === kind);
    const [first] = mine;
    if (!first || mine.length > 1 || first.account !== undefined) {
      fail(
        `${key} writes to one ${kind} bucket in this account; with sources.${kind}.buckets or an account, ` +
          `leave ${key} out and deliver each cluster's logs in its own account (docs/MULTI-ACCOUNT.md)`,
      );
    }
    return first as PlacedBucket;
  };
  if (vpcIds.length > 0) only('flow', 'plumbing.vpcIds');
  if (eksClusterName === undefined) return;
  const audit = only('audit', 'plumbing.eksClusterName');
  if (prefixesOverlap(FIREHOSE_ERROR_PREFIX, audit.prefix)) {
    fail(
      `sources.audit.prefix "${audit.prefix}" would contain Firehose's error output (${FIREHOSE_ERROR_PREFIX}); ` +
        'use a prefix such as "audit/" with plumbing.eksClusterName',
    );
  }
  for (const flow of buckets.filter((b) => b.kind === 'flow')) {
    if (flow.bucketName === audit.bucketName && prefixesOverlap(FIREHOSE_ERROR_PREFIX, flow.prefix)) {
      fail(
        `${flow.path}.prefix "${flow.prefix}" would contain Firehose's error output (${FIREHOSE_ERROR_PREFIX}); ` +
          'use a prefix such as "flow/" with plumbing.eksClusterName',
      );
    }
  }
}

/**
 * Cross-field rules the schema cannot express but a deployment needs. Each message names the key
 * to fix, like the schema's own messages.
 */
export function checkDeployable(config: Config, baseDir: string, where: string): void {
  const fail = (message: string): never => {
    throw new ConfigError(`${where}: ${message}`);
  };
  const buckets = placedBuckets(config);
  checkSourceBuckets(buckets, fail);
  checkPlumbing(config, buckets, fail);
  const seenEmails = new Set<string>();
  config.alerts.emails.forEach((email, i) => {
    const key = email.address.toLowerCase();
    if (seenEmails.has(key)) fail(`alerts.emails[${i}].address: ${email.address} is listed twice`);
    seenEmails.add(key);
  });
  const seenVpcs = new Set<string>();
  config.plumbing.vpcIds.forEach((vpcId, i) => {
    if (seenVpcs.has(vpcId)) fail(`plumbing.vpcIds[${i}]: ${vpcId} is listed twice`);
    seenVpcs.add(vpcId);
  });
  const seenLists = new Set<string>();
  fetchedLists(config.threatIntel.fetch.lists).forEach(({ name }, i) => {
    if (seenLists.has(name)) fail(`threatIntel.fetch.lists[${i}]: the list "${name}" is listed twice`);
    seenLists.add(name);
  });
  config.threatIntel.sources.forEach((source, i) => {
    if (!('path' in source)) return;
    const path = isAbsolute(source.path) ? source.path : resolve(baseDir, source.path);
    if (!existsSync(path) || !statSync(path).isFile()) {
      fail(`threatIntel.sources[${i}].path: no such file ${path} (relative paths start at the config file's folder)`);
    }
  });
}

/** The absolute path of a threat list given as a local path. */
export function resolveListPath(path: string, baseDir: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/**
 * The addresses of the context value `digestEmails`: a comma-separated string
 * (`-c digestEmails=a@example.com,b@example.com`) or a list (in cdk.json). Throws
 * {@link ConfigError} naming an address that is not one.
 */
export function parseDigestEmails(contextValue: unknown): string[] {
  if (contextValue === undefined) return [];
  const list = typeof contextValue === 'string' ? contextValue.split(',') : contextValue;
  if (!Array.isArray(list) || !list.every((a) => typeof a === 'string')) {
    throw new ConfigError('context value "digestEmails" must be addresses separated by commas, or a list of them');
  }
  const addresses = list.map((a) => a.trim()).filter((a) => a.length > 0);
  const seen = new Set<string>();
  for (const address of addresses) {
    if (!z.email().safeParse(address).success) {
      throw new ConfigError(`context value "digestEmails": "${address}" is not an email address`);
    }
    if (seen.has(address.toLowerCase()))
      throw new ConfigError(`context value "digestEmails": ${address} is listed twice`);
    seen.add(address.toLowerCase());
  }
  return addresses;
}
