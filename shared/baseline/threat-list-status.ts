import type { RefreshOutcome } from '../intel';
import type { Table } from '../store';
import { keys } from '../store';
import { epochSeconds, printable, redact } from '../util';

/**
 * Where a fetched threat list stands: written by the fetcher after each refresh, read by the
 * rebaseline, which reports a list that has not refreshed for too long.
 */
export interface ThreatListStatus {
  name: string;
  /** The first refresh ever tried, epoch ms: the start of the wait for a list never refreshed. */
  firstAttempt: number;
  /** The latest refresh tried, epoch ms. */
  lastAttempt: number;
  /** The latest refresh that left a good copy in use (new or unchanged), epoch ms; absent if none did. */
  lastSuccess?: number;
  /** The store's name for the copy in use, as of its last change (S3 version id). */
  version?: string;
  /** Entries of the copy in use, as of the last refresh that read it; absent while there is none. */
  entries?: number;
  /** Refreshes that failed since the last success. */
  failures: number;
  /** Why the latest refresh failed, short and printable; absent after a success. */
  error?: string;
}

/** A reason is a URL and an error message, never a body: this bounds it anyway. */
const MAX_ERROR_CHARS = 200;

/**
 * A status no refresh has touched for this long belongs to a list taken out of the config: it
 * ages out instead of being reported forever.
 */
const FORGET_DAYS = 30;

/** The fetched lists' refresh status (`THREATLIST`), one item per list. */
export class ThreatListStatusStore {
  constructor(private readonly table: Table) {}

  /**
   * Notes what one run's refreshes did, at `at` (wall clock). A success clears the failure count
   * and the error; a failure keeps the last success and version and says why. A run older than
   * the status (a retry overtaken by the next run) changes nothing.
   */
  async record(outcomes: readonly RefreshOutcome[], at: number): Promise<void> {
    for (const outcome of outcomes) {
      const always = { name: outcome.name, lastAttempt: at, expiresAt: epochSeconds(at) + FORGET_DAYS * 86_400 };
      const update =
        outcome.status === 'stale'
          ? {
              set: {
                ...always,
                error: shortReason(outcome.reason),
                // A copy fetched before the status was kept.
                ...(outcome.kept === undefined ? {} : { entries: outcome.kept }),
              },
              add: { failures: 1 },
            }
          : {
              set: {
                ...always,
                lastSuccess: at,
                entries: outcome.entries,
                failures: 0,
                error: '',
                ...(outcome.status === 'updated' && outcome.version ? { version: outcome.version } : {}),
              },
            };
      await this.table.update(
        keys.threatListStatus(outcome.name),
        { ...update, setIfAbsent: { firstAttempt: at } },
        { kind: 'absentOrBelow', attribute: 'lastAttempt', value: at + 1 },
      );
    }
  }

  /** Every list's status. */
  async all(): Promise<ThreatListStatus[]> {
    return (await this.table.query(keys.threatLists())).map((item) => ({
      name: String(item.name),
      firstAttempt: Number(item.firstAttempt),
      lastAttempt: Number(item.lastAttempt),
      ...(typeof item.lastSuccess === 'number' ? { lastSuccess: item.lastSuccess } : {}),
      ...(typeof item.version === 'string' ? { version: item.version } : {}),
      ...(typeof item.entries === 'number' ? { entries: item.entries } : {}),
      failures: Number(item.failures ?? 0),
      ...(typeof item.error === 'string' && item.error !== '' ? { error: item.error } : {}),
    }));
  }
}

/** A refresh's reason as it may be stored and shown: credentials in a URL removed, bounded, printable. */
function shortReason(reason: string): string {
  return printable(redact(reason), MAX_ERROR_CHARS);
}
