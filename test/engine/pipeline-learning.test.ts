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
  await log.process(memorySource('day9', patch({ ...identity, day: 9 })));
  const day9 = log.findings.slice(before).filter((f) => f.ruleId === 'audit.out-of-band-workload');
  return { day9, learned: (await engine.learnedPipelines()).map((p) => p.username) };
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

  it('does not learn an identity that deploys from two networks', async () => {
    const { day9, learned } = await run(
      { username: DEPLOYER, agent: CI_AGENT },
      { address: (day) => (day % 2 === 0 ? '10.0.5.17' : '10.0.6.17') },
    );
    expect(learned).toEqual([]);
    expect(day9).toHaveLength(1);
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
    expect(log.findings.slice(before).map((f) => f.ruleId)).toContain('audit.out-of-band-workload');
  });
});
