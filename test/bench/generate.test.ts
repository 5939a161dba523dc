import { describe, expect, it } from 'vitest';
import { FLOW_COLUMNS, flowLines } from '../../bench/generate';
import { FLOW_FIELDS, FLOW_HEADER } from '../../events/scenario/flow-log';

describe('flowLines', () => {
  it('writes the scenario header, and FLOW_COLUMNS name the fields the peers aggregate', () => {
    // Act
    const [header, ...lines] = [...flowLines(7, 50)];
    // Assess
    expect(header).toBe(FLOW_HEADER);
    expect(lines).toHaveLength(50);
    for (const line of lines) expect(line.split(' ')).toHaveLength(FLOW_FIELDS.length);
    const column = (n: number) => FLOW_FIELDS[n - 1];
    expect([FLOW_COLUMNS.pktSrc, FLOW_COLUMNS.pktDst, FLOW_COLUMNS.dstPort, FLOW_COLUMNS.bytes].map(column)).toEqual([
      'pkt-srcaddr',
      'pkt-dstaddr',
      'dstport',
      'bytes',
    ]);
  });
});
