import type { ObjectSource } from '../../shared/ingest/object-source';
import { streamOf } from './formats';

/** An in-memory object source. */
export function memorySource(uri: string, data: string | Buffer, version = 'v1'): ObjectSource {
  return {
    uri,
    version,
    open: (options) => {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      return streamOf(options?.headBytes ? bytes.subarray(0, options.headBytes) : bytes);
    },
  };
}
