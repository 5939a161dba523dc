/** How close to its timeout an invocation stops working on records. */
export interface DeadlineOptions {
  /**
   * When this much of the invocation is left, the object being read is aborted (its S3 stream
   * destroyed) and its record fails; the time left is for failing it, flushing metrics and logs,
   * and returning the batch response before Lambda's timeout.
   * @default 10_000
   */
  stopAtMs?: number;
  /**
   * A record is not started with less than this left: it fails at once, untouched, and SQS
   * delivers it again.
   * @default 15_000
   */
  minStartMs?: number;
}

const DEFAULTS: Required<DeadlineOptions> = { stopAtMs: 10_000, minStartMs: 15_000 };

/** A record stopped, or not started, because the invocation was about to time out. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
  constructor(
    message: string,
    /** Whether the record was never started (no fault of its own) or stopped while being read. */
    readonly started: boolean,
  ) {
    super(message);
  }
}

/**
 * The time one Lambda invocation has left, for its records: a signal that aborts the object being
 * read before the timeout, and a check before each record. Without it the timeout would end the
 * invocation with no batch response, and SQS would deliver the whole batch again: the records
 * already done and the one that cannot finish alike.
 */
export class InvocationDeadline {
  /** Aborted, with a {@link DeadlineError}, when `stopAtMs` are left. */
  readonly signal: AbortSignal;
  private readonly options: Required<DeadlineOptions>;
  private readonly timer: ReturnType<typeof setTimeout>;

  /** @param remainingMs the invocation's time left, as `context.getRemainingTimeInMillis` says it. */
  constructor(
    private readonly remainingMs: () => number,
    options: DeadlineOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
    const controller = new AbortController();
    this.signal = controller.signal;
    const { stopAtMs } = this.options;
    this.timer = setTimeout(
      () => {
        controller.abort(
          new DeadlineError(
            `${stopAtMs} ms before the Lambda timeout and not read yet: too large for one invocation, or left too little time by the records before it`,
            true,
          ),
        );
      },
      Math.max(0, remainingMs() - stopAtMs),
    );
    this.timer.unref?.();
  }

  /** Throws a {@link DeadlineError} when too little time is left to start another record. */
  checkStart(): void {
    const left = this.remainingMs();
    if (this.signal.aborted || left < this.options.minStartMs) {
      throw new DeadlineError(
        `not started: ${left} ms left before the Lambda timeout, under the ${this.options.minStartMs} ms a record needs`,
        false,
      );
    }
  }

  /** Ends the timer; call when the invocation's records are done. */
  dispose(): void {
    clearTimeout(this.timer);
  }
}
