import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { keys } from '../shared/store';
import type { AlertTopic } from './alert-topic';
import { DriftwatchFunction } from './driftwatch-function';
import { acknowledgeWildcardResource, nagResourceName } from './nag';
import type { StateTable } from './state-table';
import { TABLE_ACTIONS } from './state-table';
import type { ThreatLists } from './threat-lists';

export interface RebaselineWorkflowProps {
  /** The environment of every function that runs the engine (`Processors.environment`). */
  readonly environment: Readonly<Record<string, string>>;
  /** The state table: the functions fold it, and the state machine claims each scheduled run in it. */
  readonly state: StateTable;
  /** Plan and Finish publish findings here; the work items cannot. */
  readonly alerts: AlertTopic;
  /** The engine loads the threat lists on start, in every step. */
  readonly threatLists: ThreatLists;
  /** Work items folded at once: the Distributed Map's MaxConcurrency (`rebaseline.maxConcurrency`). */
  readonly maxConcurrency: number;
}

/** What a work item calls: a streamed query of its day, batch reads and batch writes. */
export const ITEM_TABLE_ACTIONS = ['dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'] as const;

/** The job name of the rebaseline's claims: `RUN#rebaseline` / `<scheduled time>`. */
const RUN_CLAIMS = keys.scheduledRuns('rebaseline');

/** How long a claim is kept: long past any redelivery of its schedule event (EventBridge gives up after two hours). */
const CLAIM_DAYS = 30;

/**
 * Errors of the Lambda service itself: the function did not run, or was throttled. Retried with
 * more patience than a failure of our own code.
 */
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/**
 * The rebaseline as a Standard state machine, started by the schedule with `{ time }`:
 *
 * Claim (a conditional write of `RUN#rebaseline` / time: a redelivered schedule event ends at
 * AlreadyRun) → Plan (decides the edges that waited for the audit log, lists each scope's pending
 * days as work items) → Fold, a Distributed Map that runs one Item function per work item,
 * `maxConcurrency` at once, failing on the first item that fails past its retries → Finish (marks
 * the days folded, prunes, reports silent flow logs, delivers the run's findings).
 *
 * Three functions, so each role is its own: only Plan (late findings of waiting edges) and Finish
 * (silent flow logs) may publish; the items only read and write the table. Payloads carry counts,
 * never findings, and the execution log leaves payloads out.
 *
 * The plan and the items' reports travel in the execution's state, which Step Functions caps at
 * 256 KB: about 700 work items (an item ~110 bytes, its report ~250). Past that, the execution
 * fails with States.DataLimitExceeded and the failure alarm fires; the days stay pending, so nothing
 * is lost, and the way out is an S3 ItemReader and ResultWriter (see the README).
 */
export class RebaselineWorkflow extends Construct {
  /** Decides waiting edges and plans the run's work items. */
  public readonly plan: DriftwatchFunction;
  /** Folds one work item: one scope, day and shard part. */
  public readonly item: DriftwatchFunction;
  /** Closes the run: marks days folded, prunes, delivers findings. */
  public readonly finish: DriftwatchFunction;
  public readonly stateMachine: sfn.StateMachine;
  /** The execution history's log group (events only, no payloads). */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RebaselineWorkflowProps) {
    super(scope, id);
    if (!Number.isInteger(props.maxConcurrency) || props.maxConcurrency < 1) {
      throw new Error(`${id}: maxConcurrency must be a positive whole number, not ${props.maxConcurrency}`);
    }
    const environment = { ...props.environment };
    // Memory: CPU in proportion, and room; an item's own memory does not grow with the cluster.
    // Timeouts: Plan and Finish touch every scope (Finish prunes a whole partition once, on the
    // first run of an existing deployment); an item is one bounded slice of one day.
    this.plan = new DriftwatchFunction(this, 'PlanFunction', {
      entry: 'functions/rebaseline-plan/index.ts',
      description: 'Rebaseline, step 1: decides edges that waited for the audit log and plans the work items',
      memorySize: 1024,
      timeout: Duration.minutes(15),
      environment,
    });
    this.item = new DriftwatchFunction(this, 'ItemFunction', {
      entry: 'functions/rebaseline-item/index.ts',
      description: 'Rebaseline, step 2: folds one work item (a scope, day and shard part) into the baselines',
      memorySize: 1024,
      timeout: Duration.minutes(10),
      environment,
    });
    this.finish = new DriftwatchFunction(this, 'FinishFunction', {
      entry: 'functions/rebaseline-finish/index.ts',
      description: 'Rebaseline, step 3: marks days folded, prunes, reports silent flow logs and delivers findings',
      memorySize: 1024,
      timeout: Duration.minutes(15),
      environment,
    });
    // Each step the store actions it calls (test/infra/bundle.integration.test.ts holds the
    // bundles' calls to these): Plan all of them (a decided group of waiting edges is deleted);
    // an item streams its day and reads and writes in batches; Finish deletes nothing one by one.
    props.state.table.grant(this.plan, ...TABLE_ACTIONS);
    props.state.table.grant(this.item, ...ITEM_TABLE_ACTIONS);
    props.state.table.grant(this.finish, ...TABLE_ACTIONS.filter((a) => a !== 'dynamodb:DeleteItem'));
    for (const fn of [this.plan, this.item, this.finish]) props.threatLists.grantRead(fn);
    props.alerts.grantPublish(this.plan);
    props.alerts.grantPublish(this.finish);

    const definition = this.claim(props.state)
      .next(this.planStep())
      .next(this.foldStep(props.maxConcurrency))
      .next(this.finishStep());

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'Driftwatch rebaseline: plan, fold every work item, finish',
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      // A daily run that has not ended in twelve hours is stuck: it fails, and the alarm says so.
      timeout: Duration.hours(12),
      tracingEnabled: true,
      // Every event, without its input and output: names of scopes and counts only, but the
      // history needs none of them to show which state failed and why.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem'],
        resources: [props.state.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [RUN_CLAIMS] } },
      }),
    );
    this.acknowledgeOrchestration();
  }

  /**
   * The state machine role's grants that cdk-nag reads as wildcards, each as narrow as the service
   * allows: invoking its three functions, the Distributed Map's children, logs and traces.
   */
  private acknowledgeOrchestration(): void {
    const role = this.stateMachine.role;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Execution logging (logs:*LogDelivery, DescribeLogGroups, PutResourcePolicy) and X-Ray tracing support no resource-level permissions.',
    });
    for (const fn of [this.plan, this.item, this.finish]) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResourceName(this, fn.functionArn)}:*]`,
        reason:
          "CDK's LambdaInvoke grants lambda:InvokeFunction on the function and its versions (<arn>:*); the state machine invokes $LATEST of its own three functions only.",
      });
    }
    // CDK's policy for the Distributed Map: it starts, describes, stops and redrives the child
    // executions of this state machine, whose names Step Functions chooses.
    const mapPolicy = this.stateMachine.node.tryFindChild('DistributedMapPolicy');
    if (!(mapPolicy instanceof iam.Policy))
      throw new Error(`${this.node.id}: the Distributed Map has no policy to check`);
    const statements = (mapPolicy.document.toJSON() as { Statement: { Resource: string | string[] }[] }).Statement;
    for (const resource of statements.flatMap((s) => [s.Resource].flat())) {
      if (!resource.endsWith('*')) continue;
      acknowledgeWildcardResource(
        mapPolicy,
        resource,
        "The Distributed Map's child executions of this state machine, named by Step Functions.",
      );
    }
  }

  /**
   * Claims the scheduled time, once: EventBridge may deliver a schedule event twice, and a second
   * execution would fold every item again. It cannot be the execution's name (a name may not hold
   * the time's colons, and the rule cannot set one), so the table holds the claim, with a TTL.
   */
  private claim(state: StateTable): sfn.CustomState {
    const { partition } = Stack.of(this);
    const claim = new sfn.CustomState(this, 'Claim', {
      stateJson: {
        Type: 'Task',
        Comment: 'Claims the scheduled time; a second start for it ends at AlreadyRun',
        // The one state in JSONata: it computes the claim's TTL from the scheduled time.
        QueryLanguage: 'JSONata',
        Resource: `arn:${partition}:states:::dynamodb:putItem`,
        Arguments: {
          TableName: state.table.tableName,
          Item: {
            pk: { S: RUN_CLAIMS },
            sk: { S: '{% $states.input.time %}' },
            expiresAt: {
              N: `{% $string($floor($toMillis($states.input.time) / 1000) + ${CLAIM_DAYS * 86_400}) %}`,
            },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
        Output: '{% $states.input %}',
      },
    });
    claim.addRetry({
      errors: [
        'DynamoDB.ProvisionedThroughputExceededException',
        'DynamoDB.RequestLimitExceeded',
        'DynamoDB.ThrottlingException',
        'DynamoDB.InternalServerErrorException',
        'DynamoDB.AmazonDynamoDBException',
      ],
      interval: Duration.seconds(2),
      maxAttempts: 6,
      backoffRate: 2,
      maxDelay: Duration.seconds(60),
      jitterStrategy: sfn.JitterType.FULL,
    });
    claim.addCatch(new sfn.Succeed(this, 'AlreadyRun', { comment: 'Another execution has this scheduled time' }), {
      errors: ['DynamoDB.ConditionalCheckFailedException'],
    });
    return claim;
  }

  /** Plan: `{ time }` in, the plan out: `{ run, now, items, scopes, late }` (late: counts of the waiting edges decided). */
  private planStep(): tasks.LambdaInvoke {
    const plan = new tasks.LambdaInvoke(this, 'Plan', {
      lambdaFunction: this.plan,
      payload: sfn.TaskInput.fromObject({ time: sfn.JsonPath.stringAt('$.time') }),
      outputPath: '$.Payload',
      retryOnServiceExceptions: false,
    });
    return withRetries(plan, 2);
  }

  /**
   * Fold: one child execution per work item, Standard (exactly once, and an item may take
   * longer than Express's five minutes), no failure tolerated. Its reports go to `$.reports`, in
   * the order of the items.
   */
  private foldStep(maxConcurrency: number): sfn.DistributedMap {
    const item = new tasks.LambdaInvoke(this, 'FoldItem', {
      lambdaFunction: this.item,
      payload: sfn.TaskInput.fromJsonPathAt('$'),
      outputPath: '$.Payload',
      retryOnServiceExceptions: false,
    });
    // Items are idempotent (a day's values replace the previous ones), so any failure is retried.
    item.addRetry({
      errors: [...LAMBDA_SERVICE_ERRORS, 'States.TaskFailed'],
      interval: Duration.seconds(2),
      maxAttempts: 5,
      backoffRate: 2,
      maxDelay: Duration.seconds(120),
      jitterStrategy: sfn.JitterType.FULL,
    });
    return new sfn.DistributedMap(this, 'Fold', {
      comment: 'One work item per child execution',
      itemsPath: '$.items',
      itemSelector: {
        run: sfn.JsonPath.stringAt('$.run'),
        now: sfn.JsonPath.numberAt('$.now'),
        scopes: sfn.JsonPath.listAt('$.scopes'),
        item: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
      },
      maxConcurrency,
      toleratedFailureCount: 0,
      mapExecutionType: sfn.StateMachineType.STANDARD,
      label: 'Fold',
      resultPath: '$.reports',
    }).itemProcessor(item);
  }

  /** Finish: the plan, the late edges' counts and the items' reports in, the run's counts out. */
  private finishStep(): tasks.LambdaInvoke {
    const finish = new tasks.LambdaInvoke(this, 'Finish', {
      lambdaFunction: this.finish,
      payload: sfn.TaskInput.fromObject({
        plan: {
          run: sfn.JsonPath.stringAt('$.run'),
          now: sfn.JsonPath.numberAt('$.now'),
          items: sfn.JsonPath.listAt('$.items'),
          scopes: sfn.JsonPath.listAt('$.scopes'),
        },
        late: sfn.JsonPath.objectAt('$.late'),
        reports: sfn.JsonPath.listAt('$.reports'),
      }),
      outputPath: '$.Payload',
      retryOnServiceExceptions: false,
    });
    return withRetries(finish, 2);
  }
}

/**
 * Plan and Finish: the Lambda service's errors retried patiently, a failure of the step itself
 * `taskAttempts` times (as the single function's asynchronous retries did), with full jitter.
 */
function withRetries(task: tasks.LambdaInvoke, taskAttempts: number): tasks.LambdaInvoke {
  task.addRetry({
    errors: LAMBDA_SERVICE_ERRORS,
    interval: Duration.seconds(2),
    maxAttempts: 6,
    backoffRate: 2,
    maxDelay: Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  });
  task.addRetry({
    errors: ['States.TaskFailed'],
    interval: Duration.seconds(30),
    maxAttempts: taskAttempts,
    backoffRate: 2,
    jitterStrategy: sfn.JitterType.FULL,
  });
  return task;
}
