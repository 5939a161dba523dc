import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { ObjectSource } from '../shared/ingest';
import { firstEventTime } from '../shared/ingest';
import { UsageError } from './errors';

/** A local log object and the time it would have been delivered. */
export interface LocalObject {
  source: ObjectSource;
  /** Epoch ms used to order the replay; undefined when neither the name nor the content tells. */
  time?: number;
  path: string;
}

const SKIPPED_NAMES = new Set(['manifest.json', 'README.md', '.DS_Store']);

/** Every file under the given paths, recursively, skipping hidden files. */
export function listFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  const visit = (path: string) => {
    const info = statSync(path);
    if (info.isDirectory()) {
      for (const name of readdirSync(path).sort()) {
        if (name.startsWith('.') || SKIPPED_NAMES.has(name)) continue;
        visit(join(path, name));
      }
    } else if (info.isFile()) {
      files.push(path);
    }
  };
  for (const path of paths) {
    if (!existsSync(path)) throw new UsageError(`path not found: ${path}. Give a log file or a folder of log files.`);
    visit(path);
  }
  return files;
}

export function fileSource(path: string): ObjectSource {
  const info = statSync(path);
  return {
    uri: relative(process.cwd(), resolve(path)) || path,
    version: `${info.size}:${Math.floor(info.mtimeMs)}`,
    size: info.size,
    async readRange(start, end) {
      const handle = await openFile(path, 'r');
      try {
        const bytes = Buffer.alloc(Math.max(0, Math.min(end, info.size) - start));
        const { bytesRead } = await handle.read(bytes, 0, bytes.length, start);
        return bytes.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
    open(options) {
      return createReadStream(path, {
        highWaterMark: 64 * 1024,
        ...(options?.headBytes ? { start: 0, end: options.headBytes - 1 } : {}),
      });
    },
  };
}

const FIREHOSE_TIME = /-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-[^/]*$/;
const FLOW_TIME = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^/]*$/;
const HIVE_TIME = /year=(\d{4})\/month=(\d{2})\/day=(\d{2})(?:\/hour=(\d{2}))?/;
const PLAIN_TIME = /(?:^|\/)(\d{4})\/(\d{2})\/(\d{2})(?:\/(\d{2}))?\//;

/** The delivery time S3 keys carry (Firehose and VPC Flow Logs both name it), or undefined. */
export function timeFromKey(key: string): number | undefined {
  const normalized = key.replace(/\\/g, '/');
  for (const pattern of [FIREHOSE_TIME, FLOW_TIME, HIVE_TIME, PLAIN_TIME]) {
    const m = pattern.exec(normalized);
    if (!m) continue;
    const [, y, mo, d, h = '00', mi = '00', s = '00'] = m;
    const time = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
    if (Number.isFinite(time)) return time;
  }
  return undefined;
}

/**
 * Orders objects the way AWS would have delivered them: by the delivery time in the key, else by
 * the time of the object's first event. Objects with no time at all (no events) come first and
 * do not move the replay clock. Ties keep path order.
 */
export async function inDeliveryOrder(paths: readonly string[]): Promise<LocalObject[]> {
  const objects: LocalObject[] = [];
  for (const path of paths) {
    const source = fileSource(path);
    objects.push({ path, source, time: timeFromKey(path) ?? (await firstEventTime(source)) });
  }
  return objects.sort(
    (a, b) =>
      (a.time ?? Number.NEGATIVE_INFINITY) - (b.time ?? Number.NEGATIVE_INFINITY) || a.path.localeCompare(b.path),
  );
}
