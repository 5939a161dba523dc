import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARGOCD_USER, FIRST_ROLLOUTS, LEARNING_DAYS, RESTARTED_WORKLOAD } from '../../events/scenario/existing-cluster';
import { generateScenario, INCIDENTS, ScenarioError, type ScenarioManifest } from '../../events/scenario/generate';
import { readAuditObject } from '../../shared/ingest/audit-reader';
import { readFlowObject } from '../../shared/ingest/flow-reader';
import { newReadStats } from '../../shared/ingest/stats';
import type { AuditEvent, FlowRecord } from '../../shared/ingest/types';

const DAY_MS = 86_400_000;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

async function scan(dir: string): Promise<{ events: AuditEvent[]; flows: FlowRecord[] }> {
  const events: AuditEvent[] = [];
  const flows: FlowRecord[] = [];
  for (const file of filesUnder(dir)) {
    const path = join(dir, file);
    if (file.startsWith('audit/')) {
      await readAuditObject(createReadStream(path), { uri: file, stats: newReadStats(), cluster: 'unknown' }, (e) =>
        events.push(e),
      );
    } else if (file.startsWith('flow/')) {
      await readFlowObject(createReadStream(path), { uri: file, stats: newReadStats() }, (r) => {
        if (r.logStatus === 'OK') flows.push(r);
      });
    }
  }
  return { events, flows };
}

interface PodStatus {
  podIP?: string;
  phase?: string;
  startTime?: string;
  containerStatuses?: { image: string; imageID: string; restartCount: number }[];
}

const statusOf = (e: AuditEvent) => (e.requestObject as { status?: PodStatus } | undefined)?.status ?? {};
const isStatusPatch = (e: AuditEvent) =>
  e.verb === 'patch' && e.objectRef?.resource === 'pods' && e.objectRef.subresource === 'status';
/** The pod an event creates, patches or deletes, if it is a pod event. */
function podOf(e: AuditEvent): string | undefined {
  if (e.objectRef?.resource !== 'pods' || e.objectRef.subresource === 'binding') return undefined;
  if (e.verb === 'create') return (e.responseObject as { metadata?: { name?: string } } | undefined)?.metadata?.name;
  if (e.verb === 'patch' || e.verb === 'delete' || e.verb === 'update') return e.objectRef.name;
  return undefined;
}
const repository = (image: string) => image.replace(/:[^:/]+$/, '');

describe('generateScenario, existing-cluster variant', () => {
  let dir: string;
  let manifest: ScenarioManifest;
  let events: AuditEvent[];
  let flows: FlowRecord[];
  let start: number;
  let learningEnd: number;
  const dayOf = (time: number) => Math.floor((time - start) / DAY_MS) + 1;
  const prod = () => events.filter((e) => e.cluster === 'shop-prod');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dw-scenario-existing-'));
    manifest = await generateScenario({ outDir: dir, variant: 'existing-cluster' });
    start = Date.parse(manifest.start);
    learningEnd = start + LEARNING_DAYS * DAY_MS;
    ({ events, flows } = await scan(dir));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is deterministic: the same seed writes the same bytes', async () => {
    const again = mkdtempSync(join(tmpdir(), 'dw-scenario-existing-'));
    await generateScenario({ outDir: again, variant: 'existing-cluster', seed: 42 });
    const files = filesUnder(dir);
    expect(filesUnder(again)).toEqual(files);
    for (const file of files) {
      expect(readFileSync(join(again, file)).equals(readFileSync(join(dir, file))), file).toBe(true);
    }
    rmSync(again, { recursive: true, force: true });
  });

  it('refuses an unknown variant', async () => {
    const options = { outDir: join(dir, 'never'), variant: 'brownfield' as never };
    await expect(generateScenario(options)).rejects.toThrow(ScenarioError);
  });

  it('records the variant, both clusters and their audit log groups', () => {
    expect(manifest.variant).toBe('existing-cluster');
    expect(manifest.clusters).toEqual(['shop-prod', 'shop-staging']);
    expect(new Set(events.map((e) => e.cluster))).toEqual(new Set(['shop-prod', 'shop-staging']));
    const groups = new Set<string>();
    for (const file of filesUnder(dir).filter((f) => f.startsWith('audit/'))) {
      const text = gunzipSync(readFileSync(join(dir, file))).toString();
      for (const m of text.matchAll(/"logGroup":"([^"]+)"/g)) if (m[1]) groups.add(m[1]);
    }
    expect(groups).toEqual(new Set(['/aws/eks/shop-prod/cluster', '/aws/eks/shop-staging/cluster']));
  });

  it('keeps every planted incident at its day and time', () => {
    expect(manifest.incidents.map((i) => [i.id, i.day, i.time.slice(11, 19)])).toEqual(
      INCIDENTS.map((i) => [i.id, i.day, i.at]),
    );
  });

  it('names no pod that ran before the first log during the learning period', () => {
    const learning = prod().filter((e) => e.time < learningEnd);
    // Every pod status reported while learning is of a pod started during the scenario (the autoscaler's).
    for (const e of learning.filter(isStatusPatch)) {
      expect(Date.parse(statusOf(e).startTime ?? ''), e.objectRef?.name).toBeGreaterThanOrEqual(start);
    }
    // The pods that started before the scenario, as later status patches reveal them.
    const old = new Set(
      prod()
        .filter((e) => isStatusPatch(e) && Date.parse(statusOf(e).startTime ?? '') < start)
        .map((e) => `${e.objectRef?.namespace}/${e.objectRef?.name}`),
    );
    const workloads = new Set([...old].map((p) => p.replace(/-[a-z0-9]+-[a-z0-9]{5}$/, '')));
    for (const key of [...FIRST_ROLLOUTS, RESTARTED_WORKLOAD]) expect(workloads).toContain(key);
    const named = learning.filter((e) => old.has(`${e.objectRef?.namespace}/${podOf(e)}`));
    expect(named).toEqual([]);
  });

  it('carries traffic of addresses no learning-period audit record names', () => {
    const reported = new Set(
      prod()
        .filter((e) => e.time < learningEnd && isStatusPatch(e))
        .map((e) => statusOf(e).podIP),
    );
    const address = manifest.addressReuse?.[0]?.address as string;
    expect(reported.has(address)).toBe(false);
    const seen = flows.filter((r) => (r.start ?? 0) * 1000 < learningEnd && r.srcAddr === address);
    expect(seen.length).toBeGreaterThan(100);
  });

  it('has Argo CD patch Deployments every day, from one pod address, reading only its own secrets', () => {
    const agent = prod().filter((e) => e.user.username === ARGOCD_USER);
    const patchDays = new Set(
      agent.filter((e) => e.verb === 'patch' && e.objectRef?.resource === 'deployments').map((e) => dayOf(e.time)),
    );
    expect([...patchDays].sort((x, y) => x - y)).toEqual(Array.from({ length: manifest.days }, (_, i) => i + 1));
    const sources = new Set(agent.flatMap((e) => e.sourceIps));
    expect(sources.size).toBe(1);
    expect([...sources][0]).toMatch(/^10\.0\.\d+\.\d+$/);
    expect(new Set(agent.map((e) => e.userAgent))).toEqual(
      new Set(['argocd-application-controller/v2.13.2 (linux/amd64) kubernetes/$Format']),
    );
    const secrets = agent.filter((e) => e.objectRef?.resource === 'secrets');
    expect(secrets.length).toBeGreaterThanOrEqual(manifest.days);
    expect(new Set(secrets.map((e) => e.objectRef?.namespace))).toEqual(new Set(['argocd']));
    expect(agent.filter((e) => e.objectRef?.subresource === 'exec')).toEqual([]);
    // Its images come from repositories the cluster ran on day 1.
    const images = (e: AuditEvent) =>
      (
        (e.requestObject as { spec?: { template?: { spec?: { containers?: { image: string }[] } } } })?.spec?.template
          ?.spec?.containers ?? []
      ).map((c) => c.image);
    const patches = agent.filter((e) => e.verb === 'patch' && e.objectRef?.resource === 'deployments');
    const known = new Set(patches.filter((e) => dayOf(e.time) === 1).flatMap((e) => images(e).map(repository)));
    for (const e of patches) for (const image of images(e)) expect(known).toContain(repository(image));
  });

  it('rolls out three workloads for the first time on day 8, retiring the old pods with their addresses', () => {
    const day8 = prod().filter((e) => dayOf(e.time) === LEARNING_DAYS + 1);
    for (const key of FIRST_ROLLOUTS) {
      const [namespace, name] = key.split('/') as [string, string];
      const inNs = day8.filter((e) => e.objectRef?.namespace === namespace);
      const firstImage = (e: AuditEvent | undefined) =>
        (e?.requestObject as { spec: { template: { spec: { containers: { image: string }[] } } } } | undefined)?.spec
          .template.spec.containers[0]?.image ?? '';
      const agentPatch = (e: AuditEvent) =>
        e.user.username === ARGOCD_USER && e.verb === 'patch' && e.objectRef?.resource === 'deployments';
      const before = firstImage(prod().find((e) => dayOf(e.time) === 1 && agentPatch(e) && e.objectRef?.name === name));
      const release = inNs.find((e) => agentPatch(e) && e.objectRef?.name === name && firstImage(e) !== before);
      expect(repository(firstImage(release))).toBe(repository(before));
      expect(release, key).toBeDefined();
      expect(
        inNs.some(
          (e) =>
            e.verb === 'create' &&
            e.objectRef?.resource === 'replicasets' &&
            /deployment-controller/.test(e.user.username),
        ),
      ).toBe(true);
      const created = inNs.filter(
        (e) => e.verb === 'create' && podOf(e)?.startsWith(`${name}-`) && /replicaset-controller/.test(e.user.username),
      );
      expect(created.length).toBeGreaterThan(0);
      const running = inNs.filter(
        (e) => isStatusPatch(e) && e.objectRef?.name?.startsWith(`${name}-`) && statusOf(e).phase === 'Running',
      );
      expect(running.length).toBeGreaterThan(0);
      for (const e of running) expect(statusOf(e).containerStatuses?.[0]?.imageID).toContain('@sha256:');
      const stopped = inNs.filter(
        (e) =>
          isStatusPatch(e) &&
          e.objectRef?.name?.startsWith(`${name}-`) &&
          statusOf(e).phase === 'Succeeded' &&
          Date.parse(statusOf(e).startTime ?? '') < start,
      );
      expect(stopped.length).toBeGreaterThan(0);
      for (const e of stopped) {
        expect(statusOf(e).podIP).toMatch(/^10\.0\./);
        expect(
          inNs.some(
            (d) =>
              d.verb === 'delete' &&
              d.objectRef?.name === e.objectRef?.name &&
              /replicaset-controller/.test(d.user.username),
          ),
        ).toBe(true);
      }
    }
  });

  it('reports a container restart of a pod that ran before the scenario on day 8, without a rollout', () => {
    const [namespace, name] = RESTARTED_WORKLOAD.split('/') as [string, string];
    const restarts = prod().filter(
      (e) =>
        dayOf(e.time) === LEARNING_DAYS + 1 &&
        isStatusPatch(e) &&
        e.objectRef?.namespace === namespace &&
        e.objectRef.name?.startsWith(`${name}-`) &&
        Date.parse(statusOf(e).startTime ?? '') < start,
    );
    expect(restarts).toHaveLength(1);
    const status = statusOf(restarts[0] as AuditEvent);
    expect(status.containerStatuses?.[0]?.restartCount).toBe(1);
    expect(status.containerStatuses?.[0]?.image).toMatch(/^redis:/);
    expect(status.podIP).toMatch(/^10\.0\./);
    expect(
      prod().filter(
        (e) =>
          e.objectRef?.resource === 'replicasets' &&
          e.objectRef.namespace === namespace &&
          e.verb === 'create' &&
          dayOf(e.time) === LEARNING_DAYS + 1 &&
          JSON.stringify(e.requestObject).includes(`"${name}-`),
      ),
    ).toEqual([]);
  });

  it('reuses a shop-prod pod address for a shop-staging pod, as both audit logs tell', () => {
    expect(manifest.addressReuse).toHaveLength(1);
    const reuse = manifest.addressReuse?.[0] as NonNullable<ScenarioManifest['addressReuse']>[number];
    expect(reuse.holders.map((h) => h.cluster)).toEqual(['shop-prod', 'shop-staging']);
    const [first, second] = reuse.holders as [(typeof reuse.holders)[0], (typeof reuse.holders)[0]];
    expect(Date.parse(first.to)).toBeLessThanOrEqual(Date.parse(second.from));
    for (const holder of reuse.holders) {
      const from = Date.parse(holder.from);
      const to = Date.parse(holder.to);
      const reports = events.filter(
        (e) =>
          e.cluster === holder.cluster &&
          isStatusPatch(e) &&
          e.objectRef?.namespace === holder.namespace &&
          e.objectRef.name === holder.pod &&
          e.time >= from &&
          e.time <= to,
      );
      expect(reports.length, holder.cluster).toBeGreaterThan(0);
      for (const e of reports) expect(statusOf(e).podIP).toBe(reuse.address);
      expect(holder.pod.startsWith(`${holder.workload.split('/')[1]}-`)).toBe(true);
      // Traffic in the holder's period, and only pods of that cluster report the address then.
      const traffic = flows.filter(
        (r) =>
          r.srcAddr === reuse.address && (r.start ?? 0) * 1000 >= Math.max(from, start) && (r.end ?? 0) * 1000 <= to,
      );
      expect(traffic.length, holder.cluster).toBeGreaterThan(10);
      const others = events.filter(
        (e) =>
          isStatusPatch(e) &&
          statusOf(e).podIP === reuse.address &&
          e.time >= from &&
          e.time <= to &&
          e.objectRef?.name !== holder.pod,
      );
      expect(others).toEqual([]);
    }
  });
});
