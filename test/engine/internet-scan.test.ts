import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../shared/config/load';
import type { ConfigInput } from '../../shared/config/schema';
import { buildDetectContext } from '../../shared/detect/context';
import { Engine } from '../../shared/engine/engine';
import { CollectingSink } from '../../shared/incident/sink';
import { MemoryTable } from '../../shared/store/memory-table';
import { flowKey, flowObject, type LineInput } from '../network/support';
import { openings } from '../support/finding-log';
import { memorySource } from '../support/sources';

const T0 = Date.parse('2026-11-01T10:00:00Z');
const START = Math.floor(T0 / 1000);
const SCANNED = '10.0.0.37';

/**
 * An object an internet-wide scan makes: 3,000 distinct public sources, one SYN each to 443 on one
 * internal address, in 3,000 /24 blocks of twelve /16s; five of them also try SSH on a node; and a
 * pod's own traffic.
 */
function scanObject(): string {
  const lines: LineInput[] = [];
  for (let i = 0; i < 3000; i++) {
    const src = `203.${Math.floor(i / 250)}.${i % 250}.${((i * 7) % 200) + 1}`;
    lines.push({
      src,
      dst: SCANNED,
      srcPort: 40_000 + (i % 20_000),
      dstPort: 443,
      start: START + (i % 300),
      bytes: 44,
      packets: 1,
      direction: 'ingress',
    });
    if (i < 5) lines.push({ src, dst: '10.0.3.7', dstPort: 22, start: START, bytes: 44, packets: 1, action: 'REJECT' });
  }
  lines.push({ src: '10.0.1.5', dst: '10.0.2.9', dstPort: 5432, start: START });
  return flowObject(lines);
}

async function process(network: ConfigInput['network']) {
  const config = defaultConfig({ learning: { days: 1 }, network: { vpcCidrs: ['10.0.0.0/16'], ...network } });
  const sink = new CollectingSink();
  const engine = new Engine({ config, table: new MemoryTable(), context: buildDetectContext(config), sink });
  const outcome = await engine.process(memorySource(flowKey(T0), scanObject()));
  return { outcome, sink, scans: outcome.findings.filter((f) => f.ruleId === 'net.internet-scan') };
}

describe('Engine: an internet-wide scan', () => {
  it('folds the scan and reports it once, with its sources, records, bytes, target and fold level', async () => {
    // Act
    const { outcome, sink, scans } = await process({ internetScan: { foldAbove: 1000 } });
    // Assess: twelve /16 blocks to 443, five to 22, and the pod's edge.
    expect(outcome.edges).toBe(12 + 1 + 1);
    expect(scans).toHaveLength(1);
    const [scan] = scans;
    expect(scan).toMatchObject({
      severity: 'high',
      entities: { dstAddr: SCANNED, dstPort: 443, records: 3000, bytes: 3000 * 44, foldedTo: '/16', blocks: 12 },
      roles: { server: { address: SCANNED }, port: 443 },
    });
    expect(Math.abs((scan?.entities.sources as number) - 3000)).toBeLessThan(150);
    expect(scan?.summary).toContain('10.0.0.37 port 443/tcp');
    // Its incident was opened once.
    expect(openings(sink.messages)[String(scan?.incidentId)]).toBe(1);
  });

  it('stays quiet when the scanned address is a configured entry point, and while the object is under the threshold', async () => {
    // Act
    const atEntry = await process({ internetScan: { foldAbove: 1000 }, entryPoints: { cidrs: [`${SCANNED}/32`] } });
    const unfolded = await process({});
    // Assess: the entry point's scan is still folded, and not reported; at the default threshold nothing folds.
    expect(atEntry.outcome.edges).toBe(14);
    expect(atEntry.scans).toEqual([]);
    expect(unfolded.outcome.edges).toBe(3000 + 5 + 1);
    expect(unfolded.scans).toEqual([]);
  });
});
