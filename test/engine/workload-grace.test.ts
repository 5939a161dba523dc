import { describe, expect, it } from 'vitest';
import type { Finding } from '../../shared/alert/finding';
import { defaultConfig } from '../../shared/config/load';
import type { ConfigInput } from '../../shared/config/schema';
import { buildDetectContext } from '../../shared/detect/context';
import { Engine } from '../../shared/engine/engine';
import { CollectingSink } from '../../shared/incident/sink';
import { ThreatIntel } from '../../shared/intel/threat-intel';
import { keys } from '../../shared/store/keys';
import { MemoryTable } from '../../shared/store/memory-table';
import { flowKey, flowObject, type LineInput, podStatus } from '../network/support';
import { FindingLog } from '../support/finding-log';
import { rawAuditEvent } from '../support/formats';
import { memorySource } from '../support/sources';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
/** Learning is the first day; the ledger workload is created on the second, at 10:00. */
const CREATED = 34;
/** In its grace (which ends 24 hours after its first edge, at 10:10 the next day): a new port and a new destination. */
const NEW_PORT_IN_GRACE = 40;
const NEW_DESTINATION_IN_GRACE = 41;
/** Past its grace: another new port. */
const NEW_PORT_AFTER = 59;
const LAST_HOUR = 60;

const WEB = '10.0.1.57';
const LEDGER = '10.0.1.90';
const DNS = '10.0.1.10';
const RDS = '10.0.200.10';
const THREAT = '198.51.100.66';
const NEW_DESTINATION = '203.0.113.50';

const CI = { username: 'github-actions', groups: ['system:authenticated'] };
const ARGO = {
  username: 'system:serviceaccount:argocd:argocd-application-controller',
  groups: ['system:serviceaccounts'],
};
const PERSON = { username: 'alice', groups: ['system:authenticated'] };
const CONFIG: ConfigInput = {
  learning: { days: 1 },
  identities: { cicd: ['github-actions'], controllers: [ARGO.username] },
  network: { vpcCidrs: ['10.0.0.0/16'], labels: [{ cidr: '10.0.200.0/24', label: 'rds-subnets' }] },
};

const seconds = (time: number) => Math.floor(time / 1000);
const at = (hour: number, minute = 0) => T0 + hour * HOUR + minute * MINUTE;

interface Story {
  /** Who creates Deployment shop/ledger; without one, its creation is not in the log. */
  creator?: { username: string; groups: string[] };
  /** The hour the ledger is created and starts talking. @default CREATED */
  created?: number;
  /** The hour a person patches the Deployment. */
  touched?: number;
  config?: ConfigInput;
}

function patchDeployment(user: { username: string; groups: string[] }, time: number): Record<string, unknown> {
  return rawAuditEvent({
    verb: 'patch',
    user,
    requestURI: '/apis/apps/v1/namespaces/shop/deployments/ledger',
    objectRef: { resource: 'deployments', namespace: 'shop', name: 'ledger', apiGroup: 'apps', apiVersion: 'v1' },
    requestReceivedTimestamp: new Date(time).toISOString(),
    stageTimestamp: new Date(time + 10).toISOString(),
  });
}

function createDeployment(user: { username: string; groups: string[] }, time: number): Record<string, unknown> {
  return rawAuditEvent({
    level: 'RequestResponse',
    verb: 'create',
    user,
    userAgent: 'kubectl/v1.31.0',
    requestURI: '/apis/apps/v1/namespaces/shop/deployments',
    objectRef: { resource: 'deployments', namespace: 'shop', apiGroup: 'apps', apiVersion: 'v1' },
    requestObject: { metadata: { name: 'ledger', namespace: 'shop' } },
    responseStatus: { metadata: {}, code: 201 },
    requestReceivedTimestamp: new Date(time).toISOString(),
    stageTimestamp: new Date(time + 10).toISOString(),
  });
}

/** One hour of the audit log: the ledger's creation and its pod's report in its hour, CoreDNS reporting at the end. */
function auditHour(hour: number, story: Story): { key: string; body: string } {
  const created = story.created ?? CREATED;
  const events = [
    podStatus({
      namespace: 'kube-system',
      pod: 'coredns-5d78c9869d-abcde',
      ip: DNS,
      time: at(hour, 59),
      startTime: T0,
    }),
  ];
  if (hour === 0) {
    events.unshift(podStatus({ namespace: 'shop', pod: 'web-7d9c8b6f5d-x2k4q', ip: WEB, time: at(0), startTime: T0 }));
  }
  if (hour === created) {
    events.unshift(
      podStatus({
        namespace: 'shop',
        pod: 'ledger-6f7c9d8b4c-q8r2t',
        ip: LEDGER,
        time: at(hour, 2),
        startTime: at(hour, 1),
      }),
    );
    if (story.creator) events.unshift(createDeployment(story.creator, at(hour)));
  }
  if (hour === story.touched) events.unshift(patchDeployment(PERSON, at(hour, 5)));
  return {
    key: `audit/2026/11/hour-${String(hour).padStart(3, '0')}.jsonl`,
    body: events.map((e) => JSON.stringify(e)).join('\n'),
  };
}

/** One hour of flow logs: web's usual traffic, and once it exists the ledger's, with its planted firsts. */
function flowHour(hour: number, story: Story): { key: string; body: string } {
  const lines: LineInput[] = [
    { src: WEB, dst: RDS, dstPort: 5432, start: seconds(at(hour, 10)) },
    { src: WEB, dst: DNS, dstPort: 53, protocol: 17, start: seconds(at(hour, 12)) },
  ];
  if (hour >= (story.created ?? CREATED)) {
    lines.push({ src: LEDGER, dst: RDS, dstPort: 5432, start: seconds(at(hour, 10)) });
    if (hour === (story.created ?? CREATED) + 1)
      lines.push({ src: LEDGER, dst: THREAT, dstPort: 443, start: seconds(at(hour, 20)) });
  }
  if (hour === NEW_PORT_IN_GRACE) lines.push({ src: LEDGER, dst: RDS, dstPort: 6379, start: seconds(at(hour, 20)) });
  if (hour === NEW_DESTINATION_IN_GRACE) {
    lines.push({ src: LEDGER, dst: NEW_DESTINATION, dstPort: 443, start: seconds(at(hour, 20)) });
  }
  if (hour === NEW_PORT_AFTER) lines.push({ src: LEDGER, dst: RDS, dstPort: 3306, start: seconds(at(hour, 20)) });
  return { key: flowKey(at(hour, 55), `h${hour}`), body: flowObject(lines) };
}

/** Each hour's audit object then its flow object, with a rebaseline at the end of every day. */
async function run(story: Story) {
  const config = defaultConfig({ ...CONFIG, ...story.config });
  const intel = new ThreatIntel();
  intel.addList('test-threats', `${THREAT}/32`);
  const table = new MemoryTable();
  const engine = new Engine({
    config,
    table,
    context: buildDetectContext(config, intel),
    sink: new CollectingSink(),
    clock: () => T0,
  });
  const log = new FindingLog(engine);
  for (let hour = 0; hour <= LAST_HOUR; hour++) {
    await log.process(memorySource(auditHour(hour, story).key, auditHour(hour, story).body));
    await log.process(memorySource(flowHour(hour, story).key, flowHour(hour, story).body));
    if ((hour + 1) % 24 === 0) await log.rebaseline(at(hour + 1));
  }
  await log.rebaseline(at(LAST_HOUR + 1));
  return { log, table };
}

/** The ledger's findings: rule and hour of event time. */
function ledgerFindings(findings: readonly Finding[]): string[] {
  return findings
    .filter((f) => JSON.stringify(f.entities).includes('shop/ledger'))
    .map((f) => `${f.ruleId}@${Math.floor((Date.parse(f.time) - T0) / HOUR)}`)
    .sort();
}

describe('new-workload grace', () => {
  it.each([
    ['a configured CI/CD identity', CI],
    ['a configured controller', ARGO],
  ])(
    'keeps the anomalies of a workload created by %s quiet for its first hours, never a threat-list match',
    async (_, creator) => {
      const { log, table } = await run({ creator });

      expect(ledgerFindings(log.findings)).toEqual([
        `net.new-port@${NEW_PORT_AFTER}`,
        `net.threat-intel-match@${CREATED + 1}`,
      ]);
      // Its edges were learned meanwhile: the port it used in its grace is known after it.
      expect(await table.get(keys.baseline('vpc-0a', 'server-port', 'workload:shop/ledger|6379/tcp'))).toBeDefined();
      expect(await table.get(keys.workload('eks', 'shop/ledger'))).toMatchObject({
        introducedAt: at(CREATED),
        introducedBy: creator === CI ? 'cicd' : 'controller',
        firstFlow: at(CREATED, 10),
      });
    },
  );

  it('gives no grace to a workload a person created', async () => {
    const { log } = await run({ creator: PERSON });

    // Its first edges, the threat-list host (a new port and destination too), and its later firsts.
    expect(ledgerFindings(log.findings)).toEqual([
      `net.new-external-destination@${CREATED + 1}`,
      `net.new-external-destination@${NEW_DESTINATION_IN_GRACE}`,
      `net.new-port@${CREATED}`,
      `net.new-port@${CREATED + 1}`,
      `net.new-port@${NEW_PORT_IN_GRACE}`,
      `net.new-port@${NEW_PORT_AFTER}`,
      `net.threat-intel-match@${CREATED + 1}`,
    ]);
  });

  it('gives no grace to a workload whose creator is unknown', async () => {
    const { log } = await run({});

    expect(ledgerFindings(log.findings)).toContain(`net.new-port@${CREATED}`);
    expect(ledgerFindings(log.findings)).toContain(`net.new-port@${NEW_PORT_IN_GRACE}`);
  });

  it('gives no grace to a workload created during learning', async () => {
    const { log } = await run({ creator: CI, created: 5 });

    expect(ledgerFindings(log.findings)).toContain(`net.new-port@${NEW_PORT_IN_GRACE}`);
    expect(ledgerFindings(log.findings)).toContain(`net.new-external-destination@${NEW_DESTINATION_IN_GRACE}`);
  });

  it('ends the grace when a person changes the workload', async () => {
    const { log } = await run({ creator: CI, touched: NEW_PORT_IN_GRACE - 2 });

    // From the change on, what the baseline has not folded yet is new: its usual port at once, the
    // port of its first hours (443) again with the new destination.
    expect(ledgerFindings(log.findings)).toEqual([
      `net.new-external-destination@${NEW_DESTINATION_IN_GRACE}`,
      `net.new-port@${NEW_PORT_IN_GRACE - 2}`,
      `net.new-port@${NEW_PORT_IN_GRACE}`,
      `net.new-port@${NEW_DESTINATION_IN_GRACE}`,
      `net.new-port@${NEW_PORT_AFTER}`,
      `net.threat-intel-match@${CREATED + 1}`,
    ]);
  });

  it('holds back what the grace follows, hour by hour', async () => {
    const { log } = await run({ creator: CI, config: { learning: { days: 1, newWorkloadHours: 5 } } });

    // Five hours from its first edge: the new port at hour 40 is past them.
    expect(ledgerFindings(log.findings)).toContain(`net.new-port@${NEW_PORT_IN_GRACE}`);
    expect(ledgerFindings(log.findings)).not.toContain(`net.new-port@${CREATED}`);
  });

  it('is off with learning.newWorkloadHours 0', async () => {
    const { log, table } = await run({ creator: CI, config: { learning: { days: 1, newWorkloadHours: 0 } } });

    expect(ledgerFindings(log.findings)).toContain(`net.new-port@${CREATED}`);
    expect(await table.get(keys.workload('eks', 'shop/ledger'))).toBeUndefined();
  });
});
