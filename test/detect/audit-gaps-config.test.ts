import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../shared/config/load';

/** The config keys of the audit detectors added for issue 14: defaults, and one-line errors that say how to fix them. */
describe('audit detector settings', () => {
  it('default to EKS node names, no allowed namespaces, and the enumeration and sequence windows', () => {
    const { audit } = defaultConfig();
    expect(audit.nodeNames).toEqual(['ip-*.compute.internal', 'ip-*.ec2.internal', 'i-*']);
    expect(audit.namespaces).toEqual([]);
    expect(audit.secretEnumeration).toEqual({ threshold: 10, windowMinutes: 10 });
    expect(audit.rbacThenWorkload).toEqual({ windowMinutes: 15 });
  });

  it.each([
    [{ audit: { nodeNames: [] } }, 'audit.nodeNames: must name at least one node-name glob'],
    [{ audit: { nodeNames: [''] } }, 'audit.nodeNames[0]: must not be empty'],
    [{ audit: { namespaces: [''] } }, 'audit.namespaces[0]: must not be empty'],
    [{ audit: { secretEnumeration: { threshold: 1 } } }, 'audit.secretEnumeration.threshold: must be 2 or more'],
    [
      { audit: { rbacThenWorkload: { windowMinutes: 5000 } } },
      'audit.rbacThenWorkload.windowMinutes: must be at most 1440',
    ],
  ])('rejects %j in one line', (input, message) => {
    let error: unknown;
    try {
      parseConfig(input);
    } catch (e) {
      error = e;
    }
    expect(String(error)).toContain(message);
    expect(String(error)).not.toContain('\n');
  });
});
