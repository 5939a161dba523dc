import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** Something to watch, with the name alarms and widgets call it by. */
export interface Watched<T> {
  readonly name: string;
  readonly resource: T;
}

export interface MonitoringProps {
  /** Alarm notifications go here. */
  readonly alarmTopic: sns.ITopic;
  /** Queues whose every message is a failure to look at. */
  readonly deadLetterQueues: readonly Watched<sqs.IQueue>[];
  /** Functions whose errors are alarmed on. */
  readonly functions: readonly Watched<lambda.IFunction>[];
  /** State machines whose failed, timed-out or aborted executions are alarmed on. */
  readonly stateMachines?: readonly Watched<sfn.IStateMachine>[];
  /** Work queues shown on the dashboard (backlog and age). */
  readonly workQueues?: readonly Watched<sqs.IQueue>[];
}

/**
 * Alarms that say the pipeline is losing or failing work, sent to the alert topic: any message in
 * a dead-letter queue, any function error, any execution of a state machine that failed, timed
 * out or was aborted, in five minutes. Plus a one-screen dashboard.
 */
export class Monitoring extends Construct {
  public readonly alarms: cloudwatch.Alarm[] = [];
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const names = [...props.deadLetterQueues, ...props.functions, ...(props.stateMachines ?? [])].map((w) => w.name);
    const repeated = names.find((name, i) => names.indexOf(name) !== i);
    if (repeated) throw new Error(`${id}: "${repeated}" is watched twice`);

    const action = new SnsAction(props.alarmTopic);
    const period = Duration.minutes(5);
    // Any one in five minutes is worth a look: each alarm names where to look.
    const alarmOn = (alarmId: string, alarmDescription: string, metric: cloudwatch.IMetric) => {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        alarmDescription,
        metric,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      this.alarms.push(alarm);
    };
    for (const { name, resource } of props.deadLetterQueues) {
      alarmOn(
        `${name}DeadLetters`,
        `Driftwatch: messages in the ${name} dead-letter queue. Find out why they failed, then redrive them.`,
        resource.metricApproximateNumberOfMessagesVisible({ period, statistic: cloudwatch.Stats.MAXIMUM }),
      );
    }
    for (const { name, resource } of props.functions) {
      alarmOn(
        `${name}Errors`,
        `Driftwatch: the ${name} function failed. Its log group has the error.`,
        resource.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
      );
    }
    for (const { name, resource } of props.stateMachines ?? []) {
      // A step's own retries are not failures; an execution that ended without success is.
      alarmOn(
        `${name}Executions`,
        `Driftwatch: a ${name} execution failed, timed out or was aborted. Its execution history names the state and the error.`,
        new cloudwatch.MathExpression({
          label: `${name} executions not succeeded`,
          expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
          usingMetrics: {
            failed: resource.metricFailed({ period, statistic: cloudwatch.Stats.SUM }),
            timedOut: resource.metricTimedOut({ period, statistic: cloudwatch.Stats.SUM }),
            aborted: resource.metricAborted({ period, statistic: cloudwatch.Stats.SUM }),
          },
          period,
        }),
      );
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(1),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Invocations and errors',
            width: 12,
            left: props.functions.map(({ name, resource }) => resource.metricInvocations({ label: name })),
            right: props.functions.map(({ name, resource }) => resource.metricErrors({ label: `${name} errors` })),
          }),
          new cloudwatch.GraphWidget({
            title: 'Duration (p95)',
            width: 12,
            left: props.functions.map(({ name, resource }) =>
              resource.metricDuration({ label: name, statistic: cloudwatch.Stats.percentile(95) }),
            ),
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Backlog: oldest message age (s)',
            width: 12,
            left: (props.workQueues ?? []).map(({ name, resource }) =>
              resource.metricApproximateAgeOfOldestMessage({ label: name, statistic: cloudwatch.Stats.MAXIMUM }),
            ),
          }),
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 12, alarms: this.alarms }),
        ],
      ],
    });
  }
}
