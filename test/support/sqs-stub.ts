import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLocally } from './local-server';

/** One request the stub answered: the operation (JSON protocol target) and the queue it named. */
export interface SqsRequest {
  readonly action: string;
  readonly queueUrl: string | undefined;
  readonly attributeNames: readonly string[];
}

export interface SqsStub {
  readonly endpoint: string;
  /** Every request so far, in arrival order. */
  readonly requests: SqsRequest[];
  /** Messages waiting per queue URL, as GetQueueAttributes reports them; 0 for any other queue. */
  readonly depths: Map<string, number>;
  close(): Promise<void>;
}

/**
 * A local SQS that speaks the JSON protocol for the one action the digest uses,
 * GetQueueAttributes, answering `ApproximateNumberOfMessages` from {@link SqsStub.depths}.
 * Anything else gets the error SQS gives an unknown operation, so a new call shows up as a failure.
 */
export async function startSqsStub(): Promise<SqsStub> {
  const requests: SqsRequest[] = [];
  const depths = new Map<string, number>();
  const server = createServer((req, res) => {
    readBody(req).then(
      (body) => answer(String(req.headers['x-amz-target'] ?? ''), body, requests, depths, res),
      () => res.writeHead(400).end(),
    );
  });
  return { ...(await listenLocally(server)), requests, depths };
}

function answer(
  target: string,
  body: string,
  requests: SqsRequest[],
  depths: ReadonlyMap<string, number>,
  res: ServerResponse,
): void {
  const action = target.split('.')[1] ?? '';
  const input = JSON.parse(body || '{}') as { QueueUrl?: string; AttributeNames?: string[] };
  requests.push({ action, queueUrl: input.QueueUrl, attributeNames: input.AttributeNames ?? [] });
  if (action === 'GetQueueAttributes') {
    json(res, 200, {
      Attributes: { ApproximateNumberOfMessages: String(depths.get(input.QueueUrl ?? '') ?? 0) },
    });
    return;
  }
  json(res, 400, {
    __type: 'com.amazon.coral.service#UnknownOperationException',
    message: `The stub does not implement ${action}`,
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() })
    .end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
