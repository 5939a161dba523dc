/** A configuration that cannot be used. The message is one line that says what is wrong and how to fix it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
