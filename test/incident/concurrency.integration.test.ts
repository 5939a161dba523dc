import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DYNAMO_CLIENT_CONFIG, DynamoTable } from '../../shared/aws/dynamo-table';
import { defaultConfig } from '../../shared/config';
import { IncidentBook } from '../../shared/incident';
import { type LocalDynamo, startDynalite } from '../support/dynalite';
import { finding, messageLog } from './fixtures';

let dynamo: LocalDynamo;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo?.close();
});

/** A processor of its own: its own DynamoDB client, table and book, as two Lambda containers have. */
function processor() {
  const client = new DynamoDBClient({
    ...DYNAMO_CLIENT_CONFIG,
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const table = new DynamoTable({ tableName: dynamo.tableName, client });
  return new IncidentBook(table, defaultConfig({ incidents: { maxFindings: 500 } }), Date.now);
}

describe('processors adding findings to one incident at once (dynalite)', () => {
  it('lose no finding and send one open message', async () => {
    const log = messageLog();
    const processors = Array.from({ length: 6 }, processor);
    // Six processors, four findings each, all of one identity within minutes: one incident.
    await Promise.all(
      processors.map((book, p) =>
        book.record(
          Array.from({ length: 4 }, (_, n) => ({
            finding: finding(`p${p}-f${n}`, `2026-11-10T10:${String(p * 4 + n).padStart(2, '0')}:00Z`, {
              entities: { cluster: 'race', user: 'mallory', namespace: 'shop', resource: 'pods', name: `web-${p}` },
            }),
          })),
          log.write,
        ),
      ),
    );
    const incidents = (await processor().list()).filter((i) => i.cluster === 'race');
    expect(incidents).toHaveLength(1);
    expect([...(incidents[0]?.findings ?? [])].sort()).toEqual(
      processors.flatMap((_, p) => Array.from({ length: 4 }, (_, n) => `p${p}-f${n}`)).sort(),
    );
    expect(log.messages.filter((m) => m.incident?.cluster === 'race').map((m) => m.kind)).toEqual(['incident']);
    expect(await processor().findings(incidents[0]?.id as string)).toHaveLength(24);
  });

  it('two processors recording the same findings (a redelivered object) record them once', async () => {
    const log = messageLog();
    const same = ['a', 'b'].map((id) => ({
      finding: finding(`dup-${id}`, '2026-11-10T11:00:00Z', { entities: { cluster: 'dup', user: 'eve' } }),
    }));
    await Promise.all([processor().record(same, log.write), processor().record(same, log.write)]);
    const incidents = (await processor().list()).filter((i) => i.cluster === 'dup');
    expect(incidents.map((i) => i.findings)).toEqual([['dup-a', 'dup-b']]);
    expect(log.messages.filter((m) => m.cluster === 'dup')).toHaveLength(1);
  });
});
