import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError } from './errors';
import { type Config, type ConfigInput, ConfigSchema } from './schema';

/** Formats the first zod issue as `path: message`, which is what a user needs to fix the file. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid value';
  const path = issue.path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join('');
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  return `${path || '(root)'}: ${issue.message}${more}`;
}

/** Validates a parsed config object; `where` names its origin in the error. */
export function parseConfig(input: unknown, where = 'config'): Config {
  const result = ConfigSchema.safeParse(input ?? {});
  if (!result.success) {
    throw new ConfigError(`${where}: ${describeIssue(result.error)}. See "Config reference" in the README.`);
  }
  return result.data;
}

/** Reads and validates a JSON config file. */
export function loadConfigFile(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`cannot read config file ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`config file ${path} is not valid JSON (${(cause as Error).message}). Fix the syntax.`, {
      cause,
    });
  }
  return parseConfig(json, path);
}

/** The config with every default applied. */
export function defaultConfig(overrides: ConfigInput = {}): Config {
  return parseConfig(overrides, 'defaults');
}

/** Name of the Lambda environment variable that carries the runtime config as JSON. */
export const CONFIG_ENV = 'DRIFTWATCH_CONFIG';

/** Reads the runtime config a Lambda was deployed with. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = env[CONFIG_ENV];
  if (!raw) return defaultConfig();
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (cause) {
    throw new ConfigError(`${CONFIG_ENV} is not valid JSON; redeploy the stack`, { cause });
  }
  return parseConfig(json, CONFIG_ENV);
}
