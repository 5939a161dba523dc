import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { objectHandler } from '../../functions/object-handler';
import {
  rebaselineFinishHandler,
  rebaselineItemHandler,
  rebaselinePlanHandler,
} from '../../functions/rebaseline-handler';
import { createRuntime } from '../../functions/runtime';
import { DynamoTable } from '../../shared/aws/dynamo-table';
import { CONFIG_ENV } from '../../shared/config/load';
import { execIntoPod } from '../../shared/detect/audit/exec-into-pod';
import { STACK_FLOW_HEADER } from '../../shared/ingest/flow-reader';
import { type LocalDynamo, startDynalite } from '../support/dynalite';
import { cwlData, gzip, rawAuditEvent } from '../support/formats';
import { lambdaContext, s3Notification, sqsEvent } from '../support/lambda';
import { type LocalS3, startS3rver } from '../support/s3rver';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:driftwatch-alerts';
let dynamo: LocalDynamo;
let s3: LocalS3;
const snsMock = mockClient(SNSClient);

beforeAll(async () => {
  [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
  await s3.client.send(
    new PutObjectCommand({ Bucket: s3.bucket, Key: 'intel/threats.txt', Body: '# test list\n203.0.113.0/24 ; SBL1\n' }),
  );
});
afterAll(async () => {
  await Promise.all([dynamo?.close(), s3?.close()]);
});
beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
});

function runtime(name: string, options: { list?: string; now?: () => number } = {}) {
  const list = options.list ?? 'intel/threats.txt';
  return createRuntime(name, {
    s3: s3.client,
    dynamo: dynamo.client,
    sns: new SNSClient({ region: 'eu-west-1' }),
    env: {
      TABLE_NAME: dynamo.tableName,
      TOPIC_ARN: TOPIC,
      [CONFIG_ENV]: JSON.stringify({
        clusterName: 'fallback',
        threatIntel: { sources: [{ s3Uri: `s3://${s3.bucket}/${list}`, name: 'test-threats' }] },
        network: { vpcCidrs: ['10.0.0.0/16'] },
      }),
    },
    ...(options.now ? { now: options.now } : {}),
  });
}

async function put(key: string, body: Buffer | string) {
  await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body }));
}

/** The rules an incident message names (the `ruleId` attribute, a string array). */
function ruleIdsOf(entry: { MessageAttributes?: Record<string, { StringValue?: string }> }): string[] {
  return JSON.parse(entry.MessageAttributes?.ruleId?.StringValue ?? '[]') as string[];
}

function published() {
  return snsMock
    .commandCalls(PublishBatchCommand)
    .flatMap((call) => call.args[0].input.PublishBatchRequestEntries ?? []);
}

describe('audit-processor', () => {
  const exec = rawAuditEvent({
    auditID: 'exec-1',
    verb: 'create',
    user: { username: 'alice', groups: ['system:authenticated'] },
    objectRef: { resource: 'pods', subresource: 'exec', namespace: 'payments', name: 'api-0' },
    requestURI: '/api/v1/namespaces/payments/pods/api-0/exec?command=sh&command=-c&command=env%20DB_PASSWORD%3Dhunter2',
    responseStatus: { code: 101 },
  });

  it('reads an S3 object named by an SQS record, stores state in DynamoDB, and publishes the finding', async () => {
    const key = 'audit/2026/11/01/10/driftwatch-audit-1-2026-11-01-10-00-00-a b.gz';
    await put(key, gzip(cwlData([JSON.stringify(exec)], 'shop-prod')));
    const handler = objectHandler('audit', runtime('audit-processor'));
    const result = await handler(sqsEvent([s3Notification(s3.bucket, key)]), lambdaContext());
    expect(result.batchItemFailures).toEqual([]);

    const entries = published();
    expect(entries).toHaveLength(1);
    const entry = entries[0];
    expect(entry?.Subject).toMatch(/^\[HIGH\] New incident: alice .*\[shop-prod\]$/);
    expect((entry?.Subject ?? '').length).toBeLessThan(100);
    expect(entry?.MessageStructure).toBe('json');
    expect(entry?.MessageAttributes).toEqual({
      kind: { DataType: 'String', StringValue: 'incident' },
      severity: { DataType: 'String', StringValue: 'high' },
      ruleId: { DataType: 'String.Array', StringValue: expect.any(String) },
      cluster: { DataType: 'String', StringValue: 'shop-prod' },
      messageId: { DataType: 'String', StringValue: expect.stringMatching(/^inc-[0-9a-f]{12}#1$/) },
    });
    expect(ruleIdsOf(entry ?? {})).toEqual(['audit.exec-into-pod']);
    const message = JSON.parse(entry?.Message ?? '{}') as { default: string; email: string; https: string };
    const body = JSON.parse(message.default);
    expect(body).toMatchObject({ kind: 'incident', reason: 'opened', incident: { status: 'open', severity: 'high' } });
    expect(entry?.MessageAttributes?.messageId?.StringValue).toBe(body.id);
    const finding = body.findings.find((f: { ruleId: string }) => f.ruleId === 'audit.exec-into-pod');
    expect(finding).toMatchObject({
      ruleId: 'audit.exec-into-pod',
      kind: 'rule',
      severity: 'high',
      source: 'eks-audit',
      entities: { user: 'alice', namespace: 'payments', name: 'api-0', cluster: 'shop-prod' },
      origin: { uri: `s3://${s3.bucket}/${key}`, line: 1, record: 0 },
      count: 1,
      incidentId: body.incident.id,
    });
    for (const text of [message.email, message.default, message.https]) {
      expect(text).not.toContain('hunter2');
    }
    expect(message.email).toContain('Timeline');
    expect(JSON.parse(message.https)).toMatchObject({
      version: '1.0',
      source: 'custom',
      metadata: { threadId: body.incident.id },
    });
    // The finding carries its detector's description: the message stands alone, for email and for machines.
    expect(finding.description).toBe(execIntoPod.description);

    // The state went to DynamoDB: the processed-object marker and the dedupe window.
    const table = new DynamoTable({ tableName: dynamo.tableName, client: dynamo.client });
    expect(await table.query('SCOPES')).toEqual([expect.objectContaining({ sk: 'shop-prod' })]);

    // Delivering the same object again: no second alert.
    snsMock.resetHistory();
    const again = await handler(sqsEvent([s3Notification(s3.bucket, key)]), lambdaContext());
    expect(again.batchItemFailures).toEqual([]);
    expect(published()).toHaveLength(0);
  });

  it('fails only the record whose object cannot be read', async () => {
    const key = 'audit/2026/11/01/11/good.gz';
    await put(
      key,
      gzip(
        cwlData([
          JSON.stringify({
            ...exec,
            user: { username: 'alice-exec-2', groups: ['system:authenticated'] },
            auditID: 'exec-2',
            objectRef: { ...(exec.objectRef as object), name: 'api-1' },
          }),
        ]),
      ),
    );
    const handler = objectHandler('audit', runtime('audit-processor'));
    const event = sqsEvent([
      s3Notification(s3.bucket, 'audit/missing-object.gz'),
      s3Notification(s3.bucket, key),
      'not json',
    ]);
    const result = await handler(event, lambdaContext());
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      [event.Records[0]?.messageId, event.Records[2]?.messageId].sort(),
    );
    expect(published().map((e) => ruleIdsOf(e))).toEqual([['audit.exec-into-pod']]);
  });

  it('keeps failing a poison record on every retry while its batch-mates succeed once', async () => {
    // SQS redelivers a failed record until maxReceiveCount, then moves it to the DLQ (infra sets
    // the count); what the handler must do is fail that record, and only it, on every delivery.
    const key = 'audit/2026/11/01/13/good-batch-mate.gz';
    await put(
      key,
      gzip(
        cwlData([
          JSON.stringify({
            ...exec,
            user: { username: 'alice-exec-4', groups: ['system:authenticated'] },
            auditID: 'exec-4',
            objectRef: { ...(exec.objectRef as object), name: 'api-3' },
          }),
        ]),
      ),
    );
    const handler = objectHandler('audit', runtime('audit-processor'));
    const poison = s3Notification(s3.bucket, 'audit/2026/11/01/13/deleted-before-read.gz');
    const batch = [poison, s3Notification(s3.bucket, key)];
    const failures: string[][] = [];
    for (let receive = 1; receive <= 3; receive++) {
      const event = sqsEvent(batch);
      for (const record of event.Records) record.attributes.ApproximateReceiveCount = String(receive);
      const result = await handler(event, lambdaContext());
      failures.push(
        result.batchItemFailures.map((f) => (f.itemIdentifier === event.Records[0]?.messageId ? 'poison' : 'other')),
      );
    }
    expect(failures).toEqual([['poison'], ['poison'], ['poison']]);
    // The good object was analysed once and alerted once, however often its batch came back.
    expect(published().map((e) => ruleIdsOf(e))).toEqual([['audit.exec-into-pod']]);
  });

  it('does not fail a record for damaged content: a truncated gzip object is counted, not retried', async () => {
    const key = 'audit/2026/11/01/14/truncated.gz';
    const whole = gzip(
      cwlData(
        Array.from({ length: 400 }, (_, i) =>
          JSON.stringify({ ...exec, auditID: `t-${i}`, objectRef: { ...(exec.objectRef as object), name: 'api-9' } }),
        ),
      ),
    );
    await put(key, whole.subarray(0, Math.floor(whole.length / 2)));
    const handler = objectHandler('audit', runtime('audit-processor'));
    const result = await handler(sqsEvent([s3Notification(s3.bucket, key)]), lambdaContext());
    expect(result.batchItemFailures).toEqual([]);
  });

  it('keeps good records from an object with bad ones, without failing the batch', async () => {
    const key = 'audit/2026/11/01/12/mixed.jsonl';
    const body = [
      JSON.stringify({
        ...exec,
        user: { username: 'alice-exec-3', groups: ['system:authenticated'] },
        auditID: 'exec-3',
        objectRef: { ...(exec.objectRef as object), name: 'api-2' },
      }),
      '{broken',
      '\u0000\u0001',
    ].join('\n');
    await put(key, body);
    const handler = objectHandler('audit', runtime('audit-processor'));
    const result = await handler(sqsEvent([s3Notification(s3.bucket, key)]), lambdaContext());
    expect(result.batchItemFailures).toEqual([]);
    expect(published()).toHaveLength(1);
  });
});

describe('a warm Lambda container', () => {
  /** An audit object of one person reading a config map: the same shape every time, another audit id. */
  const readObject = (n: number) =>
    gzip(
      cwlData(
        [
          JSON.stringify(
            rawAuditEvent({
              auditID: `warm-${n}`,
              verb: 'get',
              user: { username: 'bob', groups: ['system:authenticated'] },
              objectRef: { resource: 'configmaps', namespace: 'shop', name: 'settings' },
              responseStatus: { code: 200 },
            }),
          ),
        ],
        'warm-cluster',
      ),
    );

  it('keeps one engine while the threat lists stay the same: the second object reads less than a cold start does', async () => {
    let clock = Date.parse('2026-12-01T00:00:00Z');
    await put('intel/warm.txt', '203.0.113.0/24\n');
    for (const n of [1, 2, 3]) await put(`audit/warm/${n}.gz`, readObject(n));
    const warm = runtime('audit-processor', { list: 'intel/warm.txt', now: () => clock });
    const handler = objectHandler('audit', warm);
    const readsOf = async (rt: typeof warm, h: typeof handler, key: string) => {
      const before = rt.table.counters.readRequests;
      const result = await h(sqsEvent([s3Notification(s3.bucket, key)]), lambdaContext());
      expect(result.batchItemFailures).toEqual([]);
      return rt.table.counters.readRequests - before;
    };

    const engine = await warm.engine();
    const first = await readsOf(warm, handler, 'audit/warm/1.gz');
    const second = await readsOf(warm, handler, 'audit/warm/2.gz');
    expect(await warm.engine()).toBe(engine);
    const cold = runtime('audit-processor', { list: 'intel/warm.txt', now: () => clock });
    const coldStart = await readsOf(cold, objectHandler('audit', cold), 'audit/warm/3.gz');
    expect(second).toBeLessThan(coldStart);
    expect(second).toBeLessThan(first);

    // A changed list is seen at the next check: a new engine, with the new list.
    await put('intel/warm.txt', '198.51.100.0/24\n');
    expect(await warm.engine()).toBe(engine);
    clock += 301_000;
    expect(await warm.engine()).not.toBe(engine);
  });
});

describe('flow-processor and rebaseline', () => {
  it('matches the S3 threat list and folds observations into baselines on schedule', async () => {
    // Before the audit log read by the tests above (10:00), so the edges need not wait for it.
    const start = Math.floor(Date.parse('2026-11-01T09:50:00Z') / 1000);
    const line = (dst: string) =>
      `5 123456789012 eni-0a 10.0.1.1 ${dst} 44321 443 6 5 500 ${start} ${start + 60} ACCEPT OK vpc-0int subnet-0a i-0a 2 IPv4 10.0.64.5 ${dst} eu-west-1 euw1-az1 - - egress 8`;
    const key =
      'flow/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=11/day=01/hour=10/123456789012_vpcflowlogs_eu-west-1_fl-0a_20261101T1000Z_abcd1234.log.gz';
    await put(key, gzip([STACK_FLOW_HEADER, line('203.0.113.50'), line('140.82.112.3')].join('\n')));
    const handler = objectHandler('flow', runtime('flow-processor'));
    const result = await handler(sqsEvent([s3Notification(s3.bucket, key)]), lambdaContext());
    expect(result.batchItemFailures).toEqual([]);
    const entries = published();
    expect(entries.map((e) => ruleIdsOf(e))).toEqual([['net.threat-intel-match']]);
    expect(JSON.parse(JSON.parse(entries[0]?.Message ?? '{}').default).findings[0].entities).toMatchObject({
      dstAddr: '203.0.113.50',
      threatList: 'test-threats',
    });

    // The rebaseline as its state machine runs it: each step in its own container, every payload
    // through JSON as Step Functions passes it, the Map's items one by one.
    snsMock.resetHistory();
    const json = <T>(value: T): T => JSON.parse(JSON.stringify(value));
    const plan = json(
      await rebaselinePlanHandler(runtime('rebaseline-plan'), () => Date.parse('2026-11-02T00:05:00Z'))(
        { time: '2026-11-02T00:00:00Z' },
        lambdaContext(),
      ),
    );
    expect(plan).toMatchObject({ run: '2026-11-02T00:00:00Z', now: Date.parse('2026-11-02T00:05:00Z') });
    expect(plan.scopes).toContain('vpc-0int');
    expect(plan.items.length).toBeGreaterThan(0);
    expect(Object.keys(plan.late).sort()).toEqual(['decided', 'failed', 'findings', 'messages']);
    const fold = rebaselineItemHandler(runtime('rebaseline-item'));
    const reports = [];
    for (const item of plan.items) {
      reports.push(
        json(await fold(json({ run: plan.run, now: plan.now, scopes: plan.scopes, item }), lambdaContext())),
      );
    }
    expect(reports.map((r) => r.item)).toEqual(plan.items);
    expect(reports.some((r) => r.rowsRead > 0)).toBe(true);
    // A work item cannot publish (its role has no sns:Publish): none tried.
    const publishedByItems = published().length;
    const finish = rebaselineFinishHandler(runtime('rebaseline-finish'));
    const summary = json(await finish(json({ plan: json(plan), late: plan.late, reports }), lambdaContext()));
    expect(summary.daysFolded).toBeGreaterThanOrEqual(1);
    // Counts only: the execution's state never carries a finding.
    expect(summary).toMatchObject({ findings: expect.any(Number), messages: expect.any(Number) });
    expect(JSON.stringify(summary)).not.toContain('"ruleId"');
    // The flow log fl-0a has been silent since 10:00 the day before: Finish reports it.
    expect(summary.network?.silentLogs).toBe(1);
    expect(publishedByItems).toBe(plan.late.messages);
    expect(published().flatMap((e) => ruleIdsOf(e))).toContain('net.log-health');
    const table = new DynamoTable({ tableName: dynamo.tableName, client: dynamo.client });
    const entries2 = await table.query('BL#vpc-0int#external-destination');
    expect(entries2.map((e) => e.value).sort()).toEqual(['140.82.112.0/24', '203.0.113.0/24']);
  });
});

describe('rebaseline steps', () => {
  it('Plan refuses an input whose time is not an ISO date-time, before touching the table', async () => {
    const plan = rebaselinePlanHandler(runtime('rebaseline-plan'));
    await expect(plan({ time: 'yesterday' }, lambdaContext())).rejects.toThrow(/"time" must be an ISO date-time/);
  });

  it('Plan names a manual run (no time) by the clock', async () => {
    const now = Date.parse('2026-11-03T00:00:00Z');
    const plan = await rebaselinePlanHandler(runtime('rebaseline-plan'), () => now)({}, lambdaContext());
    expect(plan.run).toBe('2026-11-03T00:00:00.000Z');
    expect(plan.now).toBe(now);
  });
});
