import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { ReaderError } from './errors';
import { type ReadStats, reject } from './stats';

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;
/** Firehose can wrap already-gzipped CloudWatch data in gzip again; more layers than this is junk. */
const MAX_GZIP_LAYERS = 3;
/** Bytes of decompressed output buffered ahead of the reader. */
export const GUNZIP_AHEAD = 1024 * 1024;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1;
}

/**
 * Yields the decompressed bytes of an object, gzipped any number of times (up to three) or not
 * at all. A truncated or damaged gzip stream is counted as `truncated-object`; the bytes that
 * came out before the damage are still yielded. Once `signal` aborts, the next chunk throws a
 * {@link ReaderError} instead: the reader stops, however much is left in the buffers (a small
 * gzip object can hold gigabytes).
 */
export async function* decompressed(
  source: AsyncIterable<Uint8Array>,
  stats: ReadStats,
  uri: string,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  if (!signal) {
    yield* layers(source, stats, uri, 0);
    return;
  }
  for await (const chunk of layers(source, stats, uri, 0)) {
    if (signal.aborted) throw stoppedReading(uri, signal);
    yield chunk;
  }
}

/** The error that stops a reader when its object's signal aborts; its cause is the signal's reason. */
export function stoppedReading(uri: string, signal: AbortSignal): ReaderError {
  const reason = signal.reason as Error | undefined;
  return new ReaderError(`stopped reading ${uri}: ${reason?.message ?? 'aborted'}`, { cause: reason });
}

async function* layers(
  source: AsyncIterable<Uint8Array>,
  stats: ReadStats,
  uri: string,
  layer: number,
): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  // Peek until we have two bytes to sniff the gzip magic.
  const head: Buffer[] = [];
  let headLength = 0;
  const pull = async () => {
    try {
      return await iterator.next();
    } catch (cause) {
      // Below the first layer the source is our own gunzip: its errors are content damage.
      if (cause instanceof ReaderError || layer > 0) throw cause;
      throw new ReaderError(`reading ${uri} failed: ${(cause as Error).message}`, { cause });
    }
  };
  while (headLength < 2) {
    const next = await pull();
    if (next.done) break;
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    if (layer === 0) stats.bytesRead += chunk.length;
    head.push(chunk);
    headLength += chunk.length;
  }
  const rest = async function* (): AsyncGenerator<Buffer> {
    try {
      yield* head;
      for (;;) {
        const next = await pull();
        if (next.done) return;
        const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
        if (layer === 0) stats.bytesRead += chunk.length;
        yield chunk;
      }
    } finally {
      // Stopped early (a sniff, an error): let the source close its file or socket.
      await iterator.return?.();
    }
  };
  if (!isGzip(Buffer.concat(head, Math.min(headLength, 2))) || layer >= MAX_GZIP_LAYERS) {
    yield* rest();
    return;
  }
  // Zlib inflates on a worker thread; room for 1 MiB of output lets it run ahead while the reader
  // parses, where the default (16 KiB, one chunk) made each wait for the other.
  const gunzip = createGunzip({ chunkSize: 64 * 1024, highWaterMark: GUNZIP_AHEAD } as ZlibOptions);
  const done = pipeline(Readable.from(rest()), gunzip).catch(() => {
    // Reported through the iteration of `gunzip` below.
  });
  try {
    yield* layers(gunzip, stats, uri, layer + 1);
  } catch (error) {
    if (error instanceof ReaderError) throw error;
    reject(stats, 'truncated-object', { uri }, `gzip stream ended early or is damaged: ${(error as Error).message}`);
  } finally {
    if (!gunzip.readableEnded) gunzip.destroy();
    await done;
  }
}
