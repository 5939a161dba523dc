import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/** The DynamoDB actions the store adapter (`shared/store/dynamo-table.ts`) calls; nothing else. */
export const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
] as const;

export interface StateTableProps {
  /**
   * What happens to the table when it leaves the stack. Baselines take weeks of traffic to learn,
   * so the default keeps them.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The one table for all state: baselines, per-day observations, dedupe windows, processed-object
 * markers, the RBAC trail and learning metadata. Keys `pk`/`sk` (strings); transient items carry
 * an `expiresAt` TTL.
 *
 * Encrypted with the AWS-managed key (`aws/dynamodb`): every use of it shows in CloudTrail, and it
 * needs no key policy or grants of its own. The table holds usernames, IP addresses and resource
 * names, not secrets; a customer-managed key would add cost and a key policy to keep right without
 * narrowing who can read the data (IAM on the table already decides that).
 */
export class StateTable extends Construct {
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StateTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      // Guards the baselines against a DeleteTable from outside the stack as well.
      deletionProtection: true,
    });
  }
}
