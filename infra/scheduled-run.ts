import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SecureQueue } from './secure-queue';

export interface ScheduledRunProps {
  /** An EventBridge schedule expression, `cron(...)` or `rate(...)` (from the config, e.g. `rebaseline.schedule`). */
  readonly schedule: string;
  /**
   * What the schedule runs: a function gets the scheduled event; a state machine is started with
   * `{ "time": <the scheduled time> }` as its input.
   */
  readonly target: lambda.IFunction | sfn.IStateMachine;
  /** The rule's description: what runs. */
  readonly description: string;
}

/**
 * Runs a function or a state machine on a schedule (the digest, the rebaseline). Events EventBridge
 * cannot deliver (the target throttled or unavailable through every retry) land in a DLQ instead of
 * vanishing. The event's `time` is the scheduled time, the same on every retry: the targets name
 * their run by it.
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
    const delivery = {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 3,
      // A run that could not start within two hours is stale; the next scheduled one takes over.
      maxEventAge: Duration.hours(2),
    };
    this.rule.addTarget(
      'stateMachineArn' in props.target
        ? new SfnStateMachine(props.target, {
            ...delivery,
            input: events.RuleTargetInput.fromObject({ time: events.EventField.time }),
          })
        : new LambdaFunction(props.target, delivery),
    );
  }
}
