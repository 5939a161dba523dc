import { Writable } from 'node:stream';

/** A writable that keeps what was written, for asserting CLI output. */
export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}
