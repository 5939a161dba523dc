import { userInfo } from 'node:os';
import type { Writable } from 'node:stream';
import { type Command, Option } from 'commander';
import type { SuppressionRule } from '../shared/config';
import { ALL_DETECTORS } from '../shared/detect';
import { SuppressionError, SuppressionStore, type SuppressionView } from '../shared/incident';
import { GlobSet, printable } from '../shared/util';
import { UsageError } from './errors';
import { openStore } from './store';

/** Where the suppressions are kept, and the config whose suppressions and limit apply. */
export interface SuppressStoreOptions {
  /** The embedded store of `driftwatch analyze --state DIR`. */
  stateDir?: string;
  /** The deployed stack's DynamoDB state table, written with the caller's AWS credentials. */
  tableName?: string;
  /** Its suppressions are listed, its ids taken, its `maxSuppressionDays` applies. */
  configPath?: string;
  stdout: Writable;
}

export interface SuppressAddOptions extends SuppressStoreOptions {
  id?: string;
  /** A detector id or a glob of ids. */
  rule?: string;
  /** `key=glob` (or `dstAddr=CIDR`), every one of which must match. */
  match?: string[];
  reason?: string;
  owner?: string;
  /** ISO-8601 date or time with a zone. */
  expires?: string;
  /** Who adds it. @default the OS user */
  by?: string;
}

export interface SuppressListOptions extends SuppressStoreOptions {
  /** Also expired and removed ones. @default false */
  all?: boolean;
  format: 'table' | 'json';
}

export interface SuppressRemoveOptions extends SuppressStoreOptions {
  id: string;
  reason?: string;
  /** Who removes it. @default the OS user */
  by?: string;
}

const EXPIRES_HINT = 'an ISO-8601 date such as 2027-01-31';

/** `driftwatch suppress add`: mutes the notification of matching findings until the expiry. */
export async function suppressAdd(options: SuppressAddOptions): Promise<number> {
  const rule = ruleOf(options);
  const by = whoIs(options.by);
  return withStore('add', options, async (store) => {
    await store.add(rule, by);
    options.stdout.write(`Added suppression ${rule.id}: ${describeMatch(rule)}; expires ${rule.expires}.\n`);
    return true;
  });
}

/** `driftwatch suppress list`: the suppressions in force (with `all`, also expired and removed ones). */
export async function suppressList(options: SuppressListOptions): Promise<number> {
  return withStore('list', options, async (store) => {
    const views = await store.list({ includeExpired: options.all, includeRemoved: options.all });
    if (options.format === 'json') {
      for (const view of views) options.stdout.write(`${JSON.stringify(view)}\n`);
    } else if (views.length === 0) {
      options.stdout.write(options.all ? 'No suppressions.\n' : 'No suppressions in force.\n');
    } else {
      options.stdout.write(formatViews(views));
    }
    return false;
  });
}

/** `driftwatch suppress remove ID`: ends a suppression now; it stays listed (`--all`) with who removed it and why. */
export async function suppressRemove(options: SuppressRemoveOptions): Promise<number> {
  if (options.reason === undefined) throw new UsageError('suppress remove needs --reason TEXT: say why it is removed');
  const by = whoIs(options.by);
  return withStore('remove', options, async (store) => {
    await store.remove(options.id, by, options.reason as string);
    options.stdout.write(`Removed suppression ${printable(options.id, 80)}.\n`);
    return true;
  });
}

/** `driftwatch suppress history`: every add and remove, oldest first. */
export async function suppressHistory(options: SuppressListOptions): Promise<number> {
  return withStore('history', options, async (store) => {
    const changes = await store.history();
    if (options.format === 'json') {
      for (const change of changes) options.stdout.write(`${JSON.stringify(change)}\n`);
    } else if (changes.length === 0) {
      options.stdout.write('No suppressions were added or removed.\n');
    } else {
      for (const c of changes) {
        options.stdout.write(
          `${printable(`${utc(c.at)}  ${c.action.padEnd(6)}  ${c.id}  by ${c.by}: ${c.reason}`, 400)}\n` +
            `    ${printable(describeMatch(c.rule), 400)}; expires ${printable(c.rule.expires, 40)}\n`,
        );
      }
    }
    return false;
  });
}

/**
 * Opens the store named by `--state` or `--table`, runs `work` on it, and saves an embedded store
 * when `work` says it changed something. Store refusals become one-line usage errors.
 */
async function withStore(
  command: string,
  options: SuppressStoreOptions,
  work: (store: SuppressionStore) => Promise<boolean>,
): Promise<number> {
  const { table, config, save } = await openStore(`suppress ${command}`, options);
  const store = new SuppressionStore(table, Date.now, {
    maxDays: config.maxSuppressionDays,
    config: config.suppressions,
  });
  let changed: boolean;
  try {
    changed = await work(store);
  } catch (error) {
    if (error instanceof SuppressionError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
  if (changed) await save();
  return 0;
}

/** The rule the flags describe, checked for what the store does not check (the rest it does). */
function ruleOf(options: SuppressAddOptions): SuppressionRule {
  if (options.id === undefined) throw new UsageError('suppress add needs --id ID, a name for it such as ci-scanner');
  if (options.reason === undefined)
    throw new UsageError('suppress add needs --reason TEXT: say why it is safe to mute');
  if (options.owner === undefined) throw new UsageError('suppress add needs --owner NAME: who answers for it');
  if (options.expires === undefined) {
    throw new UsageError(`suppress add needs --expires DATE, ${EXPIRES_HINT}; suppressions always end`);
  }
  if (options.rule !== undefined && !ALL_DETECTORS.some((d) => new GlobSet([options.rule as string]).matches(d.id))) {
    throw new UsageError(
      `--rule ${printable(options.rule, 80)} matches no detector id; use one from docs/DETECTIONS.md, such as net.new-port or net.*`,
    );
  }
  const entities: Record<string, string> = {};
  for (const pair of options.match ?? []) {
    const equals = pair.indexOf('=');
    const key = pair.slice(0, equals);
    const pattern = pair.slice(equals + 1);
    if (equals <= 0 || pattern.length === 0 || !/^[A-Za-z][A-Za-z0-9_]*$/.test(key)) {
      throw new UsageError(
        `--match ${printable(pair, 80)} is not KEY=GLOB; use e.g. --match namespace=payments or --match dstAddr=10.0.0.0/16`,
      );
    }
    if (key in entities) throw new UsageError(`--match names ${key} twice; give one pattern per key`);
    entities[key] = pattern;
  }
  if (options.rule === undefined && Object.keys(entities).length === 0) {
    throw new UsageError('say what to mute: --rule GLOB, --match KEY=GLOB, or both');
  }
  return {
    id: options.id,
    ...(options.rule === undefined ? {} : { ruleId: options.rule }),
    entities,
    reason: options.reason,
    owner: options.owner,
    expires: options.expires,
  };
}

/** `--by`, else the OS user, else `$USER`. */
function whoIs(by: string | undefined): string {
  if (by !== undefined) {
    if (by.trim() === '') throw new UsageError('--by is empty; give your name');
    return by;
  }
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry for this uid (a container): fall back to the environment.
  }
  user ||= process.env.USER;
  if (!user) throw new UsageError('cannot tell who you are; give --by NAME');
  return user;
}

/** `rule=net.* namespace=payments`. */
function describeMatch(rule: SuppressionRule): string {
  return [
    ...(rule.ruleId === undefined ? [] : [`rule=${rule.ruleId}`]),
    ...Object.entries(rule.entities).map(([key, pattern]) => `${key}=${pattern}`),
  ].join(' ');
}

/** `2027-01-31 00:00` (UTC) of an ISO date or time. */
function utc(time: string): string {
  const parsed = Date.parse(time);
  return Number.isFinite(parsed) ? new Date(parsed).toISOString().slice(0, 16).replace('T', ' ') : time;
}

function status(view: SuppressionView): string {
  if (view.removedAt !== undefined) return 'removed';
  return view.expired ? 'expired' : 'active';
}

/** A row per suppression (id, source, status, expiry, muted, owner, what it matches), then its reason and any removal. */
export function formatViews(views: readonly SuppressionView[]): string {
  const idWidth = Math.min(32, Math.max(2, ...views.map((v) => v.rule.id.length)));
  const ownerWidth = Math.min(24, Math.max(5, ...views.map((v) => v.rule.owner.length)));
  const header = [
    'ID'.padEnd(idWidth),
    'SOURCE',
    'STATUS ',
    'EXPIRES (UTC)   ',
    'MUTED',
    'OWNER'.padEnd(ownerWidth),
    'MATCHES',
  ].join('  ');
  const lines = [header];
  for (const view of views) {
    const { rule } = view;
    lines.push(
      printable(
        [
          rule.id.padEnd(idWidth),
          view.source.padEnd(6),
          status(view).padEnd(7),
          utc(rule.expires).padEnd(16),
          String(view.muted).padStart(5),
          rule.owner.padEnd(ownerWidth),
          describeMatch(rule),
        ].join('  '),
        600,
      ),
    );
    const added = view.createdAt ? `; added ${utc(view.createdAt)} by ${view.createdBy}` : '; from the config file';
    lines.push(`    ${printable(`reason: ${rule.reason}${added}`, 400)}`);
    if (view.removedAt !== undefined) {
      lines.push(`    ${printable(`removed ${utc(view.removedAt)} by ${view.removedBy}: ${view.removedReason}`, 400)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

interface StoreFlags {
  state?: string;
  table?: string;
  config?: string;
}

/** The flags name the options' fields, but for the store's. */
type AddFlags = StoreFlags & Omit<SuppressAddOptions, keyof SuppressStoreOptions>;
type ListFlags = StoreFlags & Omit<SuppressListOptions, keyof SuppressStoreOptions>;
type RemoveFlags = StoreFlags & Omit<SuppressRemoveOptions, keyof SuppressStoreOptions | 'id'>;

function storeOptions(command: Command): Command {
  return command
    .option('--state <DIR>', 'embedded store (the folder given to analyze --state)')
    .option('--table <NAME>', "the deployed stack's DynamoDB state table (uses your AWS credentials)")
    .option('--config <FILE>', 'config file: its suppressions are listed and its maxSuppressionDays applies');
}

function storeOf(flags: StoreFlags) {
  return { stateDir: flags.state, tableName: flags.table, configPath: flags.config, stdout: process.stdout };
}

/** Adds `suppress add|list|remove|history` to the CLI. */
export function registerSuppress(cli: Command): void {
  const suppress = cli
    .command('suppress')
    .description(
      'Mute the notification of findings that match a reviewed rule until it expires; the findings are still recorded and still join incidents.',
    );
  storeOptions(
    suppress
      .command('add')
      .description('Add a suppression: what it matches, why, whose it is, and when it ends.')
      .option('--id <ID>', 'its name: letters, digits, dot, dash or underscore')
      .option('--rule <GLOB>', 'a detector id or a glob of ids (net.new-*)')
      .option(
        '--match <KEY=GLOB...>',
        'entity patterns, all of which must match: user, namespace, image, name, workload, resource, registry, groups, any entity; srcAddr, dstAddr and sourceIps also take CIDRs',
      )
      .option('--reason <TEXT>', 'why muting is safe')
      .option('--owner <NAME>', 'who answers for it')
      .option('--expires <DATE>', `when it ends: ${EXPIRES_HINT} (at most maxSuppressionDays away, 90 by default)`)
      .option('--by <NAME>', 'who adds it (default: your OS user)'),
  ).action(async (flags: AddFlags) => {
    process.exitCode = await suppressAdd({
      ...storeOf(flags),
      id: flags.id,
      rule: flags.rule,
      match: flags.match,
      reason: flags.reason,
      owner: flags.owner,
      expires: flags.expires,
      by: flags.by,
    });
  });
  storeOptions(
    suppress
      .command('list')
      .description('List the suppressions in force, from the config file and the table, with what each muted.')
      .option('--all', 'also list expired and removed ones')
      .addOption(new Option('--format <FORMAT>', 'output format').choices(['table', 'json']).default('table')),
  ).action(async (flags: ListFlags) => {
    process.exitCode = await suppressList({ ...storeOf(flags), all: flags.all, format: flags.format });
  });
  storeOptions(
    suppress
      .command('remove')
      .description('End a suppression now. It stays listed (--all) with who removed it and why.')
      .argument('<ID>', 'the suppression to end')
      .option('--reason <TEXT>', 'why it is removed')
      .option('--by <NAME>', 'who removes it (default: your OS user)'),
  ).action(async (id: string, flags: RemoveFlags) => {
    process.exitCode = await suppressRemove({ ...storeOf(flags), id, reason: flags.reason, by: flags.by });
  });
  storeOptions(
    suppress
      .command('history')
      .description('Every add and remove of a suppression: who, when, why.')
      .addOption(new Option('--format <FORMAT>', 'output format').choices(['table', 'json']).default('table')),
  ).action(async (flags: ListFlags) => {
    process.exitCode = await suppressHistory({ ...storeOf(flags), format: flags.format });
  });
}
