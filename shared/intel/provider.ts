import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { ThreatIntelSource } from '../config';
import { ListMissingError } from './errors';
import { ThreatIntel } from './threat-intel';

/**
 * Reads a list's text and a version tag (ETag or mtime) that changes when the list does. The S3
 * fetcher throws {@link ListMissingError} for a missing object, which an `optional` source reads
 * as an empty list.
 */
export interface ListFetcher {
  fetch(location: string): Promise<{ text: string; version: string }>;
  version(location: string): Promise<string>;
}

export interface ThreatIntelProviderOptions {
  sources: readonly ThreatIntelSource[];
  /** Reads `s3://` locations. Without it, S3 sources are an error. */
  s3?: ListFetcher;
  /** Resolves relative file paths. @default process.cwd() */
  baseDir?: string;
  /** How often to check whether a list changed. @default 300 */
  refreshSeconds?: number;
  /** Reports a list that could not be read or had invalid lines. */
  warn?: (message: string) => void;
}

const files: ListFetcher = {
  async fetch(path) {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { text, version: `${info.size}:${info.mtimeMs}` };
  },
  async version(path) {
    const info = await stat(path);
    return `${info.size}:${info.mtimeMs}`;
  },
};

/** The version of a missing optional list: it changes when the list appears. */
const MISSING = 'missing';

/** An optional list reads as empty while it does not exist; any other failure stays one. */
function tolerateMissing(fetcher: ListFetcher): ListFetcher {
  const missing = (error: unknown) => {
    if (error instanceof ListMissingError) return MISSING;
    throw error;
  };
  return {
    fetch: (location) => fetcher.fetch(location).catch((error) => ({ text: '', version: missing(error) })),
    version: (location) => fetcher.version(location).catch(missing),
  };
}

/**
 * Loads the configured threat lists once and keeps them, checking every few minutes whether
 * any changed (by ETag or mtime) and reloading only then. One per Lambda container.
 */
export class ThreatIntelProvider {
  private current: ThreatIntel | undefined;
  private versions: string[] = [];
  private checkedAt = 0;

  constructor(private readonly options: ThreatIntelProviderOptions) {}

  async get(now = Date.now()): Promise<ThreatIntel> {
    const refreshMs = (this.options.refreshSeconds ?? 300) * 1000;
    if (this.current && now - this.checkedAt < refreshMs) return this.current;
    this.checkedAt = now;
    if (!this.current) return this.load();
    try {
      const versions = await Promise.all(this.locations().map(({ fetcher, location }) => fetcher.version(location)));
      if (versions.every((v, i) => v === this.versions[i])) return this.current;
      return await this.load();
    } catch (error) {
      // A list that cannot be read now (S3 throttling, a file being replaced) must not stop
      // detection: keep the lists we have and try again at the next check.
      this.options.warn?.(`threat lists not reloaded, keeping the previous ones: ${(error as Error).message}`);
      return this.current;
    }
  }

  private async load(): Promise<ThreatIntel> {
    const intel = new ThreatIntel();
    const versions: string[] = [];
    for (const [i, { fetcher, location, name }] of this.locations().entries()) {
      const { text, version } = await fetcher.fetch(location);
      versions[i] = version;
      const result = intel.addList(name, text);
      for (const bad of result.invalid) {
        this.options.warn?.(
          `threat list ${name} line ${bad.line} is not an address or CIDR: ${JSON.stringify(bad.text)}`,
        );
      }
    }
    this.current = intel;
    this.versions = versions;
    return intel;
  }

  private locations(): { fetcher: ListFetcher; location: string; name: string }[] {
    const baseDir = this.options.baseDir ?? process.cwd();
    return this.options.sources.map((source) => {
      if ('s3Uri' in source) {
        if (!this.options.s3) throw new Error(`threat list ${source.s3Uri} needs an S3 client`);
        const fetcher = source.optional ? tolerateMissing(this.options.s3) : this.options.s3;
        return { fetcher, location: source.s3Uri, name: source.name ?? source.s3Uri };
      }
      const location = isAbsolute(source.path) ? source.path : resolve(baseDir, source.path);
      return { fetcher: files, location, name: source.name ?? source.path };
    });
  }
}
