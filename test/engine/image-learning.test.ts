import { beforeEach, describe, expect, it } from 'vitest';
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
const PIPELINE = 'system:serviceaccount:ci:deployer';
const KUBELET = { username: 'system:node:ip-10-0-1-5.eu-west-1.compute.internal', groups: ['system:nodes'] };
const IMAGE_RULES = new Set(['audit.new-image-repository', 'audit.new-image-registry']);

function at(day: number, hour = 10): string {
  return new Date(DAY0 + day * DAY_MS + hour * 3_600_000).toISOString();
}

function line(overrides: Record<string, unknown>): string {
  return JSON.stringify(rawAuditEvent({ level: 'RequestResponse', ...overrides }));
}

/** The kubelet reporting a pod's running container, as it does all day for long-running pods. */
function podStatus(image: string, day: number): string {
  return line({
    verb: 'patch',
    user: KUBELET,
    userAgent: 'kubelet/v1.31.0 (linux/amd64) kubernetes/abcdef',
    requestURI: '/api/v1/namespaces/shop/pods/web-7d9f8-abcde/status',
    objectRef: {
      resource: 'pods',
      subresource: 'status',
      namespace: 'shop',
      name: 'web-7d9f8-abcde',
      apiVersion: 'v1',
    },
    requestObject: {
      status: {
        containerStatuses: [
          { name: 'web', image, imageID: `${image.replace(/:[^:/]+$/, '')}@sha256:${'a'.repeat(64)}`, ready: true },
        ],
      },
    },
    requestReceivedTimestamp: at(day),
  });
}

/** A write of a Deployment with `images` in its pod template, by `username`. */
function deployment(username: string, images: string[], day: number, hour = 10, name = 'web'): string {
  return line({
    verb: 'patch',
    user: { username, groups: ['system:authenticated'] },
    requestURI: `/apis/apps/v1/namespaces/shop/deployments/${name}`,
    objectRef: { resource: 'deployments', namespace: 'shop', name, apiGroup: 'apps', apiVersion: 'v1' },
    requestObject: {
      spec: { template: { spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } } },
    },
    requestReceivedTimestamp: at(day, hour),
  });
}

describe('images already running', () => {
  let log: FindingLog;
  let engine: Engine;

  beforeEach(() => {
    const config = defaultConfig({
      identities: { cicd: ['system:serviceaccount:ci:*'] },
      // The writers of these events are new to the cluster; only the image baselines are watched.
      detectors: { 'audit.new-workload-creator': { enabled: false } },
    });
    engine = new Engine({
      config,
      table: new MemoryTable(),
      context: buildDetectContext(config, new ThreatIntel()),
      sink: new CollectingSink(),
    });
    log = new FindingLog(engine);
  });

  const imageFindings = () =>
    log.findings.filter((f) => IMAGE_RULES.has(f.ruleId)).map((f) => [f.ruleId, f.severity, f.entities.image]);

  it("learns a long-running pod's image from the kubelet's status patches", async () => {
    await log.process(memorySource('day0', podStatus('repo.example.com/shop/web:1.2', 0)));
    await log.rebaseline(DAY0 + 4 * DAY_MS);

    await log.process(memorySource('day9', deployment(PIPELINE, ['repo.example.com/shop/web:1.3'], 9)));
    expect(log.findings).toEqual([]);
    expect(await engine.baselines.entries('eks', 'image-repository')).toEqual([
      expect.objectContaining({ value: 'repo.example.com/shop/web' }),
    ]);
  });

  it('learns images from workload bodies at any level and in any pod template', async () => {
    const patchWithResponse = line({
      verb: 'patch',
      user: { username: PIPELINE, groups: ['system:serviceaccounts'] },
      objectRef: { resource: 'deployments', namespace: 'shop', name: 'web', apiGroup: 'apps', apiVersion: 'v1' },
      // A patch of annotations names no image; the Deployment it returns does.
      requestObject: { metadata: { annotations: { 'deploy/at': '1' } } },
      responseObject: {
        kind: 'Deployment',
        spec: {
          template: {
            spec: {
              initContainers: [{ name: 'migrate', image: 'repo.example.com/shop/migrate:7' }],
              containers: [{ name: 'web', image: 'repo.example.com/shop/web:1.2' }],
            },
          },
        },
      },
      requestReceivedTimestamp: at(1),
    });
    const cronJobStatus = line({
      verb: 'update',
      user: { username: 'system:serviceaccount:kube-system:cronjob-controller', groups: [] },
      objectRef: { resource: 'cronjobs', subresource: 'status', namespace: 'shop', name: 'report' },
      responseObject: {
        kind: 'CronJob',
        spec: {
          jobTemplate: {
            spec: { template: { spec: { containers: [{ name: 'r', image: 'quay.io/acme/report:3' }] } } },
          },
        },
      },
      requestReceivedTimestamp: at(2),
    });
    await log.process(memorySource('learning', [patchWithResponse, cronJobStatus].join('\n')));
    await log.rebaseline(DAY0 + 4 * DAY_MS);
    const learned = (await engine.baselines.entries('eks', 'image-repository')).map((e) => e.value).sort();
    expect(learned).toEqual(['quay.io/acme/report', 'repo.example.com/shop/migrate', 'repo.example.com/shop/web']);

    await log.process(
      memorySource(
        'day9',
        deployment(PIPELINE, ['repo.example.com/shop/web:1.3', 'repo.example.com/shop/migrate:8'], 9),
      ),
    );
    expect(imageFindings()).toEqual([]);
  });

  it('keeps a pod status from raising, and a new repository in a known registry low only when the pipeline rolls it out', async () => {
    await log.process(memorySource('day0', podStatus('repo.example.com/shop/web:1.2', 0)));
    await log.rebaseline(DAY0 + 4 * DAY_MS);

    // A status report teaches; it never raises, even for an image never seen.
    await log.process(memorySource('status', podStatus('repo.example.com/shop/cart:2', 9)));
    expect(imageFindings()).toEqual([]);

    await log.process(memorySource('pipeline', deployment(PIPELINE, ['repo.example.com/shop/api:1'], 9, 11, 'api')));
    await log.process(memorySource('person', deployment('alice', ['repo.example.com/tools/netshoot:1'], 9, 12, 'dbg')));
    await log.process(
      memorySource('account', deployment('system:serviceaccount:shop:web', ['repo.example.com/x/miner:1'], 9, 13, 'x')),
    );
    await log.process(memorySource('registry', deployment(PIPELINE, ['ghcr.io/acme/api:1'], 9, 14, 'api2')));
    expect(imageFindings()).toEqual([
      ['audit.new-image-repository', 'low', 'repo.example.com/shop/api:1'],
      ['audit.new-image-repository', 'medium', 'repo.example.com/tools/netshoot:1'],
      ['audit.new-image-repository', 'medium', 'repo.example.com/x/miner:1'],
      ['audit.new-image-registry', 'medium', 'ghcr.io/acme/api:1'],
      ['audit.new-image-repository', 'medium', 'ghcr.io/acme/api:1'],
    ]);
  });
});
