import { CidrIndex } from './cidr-index';

export interface ThreatEntry {
  /** The list it came from. */
  list: string;
  /** The CIDR or address as listed. */
  entry: string;
  /** The comment on its line, if any (Spamhaus gives an SBL id). */
  note?: string;
}

export interface ThreatListParseResult {
  entries: number;
  /** Lines that were neither blank, a comment, nor an address: the first ten. */
  invalid: { line: number; text: string }[];
  /** How many lines were invalid in all. */
  rejected: number;
}

/**
 * One line of Spamhaus's JSON DROP lists (`{"cidr":"192.0.2.0/24","sblid":"SBL000001",...}`): the
 * entry, null for a line without one (the trailing metadata line), undefined for a broken line.
 */
function jsonEntry(line: string): { cidr: string; note?: string } | null | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.cidr !== 'string') return record.type === 'metadata' ? null : undefined;
  const note = typeof record.sblid === 'string' ? record.sblid : undefined;
  return { cidr: record.cidr, ...(note ? { note } : {}) };
}

/** Counts an invalid line, keeping the first few to show. */
function reject(result: ThreatListParseResult, line: number, raw: string): void {
  result.rejected++;
  if (result.invalid.length < 10) result.invalid.push({ line, text: raw.slice(0, 80) });
}

/**
 * Known-bad addresses from one or more lists. Reads the common formats: one address or CIDR per
 * line, `#` comments (FireHOL netsets), `;` comments (Spamhaus DROP), trailing comments, and
 * Spamhaus's JSON lines (`drop_v4.json`, `drop_v6.json`).
 */
export class ThreatIntel {
  private readonly index = new CidrIndex<ThreatEntry>();
  readonly lists: string[] = [];

  static empty(): ThreatIntel {
    return new ThreatIntel();
  }

  get size(): number {
    return this.index.size;
  }

  addList(name: string, text: string): ThreatListParseResult {
    this.lists.push(name);
    const result: ThreatListParseResult = { entries: 0, invalid: [], rejected: 0 };
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i] as string;
      if (raw.trimStart().startsWith('{')) {
        const json = jsonEntry(raw);
        if (json === null) continue;
        if (json && this.index.add(json.cidr, { list: name, entry: json.cidr, note: json.note })) result.entries++;
        else reject(result, i + 1, raw);
        continue;
      }
      const commentAt = raw.search(/[#;]/);
      const body = (commentAt === -1 ? raw : raw.slice(0, commentAt)).trim();
      const note = commentAt === -1 ? undefined : raw.slice(commentAt + 1).trim() || undefined;
      if (!body) continue;
      const entry = body.split(/\s+/)[0] as string;
      if (this.index.add(entry, { list: name, entry, note })) result.entries++;
      else reject(result, i + 1, raw);
    }
    return result;
  }

  /** The list entry an address falls in, or undefined. */
  match(address: string): ThreatEntry | undefined {
    return this.index.lookup(address);
  }
}
