import { isUtf8 } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';

const REPLACEMENT = '\uFFFD';
/** U+FFFD as UTF-8: a replacement character that was in the input, not made by the decoder. */
const REPLACEMENT_BYTES = Buffer.from(REPLACEMENT);

/**
 * Whether the bytes decoded so far held a sequence that is not UTF-8. Once it is set, a record
 * holding U+FFFD is taken as damaged: logs written by the API server and VPC Flow Logs are
 * valid UTF-8, so the character only appears there when bytes were lost.
 */
export class Utf8Health {
  damaged = false;

  /** True when `text[start, end)` holds a replacement character and the input had invalid bytes. */
  damages(text: string, start = 0, end = text.length): boolean {
    if (!this.damaged) return false;
    const at = text.indexOf(REPLACEMENT, start);
    return at !== -1 && at < end;
  }
}

function count(haystack: string | Buffer, needle: string | Buffer): number {
  let n = 0;
  for (let i = haystack.indexOf(needle as never); i !== -1; i = haystack.indexOf(needle as never, i + 1)) n++;
  return n;
}

/**
 * Decodes UTF-8 chunk by chunk; a character split across chunks is kept whole, invalid bytes
 * become U+FFFD and set `health.damaged`. The check is one native validation per chunk; only a
 * chunk that fails it (invalid bytes, or a character cut at its edge) is looked at closer.
 */
export async function* textChunks(bytes: AsyncIterable<Buffer>, health?: Utf8Health): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let previous: Buffer | undefined;
  let previousValid = true;
  for await (const chunk of bytes) {
    const text = decoder.write(chunk);
    const valid = health === undefined || health.damaged || isUtf8(chunk);
    // A chunk that is valid on its own can still complete a bad sequence the last one began.
    if (health && !health.damaged && (!valid || !previousValid)) {
      // Replacement characters the decoder made, beyond those spelled out in the input.
      const edge = previous ? Buffer.concat([previous.subarray(-3), chunk]) : chunk;
      if (count(text, REPLACEMENT) > count(edge, REPLACEMENT_BYTES)) health.damaged = true;
    }
    previous = chunk;
    previousValid = valid;
    if (text) yield text;
  }
  const tail = decoder.end();
  if (tail) {
    if (health && tail.includes(REPLACEMENT)) health.damaged = true;
    yield tail;
  }
}

/** Default bound on one line or document, in UTF-16 code units (about bytes for ASCII logs). */
export const MAX_RECORD_CHARS = 1024 * 1024;

export interface LineSink {
  /**
   * One line: the characters of `text` from `start` to `end` (exclusive, without the line break).
   * Passing a range instead of a string saves a copy per line; `text.slice(start, end)` is the line.
   */
  line(text: string, start: number, end: number, lineNumber: number): void;
  /** A line longer than the bound; its text was dropped. */
  oversized(lineNumber: number, length: number): void;
}

/**
 * Splits text into lines (LF or CRLF) without holding more than one line. A line over
 * `maxChars` is reported as oversized and skipped, so one bad line cannot exhaust memory.
 */
export class LineSplitter {
  private carry = '';
  private lineNumber = 0;
  private skippingLength = -1;

  constructor(
    private readonly sink: LineSink,
    private readonly maxChars = MAX_RECORD_CHARS,
  ) {}

  push(text: string): void {
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      if (newline === -1) break;
      this.lineNumber++;
      if (this.skippingLength >= 0) {
        this.sink.oversized(this.lineNumber, this.skippingLength + newline - start);
        this.skippingLength = -1;
      } else if (this.carry) {
        const line = this.carry + text.slice(start, newline);
        this.carry = '';
        this.emit(line, 0, line.length);
      } else {
        this.emit(text, start, newline);
      }
      start = newline + 1;
    }
    if (start < text.length) {
      if (this.skippingLength >= 0) {
        this.skippingLength += text.length - start;
      } else {
        this.carry += text.slice(start);
        if (this.carry.length > this.maxChars) {
          this.skippingLength = this.carry.length;
          this.carry = '';
        }
      }
    }
  }

  private emit(text: string, start: number, end: number): void {
    if (end - start > this.maxChars) {
      this.sink.oversized(this.lineNumber, end - start);
      return;
    }
    this.sink.line(text, start, end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end, this.lineNumber);
  }

  end(): void {
    if (this.skippingLength >= 0) {
      this.lineNumber++;
      this.sink.oversized(this.lineNumber, this.skippingLength);
    } else if (this.carry) {
      this.lineNumber++;
      this.emit(this.carry, 0, this.carry.length);
    }
    this.carry = '';
    this.skippingLength = -1;
  }
}

export interface DocumentSink {
  document(text: string, lineNumber: number): void;
  /** Text outside any document that is not whitespace. */
  junk(lineNumber: number, detail: string): void;
  /** A document that grew past the bound, strings included; `length` is how far it was read. */
  oversized(lineNumber: number, length: number): void;
  /** A document still open when the input ended. */
  unterminated(lineNumber: number, length: number): void;
}

const OPEN_BRACE = 123; // {
const CLOSE_BRACE = 125; // }
const OPEN_BRACKET = 91; // [
const CLOSE_BRACKET = 93; // ]
const QUOTE = 34; // "
const BACKSLASH = 92; // \
const NEWLINE = 10;

/**
 * Splits a stream of concatenated JSON documents (with or without whitespace between them, as a
 * pretty-printed event or a stream of them) into the text of each document. It tracks nesting and
 * strings only; JSON.parse validates each document afterwards. Each chunk is scanned once: the
 * open document is kept as the pieces of earlier chunks and joined when it closes, so time is
 * linear in the input. The bound holds inside strings too; after an oversized document the
 * scanner resynchronizes at the next line that starts with `{`.
 */
export class JsonDocumentScanner {
  /** The open document's text from earlier chunks. */
  private pieces: string[] = [];
  private piecesLength = 0;
  private depth = 0;
  private inString = false;
  /** Backslashes that ended the previous chunk inside a string: they may escape this chunk's first quote. */
  private pendingBackslashes = 0;
  private documentLine = 0;
  private line = 1;
  private inJunk = false;
  private resyncing = false;
  /** Whether the previous chunk ended with a line break, for a resync at this chunk's first character. */
  private atLineStart = true;

  constructor(
    private readonly sink: DocumentSink,
    private readonly maxChars = MAX_RECORD_CHARS,
  ) {}

  push(text: string): void {
    if (text.length === 0) return;
    const start = this.scan(text);
    if (start >= 0) {
      const rest = start === 0 ? text : text.slice(start);
      this.pieces.push(rest);
      this.piecesLength += rest.length;
    }
    this.atLineStart = text.charCodeAt(text.length - 1) === NEWLINE;
  }

  end(): void {
    if (this.depth > 0) this.sink.unterminated(this.documentLine, this.piecesLength);
    this.reset();
    this.resyncing = false;
  }

  /** Scans one chunk; returns where the document still open at its end starts in it, or -1. */
  private scan(text: string): number {
    const length = text.length;
    let start = this.depth > 0 ? 0 : -1;
    let pos = 0;
    while (pos < length) {
      if (this.resyncing) {
        pos = this.resync(text, pos);
        continue;
      }
      if (this.inString) {
        pos = this.skipString(text, pos);
      } else {
        const c = text.charCodeAt(pos);
        if (c === QUOTE) {
          if (this.depth > 0) this.inString = true;
          else this.junkAt(text, pos);
        } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
          if (this.depth === 0) {
            start = pos;
            this.documentLine = this.line;
            this.inJunk = false;
          }
          this.depth++;
        } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
          if (this.depth === 0) {
            this.junkAt(text, pos);
          } else if (--this.depth === 0) {
            const tail = text.slice(start, pos + 1);
            this.sink.document(this.pieces.length > 0 ? this.pieces.join('') + tail : tail, this.documentLine);
            this.reset();
            start = -1;
          }
        } else if (c === NEWLINE) {
          this.line++;
        } else if (this.depth === 0 && c !== 32 && c !== 9 && c !== 13) {
          this.junkAt(text, pos);
        }
        pos++;
      }
      if (start >= 0 && this.piecesLength + pos - start > this.maxChars) {
        this.sink.oversized(this.documentLine, this.piecesLength + pos - start);
        this.reset();
        start = -1;
        this.resyncing = true;
      }
    }
    return start;
  }

  /** Moves past the string's closing quote, or to the end of the chunk; returns the new position. */
  private skipString(text: string, pos: number): number {
    const quote = text.indexOf('"', pos);
    const end = quote === -1 ? text.length : quote;
    this.countLines(text, pos, end);
    let k = end - 1;
    while (k >= pos && text.charCodeAt(k) === BACKSLASH) k--;
    // A run of backslashes that reaches the chunk's start continues the previous chunk's run.
    const backslashes = end - 1 - k + (k < 0 ? this.pendingBackslashes : 0);
    if (quote === -1) {
      this.pendingBackslashes = backslashes;
      return text.length;
    }
    this.pendingBackslashes = 0;
    if (backslashes % 2 === 0) this.inString = false;
    return quote + 1;
  }

  /** Skips to the next line that starts with `{`; returns the new position. */
  private resync(text: string, pos: number): number {
    let found: number;
    if (pos === 0 && this.atLineStart && text.charCodeAt(0) === OPEN_BRACE) {
      found = 0;
    } else {
      const at = text.indexOf('\n{', pos);
      found = at === -1 ? text.length : at + 1;
    }
    this.countLines(text, pos, found);
    if (found < text.length) this.resyncing = false;
    return found;
  }

  private reset(): void {
    this.pieces = [];
    this.piecesLength = 0;
    this.depth = 0;
    this.inString = false;
    this.pendingBackslashes = 0;
  }

  private junkAt(text: string, pos: number): void {
    if (!this.inJunk) {
      this.inJunk = true;
      this.sink.junk(this.line, `text outside any JSON document (character code ${text.charCodeAt(pos)})`);
    }
  }

  private countLines(text: string, from: number, to: number): void {
    for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) {
      this.line++;
    }
  }
}

/**
 * Splits a stream of JSON documents that all begin with the same token, such as CloudWatch Logs
 * subscription data (`{"messageType"...`), concatenated with or without newlines. Inside a JSON
 * string every quote is escaped, so the token can only occur where a document starts: a native
 * `indexOf` over each chunk finds the boundaries, each document is joined from its pieces once,
 * and a damaged document costs only itself.
 */
export class TokenDocumentSplitter {
  /** The current document, in pieces; it never includes `tail`. */
  private pieces: string[] = [];
  private length = 0;
  private inDocument = false;
  private skipping = false;
  /** The last characters seen, which may be the start of a token split across chunks. */
  private tail = '';
  private line = 1;
  private documentLine = 1;
  private documentIndex = 0;

  constructor(
    private readonly token: string,
    private readonly sink: {
      document(text: string, lineNumber: number, index: number): void;
      junk(lineNumber: number, detail: string): void;
      /** A document that grew past the bound; `length` is how far it was read. */
      oversized(lineNumber: number, length: number): void;
    },
    private readonly maxChars = MAX_RECORD_CHARS,
  ) {}

  push(text: string): void {
    const joined = this.tail ? this.tail + text : text;
    let from = 0;
    for (let next = joined.indexOf(this.token); next !== -1; next = joined.indexOf(this.token, next + 1)) {
      this.append(joined.slice(from, next));
      this.close();
      this.inDocument = true;
      this.documentLine = this.line;
      from = next;
    }
    const keep = Math.max(from, joined.length - (this.token.length - 1));
    this.append(joined.slice(from, keep));
    this.tail = joined.slice(keep);
  }

  end(): void {
    this.append(this.tail);
    this.tail = '';
    this.close();
  }

  private append(text: string): void {
    if (text.length === 0) return;
    if (!this.inDocument) {
      if (text.trim() !== '') this.sink.junk(this.line, 'text before the first document');
      this.countLines(text);
      return;
    }
    if (this.skipping) {
      this.countLines(text);
      return;
    }
    this.pieces.push(text);
    this.length += text.length;
    if (this.length > this.maxChars) {
      this.sink.oversized(this.documentLine, this.length);
      for (const piece of this.pieces) this.countLines(piece);
      this.pieces = [];
      this.length = 0;
      this.skipping = true;
    }
  }

  private close(): void {
    if (this.inDocument && !this.skipping) {
      const text = this.pieces.length === 1 ? (this.pieces[0] as string) : this.pieces.join('');
      this.sink.document(text.trimEnd(), this.documentLine, this.documentIndex);
      this.countLines(text);
    }
    if (this.inDocument) this.documentIndex++;
    this.pieces = [];
    this.length = 0;
    this.skipping = false;
    this.inDocument = false;
  }

  private countLines(text: string): void {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.line++;
  }
}
