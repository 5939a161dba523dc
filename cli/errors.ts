/** A wrong flag or argument. The message is one line saying what is wrong and how to fix it. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
