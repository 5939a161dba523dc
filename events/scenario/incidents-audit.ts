import type { IncidentDefinition } from './incident-types';

/** Incidents for the audit-log detection catalog (manual delete, out-of-band deployment, ...). */
export const AUDIT_INCIDENTS: readonly IncidentDefinition[] = [];
