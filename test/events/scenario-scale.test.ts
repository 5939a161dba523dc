import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { generateScenario, ScenarioError, type ScenarioManifest } from '../../events/scenario/generate';
import { DEFAULT_SCALE, resolveScale, scaledScenarioConfig, scenarioScale } from '../../events/scenario/scale';
import { loadConfigFile } from '../../shared/config/load';
import { readAuditObject } from '../../shared/ingest/audit-reader';
import { readFlowObject } from '../../shared/ingest/flow-reader';
import { newReadStats, totalRejected } from '../../shared/ingest/stats';
import { AddressClassifier } from '../../shared/network/address';
import { EdgeAggregator } from '../../shared/network/edge-aggregator';
import { DEFAULT_SCENARIO_FILES, DEFAULT_SCENARIO_SHA256, filesUnder, outputHash } from '../support/scenario-files';

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dw-scale-'));
  dirs.push(dir);
  return dir;
}

interface Size {
  /** Nodes whose kubelets renewed their lease. */
  nodes: number;
  /** Pods the kubelets reported running. */
  pods: number;
  /** Distinct traffic edges inside the VPCs: client, server and server port. */
  edges: number;
  /** Distinct addresses that opened those edges, and distinct servers (address and port) they reached. */
  clients: number;
  servers: number;
  rejected: number;
}

/** How big a generated scenario is, as its logs show it. */
async function sizeOf(dir: string): Promise<Size> {
  const nodes = new Set<string>();
  const pods = new Set<string>();
  const edges = new Set<string>();
  const clients = new Set<string>();
  const servers = new Set<string>();
  const stats = newReadStats();
  const classifier = new AddressClassifier(['10.0.0.0/8']);
  for (const file of filesUnder(dir)) {
    const path = join(dir, file);
    if (file.startsWith('audit/')) {
      await readAuditObject(createReadStream(path), { uri: file, stats, cluster: 'unknown' }, (event) => {
        const ref = event.objectRef;
        if (ref?.resource === 'leases' && ref.namespace === 'kube-node-lease')
          nodes.add(`${event.cluster}/${ref.name}`);
        if (ref?.resource === 'pods' && ref.subresource === 'status' && event.verb === 'patch') {
          pods.add(`${event.cluster}/${ref.namespace}/${ref.name}`);
        }
      });
    } else if (file.startsWith('flow/')) {
      const aggregator = new EdgeAggregator(classifier);
      await readFlowObject(createReadStream(path), { uri: file, stats }, (record) => aggregator.add(record));
      for (const edge of aggregator.values()) {
        if (edge.clientClass === 'vpc' && edge.serverClass === 'vpc') {
          edges.add(`${edge.client} ${edge.server}:${edge.serverPort}`);
          clients.add(edge.client);
          servers.add(`${edge.server}:${edge.serverPort}`);
        }
      }
    }
  }
  return {
    nodes: nodes.size,
    pods: pods.size,
    edges: edges.size,
    clients: clients.size,
    servers: servers.size,
    rejected: totalRejected(stats),
  };
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('scenario scale knobs', () => {
  it('writes the default scenario byte for byte at scale 1, every knob given explicitly', async () => {
    // Prepare
    const dir = freshDir();
    // Act
    const manifest = await generateScenario({ outDir: dir, scale: { ...DEFAULT_SCALE, ...scenarioScale(1) } });
    // Assess
    expect(manifest.scale).toBeUndefined();
    expect(filesUnder(dir)).toHaveLength(DEFAULT_SCENARIO_FILES);
    expect(outputHash(dir)).toBe(DEFAULT_SCENARIO_SHA256);
  }, 120_000);

  it('grows nodes, pods, clients and servers about three times at scale 3', async () => {
    // Prepare
    const one = freshDir();
    const three = freshDir();
    // Act
    await generateScenario({ outDir: one, days: 1 });
    const manifest = await generateScenario({ outDir: three, days: 1, scale: scenarioScale(3) });
    // Assess
    const [small, big] = [await sizeOf(one), await sizeOf(three)];
    expect(manifest.scale).toEqual({ clusters: 1, nodes: 9, replicas: 3, traffic: 1, objectsPerHour: 1 });
    expect(small.nodes).toBe(3);
    expect(big.nodes).toBe(9);
    expect(big.pods / small.pods).toBeGreaterThan(2.5);
    expect(big.pods / small.pods).toBeLessThan(3.5);
    // Clients and servers grow with the pods. Pairs grow faster: a Service spreads each client
    // pod's calls over every replica behind it, so three times the pods on both ends make up to
    // nine times the pairs.
    expect(big.clients / small.clients).toBeGreaterThan(2.3);
    expect(big.clients / small.clients).toBeLessThan(3.5);
    expect(big.servers / small.servers).toBeGreaterThan(2.3);
    expect(big.servers / small.servers).toBeLessThan(3.5);
    expect(big.edges / small.edges).toBeGreaterThan(3);
    expect(big.edges / small.edges).toBeLessThan(9);
    expect(big.rejected).toBe(0);
  }, 120_000);

  it('gives each extra cluster its own name, VPC range, ids and audit log prefix', async () => {
    // Prepare
    const dir = freshDir();
    // Act
    const manifest = await generateScenario({ outDir: dir, days: 1, scale: { clusters: 3 } });
    // Assess
    expect(manifest.clusters).toEqual(['shop-prod', 'shop-prod-2', 'shop-prod-3']);
    expect(manifest.vpcs?.map((v) => [v.cluster, v.cidr])).toEqual([
      ['shop-prod', '10.0.0.0/16'],
      ['shop-prod-2', '10.1.0.0/16'],
      ['shop-prod-3', '10.2.0.0/16'],
    ]);
    expect(new Set(manifest.vpcs?.map((v) => v.vpcId)).size).toBe(3);
    const files = filesUnder(dir);
    for (const [i, cluster] of ['shop-prod-2', 'shop-prod-3'].entries()) {
      const audit = files.filter((f) => f.startsWith(`audit/${cluster}/`));
      expect(audit.length).toBeGreaterThan(20);
      const text = gunzipSync(readFileSync(join(dir, audit[0] as string))).toString();
      expect(text).toContain(`"logGroup":"/aws/eks/${cluster}/cluster"`);
      expect(text).not.toContain('/aws/eks/shop-prod/cluster');
      const flow = files.filter((f) => f.includes(`_fl-${i + 1}a1b2c3d4e5f_`));
      expect(flow).toHaveLength(24);
      const records = gunzipSync(readFileSync(join(dir, flow[0] as string))).toString();
      expect(records).toContain(` 10.${i + 1}.`);
      expect(records).not.toMatch(/ 10\.0\./);
      expect(records).toContain(manifest.vpcs?.[i + 1]?.vpcId);
    }
    // The audit reader names each event's cluster from its log group.
    const clusters = new Set<string>();
    for (const file of files.filter((f) => f.startsWith('audit/'))) {
      await readAuditObject(
        createReadStream(join(dir, file)),
        { uri: file, stats: newReadStats(), cluster: '?' },
        (e) => clusters.add(e.cluster),
      );
    }
    expect([...clusters].sort()).toEqual(['shop-prod', 'shop-prod-2', 'shop-prod-3']);
    // Only shop-prod has the incidents (none planted on day 1 anyway) and its own config.
    expect(manifest.incidents).toEqual([]);
  }, 120_000);

  it('splits each hour into more objects without changing a record', async () => {
    // Prepare
    const one = freshDir();
    const four = freshDir();
    // Act
    const whole = await generateScenario({ outDir: one, days: 1 });
    const split = await generateScenario({ outDir: four, days: 1, scale: { objectsPerHour: 4 } });
    // Assess
    expect(split.objects).toBe(whole.objects * 4);
    expect(split.auditEvents).toBe(whole.auditEvents);
    expect(split.flowRecords).toBe(whole.flowRecords);
    expect((await sizeOf(four)).rejected).toBe(0);
  }, 120_000);

  it('multiplies conversations with traffic', async () => {
    const one = freshDir();
    const three = freshDir();
    const whole = await generateScenario({ outDir: one, days: 1 });
    const busy = await generateScenario({ outDir: three, days: 1, scale: { traffic: 3 } });
    expect(busy.flowRecords / whole.flowRecords).toBeGreaterThan(2.5);
    expect(busy.flowRecords / whole.flowRecords).toBeLessThan(3.2);
    expect(busy.auditEvents).toBe(whole.auditEvents);
  }, 120_000);

  it('grows the sample config to every cluster, and the config loads', async () => {
    // Prepare
    const dir = freshDir();
    const manifest: ScenarioManifest = await generateScenario({ outDir: dir, days: 1, scale: { clusters: 2 } });
    const sample = JSON.parse(readFileSync('events/scenario/driftwatch.config.json', 'utf8')) as Record<
      string,
      unknown
    >;
    // Act
    const config = scaledScenarioConfig(sample, manifest);
    // Assess
    const path = join(dir, 'config.json');
    writeFileSync(path, JSON.stringify({ ...config, threatIntel: undefined }));
    const loaded = loadConfigFile(path);
    expect(loaded.network.vpcCidrs).toEqual(['10.0.0.0/16', '10.1.0.0/16']);
    expect(loaded.network.clusters.map((c) => c.name)).toEqual(['shop-prod', 'shop-prod-2']);
    expect(loaded.network.entryPoints.interfaces).toEqual([
      'eni-0e4f5a6b7c8d90037',
      'eni-0e4f5a6b7c8d90164',
      'eni-1e4f5a6b7c8d90037',
      'eni-1e4f5a6b7c8d90164',
    ]);
    expect(loaded.network.labels).toContainEqual({ cidr: '10.1.0.100/32', label: 'nat-gateway' });
    // One cluster: the sample config itself.
    expect(scaledScenarioConfig(sample, { ...manifest, vpcs: undefined })).toBe(sample);
  }, 120_000);

  it('refuses each knob out of range, in one line naming it', async () => {
    const outDir = join(tmpdir(), 'dw-scale-never-written');
    const wrong: [Parameters<typeof resolveScale>[0], RegExp][] = [
      [{ clusters: 0 }, /^scale\.clusters \(clusters\) must be a whole number from 1 to 16, not 0$/],
      [{ clusters: 17 }, /^scale\.clusters .* not 17$/],
      [{ nodes: 2 }, /^scale\.nodes \(nodes per cluster\) must be a whole number from 3 to 150, not 2$/],
      [{ replicas: 1.5 }, /^scale\.replicas .* not 1\.5$/],
      [{ traffic: 0 }, /^scale\.traffic .* not 0$/],
      [{ objectsPerHour: 61 }, /^scale\.objectsPerHour .* not 61$/],
      [{ replicas: 16 }, /^scale\.replicas 16 needs at least 4 nodes \(five replicas per node at most\), not 3$/],
      [{ pods: 3 } as never, /^scale has no knob "pods"; use clusters, nodes, replicas, traffic, objectsPerHour$/],
    ];
    for (const [scale, message] of wrong) {
      expect(() => resolveScale(scale)).toThrow(message);
      await expect(generateScenario({ outDir, scale })).rejects.toThrow(ScenarioError);
    }
    expect(() => scenarioScale(0)).toThrow(/^scale must be a whole number from 1 to 50, not 0$/);
    await expect(generateScenario({ outDir, variant: 'existing-cluster', scale: { nodes: 6 } })).rejects.toThrow(
      /^scale works on the fresh variant only, not on existing-cluster$/,
    );
  });
});
