import { rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { SCENARIO_VARIANTS, ScenarioError, type ScenarioVariant } from '../events/scenario/types';
import { ConfigError, SEVERITIES, type Severity } from '../shared/config';
import { IncidentNotFoundError, IncidentsBusyError } from '../shared/incident';
import { ReportError } from '../shared/report';
import { type AnalyzeOptions, analyze, describeRun, type OutputFormat } from './analyze';
import { UsageError } from './errors';
import { registerIncidents } from './incidents';
import { registerLearned } from './learned';
import { registerRbacHistory } from './rbac-history';
import { registerRebaseline } from './rebaseline';
import {
  addScaleOptions,
  hasScaleFlags,
  registerScenario,
  type ScaleFlags,
  scenarioConfig,
  scenarioOptions,
} from './scenario';
import { registerSuppress } from './suppress';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCENARIO_DIR = join(ROOT, '.driftwatch', 'scenario');
const SCENARIO_CONFIG = join(ROOT, 'events', 'scenario', 'driftwatch.config.json');
const SCENARIO_THREAT_LISTS = join(ROOT, 'events', 'scenario', 'threat-lists');
const SCENARIO_REPORT = join(ROOT, '.driftwatch', 'report.html');

function severity(value: string): Severity {
  if (!(SEVERITIES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`use one of ${SEVERITIES.join(', ')}`);
  }
  return value as Severity;
}

interface CliFlags extends ScaleFlags {
  config?: string;
  state?: string;
  format: OutputFormat;
  out?: string;
  summary?: string;
  report?: string;
  failOn?: Severity;
  snsTopicArn?: string;
  incidents?: string;
  scenario?: ScenarioVariant;
}

async function runAnalyze(paths: string[], flags: CliFlags): Promise<number> {
  let configPath = flags.config;
  let inputs = paths;
  let reportPath = flags.report;
  let threatListDir: string | undefined;
  if (inputs.length > 0 && flags.scenario) {
    throw new UsageError('--scenario picks the sample scenario run with no PATH; drop it or the PATHs');
  }
  if (inputs.length > 0 && hasScaleFlags(flags)) {
    throw new UsageError('--scale and its knobs size the sample scenario run with no PATH; drop them or the PATHs');
  }
  if (inputs.length === 0) {
    // No PATH: the bundled sample scenario, generated fresh (it is seeded, so always the same).
    const { generateScenario } = await import('../events/scenario/generate');
    const variant = flags.scenario ?? 'fresh';
    // The existing-cluster variant is for running with no config: Driftwatch has to learn it.
    const fresh = variant === 'fresh';
    const dir = fresh ? SCENARIO_DIR : `${SCENARIO_DIR}-${variant}`;
    rmSync(dir, { recursive: true, force: true });
    const manifest = await generateScenario(await scenarioOptions(dir, variant, flags));
    process.stderr.write(
      `Sample scenario${fresh ? '' : ` (${variant})`}: ${manifest.days} days of ${(manifest.clusters ?? [manifest.cluster]).join(' and ')} (${manifest.objects} objects) in ${relative(process.cwd(), dir)}; ` +
        `${manifest.incidents.length} incidents planted after day 8 (events/scenario/README.md)` +
        `${fresh || configPath ? '' : '; analyzed with no config'}.\n\n`,
    );
    inputs = [join(dir, 'audit'), join(dir, 'flow')];
    if (fresh) configPath ??= await scenarioConfig(SCENARIO_CONFIG, dir, manifest);
    // With no config, the scenario's threat list stands for the public lists a user downloads.
    else threatListDir = SCENARIO_THREAT_LISTS;
    reportPath ??= fresh ? SCENARIO_REPORT : join(ROOT, '.driftwatch', `report-${variant}.html`);
  }
  const options: AnalyzeOptions = {
    paths: inputs,
    configPath,
    stateDir: flags.state,
    format: flags.format,
    outPath: flags.out,
    summaryPath: flags.summary,
    reportPath,
    failOn: flags.failOn,
    snsTopicArn: flags.snsTopicArn,
    incidentsPath: flags.incidents,
    ...(threatListDir ? { threatListDir } : {}),
    stdout: process.stdout,
    stderr: process.stderr,
    color: process.stdout.isTTY && !process.env.NO_COLOR,
  };
  const result = await analyze(options);
  if (flags.format === 'table') process.stderr.write(describeRun(result.summary));
  if (flags.summary) process.stderr.write(`Run summary written to ${flags.summary}\n`);
  if (flags.out) process.stderr.write(`Findings written to ${flags.out}\n`);
  if (flags.incidents) process.stderr.write(`Incidents written to ${flags.incidents}\n`);
  if (result.report) {
    const where = relative(process.cwd(), result.report.path) || result.report.path;
    process.stderr.write(`Report written to ${where}; open ${pathToFileURL(resolve(result.report.path)).href}\n`);
  }
  return result.exitCode;
}

export function program(): Command {
  const cli = new Command('driftwatch')
    .description('Runtime threat detection for Amazon EKS audit logs and VPC flow logs.')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.split('\n')[0] ?? text) });
  const analyzeCommand = cli
    .command('analyze')
    .description(
      'Analyze log files or folders (gzipped or not, any supported format). With no PATH, runs the sample scenario.',
    )
    .argument('[PATH...]', 'log files or folders')
    .option('--config <FILE>', 'config file (JSON); see "Config reference" in the README')
    .option('--state <DIR>', 'embedded store folder; later runs remember baselines and alerts')
    .addOption(new Option('--format <FORMAT>', 'output format').choices(['table', 'json']).default('table'))
    .option('--out <FILE>', 'also write findings to FILE, in the chosen format')
    .option('--summary <FILE>', 'write the JSON run summary to FILE')
    .option(
      '--report <FILE>',
      'write a self-contained HTML report (network map, findings, per-day counts) to FILE; with no PATH, .driftwatch/report.html',
    )
    .option(
      '--fail-on <SEVERITY>',
      `exit with status 3 when a finding is at least this severe (${SEVERITIES.join(', ')})`,
      severity,
    )
    .option('--incidents <FILE>', 'write the incidents, one JSON object per line, to FILE')
    .addOption(
      new Option(
        '--scenario <VARIANT>',
        'with no PATH: the sample scenario to run; existing-cluster runs without the scenario config',
      ).choices(SCENARIO_VARIANTS),
    )
    .option('--sns-topic-arn <ARN>', 'also publish incident messages to this SNS topic (uses your AWS credentials)');
  addScaleOptions(analyzeCommand).action(async (paths: string[], flags: CliFlags) => {
    process.exitCode = await runAnalyze(paths, flags);
  });
  registerScenario(cli, SCENARIO_CONFIG);
  registerRbacHistory(cli);
  registerSuppress(cli);
  registerIncidents(cli);
  registerLearned(cli);
  registerRebaseline(cli);
  return cli;
}

/** `driftwatch suppress add --help`: the help of the deepest subcommand `argv` names. */
function helpCommand(cli: Command, argv: readonly string[]): string {
  const words = ['driftwatch'];
  let command = cli;
  for (const arg of argv) {
    const sub = command.commands.find((c) => c.name() === arg);
    if (!sub) break;
    words.push(arg);
    command = sub;
  }
  return `${words.join(' ')} --help`;
}

export async function main(argv: string[]): Promise<number> {
  const cli = program();
  try {
    await cli.parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0;
      // A command named without its subcommand has just printed its help.
      if (error.code !== 'commander.help') process.stderr.write(` (see ${helpCommand(cli, argv)})\n`);
      return 1;
    }
    if (
      error instanceof ConfigError ||
      error instanceof UsageError ||
      error instanceof ScenarioError ||
      error instanceof ReportError ||
      error instanceof IncidentNotFoundError ||
      error instanceof IncidentsBusyError
    ) {
      process.stderr.write(`driftwatch: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
