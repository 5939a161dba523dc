import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import { StoreError } from './errors';
import { MemoryTable } from './memory-table';
import type { Item } from './types';

const FILE_NAME = 'state.jsonl';
const SET_TAG = '$ss';
const BINARY_TAG = '$b';

/**
 * Loads the CLI's embedded store from `dir`, or an empty one. Items are JSON Lines; string sets
 * are written as `{"$ss": [...]}`, binary values as `{"$b": "<base64>"}`.
 */
export async function loadStateDir(dir: string): Promise<MemoryTable> {
  const table = new MemoryTable();
  const path = join(dir, FILE_NAME);
  if (!existsSync(path)) return table;
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let lineNumber = 0;
  const items: Item[] = [];
  for await (const line of lines) {
    lineNumber++;
    if (!line.trim()) continue;
    try {
      items.push(JSON.parse(line, reviveSets) as Item);
    } catch (cause) {
      throw new StoreError(
        `state file ${path} is damaged at line ${lineNumber}; delete the --state folder to start over`,
        { cause },
      );
    }
  }
  table.load(items);
  return table;
}

/** Writes the store to `dir` atomically (a temporary file, then a rename). */
export async function saveStateDir(table: MemoryTable, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, FILE_NAME);
  const temporary = `${path}.${process.pid}.tmp`;
  const out = createWriteStream(temporary, 'utf8');
  for (const item of table.items()) {
    if (!out.write(`${JSON.stringify(item, replaceSets)}\n`)) {
      await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  }
  out.end();
  await finished(out);
  renameSync(temporary, path);
}

function replaceSets(this: unknown, key: string, value: unknown): unknown {
  // JSON.stringify hands Buffers to the replacer already turned into {type, data}; read the original.
  const original = key === '' ? value : (this as Record<string, unknown>)[key];
  if (original instanceof Uint8Array) return { [BINARY_TAG]: Buffer.from(original).toString('base64') };
  return value instanceof Set ? { [SET_TAG]: [...value] } : value;
}

function reviveSets(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const tagged = (value as Record<string, unknown>)[SET_TAG];
    if (Array.isArray(tagged) && Object.keys(value).length === 1) return new Set(tagged);
    const binary = (value as Record<string, unknown>)[BINARY_TAG];
    if (typeof binary === 'string' && Object.keys(value).length === 1) {
      return new Uint8Array(Buffer.from(binary, 'base64'));
    }
  }
  return value;
}
