import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../shared/alert';
import { SnsMessagePublisher } from '../../shared/aws/sns-message-publisher';
import type { Digest, IncidentLine, IncidentMessage } from '../../shared/incident/types';

const sns = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:eu-west-1:1:t';

function line(n: number): IncidentLine {
  return {
    id: `incident-${n}`,
    title: `exec into pod ${n} ${'x'.repeat(400)}`,
    severity: 'high',
    status: 'open',
    firstSeen: '2026-11-14T10:00:00.000Z',
    lastSeen: '2026-11-14T10:00:00.000Z',
    findings: 1,
  };
}

function digestMessage(lines: number): IncidentMessage {
  const digest: Digest = {
    day: '2026-11-14',
    cluster: 'shop-prod',
    opened: Array.from({ length: lines }, (_, n) => line(n)),
    updated: [],
    stillOpen: Array.from({ length: lines }, (_, n) => line(lines + n)),
    belowThreshold: {},
    muted: {},
    learning: [],
    health: { objects: 1, rejected: 0 },
  };
  return {
    id: 'digest#shop-prod#2026-11-14',
    kind: 'digest',
    severity: 'info',
    cluster: 'shop-prod',
    ruleIds: ['digest'],
    reason: 'daily digest',
    findings: [],
    digest,
  };
}

const entries = () =>
  sns.commandCalls(PublishBatchCommand).flatMap((c) => c.args[0].input.PublishBatchRequestEntries ?? []);
const body = (n = 0) => JSON.parse(JSON.parse(entries()[n]?.Message ?? '{}').default) as IncidentMessage;

describe('SnsMessagePublisher', () => {
  beforeEach(() => {
    sns.reset();
    sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
  });

  it('reports the entries SNS failed by message id', async () => {
    sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: { Id: string }[] }) => ({
      Successful: [],
      Failed: [
        { Id: input.PublishBatchRequestEntries[1]?.Id, Code: 'Throttled', Message: 'slow down', SenderFault: false },
      ],
    }));
    const messages = [digestMessage(1), { ...digestMessage(1), id: 'digest#shop-eu#2026-11-14', cluster: 'shop-eu' }];
    const result = await new SnsMessagePublisher({ client: new SNSClient({}), topicArn: TOPIC }).publish(messages);
    expect(result?.failed).toEqual(new Map([['digest#shop-eu#2026-11-14', 'Throttled: slow down']]));
  });

  it('cuts a digest too large for one message to its first 100 incidents per list, and keeps the rest of it', async () => {
    // Prepare: 2 × 300 lines of ~500 bytes, about 300 KB of JSON.
    const message = digestMessage(300);
    expect(Buffer.byteLength(JSON.stringify(message))).toBeGreaterThan(250_000);
    // Act
    await new SnsMessagePublisher({ client: new SNSClient({}), topicArn: TOPIC }).publish([message]);
    // Assess
    const sent = body();
    expect(sent.digest?.opened).toHaveLength(100);
    expect(sent.digest?.stillOpen).toHaveLength(100);
    expect(sent.digest?.health).toEqual({ objects: 1, rejected: 0 });
    expect(Buffer.byteLength(entries()[0]?.Message ?? '')).toBeLessThan(256 * 1024);
    // The email still counts every incident.
    expect(JSON.parse(entries()[0]?.Message ?? '{}').email).toContain('Opened (300):');
  });

  it('drops findings from the end of an incident message until it fits', async () => {
    const finding = (n: number) => ({ id: `f${n}`, title: 't', evidence: 'e'.repeat(2000) }) as unknown as Finding;
    const message: IncidentMessage = {
      id: 'incident-1#1',
      kind: 'incident',
      severity: 'high',
      cluster: 'shop-prod',
      ruleIds: ['audit.exec-into-pod', 'audit.new-identity'],
      reason: 'opened',
      findings: Array.from({ length: 200 }, (_, n) => finding(n)),
    };
    await new SnsMessagePublisher({ client: new SNSClient({}), topicArn: TOPIC }).publish([message]);
    const sent = body();
    expect(sent.findings.length).toBeGreaterThan(0);
    expect(sent.findings.length).toBeLessThan(200);
    expect(sent.findings[0]?.id).toBe('f0');
    expect(entries()[0]?.MessageAttributes?.ruleId).toEqual({
      DataType: 'String.Array',
      StringValue: '["audit.exec-into-pod","audit.new-identity"]',
    });
    expect(entries()[0]?.MessageAttributes?.kind).toEqual({ DataType: 'String', StringValue: 'incident' });
  });
});
