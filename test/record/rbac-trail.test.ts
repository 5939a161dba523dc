import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoTable } from '../../shared/aws/dynamo-table';
import { defaultConfig } from '../../shared/config/load';
import { buildDetectContext } from '../../shared/detect/context';
import { Engine } from '../../shared/engine/engine';
import { CollectingSink } from '../../shared/incident/sink';
import { RbacTrail } from '../../shared/record/rbac-trail';
import { MemoryTable } from '../../shared/store/memory-table';
import type { Table } from '../../shared/store/types';
import { type LocalDynamo, startDynalite } from '../support/dynalite';
import { rawAuditEvent } from '../support/formats';
import { memorySource } from '../support/sources';

const RBAC = 'rbac.authorization.k8s.io';

function at(minute: number): string {
  return new Date(Date.parse('2026-11-10T10:00:00Z') + minute * 60_000).toISOString();
}

/** One RBAC write as the API server logs it at RequestResponse level (or Metadata, without a body). */
function write(
  id: string,
  minute: number,
  verb: string,
  resource: string,
  name: string,
  body?: Record<string, unknown>,
  user = 'alice',
): string {
  return JSON.stringify(
    rawAuditEvent({
      auditID: id,
      level: body ? 'RequestResponse' : 'Metadata',
      verb,
      user: { username: user, groups: ['platform-admins', 'system:authenticated'] },
      sourceIPs: ['203.0.113.200'],
      objectRef: { resource, name, apiGroup: RBAC, apiVersion: 'v1' },
      requestURI: `/apis/${RBAC}/v1/${resource}${verb === 'create' ? '' : `/${name}`}`,
      responseStatus: { metadata: {}, code: verb === 'create' ? 201 : 200 },
      ...(body ? { requestObject: body } : {}),
      requestReceivedTimestamp: at(minute),
    }),
  );
}

const binding = (role: string, ...subjects: string[]) => ({
  kind: 'ClusterRoleBinding',
  metadata: { name: 'ops' },
  roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role },
  subjects: subjects.map((name) => ({ kind: 'User', name })),
});

describe('RbacTrail', () => {
  let table: MemoryTable;
  let engine: Engine;
  let trail: RbacTrail;

  beforeEach(() => {
    table = new MemoryTable();
    const config = defaultConfig({ clusterName: 'prod' });
    engine = new Engine({ config, table, context: buildDetectContext(config), sink: new CollectingSink() });
    trail = new RbacTrail(table);
  });

  it('records each change with who made it and a diff against the previous version', async () => {
    // Prepare
    await engine.process(
      memorySource('o1', write('c1', 0, 'create', 'clusterrolebindings', 'ops', binding('view', 'bob'))),
    );
    await engine.process(
      memorySource('o2', write('u1', 5, 'update', 'clusterrolebindings', 'ops', binding('view', 'bob', 'eve'))),
    );
    await engine.process(
      memorySource('o3', write('d1', 9, 'delete', 'clusterrolebindings', 'ops', undefined, 'carol')),
    );
    // Act
    const entries = await trail.history();
    // Assess
    expect(entries.map((e) => [e.verb, e.user, e.first, e.diff])).toEqual([
      ['create', 'alice', true, { added: ['roleRef ClusterRole/view', 'subject User bob'], removed: [] }],
      ['update', 'alice', false, { added: ['subject User eve'], removed: [] }],
      [
        'delete',
        'carol',
        false,
        { added: [], removed: ['roleRef ClusterRole/view', 'subject User bob', 'subject User eve'] },
      ],
    ]);
    expect(entries[0]).toMatchObject({
      cluster: 'prod',
      kind: 'ClusterRoleBinding',
      name: 'ops',
      sourceIps: ['203.0.113.200'],
      origin: { uri: 'o1', line: 1 },
    });
  });

  it('carries over what a merge patch leaves out, and diffs only what it replaces', async () => {
    const role = { kind: 'ClusterRole', rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] };
    await engine.process(memorySource('o1', write('c1', 0, 'create', 'clusterroles', 'reader', role)));
    await engine.process(
      memorySource(
        'o2',
        write('p1', 3, 'patch', 'clusterroles', 'reader', {
          rules: [{ apiGroups: [''], resources: ['pods', 'secrets'], verbs: ['get', 'list'] }],
        }),
      ),
    );
    const [, patch] = await trail.history({ name: 'reader' });
    expect(patch?.diff).toEqual({
      added: ['rule pods, secrets (core): get, list'],
      removed: ['rule pods (core): get'],
    });
    expect(patch?.content?.rules).toEqual(['rule pods, secrets (core): get, list']);
  });

  it('hides writes that change nothing unless asked, and keeps them out of the object versions', async () => {
    const body = binding('view', 'bob');
    await engine.process(
      memorySource('o1', write('a1', 0, 'patch', 'clusterrolebindings', 'ops', body, 'eks:addon-manager')),
    );
    await engine.process(
      memorySource('o2', write('a2', 60, 'patch', 'clusterrolebindings', 'ops', body, 'eks:addon-manager')),
    );
    expect((await trail.history()).map((e) => e.auditId)).toEqual(['a1']);
    const all = await trail.history({ includeUnchanged: true });
    expect(all.map((e) => [e.auditId, e.unchanged])).toEqual([
      ['a1', false],
      ['a2', true],
    ]);
  });

  it('writes the same entries when an object is delivered twice', async () => {
    const body = write('c1', 0, 'create', 'clusterrolebindings', 'ops', binding('view', 'bob'));
    await new RbacTrail(table).record([]);
    await engine.process(memorySource('o1', body, 'v1'));
    await engine.process(memorySource('o1', body, 'v2'));
    const entries = await trail.history();
    expect(entries).toHaveLength(1);
    expect(entries[0]?.first).toBe(true);
  });

  it('puts a late object in its place in time and fixes the diff of the version after it', async () => {
    // The update arrives before the create it follows.
    await engine.process(
      memorySource('late', write('u1', 5, 'update', 'clusterrolebindings', 'ops', binding('view', 'bob', 'eve'))),
    );
    await engine.process(
      memorySource('early', write('c1', 0, 'create', 'clusterrolebindings', 'ops', binding('view', 'bob'))),
    );
    const entries = await trail.history();
    expect(entries.map((e) => [e.auditId, e.first, e.diff?.added])).toEqual([
      ['c1', true, ['roleRef ClusterRole/view', 'subject User bob']],
      ['u1', false, ['subject User eve']],
    ]);
  });

  it('says when the log did not carry the content (a Metadata-level audit policy)', async () => {
    await engine.process(memorySource('o1', write('u1', 0, 'update', 'roles', 'reader')));
    const [entry] = await trail.history();
    expect(entry).toMatchObject({ verb: 'update', kind: 'Role', first: true });
    expect(entry?.content).toBeUndefined();
    expect(entry?.diff).toBeUndefined();
  });

  it('records the aws-auth ConfigMap as mappings, and filters by name and time', async () => {
    const awsAuth = (users: string) =>
      JSON.stringify(
        rawAuditEvent({
          auditID: `aws-auth-${users.length}`,
          level: 'RequestResponse',
          verb: 'update',
          objectRef: { resource: 'configmaps', namespace: 'kube-system', name: 'aws-auth', apiVersion: 'v1' },
          requestObject: { kind: 'ConfigMap', metadata: { name: 'aws-auth' }, data: { mapUsers: users } },
          requestReceivedTimestamp: at(users.length),
        }),
      );
    const dave = '- userarn: arn:aws:iam::123456789012:user/dave\n  username: dave\n  groups:\n    - system:masters\n';
    await engine.process(memorySource('o1', awsAuth('')));
    await engine.process(memorySource('o2', awsAuth(dave)));
    await engine.process(memorySource('o3', write('c1', 0, 'create', 'clusterroles', 'x', { rules: [] })));
    const entries = await trail.history({ name: 'kube-system/aws-*', since: Date.parse(at(1)) });
    expect(entries.map((e) => e.diff)).toEqual([
      { added: ['user arn:aws:iam::123456789012:user/dave as dave in [system:masters]'], removed: [] },
    ]);
  });
});

describe('RbacTrail on DynamoDB (dynalite)', () => {
  let dynamo: LocalDynamo;
  let table: Table;

  beforeAll(async () => {
    dynamo = await startDynalite();
    table = new DynamoTable({ tableName: dynamo.tableName, client: dynamo.client });
  });

  afterAll(async () => {
    await dynamo.close();
  });

  it('is written by the engine and read back with the same code as the embedded store', async () => {
    const config = defaultConfig({ clusterName: 'prod' });
    const engine = new Engine({ config, table, context: buildDetectContext(config), sink: new CollectingSink() });
    await engine.process(
      memorySource('o1', write('c1', 0, 'create', 'clusterrolebindings', 'ops', binding('cluster-admin', 'eve'))),
    );
    await engine.process(
      memorySource('o2', write('u1', 2, 'update', 'clusterrolebindings', 'ops', binding('view', 'eve'))),
    );
    const entries = await new RbacTrail(table).history({ clusters: ['prod'] });
    expect(entries.map((e) => e.diff)).toEqual([
      { added: ['roleRef ClusterRole/cluster-admin', 'subject User eve'], removed: [] },
      { added: ['roleRef ClusterRole/view'], removed: ['roleRef ClusterRole/cluster-admin'] },
    ]);
  });
});
