/** An object that cannot be read at all (it could not be opened or fetched). Content errors are counted, not thrown. */
export class ReaderError extends Error {
  override readonly name = 'ReaderError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
