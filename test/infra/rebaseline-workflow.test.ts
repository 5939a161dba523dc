import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { AlertTopic } from '../../infra/alert-topic';
import { ITEM_TABLE_ACTIONS, RebaselineWorkflow } from '../../infra/rebaseline-workflow';
import { StateTable } from '../../infra/state-table';
import { ThreatLists } from '../../infra/threat-lists';
import { flatten, logicalId, roleStatements } from './synth';

/** A stack holding the workflow alone; bundling skipped, so it builds in a moment. */
function build(maxConcurrency = 10): { stack: Stack; workflow: RebaselineWorkflow } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test');
  const workflow = new RebaselineWorkflow(stack, 'Rebaseline', {
    environment: { TABLE_NAME: 'table' },
    state: new StateTable(stack, 'State'),
    alerts: new AlertTopic(stack, 'Alerts'),
    threatLists: new ThreatLists(stack, 'Lists', { sources: [], baseDir: '.' }),
    maxConcurrency,
  });
  return { stack, workflow };
}

interface Retrier {
  ErrorEquals: string[];
  MaxAttempts: number;
  BackoffRate: number;
  IntervalSeconds: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: string;
}

/** The state machine's definition, references as `<LogicalId>`. */
// biome-ignore lint/suspicious/noExplicitAny: the Amazon States Language document, read field by field.
function definitionOf(template: Template): any {
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  expect(machines).toHaveLength(1);
  return JSON.parse(flatten(machines[0]?.Properties.DefinitionString));
}

describe('RebaselineWorkflow', () => {
  let template: Template;
  // biome-ignore lint/suspicious/noExplicitAny: see definitionOf.
  let definition: any;
  beforeAll(() => {
    template = Template.fromStack(build().stack);
    definition = definitionOf(template);
  });
  const fn = (step: string) => `<${logicalId(template, 'AWS::Lambda::Function', `Rebaseline${step}Function`)}.Arn>`;

  describe('definition', () => {
    it('claims the run, plans, folds every item, then finishes', () => {
      expect(definition.StartAt).toBe('Claim');
      expect(definition.States.Claim.Next).toBe('Plan');
      expect(definition.States.Plan.Next).toBe('Fold');
      expect(definition.States.Fold.Next).toBe('Finish');
      expect(definition.States.Finish.End).toBe(true);
      expect(Object.keys(definition.States).sort()).toEqual(['AlreadyRun', 'Claim', 'Finish', 'Fold', 'Plan']);
      expect(definition.TimeoutSeconds).toBe(12 * 3600);
    });

    it('claims the scheduled time once: a second start for the same time ends, successfully, at AlreadyRun', () => {
      const claim = definition.States.Claim;
      expect(claim).toMatchObject({
        Type: 'Task',
        QueryLanguage: 'JSONata',
        Resource: 'arn:<AWS::Partition>:states:::dynamodb:putItem',
        Arguments: {
          TableName: `<${logicalId(template, 'AWS::DynamoDB::Table', 'StateTable')}>`,
          Item: {
            pk: { S: 'RUN#rebaseline' },
            sk: { S: '{% $states.input.time %}' },
            expiresAt: { N: '{% $string($floor($toMillis($states.input.time) / 1000) + 2592000) %}' },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
        // The input, `{ time }`, goes on to Plan unchanged.
        Output: '{% $states.input %}',
      });
      expect(claim.Catch).toEqual([{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], Next: 'AlreadyRun' }]);
      expect(definition.States.AlreadyRun.Type).toBe('Succeed');
      // No retrier swallows the condition's failure before the catcher sees it.
      const retried = (claim.Retry as Retrier[]).flatMap((r) => r.ErrorEquals);
      expect(retried).not.toContain('DynamoDB.ConditionalCheckFailedException');
      expect(retried).not.toContain('States.ALL');
      expect(retried).not.toContain('States.TaskFailed');
    });

    it('plans from the scheduled time and keeps only the Lambda payload', () => {
      expect(definition.States.Plan).toMatchObject({
        Type: 'Task',
        Resource: 'arn:<AWS::Partition>:states:::lambda:invoke',
        Parameters: { FunctionName: fn('Plan'), Payload: { 'time.$': '$.time' } },
        OutputPath: '$.Payload',
      });
    });

    it('maps the plan items over a Distributed Map of Standard children, 10 at once, no failure tolerated', () => {
      const fold = definition.States.Fold;
      expect(fold).toMatchObject({
        Type: 'Map',
        ItemsPath: '$.items',
        MaxConcurrency: 10,
        ResultPath: '$.reports',
        ItemSelector: { 'run.$': '$.run', 'now.$': '$.now', 'scopes.$': '$.scopes', 'item.$': '$$.Map.Item.Value' },
        ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'FoldItem' },
      });
      // Zero is the service's default: absent or 0, one failed item fails the map.
      expect(fold.ToleratedFailureCount ?? 0).toBe(0);
      expect(fold.ToleratedFailurePercentage ?? 0).toBe(0);
      expect(fold.ItemProcessor.States.FoldItem).toMatchObject({
        Resource: 'arn:<AWS::Partition>:states:::lambda:invoke',
        Parameters: { FunctionName: fn('Item'), 'Payload.$': '$' },
        OutputPath: '$.Payload',
        End: true,
      });
    });

    it('hands Finish the plan and the Map results', () => {
      expect(definition.States.Finish).toMatchObject({
        Parameters: {
          FunctionName: fn('Finish'),
          Payload: {
            plan: { 'run.$': '$.run', 'now.$': '$.now', 'items.$': '$.items', 'scopes.$': '$.scopes' },
            'late.$': '$.late',
            'reports.$': '$.reports',
          },
        },
        OutputPath: '$.Payload',
      });
    });

    it('retries an item on any task failure (items are idempotent), with backoff and full jitter', () => {
      const [retrier, ...others] = definition.States.Fold.ItemProcessor.States.FoldItem.Retry as Retrier[];
      expect(others).toEqual([]);
      expect(retrier?.ErrorEquals).toEqual(
        expect.arrayContaining(['Lambda.ServiceException', 'Lambda.TooManyRequestsException', 'States.TaskFailed']),
      );
      expect(retrier).toMatchObject({ JitterStrategy: 'FULL', BackoffRate: 2, MaxAttempts: 5 });
      expect(retrier?.MaxDelaySeconds).toBeGreaterThan(0);
    });

    it.each(['Plan', 'Finish'])(
      '%s: retries the Lambda service first, then its own failure twice, all with full jitter',
      (step) => {
        const [service, task, ...others] = definition.States[step].Retry as Retrier[];
        expect(others).toEqual([]);
        expect(service?.ErrorEquals).toEqual(
          expect.arrayContaining(['Lambda.ServiceException', 'Lambda.TooManyRequestsException']),
        );
        expect(service?.ErrorEquals).not.toContain('States.TaskFailed');
        expect(task).toMatchObject({ ErrorEquals: ['States.TaskFailed'], MaxAttempts: 2, JitterStrategy: 'FULL' });
        expect(service?.JitterStrategy).toBe('FULL');
      },
    );
  });

  it('takes the Map concurrency from its props', () => {
    expect(definitionOf(Template.fromStack(build(37).stack)).States.Fold.MaxConcurrency).toBe(37);
  });

  it('throws on a concurrency that is not a positive whole number', () => {
    expect(() => build(0)).toThrow(/maxConcurrency must be a positive whole number/);
    expect(() => build(2.5)).toThrow(/maxConcurrency must be a positive whole number/);
  });

  it('is a Standard state machine, traced, logging every event without payloads to a group kept a month', () => {
    const group = logicalId(template, 'AWS::Logs::LogGroup', 'RebaselineLogs');
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
    expect(template.findResources('AWS::Logs::LogGroup')[group]?.Properties.RetentionInDays).toBe(30);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [group, 'Arn'] } } }],
      },
    });
  });

  describe('the state machine role', () => {
    it('invokes its three functions only, and writes only run claims to the table', () => {
      const statements = roleStatements(template, 'RebaselineStateMachineRole');
      const invoke = statements.filter((s) => s.actions.includes('lambda:InvokeFunction'));
      expect(invoke.flatMap((s) => s.resources).sort()).toEqual(
        ['Plan', 'Item', 'Finish'].flatMap((step) => [fn(step), `${fn(step)}:*`]).sort(),
      );
      const dynamo = statements.filter((s) => s.actions.some((a) => a.startsWith('dynamodb:')));
      expect(dynamo).toEqual([
        {
          effect: 'Allow',
          actions: ['dynamodb:PutItem'],
          resources: [`<${logicalId(template, 'AWS::DynamoDB::Table', 'StateTable')}.Arn>`],
          condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['RUN#rebaseline'] } },
        },
      ]);
      expect(statements.some((s) => s.actions.some((a) => /^(sns|s3):/.test(a)))).toBe(false);
    });
  });

  describe('the step functions', () => {
    it('lets Plan and Finish publish findings, and a work item nothing but the table and the lists', () => {
      const publishes = (step: string) =>
        roleStatements(template, `Rebaseline${step}FunctionRole`).some((s) => s.actions.includes('sns:Publish'));
      expect(publishes('Plan')).toBe(true);
      expect(publishes('Finish')).toBe(true);
      expect(publishes('Item')).toBe(false);
      const itemActions = roleStatements(template, 'RebaselineItemFunctionRole').flatMap((s) => s.actions);
      expect(itemActions.filter((a) => !/^(dynamodb|logs|xray):/.test(a))).toEqual([]);
      expect(itemActions.filter((a) => a.startsWith('dynamodb:')).sort()).toEqual([...ITEM_TABLE_ACTIONS].sort());
    });

    it('are invoked by Step Functions only: no asynchronous retries, no failure queue', () => {
      template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
      template.resourceCountIs('AWS::SQS::Queue', 0);
    });
  });
});
