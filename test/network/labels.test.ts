import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../shared/config/load';
import { DEFAULT_SENSITIVE_PORTS } from '../../shared/config/schema';
import { NetworkLabels } from '../../shared/network/labels';

function labels(network: Record<string, unknown>): NetworkLabels {
  return new NetworkLabels(defaultConfig({ network: { vpcCidrs: ['10.0.0.0/16'], ...network } }).network);
}

describe('NetworkLabels', () => {
  it('names addresses by the most specific label, sensitive range or entry point', () => {
    const l = labels({
      labels: [
        { cidr: '10.0.200.0/24', label: 'rds-subnets' },
        { cidr: '10.0.200.10/32', label: 'payments-db' },
      ],
      sensitive: { cidrs: ['10.0.210.0/24', { cidr: '10.0.220.5', label: 'vault' }] },
      entryPoints: { cidrs: [{ cidr: '10.0.0.0/24', label: 'alb' }, '10.0.5.5'] },
    });
    expect(l.label('10.0.200.10')).toEqual({ label: 'payments-db', cidr: '10.0.200.10' });
    expect(l.label('10.0.200.11')).toEqual({ label: 'rds-subnets', cidr: '10.0.200.0/24' });
    expect(l.label('10.0.220.5')).toEqual({ label: 'vault', cidr: '10.0.220.5' });
    // A sensitive range without a label is named by itself.
    expect(l.label('10.0.210.9')).toEqual({ label: '10.0.210.0/24', cidr: '10.0.210.0/24' });
    expect(l.label('10.0.0.37')).toEqual({ label: 'alb', cidr: '10.0.0.0/24' });
    expect(l.entryPoint('10.0.5.5')).toEqual({ cidr: '10.0.5.5', label: undefined });
    expect(l.label('10.0.5.5')).toBeUndefined();
  });

  it('calls a connection sensitive on an internal sensitive range (any port) or a sensitive port (TCP)', () => {
    const l = labels({ sensitive: { cidrs: [{ cidr: '10.0.220.0/24', label: 'vault' }] } });
    expect(l.sensitive('10.0.220.5', 'vpc', 443, 6)).toEqual({ range: { label: 'vault', cidr: '10.0.220.0/24' } });
    expect(l.sensitive('10.0.3.9', 'vpc', 5432, 6)).toEqual({ port: 5432 });
    expect(l.sensitive('10.0.3.9', 'vpc', 5432, 17)).toBeUndefined();
    expect(l.sensitive('10.0.3.9', 'vpc', 8080, 6)).toBeUndefined();
    // A database port on the internet is not "our data".
    expect(l.sensitive('203.0.113.9', 'public', 5432, 6)).toBeUndefined();
  });

  it('defaults sensitive ports to databases, caches, search engines, Vault and etcd', () => {
    const ports = labels({}).sensitivePorts;
    for (const port of [5432, 3306, 1433, 1521, 27017, 6379, 11211, 9200, 9300, 5984, 7000, 9042, 8200, 2379, 2380]) {
      expect(ports.has(port), String(port)).toBe(true);
    }
    expect(ports.size).toBe(DEFAULT_SENSITIVE_PORTS.length);
    expect(labels({}).miningPorts.has(3333)).toBe(true);
    expect(labels({ sensitive: { ports: [5432] } }).sensitivePorts.has(6379)).toBe(false);
  });

  it('allows scanners by range or by workload', () => {
    const l = labels({ scanners: ['10.0.9.0/24', 'security/trivy-*'] });
    expect(l.isScanner('10.0.9.4')).toBe(true);
    expect(l.isScanner('10.0.3.4', 'security/trivy-operator')).toBe(true);
    expect(l.isScanner('10.0.3.4', 'payments/worker')).toBe(false);
  });
});
