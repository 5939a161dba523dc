import { CfnOutput, Duration, Stack, type StackProps, Tags, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { type Config, sourceBuckets } from '../shared/config';
import { AuditLogSubscription } from './audit-log-subscription';
import { FIREHOSE_ERROR_PREFIX } from './config';
import { Digest } from './digest';
import { IngestionQueue } from './ingestion-queue';
import type { LogBuckets, LogLocation } from './log-buckets';
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
      audit: sourceBuckets(config, 'audit'),
      flow: sourceBuckets(config, 'flow'),
      emails: config.alerts.emails,
      digestEmails: props.digestEmails,
    });
    const { logs, state, alerts } = this.stateful;

    // Opt-in: it needs egress to the lists' sites, and nothing is synthesized without it.
    this.threatListFetch = config.threatIntel.fetch.enabled
      ? new ThreatListFetch(this, 'ThreatListFetch', {
          settings: config.threatIntel.fetch,
          alarmTopic: alerts.operationsTopic,
          table: state.table,
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
      sources: logs.audit,
      consumer: this.processors.auditProcessor,
      batchSize: 10,
      maxBatchingWindow: Duration.seconds(10),
      maxConcurrency: 10,
    });
    // Flow objects reach 75 MB; one per invocation keeps a slow object from holding others back
    // and lets Lambda spread a backlog over instances.
    this.flowIngestion = new IngestionQueue(this, 'FlowIngestion', {
      sources: logs.flow,
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

    // The plumbing writes into the one bucket of its source (the config check refuses it with several).
    const clusterName = config.plumbing.eksClusterName;
    const [auditDestination] = logs.audit;
    const [flowDestination] = logs.flow;
    this.auditLogSubscription =
      clusterName && auditDestination
        ? new AuditLogSubscription(this, 'AuditLogSubscription', {
            clusterName,
            destination: auditDestination,
            errorOutputPrefix: FIREHOSE_ERROR_PREFIX,
          })
        : undefined;
    this.vpcFlowLogs =
      config.plumbing.vpcIds.length > 0 && flowDestination
        ? new VpcFlowLogs(this, 'VpcFlowLogs', { vpcIds: config.plumbing.vpcIds, destination: flowDestination })
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
    this.bucketOutputs(logs);
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

  /**
   * Where the logs land. With one bucket per source, its name (as before). With buckets in other
   * accounts, what their owners must name in the notification configuration, the bucket policy
   * and the key policy (docs/MULTI-ACCOUNT.md): the queues' ARNs and the processors' roles.
   */
  private bucketOutputs(logs: LogBuckets): void {
    const single = (locations: readonly LogLocation[], id: string, what: string) => {
      const [only] = locations;
      if (locations.length !== 1 || !only) return;
      new CfnOutput(this, id, {
        value: only.bucket.bucketName,
        description: `${what} land under s3://<bucket>/${only.prefix}`,
      });
    };
    single(logs.audit, 'AuditLogBucketName', 'Audit logs');
    single(logs.flow, 'FlowLogBucketName', 'VPC flow logs');
    if (![...logs.audit, ...logs.flow].some((location) => location.account !== undefined)) return;
    new CfnOutput(this, 'AuditQueueArn', {
      value: this.auditIngestion.queue.queueArn,
      description: "Source accounts' audit buckets send s3:ObjectCreated:* notifications here",
    });
    new CfnOutput(this, 'FlowQueueArn', {
      value: this.flowIngestion.queue.queueArn,
      description: "Source accounts' flow buckets send s3:ObjectCreated:* notifications here",
    });
    new CfnOutput(this, 'AuditProcessorRoleArn', {
      value: this.processors.auditProcessor.executionRole.roleArn,
      description: 'Source accounts allow this role s3:GetObject on their audit prefixes and kms:Decrypt via S3',
    });
    new CfnOutput(this, 'FlowProcessorRoleArn', {
      value: this.processors.flowProcessor.executionRole.roleArn,
      description: 'Source accounts allow this role s3:GetObject on their flow prefixes and kms:Decrypt via S3',
    });
  }
}
