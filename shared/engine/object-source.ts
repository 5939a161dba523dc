import { decompressed } from '../ingest/decompress';
import { newReadStats } from '../ingest/stats';

export type LogKind = 'audit' | 'flow';

/** One log object to process: an S3 object or a local file. */
export interface ObjectSource {
  /** S3 URI or file path. */
  uri: string;
  /** Identity of this version of the object (S3 ETag or version; file size and mtime). */
  version: string;
  /**
   * Opens the object's bytes; may be called more than once. `headBytes` asks for at least that
   * many leading bytes only (a ranged GET on S3), for sniffing.
   */
  open(options?: { headBytes?: number }): AsyncIterable<Uint8Array> | Promise<AsyncIterable<Uint8Array>>;
  /** The kind, when the delivery path already says it (the audit or flow queue). */
  kind?: LogKind;
}

/** The log kind the S3 key layout suggests, or undefined. */
export function kindFromKey(key: string, prefixes?: { audit?: string; flow?: string }): LogKind | undefined {
  if (/(^|\/)vpcflowlogs\//.test(key) || /aws-service=vpcflowlogs/.test(key)) return 'flow';
  if (prefixes?.flow && key.startsWith(prefixes.flow)) return 'flow';
  if (prefixes?.audit && key.startsWith(prefixes.audit)) return 'audit';
  return undefined;
}

/** What the content of an object says it is, from its first decompressed bytes. */
export function kindFromContent(head: string): LogKind | 'unknown' {
  const text = head.replace(/^\uFEFF/, '').trimStart();
  if (/^version\s|^(\S+\s+)*(srcaddr|pkt-srcaddr)\s/.test(text.slice(0, 2000))) return 'flow';
  if (/^\d+\s+\d{12}\s+eni-/.test(text)) return 'flow';
  if (text.startsWith('{') || text.startsWith('[')) return 'audit';
  if (/^\d{4}-\d{2}-\d{2}T[0-9:.]+Z? \{/.test(text)) return 'audit';
  return 'unknown';
}

const SNIFF_BYTES = 64 * 1024;

/** Reads the first few kilobytes of an object, decompressed, to sniff its kind. */
export async function sniffKind(source: ObjectSource): Promise<LogKind | 'unknown'> {
  const stats = newReadStats();
  let head = '';
  for await (const chunk of decompressed(await source.open({ headBytes: SNIFF_BYTES }), stats, source.uri)) {
    head += chunk.toString('utf8', 0, Math.min(chunk.length, 4096));
    if (head.length >= 1024) break;
  }
  return kindFromContent(head);
}
