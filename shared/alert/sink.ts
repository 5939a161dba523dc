import type { Finding } from './finding';

/** What a sink could not send, by finding id, with the reason it gave. */
export interface PublishResult {
  failed: ReadonlyMap<string, string>;
}

/**
 * Where new findings go: SNS in the Lambdas, stdout and files in the CLI (and SNS when asked).
 * A sink reports the findings it could not send (nothing when all went); one that throws sent
 * none of them.
 */
export interface AlertSink {
  publish(findings: readonly Finding[]): Promise<PublishResult | undefined>;
}

/** Keeps findings in memory. */
export class CollectingSink implements AlertSink {
  readonly findings: Finding[] = [];
  async publish(findings: readonly Finding[]): Promise<undefined> {
    this.findings.push(...findings);
    return undefined;
  }
}

/** Sends to every sink in order; a finding failed when any sink failed it. */
export class FanOutSink implements AlertSink {
  constructor(private readonly sinks: readonly AlertSink[]) {}
  async publish(findings: readonly Finding[]): Promise<PublishResult | undefined> {
    const failed = new Map<string, string>();
    for (const sink of this.sinks) {
      for (const [id, reason] of (await sink.publish(findings))?.failed ?? []) failed.set(id, reason);
    }
    return failed.size > 0 ? { failed } : undefined;
  }
}
