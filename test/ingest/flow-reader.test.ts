import { describe, expect, it } from 'vitest';
import { codeOf, readFlowObject, STACK_FLOW_FORMAT, STACK_FLOW_HEADER } from '../../shared/ingest/flow-reader';
import { newReadStats, type ReadStats } from '../../shared/ingest/stats';
import { collect, type FlowRecord, gzip } from '../support/formats';

async function read(data: string | Buffer, format?: string[]): Promise<{ records: FlowRecord[]; stats: ReadStats }> {
  const stats = newReadStats();
  const records = await collect<FlowRecord>(
    (source, onRecord) => readFlowObject(source, { uri: 'f.log.gz', stats, format }, onRecord),
    data,
    97,
  );
  return { records, stats };
}

const V2_HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const v2 = (src: string, dst: string, sport: number, dport: number, action = 'ACCEPT') =>
  `2 123456789012 eni-0a1b ${src} ${dst} ${sport} ${dport} 6 10 840 1793527200 1793527260 ${action} OK`;

describe('STACK_FLOW_FORMAT', () => {
  it('asks for fields the reader knows, each one once (infra and the reader share this list)', () => {
    const codes = STACK_FLOW_FORMAT.map(codeOf);
    expect(codes.filter((code) => code === codeOf('a field the reader does not know'))).toEqual([]);
    expect(new Set(codes).size).toBe(STACK_FLOW_FORMAT.length);
    expect(STACK_FLOW_HEADER.split(' ')).toEqual([...STACK_FLOW_FORMAT]);
  });
});

describe('readFlowObject', () => {
  it('reads the default format with its header, gzipped', async () => {
    const { records, stats } = await read(gzip(`${V2_HEADER}\n${v2('10.0.1.5', '10.0.2.9', 43512, 5432)}\n`));
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      version: 2,
      accountId: '123456789012',
      interfaceId: 'eni-0a1b',
      srcAddr: '10.0.1.5',
      dstAddr: '10.0.2.9',
      srcPort: 43512,
      dstPort: 5432,
      protocol: 6,
      packets: 10,
      bytes: 840,
      start: 1793527200,
      end: 1793527260,
      action: 'ACCEPT',
      logStatus: 'OK',
      origin: { uri: 'f.log.gz', line: 2 },
    });
    expect(stats.events).toBe(1);
  });

  it('reads a custom v5 header in any order and prefers the packet-level addresses', async () => {
    const line =
      '5 123456789012 eni-0c 10.0.1.10 10.0.2.20 43512 8080 6 4 300 1793527200 1793527260 ACCEPT OK vpc-0a subnet-0b i-0c 2 IPv4 10.0.64.7 10.0.65.8 eu-west-1 euw1-az1 - - egress 1';
    const { records } = await read(`${STACK_FLOW_HEADER}\n${line}\n`);
    expect(records[0]).toMatchObject({
      srcAddr: '10.0.64.7',
      dstAddr: '10.0.65.8',
      ifSrcAddr: '10.0.1.10',
      ifDstAddr: '10.0.2.20',
      vpcId: 'vpc-0a',
      tcpFlags: 2,
      flowDirection: 'egress',
      trafficPath: 1,
      azId: 'euw1-az1',
    });
    expect(records[0]?.pktSrcAwsService).toBeUndefined();
    const reordered = await read('dstaddr srcaddr action log-status bytes\n10.0.0.2 10.0.0.1 REJECT OK 60\n');
    expect(reordered.records[0]).toMatchObject({
      srcAddr: '10.0.0.1',
      dstAddr: '10.0.0.2',
      action: 'REJECT',
      bytes: 60,
    });
  });

  it('counts NODATA and SKIPDATA as log health, not as records', async () => {
    const body = [
      V2_HEADER,
      '2 123456789012 eni-0a1b - - - - - - - 1793527200 1793527260 - NODATA',
      '2 123456789012 eni-0a1b - - - - - - - 1793527200 1793527260 - SKIPDATA',
      v2('10.0.1.5', '10.0.2.9', 43512, 5432),
    ].join('\n');
    const { records, stats } = await read(body);
    expect(records).toHaveLength(1);
    expect(stats.logHealth).toEqual({ nodata: 1, skipdata: 1 });
  });

  it('reads IPv6, repeated headers and runs of spaces', async () => {
    const body = [
      V2_HEADER,
      v2('2001:db8::1', '2600:1f18::5', 50000, 443),
      V2_HEADER,
      `2  123456789012   eni-0a1b 10.0.1.5 10.0.2.9 43512 5432 6 10 840 1793527200 1793527260 ACCEPT OK`,
    ].join('\n');
    const { records, stats } = await read(body);
    expect(records.map((r) => r.srcAddr)).toEqual(['2001:db8::1', '10.0.1.5']);
    expect(stats.rejected).toEqual({});
  });

  it('reads a headerless object with the default or the configured format', async () => {
    expect((await read(`${v2('10.0.1.5', '10.0.2.9', 1, 2)}\n`)).records).toHaveLength(1);
    const custom = await read('10.0.0.1 10.0.0.2 ACCEPT OK\n', ['srcaddr', 'dstaddr', 'action', 'log-status']);
    expect(custom.records[0]).toMatchObject({ srcAddr: '10.0.0.1', action: 'ACCEPT' });
  });

  it('keeps unknown fields as extras', async () => {
    const { records } = await read('srcaddr dstaddr log-status future-field\n10.0.0.1 10.0.0.2 OK hello\n');
    expect(records[0]?.extras).toEqual({ 'future-field': 'hello' });
  });

  it('rejects a wrong field count and a bad value, keeping the records around them', async () => {
    const body = [
      V2_HEADER,
      v2('10.0.0.1', '10.0.0.2', 1, 2),
      '2 123 eni-x 10.0.0.1',
      v2('10.0.0.3', '10.0.0.4', 1, 2).replace(' 840 ', ' lots '),
      v2('10.0.0.5', '10.0.0.6', 1, 2),
    ].join('\n');
    const { records, stats } = await read(body);
    expect(records.map((r) => r.srcAddr)).toEqual(['10.0.0.1', '10.0.0.5']);
    expect(stats.rejected).toEqual({ 'field-count': 1, 'invalid-field': 1 });
    expect(stats.samples.map((s) => s.line)).toEqual([3, 4]);
  });

  it('rejects a header with no known field', async () => {
    const { records, stats } = await read(`foo bar baz\n1 2 3\n${V2_HEADER}\n${v2('10.0.0.1', '10.0.0.2', 1, 2)}\n`);
    expect(stats.rejected['unknown-header']).toBe(1);
    expect(stats.rejected['field-count']).toBe(1);
    expect(records).toHaveLength(1);
  });

  it('reads v4, v7 and v8 fields (sublocation, ECS, reject-reason) and keeps newer ones as extras', async () => {
    const header =
      'version srcaddr dstaddr action log-status sublocation-type sublocation-id ecs-cluster-name ecs-cluster-arn ecs-container-instance-arn ecs-container-instance-id ecs-container-id ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id reject-reason encryption-status';
    const line =
      '8 10.0.0.1 10.0.0.2 REJECT OK outpost op-0a shop arn:c arn:ci ci-1 c-1 c-2 web arn:td arn:t t-1 BPA 1';
    const { records, stats } = await read(
      `${header}\n${line}\n${line.replace(' BPA ', ' - ').replace(' shop ', ' - ')}\n`,
    );
    expect(stats.rejected).toEqual({});
    expect(records[0]).toMatchObject({
      version: 8,
      action: 'REJECT',
      sublocationType: 'outpost',
      sublocationId: 'op-0a',
      rejectReason: 'BPA',
      ecs: {
        clusterName: 'shop',
        clusterArn: 'arn:c',
        containerInstanceArn: 'arn:ci',
        containerInstanceId: 'ci-1',
        containerId: 'c-1',
        secondContainerId: 'c-2',
        serviceName: 'web',
        taskDefinitionArn: 'arn:td',
        taskArn: 'arn:t',
        taskId: 't-1',
      },
      extras: { 'encryption-status': '1' },
    });
    expect(records[1]?.rejectReason).toBeUndefined();
    expect(records[1]?.ecs?.clusterName).toBeUndefined();
  });

  it('reads a header made only of fields newer than this reader, if it names an address', async () => {
    const { stats } = await read('srcaddr dstaddr log-status future-a future-b\n10.0.0.1 10.0.0.2 OK a b\n');
    expect(stats.events).toBe(1);
  });

  it('counts a line with bytes that are not UTF-8 as invalid-utf8 and keeps the others', async () => {
    const body = Buffer.concat([
      Buffer.from(`${V2_HEADER}\n${v2('10.0.0.1', '10.0.0.2', 1, 2)}\n`),
      Buffer.from(v2('10.0.0.3', '10.0.0.4', 1, 2).replace('123456789012', '1234\u0000')),
      Buffer.from([0xff, 0xc3, 0x28, 0x0a]),
      Buffer.from(`${v2('10.0.0.5', '10.0.0.6', 1, 2)}\n`),
    ]);
    const { records, stats } = await read(body);
    expect(records.map((r) => r.srcAddr)).toEqual(['10.0.0.1', '10.0.0.5']);
    expect(stats.rejected).toEqual({ 'invalid-utf8': 1 });
    expect(stats.samples[0]).toMatchObject({ reason: 'invalid-utf8', line: 3 });
  });

  it('does not count a replacement character the log really holds as invalid UTF-8', async () => {
    const { records, stats } = await read('srcaddr dstaddr log-status note\n10.0.0.1 10.0.0.2 OK \uFFFD\n');
    expect(records[0]?.extras).toEqual({ note: '\uFFFD' });
    expect(stats.rejected).toEqual({});
  });
});
