import { existsSync, statSync } from 'node:fs';
import { type Config, defaultConfig, loadConfigFile } from '../shared/config';
import { loadStateDir, saveStateDir, type Table } from '../shared/store';
import { UsageError } from './errors';

/**
 * The deployed stack's state table, with the caller's AWS credentials; the SDK is loaded only when
 * asked for. Without `region`, the SDK's own (AWS_REGION, the profile).
 */
export async function dynamoTable(tableName: string, region?: string): Promise<Table> {
  const [{ DynamoDBClient }, { DynamoTable }] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('../shared/aws'),
  ]);
  return new DynamoTable({ tableName, client: new DynamoDBClient(region ? { region } : {}) });
}

/** Where a command that reads or changes the state finds it. */
export interface StoreTarget {
  /** The embedded store of `driftwatch analyze --state DIR`. */
  stateDir?: string;
  /** The deployed stack's DynamoDB state table, used with the caller's AWS credentials. */
  tableName?: string;
  /** The deployed table's region; the SDK's default without it. */
  region?: string;
  configPath?: string;
}

/** An open store: its table, the config, and how to keep what was changed (a no-op for the deployed table). */
export interface OpenStore {
  table: Table;
  config: Config;
  save(): Promise<void>;
}

/**
 * Opens the store `--state DIR` or `--table NAME` names (exactly one of them), with the config of
 * `--config` (the defaults without it). `command` names the command in the error that asks for
 * one; `mustExist` refuses a `--state` folder that is not there (a command that only reads it).
 */
export async function openStore(command: string, target: StoreTarget, mustExist = false): Promise<OpenStore> {
  if (target.stateDir && target.tableName) throw new UsageError('give --state or --table, not both');
  if (!target.stateDir && !target.tableName) {
    throw new UsageError(
      `${command} needs the store: --state DIR (the folder given to driftwatch analyze --state) or --table NAME (the deployed state table)`,
    );
  }
  const config: Config = target.configPath ? loadConfigFile(target.configPath) : defaultConfig();
  if (target.tableName) {
    return { table: await dynamoTable(target.tableName, target.region), config, save: async () => {} };
  }
  const dir = target.stateDir as string;
  if (mustExist && (!existsSync(dir) || !statSync(dir).isDirectory())) {
    throw new UsageError(`--state ${dir} is not a folder; give the folder given to driftwatch analyze --state`);
  }
  const table = await loadStateDir(dir);
  return { table, config, save: () => saveStateDir(table, dir) };
}

/** Where a replay keeps its event-time clock: the last event time `analyze` reached. */
const REPLAY_KEY = { pk: 'CLI', sk: 'REPLAY' };

/** The event time a replayed store reached, or undefined for a store no replay wrote (the deployed table). */
export async function replayClock(table: Table): Promise<number | undefined> {
  const replay = await table.get(REPLAY_KEY);
  return typeof replay?.clock === 'number' ? replay.clock : undefined;
}

/** Keeps the replay's clock for the next run on the same store. */
export async function saveReplayClock(table: Table, clock: number): Promise<void> {
  await table.put({ ...REPLAY_KEY, clock });
}
