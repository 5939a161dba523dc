import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * SHA-256 of the default scenario (seed 42, 14 days) as {@link outputHash} computes it, taken on
 * main before the `existing-cluster` variant was added: the default must not change by accident,
 * and neither must the scenario at explicit scale 1 (test/events/scenario-scale.test.ts). After a
 * deliberate change, recompute it with `npx vitest run test/events/scenario.test.ts` (the
 * failure prints the new hash) and say in the commit why the default's bytes changed.
 */
export const DEFAULT_SCENARIO_SHA256 = 'd401815d6e2aeaac1bc202022472dd3135a298e3eff9caf9db7d57242d69da2e';

/** Files the default scenario writes: its objects and manifest.json. */
export const DEFAULT_SCENARIO_FILES = 673;

/** Every file under `dir`, relative to it, sorted. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/** Every file's relative path and bytes (objects and manifest.json), in path order, hashed together. */
export function outputHash(dir: string): string {
  const hash = createHash('sha256');
  for (const file of filesUnder(dir)) {
    hash.update(file);
    hash.update('\0');
    hash.update(readFileSync(join(dir, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}
