import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_FILE, loadDeployConfig, parseDigestEmails } from '../../infra/config';
import { ConfigError } from '../../shared/config/errors';
import { FIXTURES } from './synth';

const PROJECT_ROOT = join(import.meta.dirname, '..', '..');

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'driftwatch-config-'));
}

function writeConfig(dir: string, config: unknown, name = 'driftwatch.config.json'): string {
  const path = join(dir, name);
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config));
  return path;
}

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadDeployConfig', () => {
  it('uses every default without a context value or a driftwatch.config.json', () => {
    const loaded = loadDeployConfig(undefined, tempDir());
    expect(loaded.file).toBeUndefined();
    expect(loaded.config.sources).toEqual({ audit: { prefix: 'audit/' }, flow: { prefix: 'flow/' } });
    expect(loaded.config.rebaseline).toEqual({ schedule: 'cron(0 0 * * ? *)', retentionDays: 90, maxConcurrency: 10 });
  });

  it('reads driftwatch.config.json from the working directory when no file is named', () => {
    const dir = tempDir();
    writeConfig(dir, { clusterName: 'from-cwd' }, DEFAULT_CONFIG_FILE);
    expect(loadDeployConfig(undefined, dir).config.clusterName).toBe('from-cwd');
  });

  it('prefers the file named in context, relative to the working directory', () => {
    const dir = tempDir();
    writeConfig(dir, { clusterName: 'from-cwd' }, DEFAULT_CONFIG_FILE);
    writeConfig(dir, { clusterName: 'named' }, 'other.json');
    const loaded = loadDeployConfig('other.json', dir);
    expect(loaded.config.clusterName).toBe('named');
    expect(loaded.baseDir).toBe(dir);
  });

  it.each([
    ['an invalid value', join(FIXTURES, 'bad-key.config.json'), /alerts\.emails\[0\]\.minSeverity: /],
    ['a missing file', join(FIXTURES, 'nope.json'), /cannot read config file .*nope\.json/],
  ])('reports %s as one ConfigError line', (_what, file, message) => {
    const error = configError(() => loadDeployConfig(file, tempDir()));
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
  });

  it('reports JSON syntax errors as one line', () => {
    const dir = tempDir();
    const error = configError(() => loadDeployConfig(writeConfig(dir, '{ "clusterName": '), dir));
    expect(error.message).toMatch(/is not valid JSON/);
    expect(error.message).not.toContain('\n');
  });

  it.each([
    [
      'overlapping prefixes in one bucket',
      { sources: { audit: { prefix: 'logs/' }, flow: { prefix: 'logs/flow/' } } },
      /sources\.audit\.prefix "logs\/" and sources\.flow\.prefix "logs\/flow\/" overlap/,
    ],
    [
      'an empty prefix beside another in one bucket',
      { sources: { audit: { prefix: '' }, flow: { prefix: 'flow/' } } },
      /overlap in the same bucket/,
    ],
    [
      'an audit prefix that would hold Firehose errors',
      {
        sources: { audit: { bucketName: 'audit-bucket', prefix: '' }, flow: { prefix: 'flow/' } },
        plumbing: { eksClusterName: 'prod' },
      },
      /sources\.audit\.prefix "" would contain Firehose's error output/,
    ],
    [
      'a flow prefix in the same bucket that would hold Firehose errors',
      { sources: { flow: { prefix: 'firehose-errors/flow/' } }, plumbing: { eksClusterName: 'prod' } },
      /sources\.flow\.prefix "firehose-errors\/flow\/" would contain Firehose's error output/,
    ],
    [
      'an email listed twice',
      { alerts: { emails: [{ address: 'a@example.com' }, { address: 'A@example.com', minSeverity: 'high' }] } },
      /alerts\.emails\[1\]\.address: A@example\.com is listed twice/,
    ],
    [
      'a VPC listed twice',
      { plumbing: { vpcIds: ['vpc-0abc', 'vpc-0abc'] } },
      /plumbing\.vpcIds\[1\]: vpc-0abc is listed twice/,
    ],
    [
      'a threat list that does not exist',
      { threatIntel: { sources: [{ path: 'lists/missing.txt' }] } },
      /threatIntel\.sources\[0\]\.path: no such file .*lists\/missing\.txt/,
    ],
    [
      'a fetched list named twice',
      { threatIntel: { fetch: { lists: ['tor-exit', { name: 'tor-exit', url: 'https://example.com/tor.txt' }] } } },
      /threatIntel\.fetch\.lists\[1\]: the list "tor-exit" is listed twice/,
    ],
    [
      'a fetched list the fetcher does not know',
      { threatIntel: { fetch: { enabled: true, lists: ['tor'] } } },
      /threatIntel\.fetch\.lists\[0\]: must be one of "tor-exit", "firehol-level1", "spamhaus-drop", or \{ "name"/,
    ],
    [
      'a fetched list over plain HTTP',
      { threatIntel: { fetch: { lists: [{ name: 'mining-pools', url: 'http://example.com/pools.txt' }] } } },
      /threatIntel\.fetch\.lists\[0\]\.url: must be an https:\/\/ URL/,
    ],
    [
      'a rebaseline concurrency of zero',
      { rebaseline: { maxConcurrency: 0 } },
      /rebaseline\.maxConcurrency: must be at least 1/,
    ],
    [
      'a rebaseline concurrency that is not a whole number',
      { rebaseline: { maxConcurrency: 2.5 } },
      /rebaseline\.maxConcurrency: must be a whole number of work items run at once/,
    ],
    [
      'a rebaseline concurrency given as text',
      { rebaseline: { maxConcurrency: '10' } },
      /rebaseline\.maxConcurrency: must be a whole number of work items run at once/,
    ],
    [
      'a fetch schedule that is not an EventBridge expression',
      { threatIntel: { fetch: { schedule: 'every 6 hours' } } },
      /threatIntel\.fetch\.schedule.*EventBridge expression/,
    ],
    [
      'a stale limit of no hours',
      { threatIntel: { fetch: { staleAfterHours: 0 } } },
      /threatIntel\.fetch\.staleAfterHours: must be more than 0 hours, e\.g\. 24/,
    ],
    [
      'a stale limit that is not a number',
      { threatIntel: { fetch: { staleAfterHours: '12h' } } },
      /threatIntel\.fetch\.staleAfterHours: must be a number of hours, e\.g\. 24/,
    ],
  ])('rejects %s with one line naming the key', (_what, config, message) => {
    const dir = tempDir();
    const error = configError(() => loadDeployConfig(writeConfig(dir, config), dir));
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
  });

  it('accepts the same prefix in two different imported buckets', () => {
    const dir = tempDir();
    const config = {
      sources: { audit: { bucketName: 'one-bucket', prefix: '' }, flow: { bucketName: 'two-bucket', prefix: '' } },
    };
    expect(() => loadDeployConfig(writeConfig(dir, config), dir)).not.toThrow();
  });

  it('leaves the threat-list fetcher off by default, with the three public lists ready', () => {
    const loaded = loadDeployConfig(undefined, tempDir());
    expect(loaded.config.threatIntel.fetch).toEqual({
      enabled: false,
      lists: ['tor-exit', 'firehol-level1', 'spamhaus-drop'],
      schedule: 'rate(6 hours)',
      maxShrinkPercent: 50,
    });
  });

  it('resolves relative threat-list paths against the config file folder', () => {
    const loaded = loadDeployConfig(join(FIXTURES, 'full.config.json'), tempDir());
    expect(loaded.baseDir).toBe(FIXTURES);
  });
});

describe('parseDigestEmails', () => {
  it('reads addresses separated by commas (-c digestEmails=...) or a list (cdk.json), and none when unset', () => {
    expect(parseDigestEmails(' a@example.com, b@example.com ,')).toEqual(['a@example.com', 'b@example.com']);
    expect(parseDigestEmails(['a@example.com'])).toEqual(['a@example.com']);
    expect(parseDigestEmails(undefined)).toEqual([]);
  });

  it.each([
    ['not an address', 'a@example.com,nobody', /"nobody" is not an email address/],
    ['listed twice', 'a@example.com,A@example.com', /A@example.com is listed twice/],
    ['not text', 42, /must be addresses separated by commas/],
    ['a list of other things', ['a@example.com', 1], /must be addresses separated by commas/],
  ])('refuses a value %s with one line that names it', (_name, value, message) => {
    expect(configError(() => parseDigestEmails(value)).message).toMatch(message);
  });
});

describe('infra/app.ts', () => {
  it('stops on a bad config with one line on stderr and exit status 1', () => {
    // Prepare: the CDK CLI hands context to the app in CDK_CONTEXT_JSON.
    const outdir = tempDir();
    // Act
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ config: join(FIXTURES, 'bad-key.config.json') }),
        CDK_OUTDIR: outdir,
      },
      encoding: 'utf8',
    });
    // Assess
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^driftwatch: .*bad-key\.config\.json: alerts\.emails\[0\]\.minSeverity: /);
  }, 60_000);
});
