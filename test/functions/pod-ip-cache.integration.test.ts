import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectHandler } from '../../functions/object-handler';
import { createRuntime } from '../../functions/runtime';
import { CONFIG_ENV } from '../../shared/config/load';
import { STACK_FLOW_HEADER } from '../../shared/ingest/flow-reader';
import { podStatus } from '../network/support';
import { type LocalDynamo, startDynalite } from '../support/dynalite';
import { cwlData, gzip } from '../support/formats';
import { lambdaContext, s3Notification, sqsEvent } from '../support/lambda';
import { type LocalS3, startS3rver } from '../support/s3rver';

const T0 = Date.parse('2026-11-01T10:00:00Z');
const MINUTE = 60_000;
/** The pods: one address each, all reported (and so the audit watermark) at 10:00. */
const PODS = ['10.0.1.10', '10.0.1.11', '10.0.1.12', '10.0.1.13', '10.0.1.14', '10.0.1.15'];

let dynamo: LocalDynamo;
let s3: LocalS3;
const snsMock = mockClient(SNSClient);

beforeAll(async () => {
  [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
  snsMock.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
});
afterAll(async () => {
  await Promise.all([dynamo?.close(), s3?.close()]);
});

/** A DynamoDB client of the local table that counts the pod IP records its batch reads ask for. */
function countingClient(): { client: DynamoDBClient; podIpKeys: () => number } {
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  let podIpKeys = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'BatchGetItemCommand') {
        const input = args.input as { RequestItems?: Record<string, { Keys?: Record<string, unknown>[] }> };
        for (const { Keys = [] } of Object.values(input.RequestItems ?? {})) {
          for (const key of Keys) {
            const pk = key.pk as { S?: string } | string | undefined;
            if ((typeof pk === 'string' ? pk : pk?.S)?.startsWith('PODIP#')) podIpKeys++;
          }
        }
      }
      return next(args);
    },
    { step: 'initialize', name: 'countPodIpKeys' },
  );
  return { client, podIpKeys: () => podIpKeys };
}

function runtime(name: string, client: DynamoDBClient) {
  return createRuntime(name, {
    s3: s3.client,
    dynamo: client,
    sns: new SNSClient({ region: 'eu-west-1' }),
    env: {
      TABLE_NAME: dynamo.tableName,
      TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:driftwatch-alerts',
      [CONFIG_ENV]: JSON.stringify({ clusterName: 'prod', network: { vpcCidrs: ['10.0.0.0/16'] } }),
    },
  });
}

async function put(key: string, body: Buffer) {
  await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body }));
}

/** A flow object of one interface: every pod calls the next, at 09:40 (the audit log has passed it). */
function flowObject(eni: string): Buffer {
  const start = Math.floor((T0 - 20 * MINUTE) / 1000);
  const lines = PODS.map((client, i) => {
    const server = PODS[(i + 1) % PODS.length];
    return `5 123456789012 ${eni} ${client} ${server} 4432${i} 8080 6 5 500 ${start} ${start + 60} ACCEPT OK vpc-0int subnet-0a i-0a 2 IPv4 ${client} ${server} eu-west-1 euw1-az1 - - egress 8`;
  });
  return gzip([STACK_FLOW_HEADER, ...lines].join('\n'));
}

const flowKey = (eni: string) =>
  `flow/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=11/day=01/hour=09/123456789012_vpcflowlogs_eu-west-1_fl-0a_20261101T0945Z_${eni}.log.gz`;

describe('flow-processor in a warm container', () => {
  it('names the addresses of a second object from the pod IP records the first one read', async () => {
    // Prepare: the audit processor records the pods (and moves the watermark to 10:00).
    const audit = PODS.map((ip, i) =>
      JSON.stringify(podStatus({ namespace: 'shop', pod: `web-${i}`, ip, time: T0, startTime: T0 - 2 * 3_600_000 })),
    );
    await put('audit/pods.gz', gzip(cwlData(audit, 'prod')));
    const auditProcessor = runtime('audit-processor', dynamo.client);
    const audited = await objectHandler('audit', auditProcessor)(
      sqsEvent([s3Notification(s3.bucket, 'audit/pods.gz')]),
      lambdaContext(),
    );
    expect(audited.batchItemFailures).toEqual([]);
    for (const eni of ['eni-0a', 'eni-0b', 'eni-0c']) await put(flowKey(eni), flowObject(eni));
    const warm = countingClient();
    const flow = runtime('flow-processor', warm.client);
    const handler = objectHandler('flow', flow);
    const invoke = async (rt: typeof flow, h: typeof handler, counted: typeof warm, eni: string) => {
      const [units, keys] = [rt.table.counters.readUnits, counted.podIpKeys()];
      const result = await h(sqsEvent([s3Notification(s3.bucket, flowKey(eni))]), lambdaContext());
      expect(result.batchItemFailures).toEqual([]);
      return { readUnits: rt.table.counters.readUnits - units, podIpKeys: counted.podIpKeys() - keys };
    };

    // Act: two invocations of one container, then a cold container.
    const first = await invoke(flow, handler, warm, 'eni-0a');
    const second = await invoke(flow, handler, warm, 'eni-0b');
    const cold = countingClient();
    const coldFlow = runtime('flow-processor', cold.client);
    const coldStart = await invoke(coldFlow, objectHandler('flow', coldFlow), cold, 'eni-0c');

    // Assess: the first object and the cold one read every pod's record; the warm second, none.
    expect(first.podIpKeys).toBe(PODS.length);
    expect(coldStart.podIpKeys).toBe(PODS.length);
    expect(second.podIpKeys).toBe(0);
    expect(second.readUnits).toBeLessThan(first.readUnits);
    expect(second.readUnits).toBeLessThanOrEqual(coldStart.readUnits - PODS.length * 0.5);
  });
});
