import type { IncidentMessage } from './types';

/** What a sink could not send, by message id, with the reason it gave. */
export interface PublishResult {
  failed: ReadonlyMap<string, string>;
}

/**
 * Where messages go: SNS in the Lambdas; the CLI counts them (and sends them to SNS when asked).
 * A sink reports the messages it could not send (nothing when all went); one that throws sent
 * none of them.
 */
export interface MessageSink {
  publish(messages: readonly IncidentMessage[]): Promise<PublishResult | undefined>;
}

/** Keeps messages in memory. */
export class CollectingSink implements MessageSink {
  readonly messages: IncidentMessage[] = [];
  async publish(messages: readonly IncidentMessage[]): Promise<undefined> {
    this.messages.push(...messages);
    return undefined;
  }
}

/** Sends to every sink in order; a message failed when any sink failed it. */
export class FanOutSink implements MessageSink {
  constructor(private readonly sinks: readonly MessageSink[]) {}
  async publish(messages: readonly IncidentMessage[]): Promise<PublishResult | undefined> {
    const failed = new Map<string, string>();
    for (const sink of this.sinks) {
      for (const [id, reason] of (await sink.publish(messages))?.failed ?? []) failed.set(id, reason);
    }
    return failed.size > 0 ? { failed } : undefined;
  }
}
