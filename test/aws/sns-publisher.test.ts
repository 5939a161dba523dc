import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../shared/alert';
import { SnsPublisher } from '../../shared/aws';

const sns = mockClient(SNSClient);

function finding(n: number): Finding {
  return {
    id: `id-${n}`,
    ruleId: 'audit.exec-into-pod',
    kind: 'rule',
    severity: 'high',
    source: 'eks-audit',
    time: '2026-11-10T10:00:00.000Z',
    title: 'kubectl exec into a pod',
    summary: `finding ${n}`,
    description: 'd',
    entities: { cluster: 'shop-prod' },
    evidence: '',
    origin: { uri: 's3://b/k', line: n },
    mitre: [],
    count: 1,
    runbook: 'r',
  } as Finding;
}

describe('SnsPublisher', () => {
  beforeEach(() => sns.reset());

  it('sends ten per call, names each message by its finding id, and reports only the entries SNS failed', async () => {
    let call = 0;
    sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: { Id: string }[] }) => {
      call++;
      // The second call fails its third entry; everything else goes.
      const entries = input.PublishBatchRequestEntries;
      const failed =
        call === 2 ? [{ Id: entries[2]?.Id, Code: 'Throttled', Message: 'rate exceeded', SenderFault: false }] : [];
      return {
        Successful: entries.filter((e) => !failed.some((f) => f.Id === e.Id)).map((e) => ({ Id: e.Id })),
        Failed: failed,
      };
    });
    const findings = Array.from({ length: 25 }, (_, n) => finding(n));
    const result = await new SnsPublisher({ client: new SNSClient({}), topicArn: 'arn:aws:sns:eu-west-1:1:t' }).publish(
      findings,
    );
    expect(result?.failed).toEqual(new Map([['id-12', 'Throttled: rate exceeded']]));
    const calls = sns.commandCalls(PublishBatchCommand);
    expect(calls.map((c) => c.args[0].input.PublishBatchRequestEntries?.length)).toEqual([10, 10, 5]);
    const attributes = calls[0]?.args[0].input.PublishBatchRequestEntries?.[0]?.MessageAttributes;
    expect(attributes?.findingId).toEqual({ DataType: 'String', StringValue: 'id-0' });
  });

  it('reports every entry of a call that failed whole, and still sends the other calls', async () => {
    sns
      .on(PublishBatchCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolves({ Successful: [], Failed: [] });
    const findings = Array.from({ length: 12 }, (_, n) => finding(n));
    const result = await new SnsPublisher({ client: new SNSClient({}), topicArn: 'arn:aws:sns:eu-west-1:1:t' }).publish(
      findings,
    );
    expect([...(result?.failed.keys() ?? [])]).toEqual(findings.slice(0, 10).map((f) => f.id));
    expect(result?.failed.get('id-0')).toBe('ThrottlingException: Rate exceeded');
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(2);
  });

  it('reports nothing when SNS took everything', async () => {
    sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
    const result = await new SnsPublisher({ client: new SNSClient({}), topicArn: 'arn:aws:sns:eu-west-1:1:t' }).publish(
      [finding(1)],
    );
    expect(result).toBeUndefined();
  });
});
