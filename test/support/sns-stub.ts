import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLocally } from './local-server';

/** One message of a Publish or PublishBatch request, as the stub received it. */
export interface StubMessage {
  readonly id: string | undefined;
  readonly subject: string | undefined;
  readonly message: string;
  /** Message attributes by name (their string values). */
  readonly attributes: Record<string, string>;
}

/** One request the stub answered. */
export interface SnsRequest {
  /** The query protocol's `Action`, such as `PublishBatch`. */
  readonly action: string;
  readonly topicArn: string | undefined;
  readonly messages: StubMessage[];
}

export interface SnsStub {
  readonly endpoint: string;
  /** Every request so far, in arrival order. */
  readonly requests: SnsRequest[];
  close(): Promise<void>;
}

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

/**
 * A local SNS that speaks the query protocol for the two actions a publisher uses, Publish and
 * PublishBatch: it records each request and accepts every message. Anything else gets the
 * error SNS gives an unknown action, so a new call shows up as a failure rather than passing.
 */
export async function startSnsStub(): Promise<SnsStub> {
  const requests: SnsRequest[] = [];
  const server = createServer((req, res) => {
    readBody(req).then(
      (body) => answer(new URLSearchParams(body), requests, res),
      () => res.writeHead(400).end(),
    );
  });
  return { ...(await listenLocally(server)), requests };
}

function answer(params: URLSearchParams, requests: SnsRequest[], res: ServerResponse): void {
  const action = params.get('Action') ?? '';
  const topicArn = params.get('TopicArn') ?? undefined;
  const requestId = randomUUID();
  if (action === 'Publish') {
    requests.push({ action, topicArn, messages: [messageOf(params, '')] });
    xml(
      res,
      200,
      `<PublishResponse xmlns="${XMLNS}"><PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult>` +
        `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
    );
    return;
  }
  if (action === 'PublishBatch') {
    const messages: StubMessage[] = [];
    for (let n = 1; params.has(`PublishBatchRequestEntries.member.${n}.Id`); n++) {
      messages.push(messageOf(params, `PublishBatchRequestEntries.member.${n}.`));
    }
    requests.push({ action, topicArn, messages });
    const successful = messages
      .map((m) => `<member><Id>${m.id}</Id><MessageId>${randomUUID()}</MessageId></member>`)
      .join('');
    xml(
      res,
      200,
      `<PublishBatchResponse xmlns="${XMLNS}"><PublishBatchResult><Successful>${successful}</Successful><Failed/>` +
        `</PublishBatchResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishBatchResponse>`,
    );
    return;
  }
  requests.push({ action, topicArn, messages: [] });
  xml(
    res,
    400,
    `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>InvalidAction</Code>` +
      `<Message>The stub does not implement ${action}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  );
}

function messageOf(params: URLSearchParams, prefix: string): StubMessage {
  const attributes: Record<string, string> = {};
  for (let n = 1; params.has(`${prefix}MessageAttributes.entry.${n}.Name`); n++) {
    const name = params.get(`${prefix}MessageAttributes.entry.${n}.Name`) ?? '';
    attributes[name] = params.get(`${prefix}MessageAttributes.entry.${n}.Value.StringValue`) ?? '';
  }
  return {
    id: params.get(`${prefix}Id`) ?? undefined,
    subject: params.get(`${prefix}Subject`) ?? undefined,
    message: params.get(`${prefix}Message`) ?? '',
    attributes,
  };
}

function xml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() }).end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
