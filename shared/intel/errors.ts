/**
 * A threat list that does not exist (yet). A {@link ListFetcher} throws it for a missing object or
 * file, so that a source marked `optional` can read as empty while other failures still count.
 */
export class ListMissingError extends Error {
  override readonly name = 'ListMissingError';
  constructor(location: string, options?: { cause?: unknown }) {
    super(`threat list ${location} does not exist`, options);
  }
}
