import type { Table } from '../shared/store';

/**
 * The deployed stack's state table, with the caller's AWS credentials, region and endpoint (the
 * SDK's usual chain: environment, profile, SSO). The SDK loads only when a command asks for it,
 * so that commands on the embedded store start without it.
 */
export async function dynamoTable(tableName: string): Promise<Table> {
  const [{ DynamoDBClient }, { DynamoTable }] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('../shared/aws'),
  ]);
  return new DynamoTable({ tableName, client: new DynamoDBClient({}) });
}
