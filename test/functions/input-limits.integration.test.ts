import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { objectHandler } from '../../functions/object-handler';
import { createRuntime } from '../../functions/runtime';
import { CONFIG_ENV } from '../../shared/config/load';
import { type LocalDynamo, startDynalite } from '../support/dynalite';
import { gzip, rawAuditEvent } from '../support/formats';
import { lambdaContext, s3Notification, sqsEvent } from '../support/lambda';
import { type LocalS3, startS3rver } from '../support/s3rver';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:driftwatch-alerts';
const GET_COUNTER = 'count-gets';
let dynamo: LocalDynamo;
let s3: LocalS3;
/** Keys of every GetObject the processors sent, ranged or not. */
const gets: string[] = [];
const snsMock = mockClient(SNSClient);
const sqsMock = mockClient(SQSClient);
const DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/driftwatch-audit-dlq';

beforeAll(async () => {
  [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
  await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'intel/threats.txt', Body: '203.0.113.0/24\n' }));
  s3.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetObjectCommand') gets.push((args.input as { Key: string }).Key);
      return next(args);
    },
    { step: 'initialize', name: GET_COUNTER },
  );
});
afterAll(async () => {
  s3?.client.middlewareStack.remove(GET_COUNTER);
  await Promise.all([dynamo?.close(), s3?.close()]);
});
beforeEach(() => {
  gets.length = 0;
  snsMock.reset();
  snsMock.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
  sqsMock.reset();
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'dlq-copy' });
});

/** The audit processor's runtime; with `deadLetters`, it sends a record's last failure to the DLQ itself. */
function runtime(options: { deadLetters?: boolean } = {}) {
  return createRuntime('audit-processor', {
    s3: s3.client,
    dynamo: dynamo.client,
    sns: new SNSClient({ region: 'eu-west-1' }),
    sqs: new SQSClient({ region: 'eu-west-1' }),
    env: {
      TABLE_NAME: dynamo.tableName,
      TOPIC_ARN: TOPIC,
      ...(options.deadLetters ? { DEAD_LETTER_QUEUE_URL: DLQ_URL } : {}),
      [CONFIG_ENV]: JSON.stringify({
        clusterName: 'limits',
        threatIntel: { sources: [{ s3Uri: `s3://${s3.bucket}/intel/threats.txt`, name: 'test-threats' }] },
      }),
    },
  });
}

async function put(key: string, body: Buffer | string): Promise<number> {
  await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body }));
  return Buffer.byteLength(body);
}

/** What the runtime's logger was told, by level: the message and its first extra object. */
function logged(rt: ReturnType<typeof runtime>) {
  const calls = { info: [] as unknown[][], warn: [] as unknown[][], error: [] as unknown[][] };
  for (const level of ['info', 'warn', 'error'] as const) {
    vi.spyOn(rt.logger, level).mockImplementation((...args: unknown[]) => {
      calls[level].push(args);
    });
  }
  return calls;
}

const ruleIds = () =>
  snsMock
    .commandCalls(PublishBatchCommand)
    .flatMap((call) => call.args[0].input.PublishBatchRequestEntries ?? [])
    .flatMap((e) => JSON.parse(e.MessageAttributes?.ruleId?.StringValue ?? '[]') as string[]);

/**
 * An exec into a pod: one finding, named after the pod. Each by a user and in a namespace of its
 * own, so that each is an incident of its own and one message.
 */
const execLine = (pod: string) =>
  JSON.stringify(
    rawAuditEvent({
      auditID: `exec-${pod}`,
      verb: 'create',
      user: { username: `user-${pod}`, groups: ['system:authenticated'] },
      objectRef: { resource: 'pods', subresource: 'exec', namespace: `ns-${pod}`, name: pod },
      requestURI: `/api/v1/namespaces/ns-${pod}/pods/${pod}/exec?command=sh`,
      responseStatus: { code: 101 },
    }),
  );

describe('an empty object', () => {
  it('is skipped as empty and marked done, without a single GET', async () => {
    const key = 'audit/2026/11/02/10/empty.gz';
    await put(key, '');
    const rt = runtime();
    const log = logged(rt);
    const handler = objectHandler('audit', rt);

    const first = await handler(sqsEvent([s3Notification(s3.bucket, key, 'e0', 0)]), lambdaContext());
    const again = await handler(sqsEvent([s3Notification(s3.bucket, key, 'e0', 0)]), lambdaContext());

    expect(first.batchItemFailures).toEqual([]);
    expect(again.batchItemFailures).toEqual([]);
    expect(gets.filter((k) => k === key)).toEqual([]);
    const processed = log.info.filter(([message]) => message === 'object processed').map(([, extra]) => extra);
    expect(processed).toMatchObject([{ skipped: 'empty' }, { skipped: 'already-processed' }]);
    expect(log.warn).toEqual([]);
  });
});

describe('a notification with a malformed key escape', () => {
  it('fails only its own record, with an error that names the key', async () => {
    const good = 'audit/2026/11/02/12/good.jsonl';
    const size = await put(good, execLine('key-escape'));
    const bad = s3Notification(s3.bucket, 'placeholder').replace('placeholder', 'audit/bad%ZZescape.gz');
    const rt = runtime();
    const log = logged(rt);
    const event = sqsEvent([bad, s3Notification(s3.bucket, good, 'g', size)]);

    const result = await objectHandler('audit', rt)(event, lambdaContext());

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    expect(ruleIds()).toEqual(['audit.exec-into-pod']);
    expect(log.error).toHaveLength(1);
    expect(log.error[0]?.[1]).toMatchObject({
      messageId: event.Records[0]?.messageId,
      reason: 'not-a-notification',
      error: expect.stringContaining('"audit/bad%ZZescape.gz"'),
    });
  });
});

describe('the Lambda deadline', () => {
  /**
   * A newline bomb: one audit event, then a GiB of line breaks, gzipped (about 1 MB). Reading it
   * takes tens of seconds; the simulated invocation below gives it about two.
   */
  function newlineBomb(): Buffer {
    const newlines = gzipSync(Buffer.alloc(64 * 1024 * 1024, '\n'), { level: 9 });
    return Buffer.concat([gzip(`${execLine('bomb')}\n`), ...Array.from({ length: 16 }, () => newlines)]);
  }

  it('fails the record it cannot finish before the timeout, and only it and those it left no time for', async () => {
    const bombKey = 'audit/2026/11/02/13/bomb.gz';
    const bombSize = await put(bombKey, newlineBomb());
    const normal = [];
    for (const pod of ['api-0', 'api-1']) {
      const key = `audit/2026/11/02/13/${pod}.jsonl`;
      normal.push(s3Notification(s3.bucket, key, pod, await put(key, execLine(pod))));
    }
    // An ordinary object, but announced as larger than the bomb: it comes after it.
    const lateKey = 'audit/2026/11/02/13/late.jsonl';
    await put(lateKey, execLine('late'));
    const late = s3Notification(s3.bucket, lateKey, 'late', bombSize + 1);
    const rt = runtime();
    const log = logged(rt);
    const handler = objectHandler('audit', rt, { deadline: { stopAtMs: 2_000, minStartMs: 2_500 } });
    // The bomb first, as SQS may hand it out; its third receive, the queue's last.
    const event = sqsEvent([s3Notification(s3.bucket, bombKey, 'bomb', bombSize), late, ...normal]);
    for (const record of event.Records) record.attributes.ApproximateReceiveCount = '3';
    const timeoutAt = Date.now() + 5_000;
    const context: Context = { ...lambdaContext(), getRemainingTimeInMillis: () => timeoutAt - Date.now() };

    const result = await handler(event, context);

    // The handler answered before the (simulated) timeout, so the batch response counts.
    expect(Date.now()).toBeLessThan(timeoutAt);
    const [bomb, lateRecord] = event.Records;
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      [bomb?.messageId, lateRecord?.messageId].sort(),
    );
    // The two ordinary objects were read and alerted on; the bomb's own event too was never delivered.
    expect(ruleIds()).toEqual(['audit.exec-into-pod', 'audit.exec-into-pod']);
    const failures = [...log.error, ...log.warn].map(([message, extra]) => ({ message, ...(extra as object) }));
    expect(failures).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          message: expect.stringContaining('dead-letter queue (deadline)'),
          messageId: bomb?.messageId,
          reason: 'deadline',
          receiveCount: 3,
          maxReceiveCount: 3,
          error: expect.stringMatching(new RegExp(`^stopped reading s3://${s3.bucket}/${bombKey}: .*Lambda timeout`)),
        }),
        expect.objectContaining({ messageId: lateRecord?.messageId, reason: 'not-started' }),
      ]),
    );
    expect(failures).toHaveLength(2);
  });

  it('on an earlier receive, says SQS delivers the record again', async () => {
    const key = 'audit/2026/11/02/14/bomb.gz';
    const size = await put(key, newlineBomb());
    const rt = runtime();
    const log = logged(rt);
    const handler = objectHandler('audit', rt, { deadline: { stopAtMs: 2_000, minStartMs: 2_500 } });
    const event = sqsEvent([s3Notification(s3.bucket, key, 'bomb2', size)]);
    const timeoutAt = Date.now() + 3_500;
    const context: Context = { ...lambdaContext(), getRemainingTimeInMillis: () => timeoutAt - Date.now() };

    await expect(handler(event, context)).rejects.toThrow(/All records failed/);
    expect(log.error.map(([message, extra]) => [message, (extra as { reason: string }).reason])).toEqual([
      ['record failed; SQS delivers it again (deadline)', 'deadline'],
    ]);
  });
});

describe('a record failing on its last receive, with the DLQ URL set', () => {
  const dlqSends = () => sqsMock.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
  const badNotification = () =>
    s3Notification(s3.bucket, 'placeholder').replace('placeholder', 'audit/dlq%ZZescape.gz');

  it('is sent to the DLQ with its reason, error, receive count and message id, and succeeds', async () => {
    const good = 'audit/2026/11/02/15/good.jsonl';
    const size = await put(good, execLine('dlq-good'));
    const rt = runtime({ deadLetters: true });
    const log = logged(rt);
    const event = sqsEvent([badNotification(), s3Notification(s3.bucket, good, 'g', size)]);
    for (const record of event.Records) record.attributes.ApproximateReceiveCount = '3';
    const [bad] = event.Records;

    const result = await objectHandler('audit', rt)(event, lambdaContext());

    // SQS deletes it from the source queue: the DLQ holds the copy with its reason.
    expect(result.batchItemFailures).toEqual([]);
    expect(ruleIds()).toEqual(['audit.exec-into-pod']);
    expect(dlqSends()).toEqual([
      {
        QueueUrl: DLQ_URL,
        MessageBody: bad?.body,
        MessageAttributes: {
          reason: { DataType: 'String', StringValue: 'not-a-notification' },
          error: {
            DataType: 'String',
            StringValue: expect.stringMatching(/^S3 notification names object key "audit\/dlq%ZZescape\.gz"/),
          },
          receiveCount: { DataType: 'Number', StringValue: '3' },
          sourceMessageId: { DataType: 'String', StringValue: bad?.messageId },
        },
      },
    ]);
    expect(log.error).toEqual([
      [
        'record failed on its last receive; sent to the dead-letter queue with its reason (not-a-notification)',
        expect.objectContaining({
          messageId: bad?.messageId,
          reason: 'not-a-notification',
          deadLetterMessageId: 'dlq-copy',
        }),
      ],
    ]);
  });

  it('sends an unreadable object with its reason', async () => {
    const rt = runtime({ deadLetters: true });
    logged(rt);
    const event = sqsEvent([s3Notification(s3.bucket, 'audit/2026/11/02/15/missing.jsonl', 'm', 10)]);
    for (const record of event.Records) record.attributes.ApproximateReceiveCount = '4';

    const result = await objectHandler('audit', rt)(event, lambdaContext());

    expect(result.batchItemFailures).toEqual([]);
    expect(dlqSends().map((input) => input.MessageAttributes?.reason?.StringValue)).toEqual(['unreadable-object']);
    expect(dlqSends()[0]?.MessageAttributes?.receiveCount?.StringValue).toBe('4');
  });

  it('on an earlier receive sends nothing, and SQS delivers the record again', async () => {
    const rt = runtime({ deadLetters: true });
    const log = logged(rt);
    const event = sqsEvent([badNotification()]);
    for (const record of event.Records) record.attributes.ApproximateReceiveCount = '2';

    await expect(objectHandler('audit', rt)(event, lambdaContext())).rejects.toThrow(/All records failed/);
    expect(dlqSends()).toEqual([]);
    expect(log.error.map(([message]) => message)).toEqual([
      'record failed; SQS delivers it again (not-a-notification)',
    ]);
  });

  it('fails the record when the DLQ does not take it, so the redrive still moves it', async () => {
    sqsMock
      .on(SendMessageCommand)
      .rejects(Object.assign(new Error('queue does not exist'), { name: 'QueueDoesNotExist' }));
    const good = 'audit/2026/11/02/16/good.jsonl';
    const size = await put(good, execLine('dlq-refused'));
    const rt = runtime({ deadLetters: true });
    const log = logged(rt);
    const event = sqsEvent([badNotification(), s3Notification(s3.bucket, good, 'g', size)]);
    for (const record of event.Records) record.attributes.ApproximateReceiveCount = '3';

    const result = await objectHandler('audit', rt)(event, lambdaContext());

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    expect(dlqSends()).toHaveLength(1);
    expect(log.error).toEqual([
      [
        expect.stringMatching(
          /dead-letter queue did not take it; SQS moves it there without its reason \(not-a-notification\)$/,
        ),
        expect.objectContaining({ reason: 'not-a-notification', sendError: 'QueueDoesNotExist: queue does not exist' }),
      ],
    ]);
  });

  it('without the DLQ URL, fails the record as before and sends nothing', async () => {
    const rt = runtime();
    const log = logged(rt);
    const event = sqsEvent([badNotification()]);
    for (const record of event.Records) record.attributes.ApproximateReceiveCount = '3';

    await expect(objectHandler('audit', rt)(event, lambdaContext())).rejects.toThrow(/All records failed/);
    expect(dlqSends()).toEqual([]);
    expect(log.error.map(([message]) => message)).toEqual([
      'record failed on its last receive; SQS moves it to the dead-letter queue (not-a-notification)',
    ]);
  });
});
