import { describe, expect, it } from 'vitest';
import type { Finding } from '../../shared/alert/finding';
import type { ConfigInput } from '../../shared/config';
import { defaultConfig } from '../../shared/config/load';
import { PRIVILEGE_MIN_DAYS } from '../../shared/detect/audit/lib/privileges';
import { buildDetectContext } from '../../shared/detect/context';
import { Engine } from '../../shared/engine/engine';
import { CollectingSink } from '../../shared/incident/sink';
import { MemoryTable } from '../../shared/store/memory-table';
import { DAY_MS } from '../../shared/util/time';
import { FindingLog } from '../support/finding-log';
import { rawAuditEvent } from '../support/formats';
import { memorySource } from '../support/sources';

const DAY0 = Date.parse('2026-11-01T00:00:00Z');
const DEPLOYER = 'system:serviceaccount:argocd:argocd-application-controller';

interface Write {
  username?: string;
  day: number;
  workload?: { namespace: string; name: string };
  /** Pod spec settings of the template: `{ hostNetwork: true }`. */
  spec?: Record<string, unknown>;
}

/** A patch of a DaemonSet's pod template, as a rollout writes it. */
function patch({
  username = DEPLOYER,
  day,
  workload = { namespace: 'monitoring', name: 'node-exporter' },
  spec = { hostNetwork: true },
}: Write): string {
  return JSON.stringify(
    rawAuditEvent({
      level: 'RequestResponse',
      verb: 'patch',
      user: { username, groups: ['system:authenticated'] },
      userAgent: 'argocd-application-controller/v2.13.1 (linux/amd64) kubernetes/abcdef',
      sourceIPs: ['10.0.5.17'],
      requestURI: `/apis/apps/v1/namespaces/${workload.namespace}/daemonsets/${workload.name}`,
      objectRef: {
        resource: 'daemonsets',
        namespace: workload.namespace,
        name: workload.name,
        apiGroup: 'apps',
        apiVersion: 'v1',
      },
      requestObject: {
        spec: {
          template: {
            spec: { ...spec, containers: [{ name: 'agent', image: 'quay.io/prometheus/node-exporter:v1.8.2' }] },
          },
        },
      },
      requestReceivedTimestamp: new Date(DAY0 + day * DAY_MS + 10 * 3_600_000).toISOString(),
    }),
  );
}

/** An engine with no audit config, fed the deployer's daily rollout of node-exporter for `days` days. */
async function learnFor(days: number, config: ConfigInput = {}) {
  const input = defaultConfig(config);
  const engine = new Engine({
    config: input,
    table: new MemoryTable(),
    context: buildDetectContext(input),
    sink: new CollectingSink(),
  });
  const log = new FindingLog(engine);
  const fired: number[] = [];
  for (let day = 0; day < days; day++) {
    const before = log.findings.length;
    await log.process(memorySource(`day${day}`, patch({ day })));
    if (log.findings.slice(before).some((f) => f.ruleId === 'audit.privileged-workload')) fired.push(day);
    await log.rebaseline(DAY0 + (day + 1) * DAY_MS + 3_600_000);
  }
  return {
    engine,
    fired,
    /** The privileged-workload findings of one more write on day 9. */
    async day9(write: Omit<Write, 'day'> = {}): Promise<Finding[]> {
      const before = log.findings.length;
      await log.process(memorySource(`day9-${JSON.stringify(write)}`, patch({ ...write, day: 9 })));
      return log.findings.slice(before).filter((f) => f.ruleId === 'audit.privileged-workload');
    },
  };
}

describe('learned privileged workloads', () => {
  it(`allows a workload's host access once seen on ${PRIVILEGE_MIN_DAYS} days, not before`, async () => {
    // Act
    const { engine, fired, day9 } = await learnFor(7);
    // Assess
    expect(fired).toEqual([0, 1]);
    expect(await engine.learnedPrivileges()).toEqual([
      { cluster: 'eks', workload: 'monitoring/node-exporter', allow: ['hostNetwork'], by: 'service-account' },
    ]);
    expect(await day9()).toEqual([]);
  });

  it('learns nothing from one day', async () => {
    const { engine, day9 } = await learnFor(1);
    expect(await engine.learnedPrivileges()).toEqual([]);
    expect(await day9()).toHaveLength(1);
  });

  it('still fires for a new privilege of a learned workload, naming only the new one', async () => {
    const { day9 } = await learnFor(7);
    const [finding] = await day9({ spec: { hostNetwork: true, hostPID: true } });
    expect(finding).toMatchObject({ severity: 'high', entities: { settings: ['hostPID'] } });
  });

  it('still fires for a new workload with the same privilege', async () => {
    const { day9 } = await learnFor(7);
    const findings = await day9({ workload: { namespace: 'kube-system', name: 'kube-node-helper' } });
    expect(findings).toHaveLength(1);
  });

  it('still fires when another kind of identity writes the same privilege', async () => {
    const { day9 } = await learnFor(7);
    const findings = await day9({ username: 'alice' });
    expect(findings).toMatchObject([{ entities: { user: 'alice', settings: ['hostNetwork'] } }]);
  });

  it('learns nothing with audit.learnPrivilegedWorkloads false', async () => {
    const { engine, fired, day9 } = await learnFor(7, { audit: { learnPrivilegedWorkloads: false } });
    expect(fired).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(await engine.learnedPrivileges()).toEqual([]);
    expect(await day9()).toHaveLength(1);
  });
});
