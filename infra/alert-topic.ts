import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { type Severity, severitiesAtLeast } from '../shared/config';
import type { MessageKind } from '../shared/incident';

/** An email subscriber and the lowest severity they want. */
export interface AlertEmail {
  readonly address: string;
  readonly minSeverity: Severity;
}

export interface AlertTopicProps {
  /**
   * Email subscriptions. Each gets a filter policy on the `severity` message attribute that the
   * publisher sets, allowing that severity and every one above it, and on `kind`, leaving out
   * the daily digest.
   * @default - none
   */
  readonly emails?: readonly AlertEmail[];
  /**
   * Addresses that get the daily digest (messages whose `kind` is `digest`), and nothing else
   * unless they are in `emails` too.
   * @default - none
   */
  readonly digestEmails?: readonly string[];
}

/** The `kind` attribute of the daily digest's messages. */
const DIGEST_KIND: MessageKind = 'digest';

/**
 * The alert topic: findings go here, and subscribers (email, chat, pager,
 * SIEM) take what they want. Encrypted with its own customer-managed key, rotated yearly, whose
 * policy lets CloudWatch alarms in this account publish; TLS-only.
 */
export class AlertTopic extends Construct {
  /** The topic findings are published to. */
  public readonly topic: sns.Topic;
  /** The topic pipeline alarms (DLQ depth, function errors) go to; every email, unfiltered. */
  public readonly operationsTopic: sns.Topic;
  /** The topic's key; publishers need kms:GenerateDataKey and kms:Decrypt on it. */
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AlertTopicProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      description: 'Driftwatch alert topic',
      enableKeyRotation: true,
      // The key protects messages in flight only; it goes (after the longest waiting period) when
      // the topic goes, rather than being left behind at a monthly cost.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(30),
    });
    // SNS encrypts with the publisher's rights; CloudWatch alarms publish as the service, so the key
    // must trust it, but only for alarms in this account.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Driftwatch alerts',
      masterKey: this.key,
      enforceSSL: true,
    });
    // CloudWatch alarm notifications carry no message attributes, and a filter policy never
    // matches a message without them: alarms on the alert topic would never reach the
    // severity-filtered emails. They get their own topic, subscribed without a filter.
    this.operationsTopic = new sns.Topic(this, 'OperationsTopic', {
      displayName: 'Driftwatch pipeline alarms',
      masterKey: this.key,
      enforceSSL: true,
    });

    const seen = new Set<string>();
    const digests = new Set<string>();
    for (const address of props.digestEmails ?? []) {
      if (digests.has(address.toLowerCase())) throw new Error(`${id}: ${address} gets the digest twice`);
      digests.add(address.toLowerCase());
    }
    for (const email of props.emails ?? []) {
      const address = email.address.toLowerCase();
      if (seen.has(address)) throw new Error(`${id}: ${email.address} is subscribed twice`);
      seen.add(address);
      // CDK keys each subscription by its address, not its position, so reordering the list does
      // not re-create subscriptions (each would need confirming again).
      this.topic.addSubscription(
        new EmailSubscription(email.address, {
          filterPolicy: alertFilter(email.minSeverity, digests.has(address)),
        }),
      );
      this.operationsTopic.addSubscription(new EmailSubscription(email.address));
    }
    // SNS keeps one subscription per address and topic: an address in both lists got the digest above.
    for (const address of props.digestEmails ?? []) {
      if (seen.has(address.toLowerCase())) continue;
      this.topic.addSubscription(
        new EmailSubscription(address, {
          filterPolicy: { kind: sns.SubscriptionFilter.stringFilter({ allowlist: [DIGEST_KIND] }) },
        }),
      );
    }
  }

  /** Lets `grantee` publish: sns:Publish on the topic (PublishBatch is authorized as Publish) and the key use it needs. */
  public grantPublish(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: [this.topic.topicArn] });
    this.key.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
  }
}

/**
 * The filter of an alert email: incident messages of `minSeverity` and above, never the digest
 * (its severity is `info`, and a subscriber taking `info` wants findings, not a daily summary).
 * With `digest`, the address takes the digest as well: SNS's `$or` across the two.
 */
function alertFilter(minSeverity: Severity, digest: boolean): Record<string, sns.SubscriptionFilter> {
  const alerts = {
    kind: sns.SubscriptionFilter.stringFilter({ denylist: [DIGEST_KIND] }),
    severity: sns.SubscriptionFilter.stringFilter({ allowlist: severitiesAtLeast(minSeverity) }),
  };
  if (!digest) return alerts;
  // CDK types a filter policy as attribute → conditions; `$or` takes whole policies as its conditions.
  const policyOf = (filters: Record<string, sns.SubscriptionFilter>) =>
    Object.fromEntries(Object.entries(filters).map(([name, filter]) => [name, filter.conditions]));
  return {
    $or: new sns.SubscriptionFilter([
      policyOf({ kind: sns.SubscriptionFilter.stringFilter({ allowlist: [DIGEST_KIND] }) }),
      policyOf(alerts),
    ]),
  };
}
