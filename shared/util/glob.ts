/**
 * Matches `value` against simple glob patterns (`*` for any run of characters, `?` for one).
 * Patterns are anchored, and matching is case-sensitive, as Kubernetes usernames are.
 */
export class GlobSet {
  private readonly patterns: RegExp[];

  constructor(globs: readonly string[]) {
    this.patterns = globs.map(
      (glob) =>
        new RegExp(
          `^${glob
            .split('')
            .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
            .join('')}$`,
        ),
    );
  }

  get size(): number {
    return this.patterns.length;
  }

  matches(value: string): boolean {
    return this.patterns.some((pattern) => pattern.test(value));
  }
}
