import type { Finding } from './finding';

/** Where new findings go: SNS in the Lambdas, stdout and files in the CLI (and SNS when asked). */
export interface AlertSink {
  publish(findings: readonly Finding[]): Promise<void>;
}

/** Keeps findings in memory. */
export class CollectingSink implements AlertSink {
  readonly findings: Finding[] = [];
  async publish(findings: readonly Finding[]): Promise<void> {
    this.findings.push(...findings);
  }
}

/** Sends to every sink in order. */
export class FanOutSink implements AlertSink {
  constructor(private readonly sinks: readonly AlertSink[]) {}
  async publish(findings: readonly Finding[]): Promise<void> {
    for (const sink of this.sinks) await sink.publish(findings);
  }
}
