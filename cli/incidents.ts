import { userInfo } from 'node:os';
import type { Writable } from 'node:stream';
import { type Command, Option } from 'commander';
import type { Finding } from '../shared/alert';
import { type Incident, IncidentBook, IncidentNotFoundError, type IncidentStatus } from '../shared/incident';
import { iso, printable } from '../shared/util';
import { UsageError } from './errors';
import { openStore } from './store';

const STATUSES: readonly IncidentStatus[] = ['open', 'acknowledged', 'resolved', 'merged'];

/** Where the incidents are, and how to print them. */
export interface IncidentsOptions {
  /** The embedded store of `driftwatch analyze --state DIR`. */
  stateDir?: string;
  /** The deployed stack's DynamoDB state table, read and changed with the caller's AWS credentials. */
  tableName?: string;
  /** Config file (JSON), for its `incidents` settings. @default defaultConfig() */
  configPath?: string;
  /** @default 'table' */
  format?: 'table' | 'json';
  stdout: Writable;
  /** The time now, in epoch milliseconds. @default Date.now */
  clock?: () => number;
}

/** What a person does to an incident, as given on the command line. */
export interface IncidentChangeFlags {
  reason?: string;
  /** Acknowledge until this date or time (anything `Date.parse` reads); must be in the future. */
  until?: string;
  /** Who did it. @default the OS user name */
  by?: string;
}

/** The incident book on the store the flags name, and how to keep what changed. */
interface OpenBook {
  book: IncidentBook;
  /** Writes the embedded store back to its folder; the DynamoDB table needs nothing. */
  save(): Promise<void>;
}

/** `driftwatch incidents`: every incident, newest first, as a table or JSON Lines. */
export async function listIncidents(options: IncidentsOptions & { status?: IncidentStatus }): Promise<number> {
  const { book } = await openBook(options);
  const incidents = await book.list(options.status ? { status: options.status } : {});
  if (options.format === 'json') {
    for (const incident of incidents) options.stdout.write(`${JSON.stringify(incident)}\n`);
  } else if (incidents.length === 0) {
    options.stdout.write(`No ${options.status ? `${options.status} ` : ''}incidents.\n`);
  } else {
    options.stdout.write(`${listHeader()}\n`);
    for (const incident of incidents) options.stdout.write(`${listRow(incident)}\n`);
  }
  return 0;
}

/** `driftwatch incidents show ID...`: each incident in words, or with `--format json` with its findings. */
export async function showIncidents(ids: readonly string[], options: IncidentsOptions): Promise<number> {
  if (ids.length === 0) throw new UsageError('show needs an incident id; list them with: driftwatch incidents');
  const { book } = await openBook(options);
  // Every id is looked up before anything is printed, so a mistyped one does not leave half an answer.
  const found: Incident[] = [];
  for (const id of ids) {
    const incident = await book.get(id);
    if (!incident)
      throw new IncidentNotFoundError(`no incident ${printable(id, 80)}; list them with: driftwatch incidents`);
    found.push(incident);
  }
  const now = (options.clock ?? Date.now)();
  for (const [i, incident] of found.entries()) {
    if (options.format === 'json') {
      const findings: Finding[] = await book.findings(incident.id);
      options.stdout.write(`${JSON.stringify({ incident, findings })}\n`);
    } else {
      options.stdout.write(`${i > 0 ? '\n' : ''}${describeIncident(incident, now)}`);
    }
  }
  return 0;
}

/** `driftwatch incidents ack ID --reason TEXT`: nothing more is sent about it until `--until`, or ever. */
export async function acknowledgeIncident(
  id: string,
  flags: IncidentChangeFlags,
  options: IncidentsOptions,
): Promise<number> {
  const now = (options.clock ?? Date.now)();
  const reason = flags.reason?.trim();
  if (!reason) {
    throw new UsageError(
      'ack needs --reason TEXT: why nothing more should be sent about it (a known test, a ticket, ...)',
    );
  }
  const until = flags.until === undefined ? undefined : futureDate(flags.until, now);
  const by = whoIs(flags.by);
  const { book, save } = await openBook(options);
  const incident = await book.acknowledge(id, { by, reason, ...(until ? { until } : {}) });
  await save();
  const untilText = until ? ` until ${when(until)} UTC` : '';
  options.stdout.write(
    `Acknowledged ${incident.id}${untilText}: ${printable(incident.title, 200)}\n` +
      `Nothing more is sent about it${until ? ' until then' : ''}, unless it is resolved and comes back.\n`,
  );
  return 0;
}

/** `driftwatch incidents resolve ID`: a finding that joins it again reopens it, and that is told. */
export async function resolveIncident(
  id: string,
  flags: IncidentChangeFlags,
  options: IncidentsOptions,
): Promise<number> {
  const reason = flags.reason?.trim();
  const by = whoIs(flags.by);
  const { book, save } = await openBook(options);
  const incident = await book.resolve(id, { by, ...(reason ? { reason } : {}) });
  await save();
  options.stdout.write(
    `Resolved ${incident.id}: ${printable(incident.title, 200)}\n` +
      'A finding that joins it again reopens it, and that is sent.\n',
  );
  return 0;
}

async function openBook(options: IncidentsOptions): Promise<OpenBook> {
  const { table, config, save } = await openStore('incidents', options, true);
  return { book: new IncidentBook(table, config, options.clock ?? Date.now), save };
}

/** `--until` as ISO-8601, when it is a date after `now`. */
function futureDate(value: string, now: number): string {
  const time = Date.parse(value);
  const shown = printable(value, 80);
  if (!Number.isFinite(time)) {
    throw new UsageError(`--until ${shown} is not a date; give one such as 2026-12-01 or 2026-12-01T18:00:00Z`);
  }
  if (time <= now) {
    throw new UsageError(
      `--until ${shown} is not in the future (now is ${when(iso(now))} UTC); give a later date, or leave --until out`,
    );
  }
  return iso(time);
}

/** The person changing an incident: `--by`, else the OS user name. */
function whoIs(by: string | undefined): string {
  if (by !== undefined) {
    const name = by.trim();
    if (!name) throw new UsageError('--by is empty; give a name, or leave it out to use your OS user name');
    return name;
  }
  try {
    return userInfo().username;
  } catch {
    // A container user with no passwd entry has no name to find.
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

/** An ISO-8601 time as `YYYY-MM-DD HH:MM:SS` (UTC). */
function when(time: string): string {
  return time.slice(0, 19).replace('T', ' ');
}

function listHeader(): string {
  return [
    'ID'.padEnd(16),
    'SEVERITY'.padEnd(8),
    'STATUS'.padEnd(12),
    'FIRST SEEN (UTC)'.padEnd(19),
    'LAST SEEN (UTC)'.padEnd(19),
    'FINDINGS',
    'MESSAGES',
    'TITLE',
  ].join('  ');
}

function listRow(incident: Incident): string {
  return [
    incident.id.padEnd(16),
    incident.severity.toUpperCase().padEnd(8),
    incident.status.padEnd(12),
    when(incident.firstSeen).padEnd(19),
    when(incident.lastSeen).padEnd(19),
    String(incident.findings.length).padStart(8),
    String(incident.messages).padStart(8),
    printable(incident.title, 160),
  ].join('  ');
}

/**
 * One incident in words, the way a responder reads it: what and how bad (and why it was raised),
 * where it stands, who and what it involves, why its findings belong together, what happened in
 * order, and who did what to it. Text from the logs goes through `printable`.
 */
export function describeIncident(incident: Incident, now: number): string {
  const lines: string[] = [`${incident.id}  ${printable(incident.title, 200)}`];
  const field = (name: string, value: string) => lines.push(`  ${name.padEnd(11)} ${value}`);
  field('Severity', severityText(incident));
  field('Status', statusText(incident, now));
  field('Cluster', printable(incident.cluster, 100));
  field('First seen', `${when(incident.firstSeen)} UTC`);
  field('Last seen', `${when(incident.lastSeen)} UTC`);
  field(
    'Messages',
    `${incident.messages} sent${incident.quiet ? `; ${incident.quiet} later findings brought nothing new to send` : ''}`,
  );
  const entities = entitiesText(incident);
  if (entities.length > 0) {
    lines.push('  Entities');
    for (const line of entities) lines.push(`    ${line}`);
  }
  if (incident.tactics.length > 0) field('Tactics', incident.tactics.join(', '));
  if (incident.joins.length > 0) {
    lines.push('  Why joined');
    for (const join of incident.joins) {
      lines.push(`    ${printable(join.because, 300)}: ${join.findings} of ${incident.findings.length} findings`);
    }
  }
  if (incident.conditions.length > 0) {
    lines.push('  Conditions');
    for (const condition of incident.conditions) {
      lines.push(`    ${printable(condition.key, 200)}: ${printable(condition.elements.join(' → '), 400)}`);
    }
  }
  lines.push(`  Timeline (${incident.timeline.length} findings)`);
  for (const entry of incident.timeline) {
    const notes = [
      ...(entry.mutedBy ? [`muted by ${printable(entry.mutedBy, 100)}`] : []),
      ...(entry.context ? ['context: below alerts.minSeverity, not notified'] : []),
      ...(entry.repeats
        ? [
            `seen ${entry.repeats.count} more time${entry.repeats.count === 1 ? '' : 's'}, last ${when(entry.repeats.last)}`,
          ]
        : []),
    ];
    lines.push(
      `    ${when(entry.time)}  ${entry.severity.toUpperCase().padEnd(8)}  ${entry.ruleId.padEnd(31)}  ` +
        `${printable(entry.summary, 240)}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`,
    );
  }
  if (incident.linkedTo) field('Continues', `${incident.linkedTo} (it was full)`);
  if (incident.mergedInto) field('Merged into', incident.mergedInto);
  if (incident.merged.length > 0) field('Merged', incident.merged.join(', '));
  lines.push('  History');
  for (const event of incident.history) {
    const reason = event.reason ? `: ${printable(event.reason, 300)}` : '';
    lines.push(`    ${when(event.at)}  ${event.action} by ${printable(event.by, 100)}${reason}`);
  }
  return `${lines.join('\n')}\n`;
}

function severityText(incident: Incident): string {
  if (incident.severity === incident.findingSeverity) return `${incident.severity} (its most severe finding)`;
  return (
    `${incident.severity} (raised from ${incident.findingSeverity}: its findings span ` +
    `${incident.tactics.length} ATT&CK tactics, three or more being the steps of an attack)`
  );
}

function statusText(incident: Incident, now: number): string {
  const ack = incident.acknowledged;
  switch (incident.status) {
    case 'acknowledged': {
      if (!ack) return 'acknowledged';
      const until = ack.until
        ? Date.parse(ack.until) <= now
          ? `; ended ${when(ack.until)} UTC, so the next finding that joins it is sent`
          : ` until ${when(ack.until)} UTC`
        : ' with no end';
      return `acknowledged by ${printable(ack.by, 100)} at ${when(ack.at)} UTC${until}: ${printable(ack.reason, 300)}`;
    }
    case 'resolved':
      return `resolved${incident.resolvedAt ? ` at ${when(incident.resolvedAt)} UTC` : ''}; a finding that joins it again reopens it`;
    case 'merged':
      return `merged into ${incident.mergedInto ?? 'another incident'}; see that one`;
    default:
      return 'open';
  }
}

function entitiesText(incident: Incident): string[] {
  const e = incident.entities;
  const groups: [string, string[]][] = [
    ['identities', e.identities],
    ['workloads', e.workloads],
    ['namespaces', e.namespaces],
    ['sources', e.sources],
    ['destinations', e.destinations],
    ['images', e.images],
  ];
  return groups
    .filter(([, values]) => values.length > 0)
    .map(([name, values]) => `${name.padEnd(12)} ${printable(values.join(', '), 400)}`);
}

interface StoreFlags {
  state?: string;
  table?: string;
  config?: string;
  format?: 'table' | 'json';
}

/** `--state`, `--table` and `--config`, on every incidents command. */
function withStore(command: Command): Command {
  return command
    .option('--state <DIR>', 'embedded store (the folder given to driftwatch analyze --state)')
    .option('--table <NAME>', "the deployed stack's DynamoDB state table (uses your AWS credentials)")
    .option('--config <FILE>', 'config file (JSON), for its incidents settings');
}

function storeOf(flags: StoreFlags): IncidentsOptions {
  return {
    stateDir: flags.state,
    tableName: flags.table,
    configPath: flags.config,
    format: flags.format,
    stdout: process.stdout,
  };
}

const formatOption = () => new Option('--format <FORMAT>', 'output format').choices(['table', 'json']).default('table');

/** Adds `incidents` (list, show, ack, resolve) to the CLI. */
export function registerIncidents(cli: Command): void {
  const incidents = cli
    .command('incidents')
    .description(
      'List, read, acknowledge and resolve incidents: findings that share an identity, workload, address or ' +
        'condition, told to people as one.',
    );
  withStore(incidents.command('list', { isDefault: true }))
    .description('List incidents, newest first (the default)')
    .addOption(new Option('--status <STATUS>', 'only incidents in this state').choices(STATUSES))
    .addOption(formatOption())
    .action(async (flags: StoreFlags & { status?: IncidentStatus }) => {
      process.exitCode = await listIncidents({ ...storeOf(flags), status: flags.status });
    });
  withStore(incidents.command('show'))
    .description('Print incidents in full: severity, status, entities, why joined, timeline, history')
    .argument('<ID...>', 'incident ids')
    .addOption(formatOption())
    .action(async (ids: string[], flags: StoreFlags) => {
      process.exitCode = await showIncidents(ids, storeOf(flags));
    });
  withStore(incidents.command('ack'))
    .description('Acknowledge an incident: nothing more is sent about it until --until, or ever')
    .argument('<ID>', 'incident id')
    .option('--reason <TEXT>', 'why (required): a known test, a ticket, ...')
    .option('--until <DATE>', 'send news of it again after this date or time (ISO-8601, in the future)')
    .option('--by <NAME>', 'who acknowledges it (default: your OS user name)')
    .action(async (id: string, flags: StoreFlags & IncidentChangeFlags) => {
      process.exitCode = await acknowledgeIncident(id, flags, storeOf(flags));
    });
  withStore(incidents.command('resolve'))
    .description('Resolve an incident; a finding that joins it again reopens it')
    .argument('<ID>', 'incident id')
    .option('--reason <TEXT>', 'why')
    .option('--by <NAME>', 'who resolves it (default: your OS user name)')
    .action(async (id: string, flags: StoreFlags & IncidentChangeFlags) => {
      process.exitCode = await resolveIncident(id, flags, storeOf(flags));
    });
}
