import { createServer, request } from 'node:http';
import { listenLocally } from './local-server';

/** The errors DynamoDB answers a throttled request with, and the SDK retries as throttling. */
export const THROTTLING_ERRORS = {
  ProvisionedThroughputExceededException: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  ThrottlingException: 'com.amazon.coral.availability#ThrottlingException',
  RequestLimitExceeded: 'com.amazonaws.dynamodb.v20120810#RequestLimitExceeded',
} as const;

export type ThrottlingError = keyof typeof THROTTLING_ERRORS;

/**
 * What to do with one HTTP request: throttle it whole, pass only the first half of a batch or
 * none of it (the rest comes back as UnprocessedItems / UnprocessedKeys, neither written nor
 * read), or pass it unchanged.
 */
export type Fault = { throttle: ThrottlingError } | { process: 'half' | 'none' } | 'pass';

export interface FaultLogEntry {
  readonly operation: string;
  readonly fault: Fault;
  /** Batch entries sent back unprocessed. */
  readonly withheld: number;
}

export interface ThrottlingDynamo {
  readonly endpoint: string;
  /** Every request and what was done to it. */
  readonly log: FaultLogEntry[];
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

/**
 * A proxy in front of dynalite that behaves like a DynamoDB table under pressure: `decide` picks,
 * request by request (n counts every HTTP request, retries included), whether to throttle it, to
 * process only half of a batch, or to pass it.
 */
export async function startThrottlingDynamo(
  target: string,
  decide: (operation: string, n: number) => Fault,
): Promise<ThrottlingDynamo> {
  const upstream = new URL(target);
  const log: FaultLogEntry[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    const fault = decide(operation, log.length);
    if (typeof fault === 'object' && 'throttle' in fault) {
      log.push({ operation, fault, withheld: 0 });
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(
        JSON.stringify({
          __type: THROTTLING_ERRORS[fault.throttle],
          message: 'Rate of requests exceeds the allowed throughput.',
        }),
      );
      return;
    }
    let body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Json;
    let withheld: Json = {};
    if (fault !== 'pass') [body, withheld] = splitBatch(operation, body, fault.process);
    const count = Object.values(withheld).reduce<number>((sum, v) => sum + entries(operation, v).length, 0);
    log.push({ operation, fault, withheld: count });
    if (count > 0 && Object.keys(body.RequestItems as Json).length === 0) {
      // Nothing left to send (DynamoDB rejects an empty batch): every entry comes back unprocessed.
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(
        JSON.stringify(mergeUnprocessed(operation, operation === 'BatchGetItem' ? { Responses: {} } : {}, withheld)),
      );
      return;
    }
    const payload = Buffer.from(JSON.stringify(body));
    const headers = { ...req.headers, 'content-length': String(payload.length) };
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      async (answer) => {
        const parts: Buffer[] = [];
        for await (const part of answer) parts.push(part as Buffer);
        let text = Buffer.concat(parts).toString();
        if (count > 0 && answer.statusCode === 200)
          text = JSON.stringify(mergeUnprocessed(operation, JSON.parse(text), withheld));
        const { 'x-amz-crc32': _crc, 'content-length': _length, ...rest } = answer.headers;
        res.writeHead(answer.statusCode ?? 502, { ...rest, 'content-length': String(Buffer.byteLength(text)) });
        res.end(text);
      },
    );
    forward.on('error', () => res.writeHead(502).end());
    forward.end(payload);
  });
  return { ...(await listenLocally(server)), log };
}

/** The entries of one table's part of a batch request: write requests, or the keys of a get. */
function entries(operation: string, tablePart: unknown): unknown[] {
  return operation === 'BatchWriteItem' ? (tablePart as unknown[]) : ((tablePart as { Keys: unknown[] }).Keys ?? []);
}

/** Keeps the first half (rounded up) of each table's entries, or none; returns the request to send and what was held back. */
function splitBatch(operation: string, body: Json, process: 'half' | 'none'): [Json, Json] {
  if (operation !== 'BatchWriteItem' && operation !== 'BatchGetItem') return [body, {}];
  const items = body.RequestItems as Record<string, unknown>;
  const sent: Json = {};
  const held: Json = {};
  for (const [table, part] of Object.entries(items)) {
    const all = entries(operation, part);
    const keep = process === 'half' ? Math.ceil(all.length / 2) : 0;
    if (keep > 0)
      sent[table] =
        operation === 'BatchWriteItem' ? all.slice(0, keep) : { ...(part as Json), Keys: all.slice(0, keep) };
    if (all.length > keep) {
      held[table] = operation === 'BatchWriteItem' ? all.slice(keep) : { ...(part as Json), Keys: all.slice(keep) };
    }
  }
  return [{ ...body, RequestItems: sent }, held];
}

function mergeUnprocessed(operation: string, response: Json, held: Json): Json {
  const field = operation === 'BatchWriteItem' ? 'UnprocessedItems' : 'UnprocessedKeys';
  const unprocessed = { ...((response[field] as Json | undefined) ?? {}) };
  for (const [table, part] of Object.entries(held)) {
    const already = unprocessed[table];
    unprocessed[table] =
      operation === 'BatchWriteItem'
        ? [...((already as unknown[]) ?? []), ...(part as unknown[])]
        : {
            ...(part as Json),
            Keys: [...((already as { Keys?: unknown[] })?.Keys ?? []), ...entries(operation, part)],
          };
  }
  return { ...response, [field]: unprocessed };
}
