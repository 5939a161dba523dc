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
  /** Lines that were neither blank, a comment, nor an address. */
  invalid: { line: number; text: string }[];
}

/**
 * Known-bad addresses from one or more lists. Reads the common formats: one address or CIDR per
 * line, `#` comments (FireHOL netsets), `;` comments (Spamhaus DROP), and trailing comments.
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
    const result: ThreatListParseResult = { entries: 0, invalid: [] };
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i] as string;
      const commentAt = raw.search(/[#;]/);
      const body = (commentAt === -1 ? raw : raw.slice(0, commentAt)).trim();
      const note = commentAt === -1 ? undefined : raw.slice(commentAt + 1).trim() || undefined;
      if (!body) continue;
      const entry = body.split(/\s+/)[0] as string;
      if (this.index.add(entry, { list: name, entry, note })) result.entries++;
      else if (result.invalid.length < 10) result.invalid.push({ line: i + 1, text: raw.slice(0, 80) });
    }
    return result;
  }

  /** The list entry an address falls in, or undefined. */
  match(address: string): ThreatEntry | undefined {
    return this.index.lookup(address);
  }
}
