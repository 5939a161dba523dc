import type { IncidentDefinition } from './incident-types';

/** Incidents for the network analysis (exposure path, port scan, volume spike, ...). */
export const NETWORK_INCIDENTS: readonly IncidentDefinition[] = [];
