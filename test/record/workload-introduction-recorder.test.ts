import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoTable } from '../../shared/aws/dynamo-table';
import { defaultConfig } from '../../shared/config/load';
import { buildDetectContext } from '../../shared/detect/context';
import { normalizeAuditEvent } from '../../shared/ingest/normalize-audit';
import type { AuditEvent } from '../../shared/ingest/types';
import { workloadIntroductionRecorder } from '../../shared/record/workload-introduction-recorder';
import { WorkloadIntroductions } from '../../shared/record/workload-introductions';
import type { Table } from '../../shared/store';
import { MemoryTable } from '../../shared/store/memory-table';
import { type LocalDynamo, startDynalite } from '../support/dynalite';
import { rawAuditEvent } from '../support/formats';

const T0 = Date.parse('2026-11-02T10:00:00Z');
const MINUTE = 60_000;

const CI = { username: 'github-actions', groups: ['system:authenticated'] };
const DEPLOYMENT_CONTROLLER = {
  username: 'system:serviceaccount:kube-system:deployment-controller',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'],
};
const PIPELINE = { username: 'deployer', groups: ['system:authenticated'] };
const PERSON = { username: 'alice', groups: ['system:authenticated'] };

interface Write {
  user: { username: string; groups: string[] };
  verb: 'create' | 'patch' | 'update';
  resource: string;
  name: string;
  minute: number;
  code?: number;
}

function event({ user, verb, resource, name, minute, code }: Write): AuditEvent {
  const raw = rawAuditEvent({
    verb,
    user,
    userAgent: 'kubectl/v1.31.0',
    sourceIPs: ['10.0.5.17'],
    requestURI: `/apis/apps/v1/namespaces/shop/${resource}${verb === 'create' ? '' : `/${name}`}`,
    objectRef: {
      resource,
      namespace: 'shop',
      apiGroup: 'apps',
      apiVersion: 'v1',
      ...(verb === 'create' ? {} : { name }),
    },
    level: 'Request',
    requestObject: { metadata: { name } },
    responseStatus: { metadata: {}, code: code ?? (verb === 'create' ? 201 : 200) },
    requestReceivedTimestamp: new Date(T0 + minute * MINUTE).toISOString(),
  });
  const normalized = normalizeAuditEvent(raw, 'prod', { uri: 'test', line: 1 });
  if (typeof normalized === 'string') throw new Error(normalized);
  return normalized;
}

/** Records the objects in order, each through its own session, with `deployer` learned as a pipeline. */
async function record(table: Table, objects: readonly Write[][]): Promise<void> {
  const config = defaultConfig({ clusterName: 'shop-prod', identities: { cicd: ['github-actions'] } });
  const context = buildDetectContext(config);
  context.learnedPipelines.replace([
    { cluster: 'prod', username: 'deployer', networks: ['10.0.0.0/16'], agent: 'kubectl/v1.31', since: T0 },
  ]);
  const recorder = workloadIntroductionRecorder(context);
  for (const [i, writes] of objects.entries()) {
    const session = recorder.begin({ id: `object-${i}`, uri: 'test', config });
    for (const write of writes) session.see(event(write));
    await session.flush(table);
  }
}

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});

describe.each([
  ['the in-memory table', () => new MemoryTable()],
  ['DynamoDB', () => new DynamoTable({ tableName: dynamo.tableName, client: dynamo.client })],
])('WorkloadIntroductionSession on %s', (_, tableOf) => {
  it('records who created each workload, the earliest first, and the first change by hand', async () => {
    // Prepare
    const table = tableOf();

    // Act: the second object holds an earlier creation than the first (a late delivery)
    await record(table, [
      [
        { user: CI, verb: 'create', resource: 'deployments', name: 'ledger', minute: 5 },
        // The deployment controller's ReplicaSet is the Deployment's: its creation says nothing.
        { user: DEPLOYMENT_CONTROLLER, verb: 'create', resource: 'replicasets', name: 'ledger-6f7c9d8b4c', minute: 6 },
        // A pipeline's later rollout is not an introduction; a person's change is noted.
        { user: CI, verb: 'patch', resource: 'deployments', name: 'ledger', minute: 30 },
        { user: PERSON, verb: 'patch', resource: 'deployments', name: 'ledger', minute: 40 },
        { user: PERSON, verb: 'patch', resource: 'deployments', name: 'ledger', minute: 45 },
        { user: PIPELINE, verb: 'create', resource: 'statefulsets', name: 'queue', minute: 7 },
        // A server-side apply that created the object, by a person.
        { user: PERSON, verb: 'patch', resource: 'deployments', name: 'debug', minute: 8, code: 201 },
        // Refused: nothing was created.
        { user: PERSON, verb: 'create', resource: 'daemonsets', name: 'miner', minute: 9, code: 403 },
      ],
      [{ user: CI, verb: 'create', resource: 'deployments', name: 'ledger', minute: 1 }],
    ]);

    // Assess
    const records = await new WorkloadIntroductions(table).read('shop-prod', [
      'shop/ledger',
      'shop/queue',
      'shop/debug',
      'shop/miner',
    ]);
    expect(Object.fromEntries(records)).toEqual({
      'shop/ledger': {
        workload: 'shop/ledger',
        introducedAt: T0 + MINUTE,
        introducedBy: 'cicd',
        untrustedAt: T0 + 40 * MINUTE,
        untrustedBy: 'person',
      },
      'shop/queue': { workload: 'shop/queue', introducedAt: T0 + 7 * MINUTE, introducedBy: 'pipeline' },
      'shop/debug': { workload: 'shop/debug', untrustedAt: T0 + 8 * MINUTE, untrustedBy: 'person' },
    });
  });

  it('keeps the earliest flow edge of a workload', async () => {
    // Prepare
    const table = tableOf();
    const store = new WorkloadIntroductions(table);

    // Act
    await store.flowSeen('shop-prod', 'shop/web', T0 + 10 * MINUTE);
    await store.flowSeen('shop-prod', 'shop/web', T0 + 20 * MINUTE);
    await store.flowSeen('shop-prod', 'shop/web', T0 + 5 * MINUTE);

    // Assess
    expect((await store.read('shop-prod', ['shop/web'])).get('shop/web')).toEqual({
      workload: 'shop/web',
      firstFlow: T0 + 5 * MINUTE,
    });
  });
});
