import { readAuditObject } from './audit-reader';
import { FlowField, NO_COUNT } from './flow-reader';
import { identifyObject, type ObjectSource, readFlowSource } from './object-source';
import { newReadStats } from './stats';

class Found extends Error {
  constructor(readonly time: number) {
    super('found');
  }
}

/**
 * The time of an object's first event, reading no further than that event. For ordering objects
 * whose names carry no delivery time.
 */
export async function firstEventTime(source: ObjectSource): Promise<number | undefined> {
  const identity = await identifyObject(source);
  if (identity.kind === 'unknown') return undefined;
  const stats = newReadStats();
  try {
    if (identity.kind === 'audit') {
      await readAuditObject(await source.open(), { uri: source.uri, stats, cluster: '' }, (event) => {
        throw new Found(event.time);
      });
    } else {
      await readFlowSource(
        source,
        identity.format,
        { stats },
        {
          add: (record) => {
            if (record.start !== undefined) throw new Found(record.start * 1000);
          },
          addLine: (line) => {
            const start = line.values[FlowField.Start] as number;
            if (start !== NO_COUNT) throw new Found(start * 1000);
          },
        },
      );
    }
  } catch (error) {
    if (error instanceof Found) return error.time;
    return undefined;
  }
  return undefined;
}
