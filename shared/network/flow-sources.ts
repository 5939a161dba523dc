import type { Table } from '../store';
import { keys } from '../store';
import { epochSeconds } from '../util';

/** A flow log and the last time it delivered. */
export interface FlowSource {
  logId: string;
  scope: string;
  /** Event time of its latest record, epoch ms. */
  lastSeen: number;
  /** The object that carried it. */
  uri: string;
}

/** VPC Flow Logs names its objects `<account>_vpcflowlogs_<region>_<flow log id>_<time>_<hash>`. */
const FLOW_LOG_ID = /_vpcflowlogs_[a-z0-9-]+_(fl-[0-9a-f]+)_/;

/** The flow log an object belongs to, from its key; undefined for files not named the way VPC Flow Logs names them. */
export function flowLogIdOf(uri: string): string | undefined {
  return FLOW_LOG_ID.exec(uri)?.[1];
}

/** Days a flow log that stopped is remembered (and reported, once a day) before it is forgotten. */
const FORGET_DAYS = 7;

/** When each flow log last delivered (`FLOWSRC`), for the rebaseline job to notice one that stops. */
export class FlowSources {
  constructor(private readonly table: Table) {}

  /** Notes a delivery; an older object arriving late never moves the time back. */
  async seen(source: FlowSource): Promise<void> {
    await this.table.put(
      {
        pk: keys.flowSources(),
        sk: source.logId,
        ...source,
        expiresAt: epochSeconds(source.lastSeen) + FORGET_DAYS * 86_400,
      },
      { kind: 'absentOrBelow', attribute: 'lastSeen', value: source.lastSeen + 1 },
    );
  }

  /** Every flow log seen within the last week. */
  async all(): Promise<FlowSource[]> {
    return (await this.table.query(keys.flowSources())).map((item) => ({
      logId: String(item.logId),
      scope: String(item.scope),
      lastSeen: Number(item.lastSeen),
      uri: String(item.uri),
    }));
  }
}
