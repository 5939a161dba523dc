/** A report that cannot be built or written. */
export class ReportError extends Error {
  override readonly name = 'ReportError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
