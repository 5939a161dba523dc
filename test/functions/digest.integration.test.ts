import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { ScheduledEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { digestHandler } from '../../functions/digest-handler';
import { createRuntime } from '../../functions/runtime';
import { DynamoTable } from '../../shared/aws/dynamo-table';
import { BaselineStore } from '../../shared/baseline/baseline-store';
import { CONFIG_ENV } from '../../shared/config/load';
import { DailyCounts } from '../../shared/incident/daily-counts';
import type { Digest, Incident, IncidentMessage } from '../../shared/incident/types';
import { type LocalDynamo, startDynalite } from '../support/dynalite';
import { anIncident } from '../support/incidents';
import { lambdaContext } from '../support/lambda';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:driftwatch-alerts';
const QUEUES = {
  AuditIngestion: 'https://sqs.eu-west-1.amazonaws.com/123456789012/audit-dlq',
  DigestSchedule: 'https://sqs.eu-west-1.amazonaws.com/123456789012/digest-schedule-dlq',
};
const snsMock = mockClient(SNSClient);
const sqsMock = mockClient(SQSClient);
let dynamo: LocalDynamo;
let table: DynamoTable;

beforeAll(async () => {
  dynamo = await startDynalite();
  table = new DynamoTable({ tableName: dynamo.tableName, client: dynamo.client });
});
afterAll(async () => {
  await dynamo?.close();
});
beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
  sqsMock.reset();
  sqsMock
    .on(GetQueueAttributesCommand, { QueueUrl: QUEUES.AuditIngestion })
    .resolves({ Attributes: { ApproximateNumberOfMessages: '3' } })
    .on(GetQueueAttributesCommand, { QueueUrl: QUEUES.DigestSchedule })
    .resolves({ Attributes: { ApproximateNumberOfMessages: '0' } });
});

function incident(id: string, firstSeen: string, lastSeen: string, cluster = 'shop-prod'): Incident {
  return anIncident(id, {
    cluster,
    title: `exec into payments/api-0 by ${id}`,
    firstSeen,
    lastSeen,
    findings: ['f1'],
    rules: ['audit.exec-into-pod'],
  });
}

/** The digest handler over dynalite, with mocked SNS and SQS and the incidents the lead's store would list. */
function handler(incidents: Incident[], env: Record<string, string> = {}) {
  const runtime = createRuntime('digest', {
    dynamo: dynamo.client,
    sns: new SNSClient({ region: 'eu-west-1' }),
    sqs: new SQSClient({ region: 'eu-west-1' }),
    incidents: { list: async () => incidents },
    env: {
      TABLE_NAME: dynamo.tableName,
      TOPIC_ARN: TOPIC,
      [CONFIG_ENV]: JSON.stringify({ clusterName: 'shop-prod', learning: { days: 7 } }),
      DEAD_LETTER_QUEUES: JSON.stringify(QUEUES),
      ...env,
    },
  });
  return digestHandler(runtime, () => Date.parse('2026-11-15T07:00:05.000Z'));
}

function scheduled(time: string): ScheduledEvent {
  return {
    version: '0',
    id: `event-${time}`,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time,
    region: 'eu-west-1',
    resources: ['arn:aws:events:eu-west-1:123456789012:rule/digest'],
    detail: {},
  };
}

function published() {
  return snsMock
    .commandCalls(PublishBatchCommand)
    .flatMap((call) => call.args[0].input.PublishBatchRequestEntries ?? []);
}

function messageOf(entry: ReturnType<typeof published>[number]): IncidentMessage & { digest: Digest } {
  const body = JSON.parse(entry.Message ?? '{}') as { default: string; email: string };
  return JSON.parse(body.default);
}

describe('digest handler', () => {
  it('publishes the digest of the day before the schedule time once, however often the run is repeated', async () => {
    // Prepare: the day's counters, a cluster and a VPC learning, and incidents of the day.
    const counts = new DailyCounts(table);
    await counts.add('2026-11-14', 'shop-prod', { objects: 40, rejected: 1, below: { 'net.new-port': 6 } });
    await counts.add('2026-11-14', 'shop-prod', { objects: 2, muted: { 'ci-exec': 2 } });
    await counts.add('2026-11-15', 'shop-prod', { objects: 999 });
    const baselines = new BaselineStore({ table });
    await baselines.noteEvents('shop-prod', Date.parse('2026-11-01T00:00:00.000Z'));
    await baselines.noteEvents('vpc-0a1b', Date.parse('2026-11-12T00:00:00.000Z'));
    const run = handler([
      incident('new', '2026-11-14T09:00:00.000Z', '2026-11-14T09:30:00.000Z'),
      incident('old', '2026-11-02T09:00:00.000Z', '2026-11-14T23:00:00.000Z'),
      incident('quiet', '2026-11-02T09:00:00.000Z', '2026-11-03T09:00:00.000Z'),
    ]);

    // Act: the scheduled run, its retry, and a second delivery of the same event.
    const first = await run(scheduled('2026-11-15T07:00:00Z'), lambdaContext('digest'));
    const retry = await run(scheduled('2026-11-15T07:00:00Z'), lambdaContext('digest'));
    const again = await handler([])(scheduled('2026-11-15T07:00:00Z'), lambdaContext('digest'));

    // Assess: one message, for the day before.
    expect(first).toEqual({ day: '2026-11-14', clusters: ['shop-prod'], published: 1, alreadySent: 0 });
    expect(retry).toEqual({ day: '2026-11-14', clusters: ['shop-prod'], published: 0, alreadySent: 1 });
    expect(again).toMatchObject({ published: 0, alreadySent: 1 });
    const entries = published();
    expect(entries).toHaveLength(1);
    const entry = entries[0];
    expect(entry?.MessageAttributes).toEqual({
      kind: { DataType: 'String', StringValue: 'digest' },
      severity: { DataType: 'String', StringValue: 'info' },
      cluster: { DataType: 'String', StringValue: 'shop-prod' },
      ruleId: { DataType: 'String.Array', StringValue: '["digest"]' },
      messageId: { DataType: 'String', StringValue: 'digest#shop-prod#2026-11-14' },
    });
    expect(entry?.Subject).toBe('Driftwatch digest 2026-11-14 [shop-prod]: 3 open');
    const message = messageOf(entry as NonNullable<typeof entry>);
    expect(message).toMatchObject({ id: 'digest#shop-prod#2026-11-14', kind: 'digest', findings: [] });
    expect(message.digest).toMatchObject({
      day: '2026-11-14',
      cluster: 'shop-prod',
      belowThreshold: { 'net.new-port': 6 },
      muted: { 'ci-exec': 2 },
      learning: [
        { scope: 'shop-prod', learningUntil: '2026-11-08T00:00:00.000Z', learned: true },
        { scope: 'vpc-0a1b', learningUntil: '2026-11-19T00:00:00.000Z', learned: false },
      ],
      health: { objects: 42, rejected: 1, deadLetters: { AuditIngestion: 3, DigestSchedule: 0 } },
    });
    expect(message.digest.opened.map((l) => l.id)).toEqual(['new']);
    expect(message.digest.updated.map((l) => l.id)).toEqual(['old']);
    expect(message.digest.stillOpen.map((l) => l.id)).toEqual(['quiet']);
    const email = JSON.parse(entry?.Message ?? '{}').email as string;
    expect(email).toMatch(/Dead letters.*AuditIngestion 3/);
  });

  it('reads the depth of each DLQ named in DEAD_LETTER_QUEUES, and only their approximate message count', async () => {
    await handler([])(scheduled('2026-10-02T07:00:00Z'), lambdaContext('digest'));
    const calls = sqsMock.commandCalls(GetQueueAttributesCommand).map((c) => c.args[0].input);
    expect(calls.map((input) => input.QueueUrl).sort()).toEqual(Object.values(QUEUES).sort());
    for (const input of calls) expect(input.AttributeNames).toEqual(['ApproximateNumberOfMessages']);
    expect(messageOf(published()[0] as NonNullable<ReturnType<typeof published>[number]>).digest.health).toEqual({
      objects: 0,
      rejected: 0,
      deadLetters: { AuditIngestion: 3, DigestSchedule: 0 },
    });
  });

  it('fails the run when a DLQ cannot be read, and publishes nothing, so the retry sends the whole digest', async () => {
    sqsMock
      .on(GetQueueAttributesCommand, { QueueUrl: QUEUES.DigestSchedule })
      .rejectsOnce(Object.assign(new Error('denied'), { name: 'AccessDenied' }))
      .resolves({ Attributes: { ApproximateNumberOfMessages: '0' } });
    const run = handler([]);
    await expect(run(scheduled('2026-10-03T07:00:00Z'), lambdaContext('digest'))).rejects.toThrow(/denied/);
    expect(published()).toHaveLength(0);
    // Lambda's retry of the same event.
    expect(await run(scheduled('2026-10-03T07:00:00Z'), lambdaContext('digest'))).toMatchObject({ published: 1 });
    const entry = published()[0];
    expect(messageOf(entry as NonNullable<typeof entry>).digest.health.deadLetters).toEqual({
      AuditIngestion: 3,
      DigestSchedule: 0,
    });
  });

  it('sends a digest per cluster with incidents or counts, besides the configured one', async () => {
    await new DailyCounts(table).add('2026-10-04', 'shop-staging', { objects: 3 });
    const report = await handler([incident('eu', '2026-10-04T10:00:00.000Z', '2026-10-04T10:00:00.000Z', 'shop-eu')])(
      scheduled('2026-10-05T07:00:00Z'),
      lambdaContext('digest'),
    );
    expect(report).toMatchObject({ clusters: ['shop-eu', 'shop-prod', 'shop-staging'], published: 3 });
    expect(published().map((e) => e.MessageAttributes?.messageId?.StringValue)).toEqual([
      'digest#shop-eu#2026-10-04',
      'digest#shop-prod#2026-10-04',
      'digest#shop-staging#2026-10-04',
    ]);
  });

  it('covers the day before now when invoked by hand without a schedule time', async () => {
    const report = await handler([])({} as ScheduledEvent, lambdaContext('digest'));
    expect(report.day).toBe('2026-11-14');
  });

  it('leaves the depths out without DEAD_LETTER_QUEUES', async () => {
    const runtime = createRuntime('digest', {
      dynamo: dynamo.client,
      sns: new SNSClient({ region: 'eu-west-1' }),
      env: {
        TABLE_NAME: dynamo.tableName,
        TOPIC_ARN: TOPIC,
        [CONFIG_ENV]: JSON.stringify({ clusterName: 'shop-prod' }),
      },
    });
    await digestHandler(runtime)(scheduled('2026-10-07T07:00:00Z'), lambdaContext('digest'));
    expect(sqsMock.commandCalls(GetQueueAttributesCommand)).toHaveLength(0);
    const entry = published()[0];
    expect(messageOf(entry as NonNullable<typeof entry>).digest.health).toEqual({ objects: 0, rejected: 0 });
  });
});
