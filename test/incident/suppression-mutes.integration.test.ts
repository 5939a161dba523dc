import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { analyze } from '../../cli/analyze';
import { suppressAdd } from '../../cli/suppress';
import { objectHandler } from '../../functions/object-handler';
import { createRuntime } from '../../functions/runtime';
import { DynamoTable } from '../../shared/aws/dynamo-table';
import { defaultConfig } from '../../shared/config';
import { CONFIG_ENV } from '../../shared/config/load';
import { IncidentBook, SuppressionStore } from '../../shared/incident';
import { Capture } from '../support/capture';
import { type LocalDynamo, startDynalite } from '../support/dynalite';
import { cwlData, gzip, rawAuditEvent } from '../support/formats';
import { lambdaContext, s3Notification, sqsEvent } from '../support/lambda';
import { type LocalS3, startS3rver } from '../support/s3rver';

const HOUR = 3_600_000;
/** Wall-clock "now" of the test: expiries must be in the future when added. */
const NOW = Date.now();
const EXPIRES = new Date(NOW + 48 * HOUR).toISOString();

/** An exec into a pod by `user` at `time` (each user in a namespace of their own, so their incidents stay apart). */
function exec(id: string, user: string, time: number): Record<string, unknown> {
  const at = new Date(time).toISOString();
  return rawAuditEvent({
    auditID: id,
    verb: 'create',
    user: { username: user, groups: ['system:authenticated'] },
    sourceIPs: ['10.0.0.9'],
    objectRef: { resource: 'pods', subresource: 'exec', namespace: `ns-${user}`, name: `${id}-pod` },
    requestURI: `/api/v1/namespaces/ns-${user}/pods/${id}-pod/exec?command=sh`,
    responseStatus: { code: 101 },
    requestReceivedTimestamp: at,
    stageTimestamp: at,
  });
}

/** bob's exec and carol's now; bob's again after the suppression expired (and after the incident window). */
const BEFORE = [exec('b1', 'bob', NOW - HOUR), exec('c1', 'carol', NOW - HOUR)];
const AFTER = [exec('b2', 'bob', NOW + 72 * HOUR)];

const addBobSuppression = (target: { stateDir?: string; tableName?: string }) =>
  suppressAdd({
    ...target,
    id: 'bob-debugging',
    rule: 'audit.exec-into-pod',
    match: ['user=bob'],
    reason: 'bob debugs ns-bob this week',
    owner: 'platform@example.com',
    expires: EXPIRES,
    by: 'sam',
    stdout: new Capture(),
  });

describe('a suppression added with the CLI, on local state', () => {
  it('mutes exactly what it matches, keeps it on its incident, and expires on time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-mute-'));
    const state = join(dir, 'state');
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs', 'audit-1.json'), BEFORE.map((e) => JSON.stringify(e)).join('\n'));
    expect(await addBobSuppression({ stateDir: state })).toBe(0);
    const first = await analyze({
      paths: [join(dir, 'logs')],
      stateDir: state,
      format: 'json',
      stdout: new Capture(),
      stderr: new Capture(),
    });

    const bob = first.findings.find((f) => f.entities.user === 'bob' && f.ruleId === 'audit.exec-into-pod');
    const carol = first.findings.find((f) => f.entities.user === 'carol' && f.ruleId === 'audit.exec-into-pod');
    // Recorded and joined, both.
    expect(bob?.incidentId).toBeDefined();
    expect(carol?.incidentId).toBeDefined();
    const bobIncident = first.incidents.find((i) => i.id === bob?.incidentId);
    expect(bobIncident?.timeline.filter((t) => t.ruleId === 'audit.exec-into-pod').map((t) => t.mutedBy)).toEqual([
      'bob-debugging',
    ]);
    // Told: carol's incident only.
    expect(first.messages.map((m) => m.incident?.id)).not.toContain(bob?.incidentId);
    expect(first.messages.map((m) => m.incident?.id)).toContain(carol?.incidentId);
    expect(first.summary.suppressed).toEqual({
      'bob-debugging': first.findings.filter((f) => f.entities.user === 'bob').length,
    });

    // After the expiry, bob's exec is told again.
    writeFileSync(join(dir, 'logs', 'audit-2.json'), AFTER.map((e) => JSON.stringify(e)).join('\n'));
    const second = await analyze({
      paths: [join(dir, 'logs', 'audit-2.json')],
      stateDir: state,
      format: 'json',
      stdout: new Capture(),
      stderr: new Capture(),
    });
    const later = second.findings.find((f) => f.entities.user === 'bob' && f.ruleId === 'audit.exec-into-pod');
    expect(later).toBeDefined();
    expect(second.summary.suppressed).toEqual({});
    expect(second.messages.map((m) => m.incident?.id)).toContain(later?.incidentId);
  });
});

describe('a suppression added with the CLI to the table, through the Lambda handler (dynalite)', () => {
  let dynamo: LocalDynamo;
  let s3: LocalS3;
  const snsMock = mockClient(SNSClient);
  const saved = { ...process.env };

  beforeAll(async () => {
    [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
    // The CLI's --table uses the caller's AWS configuration; here it points at dynalite.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
  });
  afterAll(async () => {
    process.env = saved;
    await Promise.all([dynamo?.close(), s3?.close()]);
  });
  beforeEach(() => {
    snsMock.reset();
    snsMock.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
  });

  const runtime = () =>
    createRuntime('audit-processor', {
      s3: s3.client,
      dynamo: dynamo.client,
      sns: new SNSClient({ region: 'eu-west-1' }),
      env: {
        TABLE_NAME: dynamo.tableName,
        TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:driftwatch-alerts',
        [CONFIG_ENV]: JSON.stringify({ clusterName: 'shop-prod' }),
      },
    });

  const published = () =>
    snsMock.commandCalls(PublishBatchCommand).flatMap((call) => call.args[0].input.PublishBatchRequestEntries ?? []);

  async function deliver(key: string, events: Record<string, unknown>[]) {
    await s3.client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: key,
        Body: gzip(
          cwlData(
            events.map((e) => JSON.stringify(e)),
            'shop-prod',
          ),
        ),
      }),
    );
    const handler = objectHandler('audit', runtime());
    const result = await handler(sqsEvent([s3Notification(s3.bucket, key)]), lambdaContext());
    expect(result.batchItemFailures).toEqual([]);
  }

  it('mutes exactly what it matches and expires on time', async () => {
    expect(await addBobSuppression({ tableName: dynamo.tableName })).toBe(0);
    await deliver('audit/2026/12/04/10/a-1.gz', BEFORE);
    const table = new DynamoTable({ tableName: dynamo.tableName, client: dynamo.client });
    const book = new IncidentBook(table, defaultConfig(), Date.now);
    const incidents = await book.list();
    const bob = incidents.find((i) => i.entities.identities.includes('bob'));
    const carol = incidents.find((i) => i.entities.identities.includes('carol'));
    expect(bob?.timeline.find((t) => t.ruleId === 'audit.exec-into-pod')?.mutedBy).toBe('bob-debugging');
    expect(bob?.messages).toBe(0);
    expect(carol?.messages).toBe(1);
    const kinds = published().map((e) => [
      e.MessageAttributes?.kind?.StringValue,
      JSON.parse(String(e.MessageAttributes?.ruleId?.StringValue)),
    ]);
    expect(kinds).toEqual([['incident', carol?.rules]]);
    const views = await new SuppressionStore(table, Date.now).list();
    expect(views.find((v) => v.rule.id === 'bob-debugging')?.muted).toBe(bob?.findings.length);

    snsMock.resetHistory();
    await deliver('audit/2026/12/07/10/a-2.gz', AFTER);
    const after = (await book.list()).filter((i) => i.entities.identities.includes('bob') && i.id !== bob?.id);
    expect(after).toHaveLength(1);
    expect(after[0]?.timeline.every((t) => t.mutedBy === undefined)).toBe(true);
    expect(published().map((e) => e.MessageAttributes?.kind?.StringValue)).toEqual(['incident']);
  });
});
