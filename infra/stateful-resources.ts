import { Construct } from 'constructs';
import { type AlertEmail, AlertTopic } from './alert-topic';
import { LogBuckets, type LogSourceProps } from './log-buckets';
import { StateTable } from './state-table';

export interface StatefulResourcesProps {
  /** Where EKS audit logs land: one or more buckets and prefixes. */
  readonly audit: readonly LogSourceProps[];
  /** Where VPC flow logs land: one or more buckets and prefixes. */
  readonly flow: readonly LogSourceProps[];
  /**
   * Email subscriptions to the alert topic.
   * @default - none
   */
  readonly emails?: readonly AlertEmail[];
  /**
   * Addresses subscribed to the daily digest.
   * @default - none
   */
  readonly digestEmails?: readonly string[];
}

/**
 * Everything that holds data or subscriptions: the log buckets, the state table and the alert
 * topic. Kept apart from compute so that the functions, queues and schedules around them can be
 * replaced freely; the buckets and the table are retained when the stack goes.
 */
export class StatefulResources extends Construct {
  public readonly logs: LogBuckets;
  public readonly state: StateTable;
  public readonly alerts: AlertTopic;

  constructor(scope: Construct, id: string, props: StatefulResourcesProps) {
    super(scope, id);
    this.logs = new LogBuckets(this, 'Logs', { audit: props.audit, flow: props.flow });
    this.state = new StateTable(this, 'State');
    this.alerts = new AlertTopic(this, 'Alerts', { emails: props.emails, digestEmails: props.digestEmails });
  }
}
