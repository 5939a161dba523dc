import type { Config } from '../config';
import type { Table } from '../store';

/**
 * Keeps a record of events beyond detection, such as the RBAC change trail or the pod IP map.
 * The engine starts one session per object, shows it every event, and flushes it after the
 * object's observations are written. A flush must be idempotent: S3 delivers at least once.
 */
export interface Recorder<E> {
  id: string;
  /** `config` is the engine's, for recorders whose records last as long as a setting says. */
  begin(object: { id: string; uri: string; config?: Config }): RecorderSession<E>;
}

export interface RecorderSession<E> {
  see(event: E): void;
  flush(table: Table): Promise<void>;
}
