import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { SecureQueue } from './secure-queue';

export interface ScheduledRunProps {
  /** An EventBridge schedule expression, `cron(...)` or `rate(...)` (from the config, e.g. `rebaseline.schedule`). */
  readonly schedule: string;
  /** The function the schedule runs. */
  readonly target: lambda.IFunction;
  /** The rule's description: what runs. */
  readonly description: string;
}

/**
 * Runs a function on a schedule (the rebaseline, the daily digest). Events EventBridge cannot
 * deliver (the function throttled or unavailable through every retry) land in a DLQ instead of
 * vanishing. The event's `time` is the scheduled time, the same on every retry: the functions
 * name their run by it.
 */
export class ScheduledRun extends Construct {
  public readonly rule: events.Rule;
  /** Schedule events EventBridge could not deliver. */
  public readonly deadLetterQueue: SecureQueue;

  constructor(scope: Construct, id: string, props: ScheduledRunProps) {
    super(scope, id);
    if (!/^(cron|rate)\(.+\)$/.test(props.schedule)) {
      throw new Error(`${id}: "${props.schedule}" is not an EventBridge schedule expression`);
    }
    this.deadLetterQueue = new SecureQueue(this, 'DeadLetterQueue', { isDeadLetterQueue: true });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "This queue is the EventBridge target's dead-letter queue; it needs none of its own.",
    });
    this.rule = new events.Rule(this, 'Rule', {
      description: props.description,
      schedule: events.Schedule.expression(props.schedule),
    });
    this.rule.addTarget(
      new LambdaFunction(props.target, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 3,
        // A run that could not start within two hours is stale; the next scheduled one takes over.
        maxEventAge: Duration.hours(2),
      }),
    );
  }
}
