import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../shared/config';
import { defaultConfig } from '../../shared/config/load';
import { buildDetectContext } from '../../shared/detect/context';
import { Engine } from '../../shared/engine/engine';
import { CollectingSink } from '../../shared/incident/sink';
import { ThreatIntel } from '../../shared/intel/threat-intel';
import { MemoryTable } from '../../shared/store/memory-table';
import { DAY_MS } from '../../shared/util/time';
import { FindingLog } from '../support/finding-log';
import { rawAuditEvent } from '../support/formats';
import { memorySource } from '../support/sources';

const DAY0 = Date.parse('2026-11-01T00:00:00Z');
const ARGO = 'system:serviceaccount:argocd:argocd-application-controller';
const ARGO_AGENT = 'argocd-application-controller/v2.13.1 (linux/amd64) kubernetes/abcdef';
const DEPLOYER = 'deployer';
const CI_AGENT = 'kubectl/v1.30.4 (linux/amd64) kubernetes/abcdef ci';

function at(day: number, hour = 10): string {
  return new Date(DAY0 + day * DAY_MS + hour * 3_600_000).toISOString();
}

interface Call {
  username: string;
  agent: string;
  day: number;
  address?: string;
}

/** A patch of Deployment shop/web, as a pipeline rolls out a release. */
function patch({ username, agent, day, address = '10.0.5.17' }: Call): string {
  return JSON.stringify(
    rawAuditEvent({
      level: 'RequestResponse',
      verb: 'patch',
      user: { username, groups: ['system:authenticated'] },
      userAgent: agent,
      sourceIPs: [address],
      requestURI: '/apis/apps/v1/namespaces/shop/deployments/web',
      objectRef: { resource: 'deployments', namespace: 'shop', name: 'web', apiGroup: 'apps', apiVersion: 'v1' },
      requestObject: { metadata: { annotations: { 'deploy/at': String(day) } } },
      requestReceivedTimestamp: at(day),
    }),
  );
}

/** A GitHub-hosted runner: each day a new /24, in one of three provider ranges. */
function runner(day: number): string {
  return `${['4.175', '20.61', '52.236'][day % 3]}.${day * 17}.${day + 10}`;
}

/** A Secret created: a write, but no workload change. */
function secretWrite({ username, agent, day, address = '10.0.5.17' }: Call): string {
  return JSON.stringify(
    rawAuditEvent({
      verb: 'create',
      user: { username, groups: ['system:authenticated'] },
      userAgent: agent,
      sourceIPs: [address],
      requestURI: '/api/v1/namespaces/shop/secrets',
      objectRef: { resource: 'secrets', namespace: 'shop', name: 'pull', apiVersion: 'v1' },
      responseStatus: { code: 201 },
      requestReceivedTimestamp: at(day),
    }),
  );
}

/** What a person does: reads a secret, or opens a shell in a pod. */
function interactive(kind: 'secret' | 'exec', { username, agent, day }: Call): string {
  const objectRef =
    kind === 'secret'
      ? { resource: 'secrets', namespace: 'shop', name: 'db', apiVersion: 'v1' }
      : { resource: 'pods', subresource: 'exec', namespace: 'shop', name: 'web-1', apiVersion: 'v1' };
  return JSON.stringify(
    rawAuditEvent({
      verb: kind === 'secret' ? 'get' : 'create',
      user: { username, groups: ['system:authenticated'] },
      userAgent: agent,
      sourceIPs: ['10.0.5.17'],
      requestURI: kind === 'secret' ? '/api/v1/namespaces/shop/secrets/db' : '/api/v1/namespaces/shop/pods/web-1/exec',
      objectRef,
      requestReceivedTimestamp: at(day, 11),
    }),
  );
}

async function run(
  identity: { username: string; agent: string },
  options: {
    config?: ConfigInput;
    extra?: (day: number) => string[];
    address?: (day: number) => string;
    /** Days (from the first) the identity deploys on during learning. @default 7 */
    days?: number;
    /** What the identity does on day 9, after learning. @default the same patch from its first network */
    day9?: (identity: { username: string; agent: string }) => string[];
  } = {},
) {
  const config = defaultConfig({
    ...options.config,
    // The writer is new to the cluster on the first day; only the pipeline classification is under test.
    detectors: { 'audit.new-workload-creator': { enabled: false } },
  });
  const engine = new Engine({
    config,
    table: new MemoryTable(),
    context: buildDetectContext(config, new ThreatIntel()),
    sink: new CollectingSink(),
  });
  const log = new FindingLog(engine);
  for (let day = 0; day < 7; day++) {
    if (day < (options.days ?? 7)) {
      const lines = [patch({ ...identity, day, address: options.address?.(day) }), ...(options.extra?.(day) ?? [])];
      await log.process(memorySource(`day${day}`, lines.join('\n')));
    }
    await log.rebaseline(DAY0 + (day + 1) * DAY_MS + 3_600_000);
  }
  const before = log.findings.length;
  const day9Lines = options.day9?.(identity) ?? [patch({ ...identity, day: 9, address: options.address?.(0) })];
  await log.process(memorySource('day9', day9Lines.join('\n')));
  const rules = log.findings.slice(before).map((f) => f.ruleId);
  const day9 = log.findings.slice(before).filter((f) => f.ruleId === 'audit.out-of-band-workload');
  const pipelines = await engine.learnedPipelines();
  return { day9, rules, pipelines, learned: pipelines.map((p) => p.username) };
}

describe('learned pipeline identities', () => {
  it('learns a GitOps agent that deploys daily and stops calling its rollouts out of band', async () => {
    const { day9, learned } = await run({ username: ARGO, agent: ARGO_AGENT });
    expect(learned).toEqual([ARGO]);
    expect(day9).toEqual([]);
  });

  it('learns a plain CI user deploying with kubectl from one network', async () => {
    const { day9, learned } = await run({ username: DEPLOYER, agent: CI_AGENT });
    expect(learned).toEqual([DEPLOYER]);
    expect(day9).toEqual([]);
  });

  it('takes a known GitOps or CI user agent as a hint: two days are enough, never one', async () => {
    expect((await run({ username: ARGO, agent: ARGO_AGENT }, { days: 2 })).learned).toEqual([ARGO]);
    expect((await run({ username: ARGO, agent: ARGO_AGENT }, { days: 1 })).learned).toEqual([]);
    const plain = await run(
      { username: DEPLOYER, agent: 'kubectl/v1.30.4 (linux/amd64) kubernetes/abcdef' },
      { days: 2 },
    );
    expect(plain.learned).toEqual([]);
    expect(plain.day9).toHaveLength(1);
  });

  it('does not learn an identity that reads secrets like a person', async () => {
    const identity = { username: ARGO, agent: ARGO_AGENT };
    const { day9, learned } = await run(identity, {
      extra: (day) => (day === 3 ? [interactive('secret', { ...identity, day })] : []),
    });
    expect(learned).toEqual([]);
    expect(day9).toHaveLength(1);
  });

  it('does not learn an identity that opens a shell in a pod', async () => {
    const identity = { username: DEPLOYER, agent: CI_AGENT };
    const { day9, learned } = await run(identity, {
      extra: (day) => (day === 5 ? [interactive('exec', { ...identity, day })] : []),
    });
    expect(learned).toEqual([]);
    expect(day9).toHaveLength(1);
  });

  it('does not learn an identity the config rejects', async () => {
    const { day9, learned } = await run(
      { username: DEPLOYER, agent: CI_AGENT },
      { config: { identities: { notPipelines: ['deploy*'] } } },
    );
    expect(learned).toEqual([]);
    expect(day9).toHaveLength(1);
  });

  it('learns hosted runners that deploy from a new /24 of three provider ranges every run', async () => {
    const { day9, rules, pipelines } = await run(
      { username: DEPLOYER, agent: CI_AGENT },
      { address: runner, day9: (identity) => [patch({ ...identity, day: 9, address: '20.61.250.3' })] },
    );
    expect(pipelines).toEqual([
      {
        cluster: 'eks',
        username: DEPLOYER,
        networks: ['20.61.0.0/16', '4.175.0.0/16', '52.236.0.0/16'],
        agent: 'kubectl/v1.30',
        since: DAY0,
      },
    ]);
    expect(day9).toEqual([]);
    expect(rules).toEqual([]);
  });

  it('does not learn an identity that shows up from a new network as often as from its own', async () => {
    const { day9, learned } = await run(
      { username: DEPLOYER, agent: CI_AGENT },
      { address: (day) => (day < 4 ? `10.${day % 2}.5.17` : `10.${day}.5.17`) },
    );
    expect(learned).toEqual([]);
    expect(day9).toHaveLength(1);
  });

  it('raises pipeline drift when a learned pipeline deploys from a network outside its own', async () => {
    const { day9, rules, learned } = await run(
      { username: DEPLOYER, agent: CI_AGENT },
      { address: runner, day9: (identity) => [patch({ ...identity, day: 9, address: '198.51.100.7' })] },
    );
    expect(learned).toEqual([DEPLOYER]);
    expect(day9).toHaveLength(1);
    expect(rules.filter((r) => r === 'audit.pipeline-drift')).toHaveLength(1);
  });

  it('raises pipeline drift when a learned pipeline writes anything with another tool', async () => {
    const { rules } = await run(
      { username: DEPLOYER, agent: CI_AGENT },
      {
        address: runner,
        day9: ({ username }) => [secretWrite({ username, agent: 'curl/8.5.0', day: 9, address: '4.175.1.2' })],
      },
    );
    // A Secret is no workload: only the drift (and the new /24, for a caller that is not the pipeline) says it.
    expect(rules).toContain('audit.pipeline-drift');
    expect(rules).not.toContain('audit.out-of-band-workload');
  });

  it('never learns a person who deploys daily but once opens a shell, nor raises drift for them', async () => {
    const person = { username: 'alice', agent: 'kubectl/v1.30.4 (darwin/arm64) kubernetes/abcdef' };
    const { rules, learned } = await run(person, {
      address: (day) => (day % 2 === 0 ? '203.0.113.5' : '198.51.100.20'),
      extra: (day) => (day === 6 ? [interactive('exec', { ...person, day })] : []),
      day9: (identity) => [patch({ ...identity, day: 9, address: '192.0.2.44' })],
    });
    expect(learned).toEqual([]);
    expect(rules).toContain('audit.out-of-band-workload');
    expect(rules).not.toContain('audit.pipeline-drift');
  });

  it('does not treat a learned pipeline acting from a new network as the pipeline', async () => {
    const config = defaultConfig({ detectors: { 'audit.new-workload-creator': { enabled: false } } });
    const context = buildDetectContext(config, new ThreatIntel());
    const engine = new Engine({ config, table: new MemoryTable(), context, sink: new CollectingSink() });
    const log = new FindingLog(engine);
    for (let day = 0; day < 7; day++) {
      await log.process(memorySource(`day${day}`, patch({ username: ARGO, agent: ARGO_AGENT, day })));
      await log.rebaseline(DAY0 + (day + 1) * DAY_MS + 3_600_000);
    }
    const before = log.findings.length;
    await log.process(
      memorySource('day9', patch({ username: ARGO, agent: ARGO_AGENT, day: 9, address: '203.0.113.9' })),
    );
    expect(log.findings.slice(before).map((f) => f.ruleId)).toEqual(
      expect.arrayContaining(['audit.out-of-band-workload', 'audit.pipeline-drift']),
    );
  });
});
