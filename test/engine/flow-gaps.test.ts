import { beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../shared/alert/finding';
import { defaultConfig } from '../../shared/config/load';
import type { ConfigInput } from '../../shared/config/schema';
import { buildDetectContext } from '../../shared/detect/context';
import { Engine } from '../../shared/engine/engine';
import { CollectingSink } from '../../shared/incident/sink';
import { MemoryTable } from '../../shared/store/memory-table';
import { flowKey } from '../network/support';
import { FindingLog } from '../support/finding-log';
import { memorySource } from '../support/sources';

const T0 = Date.parse('2026-11-09T10:00:00Z');
const seconds = (time: number) => Math.floor(time / 1000);

/** The default (version 2) format's header: no TCP flags, no packet addresses, no direction. */
const V2_HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';

interface Record2 {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  protocol?: number;
  packets: number;
  bytes: number;
  action?: 'ACCEPT' | 'REJECT';
}

function v2Object(records: readonly Record2[], start = seconds(T0)): string {
  const lines = records.map((r) =>
    [
      2,
      '123456789012',
      'eni-0a',
      r.src,
      r.dst,
      r.srcPort,
      r.dstPort,
      r.protocol ?? 6,
      r.packets,
      r.bytes,
      start,
      start + 60,
      r.action ?? 'ACCEPT',
      'OK',
    ].join(' '),
  );
  return [V2_HEADER, ...lines].join('\n');
}

/** One TCP connection as the server's interface logs it: a record each way. */
function connection(client: string, server: string, port: number, clientPort: number, packets: number): Record2[] {
  return [
    { src: client, dst: server, srcPort: clientPort, dstPort: port, packets, bytes: packets * 90 },
    { src: server, dst: client, srcPort: port, dstPort: clientPort, packets, bytes: packets * 110 },
  ];
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('Engine: flow-log gaps on default-format (v2) flow logs', () => {
  let log: FindingLog;

  function setUp(input: ConfigInput = {}) {
    const config = defaultConfig({ learning: { days: 1 }, network: { vpcCidrs: ['10.0.0.0/16'] }, ...input });
    log = new FindingLog(
      new Engine({ config, table: new MemoryTable(), context: buildDetectContext(config), sink: new CollectingSink() }),
    );
  }

  beforeEach(() => setUp());

  const flow = (records: readonly Record2[], suffix: string) =>
    log.process(memorySource(flowKey(T0, suffix), v2Object(records)));
  const byRule = (ruleId: string): Finding[] => log.findings.filter((f) => f.ruleId === ruleId);

  it('finds SSH brute force from the internet without TCP flags, counted across objects', async () => {
    // Act: 50 short SSH connections, in two objects
    await flow(
      range(25).flatMap((i) => connection('198.51.100.23', '10.0.2.47', 22, 40000 + i, 20)),
      'a',
    );
    expect(byRule('net.brute-force')).toEqual([]);
    await flow(
      range(25).flatMap((i) => connection('198.51.100.23', '10.0.2.47', 22, 41000 + i, 20)),
      'b',
    );
    // Assess
    const [finding] = byRule('net.brute-force');
    expect(finding).toMatchObject({ severity: 'medium', entities: { srcAddr: '198.51.100.23', dstPort: 22 } });
    expect(finding?.summary).toContain('about 50 short SSH connections');
  });

  it('leaves a few long SSH sessions alone', async () => {
    await flow(
      range(50).flatMap((i) => connection('10.0.1.5', '10.0.2.47', 22, 40000 + i, 5000)),
      'a',
    );
    expect(byRule('net.brute-force')).toEqual([]);
  });

  it('reports a pod querying a public resolver directly, and not one the config approves', async () => {
    // Act
    await flow(
      connection('10.0.3.7', '8.8.8.8', 53, 40001, 1).map((r) => ({ ...r, protocol: 17 })),
      'a',
    );
    // Assess
    expect(byRule('net.dns-egress')).toMatchObject([{ severity: 'low', entities: { dstAddr: '8.8.8.8' } }]);

    setUp({ network: { vpcCidrs: ['10.0.0.0/16'], dnsResolvers: ['8.8.8.0/24'] } });
    await flow(
      connection('10.0.3.7', '8.8.8.8', 53, 40001, 1).map((r) => ({ ...r, protocol: 17 })),
      'a',
    );
    expect(byRule('net.dns-egress')).toEqual([]);
  });

  it('checks the inbound port policy only once it is configured', async () => {
    const ssh = connection('198.51.100.9', '10.0.2.47', 22, 40001, 30);
    await flow(ssh, 'a');
    expect(byRule('net.inbound-port-policy')).toEqual([]);

    setUp({ network: { vpcCidrs: ['10.0.0.0/16'], inboundPorts: { deny: [22] } } });
    await flow(ssh, 'a');
    expect(byRule('net.inbound-port-policy')).toMatchObject([{ severity: 'high', entities: { portPolicy: 'deny' } }]);
  });
});

describe('Config of the flow-log gap detectors', () => {
  it('says in one line what is wrong with a port list', () => {
    expect(() => defaultConfig({ network: { inboundPorts: { deny: [70000] } } })).toThrow(
      /network\.inboundPorts\.deny/,
    );
    expect(() => defaultConfig({ network: { bruteForce: { ports: [] } } })).toThrow(
      /list at least one port, or disable net.brute-force/,
    );
    expect(() => defaultConfig({ network: { dnsResolvers: ['dns.google'] } })).toThrow(/must be an address or a CIDR/);
  });
});
