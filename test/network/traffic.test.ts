import { describe, expect, it } from 'vitest';
import { addTraffic, emptyTraffic, trafficBytes } from '../../shared/network/traffic';

describe('Traffic', () => {
  it('sums every count, from zero, and counts bytes both ways', () => {
    // Prepare
    const total = emptyTraffic();
    const one = { bytesToServer: 100, bytesToClient: 900, packets: 12, flows: 2, accepted: 1, rejected: 1 };
    // Act
    addTraffic(total, one);
    addTraffic(total, one);
    // Assess
    expect(total).toEqual({ bytesToServer: 200, bytesToClient: 1800, packets: 24, flows: 4, accepted: 2, rejected: 2 });
    expect(trafficBytes(total)).toBe(2000);
    expect(emptyTraffic()).toEqual({
      bytesToServer: 0,
      bytesToClient: 0,
      packets: 0,
      flows: 0,
      accepted: 0,
      rejected: 0,
    });
  });
});
