import { CfnOutput, Duration, Stack, type StackProps, Tags, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Config } from '../shared/config';
import { AuditLogSubscription } from './audit-log-subscription';
import { FIREHOSE_ERROR_PREFIX } from './config';
import { Digest } from './digest';
import { IngestionQueue } from './ingestion-queue';
import { Monitoring } from './monitoring';
import { Processors } from './processors';
import { RebaselineWorkflow } from './rebaseline-workflow';
import { ScheduledRun } from './scheduled-run';
import { StatefulResources } from './stateful-resources';
import { ThreatListFetch } from './threat-list-fetch';
import { ThreatLists } from './threat-lists';
import { VpcFlowLogs } from './vpc-flow-logs';

export interface DriftwatchStackProps extends StackProps {
  /** The validated config (see `infra/config.ts`). */
  readonly config: Config;
  /** Relative threat-list paths resolve against this folder. */
  readonly configDir: string;
  /**
   * Addresses subscribed to the daily digest only (context `digestEmails`); an address also in
   * `alerts.emails` gets both.
   * @default - none
   */
  readonly digestEmails?: readonly string[];
}

/**
 * Driftwatch in one stack, composed of one construct per concern. Environment-agnostic: no
 * lookups, so it synthesizes offline without credentials.
 */
export class DriftwatchStack extends Stack {
  public readonly stateful: StatefulResources;
  public readonly processors: Processors;
  /** The rebaseline: a state machine over work items, started by {@link DriftwatchStack.schedule}. */
  public readonly rebaseline: RebaselineWorkflow;
  public readonly auditIngestion: IngestionQueue;
  public readonly flowIngestion: IngestionQueue;
  public readonly schedule: ScheduledRun;
  public readonly digest: Digest;
  public readonly auditLogSubscription: AuditLogSubscription | undefined;
  public readonly vpcFlowLogs: VpcFlowLogs | undefined;
  /** The scheduled fetcher of public threat lists; only with `threatIntel.fetch.enabled`. */
  public readonly threatListFetch: ThreatListFetch | undefined;
  public readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: DriftwatchStackProps) {
    super(scope, id, {
      description: 'Driftwatch: runtime threat detection for Amazon EKS from audit logs and VPC flow logs',
      ...props,
    });
    const { config } = props;
    Tags.of(this).add('app', 'driftwatch');

    this.stateful = new StatefulResources(this, 'Stateful', {
      audit: config.sources.audit,
      flow: config.sources.flow,
      emails: config.alerts.emails,
      digestEmails: props.digestEmails,
    });
    const { logs, state, alerts } = this.stateful;

    // Opt-in: it needs egress to the lists' sites, and nothing is synthesized without it.
    this.threatListFetch = config.threatIntel.fetch.enabled
      ? new ThreatListFetch(this, 'ThreatListFetch', {
          settings: config.threatIntel.fetch,
          alarmTopic: alerts.operationsTopic,
          accessLogBucket: logs.accessLogBucket,
        })
      : undefined;
    const threatLists = new ThreatLists(this, 'ThreatLists', {
      sources: config.threatIntel.sources,
      baseDir: props.configDir,
      fetched: this.threatListFetch,
    });
    this.processors = new Processors(this, 'Processors', {
      config,
      threatLists,
      state,
      alerts,
      auditLogs: logs.audit,
      flowLogs: logs.flow,
    });

    // Both sources cap concurrent invocations at 10: a backlog (a replay, an outage catching up)
    // would otherwise scale out at once and send DynamoDB, on demand, a write burst far above its
    // previous peak. Raise it once benchmarks show the table keeps up.
    //
    // Audit objects are small (Firehose flushes every 60 s or 5 MiB), so ten share an invocation;
    // the 10 s window lets a burst of deliveries fill a batch at little cost in latency.
    this.auditIngestion = new IngestionQueue(this, 'AuditIngestion', {
      source: logs.audit,
      consumer: this.processors.auditProcessor,
      batchSize: 10,
      maxBatchingWindow: Duration.seconds(10),
      maxConcurrency: 10,
    });
    // Flow objects reach 75 MB; one per invocation keeps a slow object from holding others back
    // and lets Lambda spread a backlog over instances.
    this.flowIngestion = new IngestionQueue(this, 'FlowIngestion', {
      source: logs.flow,
      consumer: this.processors.flowProcessor,
      batchSize: 1,
      maxConcurrency: 10,
    });
    // S3 notifications (created and imported buckets alike) are applied by one CDK-provided
    // function per stack.
    const notificationsHandler = this.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
    if (notificationsHandler) {
      Validations.of(notificationsHandler).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's BucketNotificationsHandler singleton (applies S3 notifications at deploy time): aws-cdk-lib fixes its role, with the basic execution policy for its logs.",
      });
    }

    this.rebaseline = new RebaselineWorkflow(this, 'Rebaseline', {
      environment: this.processors.environment,
      state,
      alerts,
      threatLists,
      maxConcurrency: config.rebaseline.maxConcurrency,
    });
    this.schedule = new ScheduledRun(this, 'RebaselineSchedule', {
      schedule: config.rebaseline.schedule,
      target: this.rebaseline.stateMachine,
      description: 'Driftwatch rebaseline',
    });

    const clusterName = config.plumbing.eksClusterName;
    this.auditLogSubscription = clusterName
      ? new AuditLogSubscription(this, 'AuditLogSubscription', {
          clusterName,
          destination: logs.audit,
          errorOutputPrefix: FIREHOSE_ERROR_PREFIX,
        })
      : undefined;
    this.vpcFlowLogs =
      config.plumbing.vpcIds.length > 0
        ? new VpcFlowLogs(this, 'VpcFlowLogs', { vpcIds: config.plumbing.vpcIds, destination: logs.flow })
        : undefined;

    const deadLetterQueues = [
      { name: 'AuditIngestion', resource: this.auditIngestion.deadLetterQueue },
      { name: 'FlowIngestion', resource: this.flowIngestion.deadLetterQueue },
      { name: 'RebaselineSchedule', resource: this.schedule.deadLetterQueue },
      ...(this.threatListFetch?.deadLetterQueues ?? []),
    ];
    this.digest = new Digest(this, 'Digest', { config, state, alerts, deadLetterQueues });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      alarmTopic: alerts.operationsTopic,
      deadLetterQueues: [...deadLetterQueues, ...this.digest.deadLetterQueues],
      functions: [
        { name: 'AuditProcessor', resource: this.processors.auditProcessor },
        { name: 'FlowProcessor', resource: this.processors.flowProcessor },
        // Not the work items: an item that fails is retried (items are idempotent), and throttling
        // under load would page for nothing; one that fails past its retries fails the execution.
        { name: 'RebaselinePlan', resource: this.rebaseline.plan },
        { name: 'RebaselineFinish', resource: this.rebaseline.finish },
        { name: 'Digest', resource: this.digest.function },
        ...(this.threatListFetch ? [{ name: 'ThreatListFetch', resource: this.threatListFetch.function }] : []),
      ],
      stateMachines: [{ name: 'Rebaseline', resource: this.rebaseline.stateMachine }],
      workQueues: [
        { name: 'AuditIngestion', resource: this.auditIngestion.queue },
        { name: 'FlowIngestion', resource: this.flowIngestion.queue },
      ],
    });

    new CfnOutput(this, 'AlertTopicArn', {
      value: alerts.topic.topicArn,
      description: 'Subscribe email, chat, pager or SIEM endpoints here',
    });
    new CfnOutput(this, 'OperationsTopicArn', {
      value: alerts.operationsTopic.topicArn,
      description: 'Pipeline alarms (DLQ depth, function errors); every configured email is subscribed',
    });
    new CfnOutput(this, 'StateTableName', { value: state.table.tableName });
    new CfnOutput(this, 'AuditLogBucketName', {
      value: logs.audit.bucket.bucketName,
      description: `Audit logs land under s3://<bucket>/${config.sources.audit.prefix}`,
    });
    new CfnOutput(this, 'FlowLogBucketName', {
      value: logs.flow.bucket.bucketName,
      description: `VPC flow logs land under s3://<bucket>/${config.sources.flow.prefix}`,
    });
    new CfnOutput(this, 'AuditQueueUrl', { value: this.auditIngestion.queue.queueUrl });
    new CfnOutput(this, 'FlowQueueUrl', { value: this.flowIngestion.queue.queueUrl });
    if (this.threatListFetch) {
      new CfnOutput(this, 'ThreatListBucketName', {
        value: this.threatListFetch.bucket.bucketName,
        description: 'The fetched public threat lists, versioned, under threat-lists/',
      });
    }
    if (logs.accessLogBucket) {
      new CfnOutput(this, 'AccessLogBucketName', { value: logs.accessLogBucket.bucketName });
    }
  }
}
