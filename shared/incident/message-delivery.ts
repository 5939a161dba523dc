import type { Outbox, OutboxEntry } from '../alert';
import type { MessageSink } from './sink';
import type { IncidentMessage } from './types';

/** A delivery that could not publish everything, or found a message held by another attempt: retry it. */
export class MessageDeliveryError extends Error {
  override readonly name = 'MessageDeliveryError';
}

export interface MessageDeliveryOptions {
  /** Waits between publish attempts of the messages a sink failed (each scaled by a random 0.5 to 1.5). */
  retryDelaysMs?: readonly number[];
  sleep?: (ms: number) => Promise<void>;
}

/** What became of an owner's messages. */
export interface MessagesDelivered {
  /** Published by this attempt. */
  published: IncidentMessage[];
  /** Published by an earlier attempt, not again. */
  alreadySent: IncidentMessage[];
}

const RETRY_DELAYS_MS = [200, 1000, 3000];

/**
 * How a delivery retries: the waits between attempts, each scaled by a random 0.5 to 1.5 so that
 * containers failing together do not retry together. Shared by every delivery of findings and messages.
 */
export class Retries {
  readonly delays: readonly number[];
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: MessageDeliveryOptions = {}) {
    this.delays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Waits before retry `n` (1 for the first retry). */
  wait(n: number): Promise<void> {
    return this.sleep((this.delays[n - 1] ?? 0) * (0.5 + Math.random()));
  }

  /**
   * A write that marks work done, retried: a mark that never lands means the next attempt does
   * the work again (for a message: publishes it again, the one case that stays at-least-once).
   */
  async write(work: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await work();
        return;
      } catch (error) {
        if (attempt >= this.delays.length) throw error;
        await this.wait(attempt + 1);
      }
    }
  }
}

/**
 * Messages out exactly once under retries, the way findings go (`FindingDelivery`): each message
 * is recorded in its owner's outbox before it is published, held by one attempt through a lease,
 * and marked sent as the sink takes it. A retry publishes what is recorded and not sent, as
 * recorded: a digest rebuilt by the retry does not replace the one the first attempt recorded.
 */
export class MessageDelivery {
  private readonly retries: Retries;

  constructor(
    private readonly outbox: Outbox<IncidentMessage>,
    private readonly sink: MessageSink,
    options: MessageDeliveryOptions = {},
  ) {
    this.retries = new Retries(options);
  }

  async deliver(owner: string, messages: readonly IncidentMessage[]): Promise<MessagesDelivered> {
    const entries = await this.outbox.entries(owner);
    const state = { held: [] as IncidentMessage[], done: [] as IncidentMessage[], busy: 0 };
    const seen = new Set<string>();
    for (const message of messages) {
      if (seen.has(message.id)) continue;
      seen.add(message.id);
      const entry = entries.get(message.id);
      if (entry) await this.take(owner, entry, state);
      else if (await this.outbox.add(owner, message)) state.held.push(message);
      // A concurrent attempt recorded it between our read and our write: it holds it.
      else state.busy++;
    }
    for (const [id, entry] of entries) if (!seen.has(id)) await this.take(owner, entry, state);
    const published = await this.publish(owner, state.held);
    if (state.busy > 0) {
      throw new MessageDeliveryError(
        `${state.busy} message(s) of ${owner} are held by another attempt; retry after its lease`,
      );
    }
    return { published, alreadySent: state.done };
  }

  /**
   * Publishes messages this attempt added to the owner's outbox itself (it holds them), and what
   * else the outbox holds unsent that nobody else holds (an earlier attempt's).
   */
  async deliverHeld(owner: string, held: readonly IncidentMessage[]): Promise<MessagesDelivered> {
    const mine = new Set(held.map((m) => m.id));
    const state = { held: [...held], done: [] as IncidentMessage[], busy: 0 };
    for (const entry of (await this.outbox.entries(owner)).values()) {
      if (!mine.has(entry.value.id)) await this.take(owner, entry, state);
    }
    const published = await this.publish(owner, state.held);
    if (state.busy > 0) {
      throw new MessageDeliveryError(
        `${state.busy} message(s) of ${owner} are held by another attempt; retry after its lease`,
      );
    }
    return { published, alreadySent: state.done };
  }

  /** An entry an earlier attempt recorded: sent already, or taken over once its lease ran out. */
  private async take(
    owner: string,
    entry: OutboxEntry<IncidentMessage>,
    state: { held: IncidentMessage[]; done: IncidentMessage[]; busy: number },
  ): Promise<void> {
    if (entry.sent) state.done.push(entry.value);
    else if (await this.outbox.lease(owner, entry.value.id)) state.held.push(entry.value);
    else state.busy++;
  }

  /** Publishes the held messages, retrying what the sink failed; throws when some never went, after giving their leases back. */
  private async publish(owner: string, messages: readonly IncidentMessage[]): Promise<IncidentMessage[]> {
    let pending = [...messages].sort(inOrder);
    const sent: IncidentMessage[] = [];
    let reason = '';
    for (let attempt = 0; pending.length > 0 && attempt <= this.retries.delays.length; attempt++) {
      if (attempt > 0) await this.retries.wait(attempt);
      const failed = await this.tryPublish(pending);
      const went = pending.filter((m) => !failed.has(m.id));
      await this.retries.write(() => this.outbox.markSent(owner, went));
      sent.push(...went);
      pending = pending.filter((m) => failed.has(m.id));
      reason = [...failed.values()][0] ?? reason;
    }
    if (pending.length === 0) return sent;
    await this.outbox
      .release(
        owner,
        pending.map((m) => m.id),
      )
      .catch(() => undefined);
    throw new MessageDeliveryError(`could not publish ${pending.length} message(s) of ${owner}: ${reason}`);
  }

  /** The sink's failures by message id; a sink that throws failed them all. */
  private async tryPublish(messages: readonly IncidentMessage[]): Promise<ReadonlyMap<string, string>> {
    try {
      return (await this.sink.publish(messages))?.failed ?? new Map();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return new Map(messages.map((m) => [m.id, reason]));
    }
  }
}

/** Messages in the order they were decided: by incident time, then by their number. */
function inOrder(a: IncidentMessage, b: IncidentMessage): number {
  const at = (m: IncidentMessage) => m.incident?.lastSeen ?? '';
  return at(a).localeCompare(at(b)) || a.id.localeCompare(b.id, 'en', { numeric: true });
}
