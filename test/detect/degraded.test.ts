import { describe, expect, it } from 'vitest';
import { DegradedNotice, degradedDetectors, mergeDegraded } from '../../shared/detect/degraded';
import { FLOW_DETECTORS } from '../../shared/detect/registry';

describe('degraded detectors', () => {
  it('names the detectors that need a missing field, with only the fields they lacked', () => {
    expect(degradedDetectors(FLOW_DETECTORS, ['tcp-flags', 'vpc-id'])).toEqual([
      { detector: 'net.public-ingress', missing: ['tcp-flags'] },
    ]);
    expect(degradedDetectors(FLOW_DETECTORS, [])).toEqual([]);
  });

  it('joins what objects report, each detector once', () => {
    const merged = mergeDegraded(
      [{ detector: 'net.public-ingress', missing: ['tcp-flags'] }],
      [
        { detector: 'net.public-ingress', missing: ['tcp-flags'] },
        { detector: 'net.new-external-destination', missing: ['pkt-dst-aws-service'] },
      ],
    );
    expect(merged).toEqual([
      { detector: 'net.public-ingress', missing: ['tcp-flags'] },
      { detector: 'net.new-external-destination', missing: ['pkt-dst-aws-service'] },
    ]);
  });

  it('tells of each detector and field once, however many objects lack it', () => {
    const notice = new DegradedNotice();
    const degraded = [{ detector: 'net.public-ingress', missing: ['tcp-flags' as const] }];
    expect(notice.message(degraded)).toContain('net.public-ingress (no tcp-flags)');
    expect(notice.message(degraded)).toBeUndefined();
    expect(notice.message(undefined)).toBeUndefined();
    const more = [{ detector: 'net.new-external-destination', missing: ['pkt-dst-aws-service' as const] }];
    expect(notice.message([...degraded, ...more])).not.toContain('net.public-ingress');
  });
});
