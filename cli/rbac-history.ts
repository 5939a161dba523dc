import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type Command, Option } from 'commander';
import { RbacTrail, type RbacTrailEntry } from '../shared/record';
import { loadStateDir } from '../shared/store';
import { printable } from '../shared/util';
import { analyze } from './analyze';
import { dynamoTable } from './dynamo';
import { UsageError } from './errors';

export interface RbacHistoryOptions {
  /** Object name, `namespace/name`, or a glob of either. */
  name?: string;
  /** The embedded store of `driftwatch analyze --state DIR`. */
  stateDir?: string;
  /** The deployed stack's DynamoDB state table, read with the caller's AWS credentials. */
  tableName?: string;
  /** Log files or folders to analyze first (into `stateDir`, or a temporary store). */
  analyzePaths?: string[];
  configPath?: string;
  cluster?: string;
  /** ISO-8601 date or time: only changes from then on. */
  since?: string;
  /** Include writes that changed nothing (re-applies). @default false */
  all?: boolean;
  format: 'table' | 'json';
  stdout: Writable;
  stderr: Writable;
}

const nowhere = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

/**
 * `driftwatch rbac-history [NAME]`: prints the RBAC change trail (who changed which Role,
 * ClusterRole, binding or aws-auth mapping, when, from where, and the lines that changed). It
 * reads what `analyze` recorded in the embedded store, or the deployed table, with the same
 * code the Lambdas write it with.
 */
export async function rbacHistory(options: RbacHistoryOptions): Promise<number> {
  if (options.stateDir && options.tableName) throw new UsageError('give --state or --table, not both');
  const paths = options.analyzePaths ?? [];
  if (!options.stateDir && !options.tableName && paths.length === 0) {
    throw new UsageError(
      'rbac-history needs the store to read: --state DIR (the folder given to analyze --state), --table NAME ' +
        '(the deployed state table), or --analyze PATH... to analyze logs first',
    );
  }
  if (options.tableName && paths.length > 0) throw new UsageError('--analyze writes to --state, not to --table');
  let since: number | undefined;
  if (options.since !== undefined) {
    since = Date.parse(options.since);
    if (!Number.isFinite(since)) throw new UsageError(`--since ${options.since} is not a date such as 2026-11-09`);
  }

  let temporary: string | undefined;
  try {
    let stateDir = options.stateDir;
    if (paths.length > 0) {
      stateDir ??= temporary = mkdtempSync(join(tmpdir(), 'driftwatch-rbac-'));
      await analyze({
        paths,
        configPath: options.configPath,
        stateDir,
        format: 'json',
        stdout: nowhere(),
        stderr: options.stderr,
      });
    }
    const table = options.tableName ? await dynamoTable(options.tableName) : await loadStateDir(stateDir as string);
    const entries = await new RbacTrail(table).history({
      clusters: options.cluster ? [options.cluster] : undefined,
      name: options.name,
      since,
      includeUnchanged: options.all,
    });
    if (options.format === 'json') {
      for (const entry of entries) options.stdout.write(`${JSON.stringify(entry)}\n`);
    } else if (entries.length === 0) {
      options.stdout.write(`No RBAC changes recorded${options.name ? ` for ${printable(options.name)}` : ''}.\n`);
    } else {
      for (const entry of entries) options.stdout.write(formatEntry(entry));
    }
    return 0;
  } finally {
    if (temporary) rmSync(temporary, { recursive: true, force: true });
  }
}

/** One change: a header line (when, where, what, who), then the lines added and removed. */
export function formatEntry(entry: RbacTrailEntry): string {
  const object = `${entry.kind} ${entry.namespace ? `${entry.namespace}/` : ''}${entry.name}`;
  const who = `${entry.user}${entry.impersonatedBy ? ` (impersonated by ${entry.impersonatedBy})` : ''}`;
  const from = entry.sourceIps.length ? ` from ${entry.sourceIps.join(', ')}` : '';
  const lines = [
    printable(
      `${new Date(entry.time).toISOString().slice(0, 19).replace('T', ' ')}  ${entry.cluster}  ${entry.verb} ${object}  by ${who}${from}`,
      400,
    ),
  ];
  if (!entry.diff) {
    lines.push('    (content not in the log: the audit policy logged this write at Metadata level)');
  } else if (entry.unchanged) {
    lines.push('    (no change: the same content applied again)');
  } else {
    if (entry.first && entry.verb !== 'create')
      lines.push('    (first version seen: no earlier version to compare with)');
    for (const line of entry.diff.removed) lines.push(`    - ${printable(line, 300)}`);
    for (const line of entry.diff.added) lines.push(`    + ${printable(line, 300)}`);
    if (entry.diff.added.length === 0 && entry.diff.removed.length === 0) lines.push('    (no content)');
  }
  return `${lines.join('\n')}\n`;
}

interface Flags {
  state?: string;
  table?: string;
  analyze?: string[];
  config?: string;
  cluster?: string;
  since?: string;
  all?: boolean;
  format: 'table' | 'json';
}

/** Adds `rbac-history` to the CLI. */
export function registerRbacHistory(cli: Command): void {
  cli
    .command('rbac-history')
    .description(
      'Print the RBAC change trail: every change of a Role, ClusterRole, binding or the aws-auth ConfigMap, ' +
        'who made it, when, and the lines that changed.',
    )
    .argument('[NAME]', 'object name, namespace/name, or a glob (payments-*); all objects when absent')
    .option('--state <DIR>', 'embedded store to read (the folder given to analyze --state)')
    .option('--table <NAME>', "the deployed stack's DynamoDB state table (uses your AWS credentials)")
    .option('--analyze <PATH...>', 'analyze these log files or folders first (into --state, else a temporary store)')
    .option('--config <FILE>', 'config file for --analyze')
    .option('--cluster <NAME>', 'only this cluster')
    .option('--since <TIME>', 'only changes from this date or time on (ISO-8601)')
    .option('--all', 'also list writes that changed nothing (re-applies by controllers and pipelines)')
    .addOption(new Option('--format <FORMAT>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (name: string | undefined, flags: Flags) => {
      process.exitCode = await rbacHistory({
        name,
        stateDir: flags.state,
        tableName: flags.table,
        analyzePaths: flags.analyze,
        configPath: flags.config,
        cluster: flags.cluster,
        since: flags.since,
        all: flags.all,
        format: flags.format,
        stdout: process.stdout,
        stderr: process.stderr,
      });
    });
}
