import { createServer, request } from 'node:http';
import { listenLocally } from './local-server';

/** One HTTP request that went through a {@link RecordingProxy}. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The request body as text (the SDK's JSON and query protocols send small bodies). */
  readonly body: string;
}

export interface RecordingProxy {
  readonly endpoint: string;
  /** Every request so far, in arrival order. */
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of a local engine (dynalite, s3rver) that records each
 * request and forwards it unchanged, Host header included, so SigV4 signatures still verify.
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: body.toString() });
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.writeHead(502).end());
    forward.end(body);
  });
  return { ...(await listenLocally(server)), requests };
}
