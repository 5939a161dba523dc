import { PublishBatchCommand, type PublishBatchRequestEntry, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SnsPublisher } from '../../shared/aws';
import {
  type Incident,
  type IncidentMessage,
  renderEmail,
  renderSubject,
  toChatNotification,
} from '../../shared/incident';
import { digestMessage, FINDINGS, finding, incident, incidentMessage } from '../incident/render-fixtures';

const sns = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:eu-west-1:1:t';
/** SNS's bound for one message, and for the sum of a batch's messages, bodies and attributes together. */
const SNS_LIMIT = 262_144;

function message(n: number): IncidentMessage {
  return incidentMessage({ id: `inc-${n}#1`, incident: incident({ id: `inc-${n}` }) });
}

function publisher() {
  return new SnsPublisher({ client: new SNSClient({}), topicArn: TOPIC });
}

function sentEntries(): PublishBatchRequestEntry[] {
  return sns.commandCalls(PublishBatchCommand).flatMap((c) => c.args[0].input.PublishBatchRequestEntries ?? []);
}

/** What SNS counts against its limits: the body, the subject and each attribute. */
function entryBytes(entry: PublishBatchRequestEntry): number {
  let size = Buffer.byteLength(entry.Message ?? '') + Buffer.byteLength(entry.Subject ?? '');
  for (const [name, value] of Object.entries(entry.MessageAttributes ?? {})) {
    size +=
      Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? '');
  }
  return size;
}

/** An incident as large as one gets: 500 timeline entries and 50 findings, each with 10-50 KB of log text. */
function hugeMessage(id: string, fill = 'x'): IncidentMessage {
  const big = fill.repeat(10_000);
  const base = incident({ id });
  const timeline: Incident['timeline'] = Array.from({ length: 500 }, (_, n) => ({
    ...(base.timeline[0] as Incident['timeline'][number]),
    findingId: `f${n}`,
    time: new Date(Date.UTC(2026, 10, 10, 10, n)).toISOString(),
    summary: big,
  }));
  const findings = Array.from({ length: 50 }, (_, n) =>
    finding({
      id: `f${n}`,
      time: new Date(Date.UTC(2026, 10, 10, 10, n)).toISOString(),
      summary: big,
      evidence: fill.repeat(50_000),
    }),
  );
  return incidentMessage({
    id: `${id}#1`,
    incident: {
      ...base,
      timeline,
      findings: findings.map((f) => f.id),
      entities: { ...base.entities, identities: [big] },
    },
    findings,
  });
}

describe('SnsPublisher', () => {
  beforeEach(() => sns.reset());

  it('sends ten per call, and reports only the entries SNS failed, by message id', async () => {
    // Prepare
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
    const messages = Array.from({ length: 25 }, (_, n) => message(n));
    // Act
    const result = await publisher().publish(messages);
    // Assess
    expect(result?.failed).toEqual(new Map([['inc-12#1', 'Throttled: rate exceeded']]));
    const calls = sns.commandCalls(PublishBatchCommand);
    expect(calls.map((c) => c.args[0].input.PublishBatchRequestEntries?.length)).toEqual([10, 10, 5]);
    const ids = calls.flatMap((c) => c.args[0].input.PublishBatchRequestEntries?.map((e) => e.Id) ?? []);
    expect(new Set(ids.slice(0, 10)).size).toBe(10);
  });

  it('reports every entry of a call that failed whole, and still sends the other calls', async () => {
    sns
      .on(PublishBatchCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolves({ Successful: [], Failed: [] });
    const messages = Array.from({ length: 12 }, (_, n) => message(n));
    const result = await publisher().publish(messages);
    expect([...(result?.failed.keys() ?? [])]).toEqual(messages.slice(0, 10).map((m) => m.id));
    expect(result?.failed.get('inc-0#1')).toBe('ThrottlingException: Rate exceeded');
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(2);
  });

  it('reports nothing when SNS took everything', async () => {
    sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
    expect(await publisher().publish([message(1)])).toBeUndefined();
  });

  it('fails alone a message it cannot render, and sends the others', async () => {
    sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
    const broken = { ...message(2), cluster: undefined } as unknown as IncidentMessage;
    const result = await publisher().publish([message(1), broken, message(3)]);
    expect([...(result?.failed.keys() ?? [])]).toEqual(['inc-2#1']);
    expect(result?.failed.get('inc-2#1')).toMatch(/^not rendered: /);
    expect(sentEntries().map((e) => e.MessageAttributes?.messageId?.StringValue)).toEqual(['inc-1#1', 'inc-3#1']);
  });

  it('sends JSON to machines, the email to email and the custom notification to Chatbot over HTTPS', async () => {
    // Prepare
    sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
    const sent = incidentMessage();
    // Act
    await publisher().publish([sent]);
    // Assess
    const [entry] = sentEntries();
    expect(entry?.MessageStructure).toBe('json');
    expect(entry?.Subject).toBe(renderSubject(sent));
    const bodies = JSON.parse(entry?.Message ?? '{}');
    expect(Object.keys(bodies).sort()).toEqual(['default', 'email', 'https']);
    expect(JSON.parse(bodies.default)).toMatchObject({
      id: 'inc-7f3a9c2e41d0#1',
      kind: 'incident',
      reason: 'opened',
      incident: { id: 'inc-7f3a9c2e41d0', findings: ['f-exec-1', 'f-secret-1', 'f-exec-2'] },
      findings: JSON.parse(JSON.stringify(FINDINGS)),
    });
    expect(bodies.email).toBe(renderEmail(sent));
    expect(JSON.parse(bodies.https)).toEqual(toChatNotification(sent));
  });

  it('sets the attributes filter policies match on, with ruleId a String.Array', async () => {
    sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
    await publisher().publish([incidentMessage(), digestMessage()]);
    const [opened, digest] = sentEntries();
    expect(opened?.MessageAttributes).toEqual({
      kind: { DataType: 'String', StringValue: 'incident' },
      severity: { DataType: 'String', StringValue: 'critical' },
      ruleId: { DataType: 'String.Array', StringValue: '["audit.exec-into-pod","audit.unusual-secret-access"]' },
      cluster: { DataType: 'String', StringValue: 'shop-prod' },
      messageId: { DataType: 'String', StringValue: 'inc-7f3a9c2e41d0#1' },
    });
    expect(digest?.MessageAttributes).toMatchObject({
      kind: { DataType: 'String', StringValue: 'digest' },
      ruleId: { DataType: 'String.Array', StringValue: '["digest"]' },
      messageId: { DataType: 'String', StringValue: 'digest#2026-11-10' },
    });
    expect(digest?.Subject).toBe('Driftwatch digest 2026-11-10 [shop-prod]: 2 open');
  });

  it('keeps each message, and each batch, of huge incidents under the SNS limit', async () => {
    // Prepare: quote-heavy text doubles when the bodies are escaped into one JSON Message.
    sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
    const messages = [hugeMessage('inc-a'), hugeMessage('inc-b', '"'), hugeMessage('inc-c', 'é'), message(1)];
    // Act
    const result = await publisher().publish(messages);
    // Assess
    expect(result).toBeUndefined();
    const calls = sns.commandCalls(PublishBatchCommand);
    expect(calls.length).toBeGreaterThan(1);
    for (const call of calls) {
      const entries = call.args[0].input.PublishBatchRequestEntries ?? [];
      expect(entries.reduce((sum, e) => sum + entryBytes(e), 0)).toBeLessThanOrEqual(SNS_LIMIT);
    }
    const entries = sentEntries();
    expect(entries.map((e) => e.MessageAttributes?.messageId?.StringValue)).toEqual(messages.map((m) => m.id));
    for (const entry of entries.slice(0, 3)) {
      const bodies = JSON.parse(entry.Message ?? '{}');
      const json = JSON.parse(bodies.default);
      expect(json.leftOut.note).toMatch(/^Left out to keep this message under \d+ bytes/);
      expect(json.incident.findings).toHaveLength(50);
      expect(JSON.parse(bodies.https).content.description.length).toBeLessThanOrEqual(4000);
    }
  });
});
