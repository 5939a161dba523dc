import { rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError, SEVERITIES, type Severity } from '../shared/config';
import { IncidentNotFoundError, IncidentsBusyError } from '../shared/incident';
import { ReportError } from '../shared/report';
import { type AnalyzeOptions, analyze, describeRun, type OutputFormat } from './analyze';
import { UsageError } from './errors';
import { registerIncidents } from './incidents';
import { registerLearned } from './learned';
import { registerRbacHistory } from './rbac-history';
import { registerSuppress } from './suppress';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCENARIO_DIR = join(ROOT, '.driftwatch', 'scenario');
const SCENARIO_CONFIG = join(ROOT, 'events', 'scenario', 'driftwatch.config.json');
const SCENARIO_REPORT = join(ROOT, '.driftwatch', 'report.html');

function severity(value: string): Severity {
  if (!(SEVERITIES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`use one of ${SEVERITIES.join(', ')}`);
  }
  return value as Severity;
}

interface CliFlags {
  config?: string;
  state?: string;
  format: OutputFormat;
  out?: string;
  summary?: string;
  report?: string;
  failOn?: Severity;
  snsTopicArn?: string;
  incidents?: string;
}

async function runAnalyze(paths: string[], flags: CliFlags): Promise<number> {
  let configPath = flags.config;
  let inputs = paths;
  let reportPath = flags.report;
  if (inputs.length === 0) {
    // No PATH: the bundled sample scenario, generated fresh (it is seeded, so always the same).
    const { generateScenario } = await import('../events/scenario/generate');
    rmSync(SCENARIO_DIR, { recursive: true, force: true });
    const manifest = await generateScenario({ outDir: SCENARIO_DIR });
    process.stderr.write(
      `Sample scenario: ${manifest.days} days of cluster ${manifest.cluster} (${manifest.objects} objects) in ${relative(process.cwd(), SCENARIO_DIR)}; ` +
        `${manifest.incidents.length} incidents planted after day 8 (events/scenario/README.md).\n\n`,
    );
    inputs = [join(SCENARIO_DIR, 'audit'), join(SCENARIO_DIR, 'flow')];
    configPath ??= SCENARIO_CONFIG;
    reportPath ??= SCENARIO_REPORT;
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
  cli
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
    .option('--sns-topic-arn <ARN>', 'also publish incident messages to this SNS topic (uses your AWS credentials)')
    .action(async (paths: string[], flags: CliFlags) => {
      process.exitCode = await runAnalyze(paths, flags);
    });
  registerRbacHistory(cli);
  registerSuppress(cli);
  registerIncidents(cli);
  registerLearned(cli);
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
