import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import type { ConfigInput, PRIVILEGED_SETTINGS } from '../shared/config';
import { type LearnedScope, type LearnedState, pipelineNetworks, readLearned } from '../shared/engine';
import { printable } from '../shared/util';
import { UsageError } from './errors';
import { openStore, replayClock } from './store';

/** Where the learned state is, and how to print it. */
export interface LearnedOptions {
  /** The embedded store of `driftwatch analyze --state DIR`. */
  stateDir?: string;
  /** The deployed stack's DynamoDB state table, read with the caller's AWS credentials. */
  tableName?: string;
  /** Config file (JSON): its learning days and pipeline rules (`identities.notPipelines`, `learnPipelines`). */
  configPath?: string;
  /** Only this cluster; VPC scopes are shown all the same (a VPC's flow logs name no cluster). */
  cluster?: string;
  /** @default 'text' */
  format?: 'text' | 'json' | 'config';
  /** With `format: 'config'`, also trust every learned registry (`registries.trusted`). */
  trustRegistries?: boolean;
  stdout: Writable;
  /** Notes that must not mix with the JSON of `--as-config`. */
  stderr: Writable;
  /** The time now, for a deployed table; a replayed store uses its last event time. @default Date.now */
  clock?: () => number;
}

/** How many values of a list the text output shows before it says how many more. */
const SHOWN = 20;

/** `driftwatch learned`: what the baselines learned by themselves, per cluster and VPC. */
export async function learned(options: LearnedOptions): Promise<number> {
  const { table, config } = await openStore('learned', options, true);
  // A replay judges the learning period at its last event, as the engine did; a live table at the time now.
  const now = (await replayClock(table)) ?? (options.clock ?? Date.now)();
  const state = await readLearned(table, config, { now });
  const scopes = state.scopes.filter(
    (s) => options.cluster === undefined || s.kind === 'vpc' || s.scope === options.cluster,
  );
  if (options.cluster !== undefined && !scopes.some((s) => s.kind === 'cluster')) {
    const known = state.scopes.filter((s) => s.kind === 'cluster').map((s) => printable(s.scope, 100));
    throw new UsageError(
      `no cluster ${printable(options.cluster, 100)} in the store; ${known.length > 0 ? `its clusters are ${known.join(', ')}` : 'it has no cluster yet'}`,
    );
  }
  if (options.format === 'json') {
    options.stdout.write(`${JSON.stringify({ scopes: scopes.map(jsonScope) }, null, 2)}\n`);
  } else if (options.format === 'config') {
    const { fragment, notes } = asConfig({ scopes }, options.trustRegistries ?? false);
    options.stdout.write(`${JSON.stringify(fragment, null, 2)}\n`);
    for (const note of notes) options.stderr.write(`${note}\n`);
  } else if (scopes.length === 0) {
    options.stdout.write('Nothing learned yet: the store has no cluster or VPC. Run driftwatch analyze first.\n');
  } else {
    options.stdout.write(scopes.map(describeScope).join('\n'));
  }
  return 0;
}

/** A scope as JSON, pipelines with their `networks` whatever shape the learner keeps them in. */
function jsonScope(scope: LearnedScope): unknown {
  return {
    ...scope,
    pipelines: scope.pipelines.map((p) => ({
      username: p.username,
      learned: true,
      networks: pipelineNetworks(p),
      agent: p.agent,
    })),
  };
}

/**
 * The config fragment the learned state says: the pipelines as `identities.cicd`, the cluster's
 * name when there is one, and with `trustRegistries` the registries as `registries.trusted` (left
 * out by default: a trusted list turns on `audit.untrusted-registry`, which changes what is
 * reported). The notes say what a reviewer should know before committing it.
 */
export function asConfig(state: LearnedState, trustRegistries: boolean): { fragment: ConfigInput; notes: string[] } {
  const clusters = state.scopes.filter((s) => s.kind === 'cluster');
  const notes: string[] = [];
  const fragment: ConfigInput = {};
  if (clusters.length === 1) fragment.clusterName = (clusters[0] as LearnedScope).scope;
  else if (clusters.length > 1) {
    notes.push(
      `note: ${clusters.length} clusters; clusterName left out (give --cluster NAME for one cluster's fragment)`,
    );
  }
  const pipelines = [...new Set(clusters.flatMap((s) => s.pipelines.map((p) => p.username)))].sort();
  fragment.identities = { cicd: pipelines };
  if (pipelines.length > 0) {
    notes.push(
      `note: identities.cicd lists the ${pipelines.length} learned pipeline identities; configured, each is trusted from ` +
        'any network and user agent (learned, only from its own). Remove any that is a person, and list it in ' +
        'identities.notPipelines so it is never learned again.',
    );
  } else notes.push('note: no pipeline identity learned yet; identities.cicd is empty');
  if (clusters.length > 1) fragment.network = { clusters: clusters.map((c) => ({ name: c.scope })) };
  const entryPoints = [...new Set(state.scopes.flatMap((s) => s.entryPoints))].sort();
  if (entryPoints.length > 0) {
    fragment.network = { ...fragment.network, entryPoints: { cidrs: entryPoints.map((a) => `${a}/32`) } };
    notes.push(
      `note: network.entryPoints lists the ${entryPoints.length} addresses learned as load balancers; give them labels`,
    );
  }
  const privileged = clusters.flatMap((s) => s.privilegedWorkloads);
  if (privileged.length > 0) {
    const byWorkload = new Map<string, Set<string>>();
    for (const p of privileged) {
      const allow = byWorkload.get(p.workload) ?? new Set<string>();
      for (const a of p.allow) allow.add(a);
      byWorkload.set(p.workload, allow);
    }
    fragment.audit = {
      privilegedWorkloads: [...byWorkload]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([workload, allow]) => ({ workload, allow: [...allow].sort() as (typeof PRIVILEGED_SETTINGS)[number][] })),
    };
    notes.push(
      'note: audit.privilegedWorkloads allows each learned setting whoever writes it (learned, only for the kind of ' +
        'identity that wrote it); keep only what you expect',
    );
  }
  const registries = [...new Set(clusters.flatMap((s) => s.registries))].sort();
  if (trustRegistries) {
    fragment.registries = { trusted: registries };
    notes.push(
      'note: registries.trusted turns on audit.untrusted-registry: an image from any other registry is reported at once',
    );
  } else if (registries.length > 0) {
    notes.push(
      `note: ${registries.length} registries learned (${registries.map((r) => printable(r, 100)).join(', ')}); ` +
        'add --trust-registries to list them in registries.trusted',
    );
  }
  const unfinished = state.scopes.filter((s) => !s.learning.learned).map((s) => printable(s.scope, 100));
  if (unfinished.length > 0) notes.push(`note: still learning: ${unfinished.join(', ')}; the fragment may grow`);
  return { fragment, notes };
}

function describeScope(scope: LearnedScope): string {
  const name = printable(scope.scope, 100);
  const lines = [`${scope.kind === 'cluster' ? 'Cluster' : 'VPC'} ${name}: ${learningText(scope)}`];
  if (scope.kind === 'cluster') {
    lines.push(`  Pipelines (${scope.pipelines.length})`);
    for (const p of scope.pipelines) {
      const networks = pipelineNetworks(p).map((n) => printable(n, 60));
      lines.push(
        `    ${printable(p.username, 120)}  learned  from ${networks.join(', ') || '-'}  agent ${printable(p.agent, 80)}`,
      );
    }
    list(lines, 'Registries', scope.registries, (r) => printable(r, 200));
    list(lines, 'Repositories', scope.repositories, (r) => printable(r, 200));
    list(lines, 'Identities', scope.identities, (i) => {
      const networks = i.networks.map((n) => printable(n, 60));
      const shown = networks.slice(0, 5).join(', ') + (networks.length > 5 ? `, ... ${networks.length - 5} more` : '');
      return `${printable(i.identity, 120)}${shown ? `  from ${shown}` : ''}`;
    });
    list(
      lines,
      'Privileged workloads',
      scope.privilegedWorkloads,
      (p) => `${printable(p.workload, 120)}  ${p.allow.map((a) => printable(a, 40)).join(', ')}  written by a ${p.by}`,
    );
  } else {
    const f = scope.flows;
    lines.push(
      `  Known edges ${f.edges}, ports ${f.ports} (${f.distinctPorts} distinct), external destinations ${f.externalDestinations}`,
    );
    list(lines, 'Entry points (load balancers)', scope.entryPoints, (a) => printable(a, 60));
  }
  return `${lines.join('\n')}\n`;
}

function learningText(scope: LearnedScope): string {
  const until = scope.learning.learningUntil?.slice(0, 16).replace('T', ' ');
  if (scope.learning.learned) return `learned (learning ended ${until} UTC)`;
  return until ? `learning until ${until} UTC` : 'learning (no event yet)';
}

/** A titled list, one value a line, the first {@link SHOWN} of them. */
function list<T>(lines: string[], title: string, values: readonly T[], text: (value: T) => string): void {
  lines.push(`  ${title} (${values.length})`);
  for (const value of values.slice(0, SHOWN)) lines.push(`    ${text(value)}`);
  if (values.length > SHOWN) lines.push(`    ... and ${values.length - SHOWN} more (--json)`);
}

interface LearnedFlags {
  state?: string;
  table?: string;
  config?: string;
  cluster?: string;
  json?: boolean;
  asConfig?: boolean;
  trustRegistries?: boolean;
}

/** Adds `learned` to the CLI. */
export function registerLearned(cli: Command): void {
  cli
    .command('learned')
    .description(
      'Show what the baselines learned by themselves, per cluster and VPC: the learning state, pipeline identities, ' +
        'registries and repositories, identities and their networks, known edges and ports. --as-config prints it as ' +
        'a config fragment to review and commit.',
    )
    .option('--state <DIR>', 'embedded store (the folder given to driftwatch analyze --state)')
    .option('--table <NAME>', "the deployed stack's DynamoDB state table (uses your AWS credentials)")
    .option('--config <FILE>', 'config file (JSON), for its learning days and pipeline rules')
    .option('--cluster <NAME>', 'only this cluster (VPCs are still shown)')
    .option('--json', 'print JSON')
    .option('--as-config', 'print a JSON config fragment (identities.cicd, clusterName, ...); notes go to stderr')
    .option('--trust-registries', 'with --as-config, also list the learned registries in registries.trusted')
    .action(async (flags: LearnedFlags) => {
      if (flags.json && flags.asConfig) throw new UsageError('give --json or --as-config, not both');
      if (flags.trustRegistries && !flags.asConfig) throw new UsageError('--trust-registries goes with --as-config');
      process.exitCode = await learned({
        stateDir: flags.state,
        tableName: flags.table,
        configPath: flags.config,
        cluster: flags.cluster,
        format: flags.asConfig ? 'config' : flags.json ? 'json' : 'text',
        trustRegistries: flags.trustRegistries,
        stdout: process.stdout,
        stderr: process.stderr,
      });
    });
}
