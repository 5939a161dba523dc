import type { Table } from '../store/types';

/**
 * Keeps a record of events beyond detection, such as the RBAC change trail or the pod IP map.
 * The engine starts one session per object, shows it every event, and flushes it after the
 * object's observations are written. A flush must be idempotent: S3 delivers at least once.
 */
export interface Recorder<E> {
  id: string;
  begin(object: { id: string; uri: string }): RecorderSession<E>;
}

export interface RecorderSession<E> {
  see(event: E): void;
  flush(table: Table): Promise<void>;
}
