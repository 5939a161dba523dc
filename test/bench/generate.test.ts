import { describe, expect, it } from 'vitest';
import { FLOW_COLUMNS, flowLines } from '../../bench/generate';
import { STACK_FLOW_FORMAT, STACK_FLOW_HEADER } from '../../shared/ingest/flow-reader';

describe('flowLines', () => {
  it('writes the header of the stack format, and FLOW_COLUMNS name the fields the peers aggregate', () => {
    // Act
    const [header, ...lines] = [...flowLines(7, 50)];
    // Assess
    expect(header).toBe(STACK_FLOW_HEADER);
    expect(lines).toHaveLength(50);
    for (const line of lines) expect(line.split(' ')).toHaveLength(STACK_FLOW_FORMAT.length);
    const column = (n: number) => STACK_FLOW_FORMAT[n - 1];
    expect([FLOW_COLUMNS.pktSrc, FLOW_COLUMNS.pktDst, FLOW_COLUMNS.dstPort, FLOW_COLUMNS.bytes].map(column)).toEqual([
      'pkt-srcaddr',
      'pkt-dstaddr',
      'dstport',
      'bytes',
    ]);
  });
});
