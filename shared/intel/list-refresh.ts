import { ListMissingError } from './errors';
import { ThreatIntel } from './threat-intel';

/** One HTTP GET, as `fetch` answers it: injected so that tests need no network. */
export type HttpGet = (url: string, signal: AbortSignal) => Promise<{ status: number; text(): Promise<string> }>;

/**
 * Where the fetched lists are kept, one copy in use per list. Writing a list keeps the copy it
 * replaces as an older version (S3 versioning), so a bad list that got through can be rolled back.
 */
export interface ListStore {
  /** The copy in use; throws {@link ListMissingError} when there is none yet. */
  read(name: string): Promise<string>;
  /**
   * Makes `text` the copy in use, and returns what names that copy among the versions kept (for
   * the list's refresh status), or undefined when the store cannot say.
   */
  write(name: string, text: string, about: { url: string; entries: number }): Promise<string | undefined>;
}

/** A list to keep: its name (the store's key and the name findings give) and where it is published. */
export interface ListToFetch {
  name: string;
  url: string;
}

/** What one refresh did to one list. */
export type RefreshOutcome =
  | { name: string; status: 'updated'; entries: number; previous: number | undefined; version: string | undefined }
  | { name: string; status: 'unchanged'; entries: number }
  /** The refresh failed: the copy in use (if any, with `kept` entries) stays. */
  | { name: string; status: 'stale'; reason: string; kept: number | undefined };

export interface RefreshOptions {
  get: HttpGet;
  store: ListStore;
  /** A list with this many percent fewer entries than the copy kept is held back. @default 50 */
  maxShrinkPercent?: number;
  /** Per list, for the request and its body. @default 30000 */
  timeoutMs?: number;
}

/** Far above the largest public list (FireHOL level 1 is well under 1 MiB): a bigger body is not a list. */
const MAX_LIST_CHARS = 32 * 1024 * 1024;

/** The entries of a list's text and how many of its lines are not addresses. */
function parse(name: string, text: string): { entries: number; rejected: number } {
  const { entries, rejected } = new ThreatIntel().addList(name, text);
  return { entries, rejected };
}

/** Why a fetched body cannot replace the copy kept, or undefined when it can. */
function rejection(
  fresh: { entries: number; rejected: number },
  kept: number | undefined,
  maxShrinkPercent: number,
): string | undefined {
  if (fresh.entries === 0) return fresh.rejected > 0 ? 'no line of the body is an address' : 'the body is empty';
  // An HTML error page served with 200, or a format changed upstream.
  if (fresh.rejected > fresh.entries) {
    return `${fresh.rejected} lines are not addresses, more than the ${fresh.entries} that are`;
  }
  if (kept !== undefined && fresh.entries < kept * (1 - maxShrinkPercent / 100)) {
    return `it shrank from ${kept} to ${fresh.entries} entries, more than ${maxShrinkPercent}% at once`;
  }
  return undefined;
}

/** The copy in use, parsed; undefined when there is none yet. */
async function readKept(store: ListStore, name: string): Promise<{ text: string; entries: number } | undefined> {
  try {
    const text = await store.read(name);
    return { text, entries: parse(name, text).entries };
  } catch (error) {
    if (error instanceof ListMissingError) return undefined;
    throw error;
  }
}

/** The body of `url`, or the reason there is none. */
async function download(list: ListToFetch, get: HttpGet, timeoutMs: number): Promise<string | { reason: string }> {
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    const response = await get(list.url, signal);
    if (response.status < 200 || response.status > 299)
      return { reason: `${list.url} answered HTTP ${response.status}` };
    const text = await response.text();
    if (text.length > MAX_LIST_CHARS) return { reason: `${list.url} sent more than ${MAX_LIST_CHARS} characters` };
    return text;
  } catch (error) {
    return { reason: `${list.url} could not be fetched: ${(error as Error).message}` };
  }
}

/**
 * Refreshes one list: downloads it, checks that it reads as a list of about the size of the copy
 * kept, and only then replaces that copy. Never throws: a list that cannot be refreshed keeps its
 * last good copy and comes back `stale`, with the reason.
 */
export async function refreshList(list: ListToFetch, options: RefreshOptions): Promise<RefreshOutcome> {
  let kept: { text: string; entries: number } | undefined;
  try {
    kept = await readKept(options.store, list.name);
  } catch (error) {
    return {
      name: list.name,
      status: 'stale',
      reason: `the copy kept could not be read: ${(error as Error).message}`,
      kept: undefined,
    };
  }
  const stale = (reason: string): RefreshOutcome => ({ name: list.name, status: 'stale', reason, kept: kept?.entries });
  const body = await download(list, options.get, options.timeoutMs ?? 30_000);
  if (typeof body !== 'string') return stale(body.reason);
  const fresh = parse(list.name, body);
  const refused = rejection(fresh, kept?.entries, options.maxShrinkPercent ?? 50);
  if (refused) return stale(refused);
  // The same list again: no new version, and the processors' ETag check sees no change.
  if (kept?.text === body) return { name: list.name, status: 'unchanged', entries: fresh.entries };
  let version: string | undefined;
  try {
    version = await options.store.write(list.name, body, { url: list.url, entries: fresh.entries });
  } catch (error) {
    return stale(`the new copy could not be stored: ${(error as Error).message}`);
  }
  return { name: list.name, status: 'updated', entries: fresh.entries, previous: kept?.entries, version };
}

/** Refreshes every list, at once; one list's failure leaves the others alone. */
export function refreshLists(lists: readonly ListToFetch[], options: RefreshOptions): Promise<RefreshOutcome[]> {
  return Promise.all(lists.map((list) => refreshList(list, options)));
}
