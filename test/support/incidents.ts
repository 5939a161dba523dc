import type { Incident } from '../../shared/incident';

/** An incident with every field filled in plainly (an open, high incident of no findings), and `over` on top. */
export function anIncident(id: string, over: Partial<Incident> = {}): Incident {
  return {
    id,
    cluster: 'shop-prod',
    title: `incident ${id}`,
    severity: 'high',
    findingSeverity: 'high',
    status: 'open',
    firstSeen: '2026-11-10T10:00:00.000Z',
    lastSeen: '2026-11-10T10:30:00.000Z',
    findings: [],
    rules: [],
    keys: [],
    joins: [],
    tactics: [],
    entities: { identities: [], workloads: [], sources: [], destinations: [], images: [], namespaces: [] },
    timeline: [],
    conditions: [],
    messages: 1,
    quiet: 0,
    merged: [],
    history: [],
    ...over,
  };
}
