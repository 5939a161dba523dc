import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { Config } from '../shared/config';
import { ConfigError, defaultConfig, fetchedLists, loadConfigFile } from '../shared/config';

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

/** The bucket name each source reads from; undefined means the one bucket the stack creates. */
function bucketOf(config: Config, source: 'audit' | 'flow'): string | undefined {
  return config.sources[source].bucketName;
}

/**
 * Cross-field rules the schema cannot express but a deployment needs. Each message names the key
 * to fix, like the schema's own messages.
 */
export function checkDeployable(config: Config, baseDir: string, where: string): void {
  const fail = (message: string): never => {
    throw new ConfigError(`${where}: ${message}`);
  };
  const { audit, flow } = config.sources;
  if (bucketOf(config, 'audit') === bucketOf(config, 'flow') && prefixesOverlap(audit.prefix, flow.prefix)) {
    fail(
      `sources.audit.prefix "${audit.prefix}" and sources.flow.prefix "${flow.prefix}" overlap in the same bucket; ` +
        'S3 cannot notify two queues for one object. Use distinct prefixes such as "audit/" and "flow/"',
    );
  }
  if (config.plumbing.eksClusterName !== undefined) {
    if (prefixesOverlap(FIREHOSE_ERROR_PREFIX, audit.prefix)) {
      fail(
        `sources.audit.prefix "${audit.prefix}" would contain Firehose's error output (${FIREHOSE_ERROR_PREFIX}); ` +
          'use a prefix such as "audit/" with plumbing.eksClusterName',
      );
    }
    if (bucketOf(config, 'audit') === bucketOf(config, 'flow') && prefixesOverlap(FIREHOSE_ERROR_PREFIX, flow.prefix)) {
      fail(
        `sources.flow.prefix "${flow.prefix}" would contain Firehose's error output (${FIREHOSE_ERROR_PREFIX}); ` +
          'use a prefix such as "flow/" with plumbing.eksClusterName',
      );
    }
  }
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
