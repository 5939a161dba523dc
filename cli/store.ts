import type { Table } from '../shared/store';

/** The deployed stack's state table, with the caller's AWS credentials; the SDK is loaded only when asked for. */
export async function dynamoTable(tableName: string): Promise<Table> {
  const [{ DynamoDBClient }, { DynamoTable }] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('../shared/aws'),
  ]);
  return new DynamoTable({ tableName, client: new DynamoDBClient({}) });
}
