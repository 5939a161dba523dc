import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { ScenarioManifest, ScenarioOptions, ScenarioScale, ScenarioVariant } from '../events/scenario/generate';
import { SCENARIO_VARIANTS } from '../events/scenario/types';
import { UsageError } from './errors';

/** The knobs of the sample scenario's size, as flags (`driftwatch analyze --scale 5`). */
export interface ScaleFlags {
  scale?: number;
  clusters?: number;
  nodes?: number;
  replicas?: number;
  traffic?: number;
  objectsPerHour?: number;
  days?: number;
}

/** Commander's parser for a knob: its range is the generator's to check, with its own message. */
function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('use a whole number such as 3');
  return Number(value);
}

/** Adds the scale flags to `command`; the README's scenario section says what each means. */
export function addScaleOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--scale <N>', 'grow the sample scenario N times: N × 3 nodes and N × the replicas').argParser(
        wholeNumber,
      ),
    )
    .addOption(new Option('--clusters <N>', 'clusters, each in its own VPC (default 1)').argParser(wholeNumber))
    .addOption(new Option('--nodes <N>', 'nodes per cluster (default 3, or 3 × --scale)').argParser(wholeNumber))
    .addOption(
      new Option('--replicas <N>', "multiply every Deployment's replicas (default 1, or --scale)").argParser(
        wholeNumber,
      ),
    )
    .addOption(
      new Option('--traffic <N>', 'multiply the conversations per capture window (default 1)').argParser(wholeNumber),
    )
    .addOption(
      new Option('--objects-per-hour <N>', 'objects per log source and hour (default 1)').argParser(wholeNumber),
    )
    .addOption(new Option('--days <N>', 'days of logs (default 14)').argParser(wholeNumber));
}

/** True when any scale flag was given. */
export function hasScaleFlags(flags: ScaleFlags): boolean {
  return [
    flags.scale,
    flags.clusters,
    flags.nodes,
    flags.replicas,
    flags.traffic,
    flags.objectsPerHour,
    flags.days,
  ].some((v) => v !== undefined);
}

/**
 * The generator options of the flags: `--scale` first, then each knob given overrides it. The
 * generator checks the values and says what is wrong in one line (a ScenarioError).
 */
export async function scenarioOptions(
  outDir: string,
  variant: ScenarioVariant,
  flags: ScaleFlags & { seed?: number },
): Promise<ScenarioOptions> {
  const { scenarioScale } = await import('../events/scenario/scale');
  const knobs: ScenarioScale = {
    ...(flags.scale === undefined ? {} : scenarioScale(flags.scale)),
    ...(flags.clusters === undefined ? {} : { clusters: flags.clusters }),
    ...(flags.nodes === undefined ? {} : { nodes: flags.nodes }),
    ...(flags.replicas === undefined ? {} : { replicas: flags.replicas }),
    ...(flags.traffic === undefined ? {} : { traffic: flags.traffic }),
    ...(flags.objectsPerHour === undefined ? {} : { objectsPerHour: flags.objectsPerHour }),
  };
  return {
    outDir,
    variant,
    ...(flags.seed === undefined ? {} : { seed: flags.seed }),
    ...(flags.days === undefined ? {} : { days: flags.days }),
    ...(Object.keys(knobs).length > 0 ? { scale: knobs } : {}),
  };
}

/**
 * The config to analyze a generated scenario with: the sample's own when it has one cluster;
 * with more, the sample's config grown to every cluster's VPC (scale.ts), written next to the
 * objects as `driftwatch.config.json`, its threat lists named by absolute path.
 */
export async function scenarioConfig(sampleConfig: string, dir: string, manifest: ScenarioManifest): Promise<string> {
  if ((manifest.vpcs ?? []).length < 2) return sampleConfig;
  const { scaledScenarioConfig } = await import('../events/scenario/scale');
  const config = JSON.parse(readFileSync(sampleConfig, 'utf8')) as Record<string, unknown>;
  const intel = config.threatIntel as { sources?: { path?: string }[] } | undefined;
  for (const source of intel?.sources ?? []) {
    if (source.path) source.path = resolve(dirname(sampleConfig), source.path);
  }
  const path = join(dir, 'driftwatch.config.json');
  writeFileSync(path, `${JSON.stringify(scaledScenarioConfig(config, manifest), null, 2)}\n`);
  return path;
}

/** A path as the user would type it: relative below the working folder, else absolute. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') ? resolve(path) : rel;
}

interface GenerateFlags extends ScaleFlags {
  out: string;
  variant: ScenarioVariant;
  seed?: number;
}

/**
 * `driftwatch scenario generate`: writes the sample scenario, scaled or not, to a folder, with
 * the config to analyze it with when it has several clusters: for benchmarks and measurements.
 */
export function registerScenario(cli: Command, sampleConfig: string): void {
  const scenario = cli.command('scenario').description('The sample scenario: generate it, scaled or not.');
  const generate = scenario
    .command('generate')
    .description(
      'Write the sample scenario (audit and flow log objects as AWS delivers them, and manifest.json) to a folder. ' +
        'The scale flags grow it; see "Sample scenario" in the README.',
    )
    .requiredOption('--out <DIR>', 'folder to write into (emptied first)')
    .addOption(new Option('--variant <VARIANT>', 'which scenario').choices(SCENARIO_VARIANTS).default('fresh'))
    .addOption(new Option('--seed <N>', 'seed of the generator (default 42)').argParser(wholeNumber));
  addScaleOptions(generate).action(async (flags: GenerateFlags) => {
    const { generateScenario } = await import('../events/scenario/generate');
    const dir = resolve(flags.out);
    // Only a folder that holds nothing, or an earlier scenario, is emptied.
    if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, 'manifest.json'))) {
      throw new UsageError(`--out ${flags.out} holds files that are not a scenario; name a new or empty folder`);
    }
    rmSync(dir, { recursive: true, force: true });
    const manifest = await generateScenario(await scenarioOptions(dir, flags.variant, flags));
    const config = await scenarioConfig(sampleConfig, dir, manifest);
    process.stderr.write(
      `Wrote ${manifest.days} days of ${(manifest.clusters ?? [manifest.cluster]).join(', ')}: ${manifest.objects} objects, ` +
        `${manifest.auditEvents} audit events, ${manifest.flowRecords} flow records, ${manifest.incidents.length} incidents, in ${shown(dir)}` +
        `${config === sampleConfig ? '' : `; analyze with --config ${shown(config)}`}.\n`,
    );
  });
}
