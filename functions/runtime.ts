import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { lambdaEnvironment, SnsPublisher, s3ListFetcher } from '../shared/aws';
import type { Config } from '../shared/config';
import { configFromEnv } from '../shared/config';
import { buildDetectContext } from '../shared/detect';
import { Engine } from '../shared/engine';
import { ThreatIntelProvider } from '../shared/intel';
import { DynamoTable } from '../shared/store';

/** Everything a handler needs, created once per Lambda container. */
export interface Runtime {
  logger: Logger;
  metrics: Metrics;
  config: Config;
  s3: S3Client;
  /** An engine with the current threat lists (reloaded when they change). */
  engine(): Promise<Engine>;
}

export interface RuntimeOverrides {
  s3?: S3Client;
  dynamo?: DynamoDBClient;
  sns?: SNSClient;
  env?: NodeJS.ProcessEnv;
}

export function createRuntime(serviceName: string, overrides: RuntimeOverrides = {}): Runtime {
  const env = lambdaEnvironment(overrides.env);
  const config = configFromEnv(overrides.env);
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({ namespace: 'Driftwatch', serviceName });
  const s3 = overrides.s3 ?? new S3Client({});
  const table = new DynamoTable({ tableName: env.TABLE_NAME, client: overrides.dynamo ?? new DynamoDBClient({}) });
  const sink = new SnsPublisher({ client: overrides.sns ?? new SNSClient({}), topicArn: env.TOPIC_ARN });
  const intel = new ThreatIntelProvider({
    sources: config.threatIntel.sources,
    s3: s3ListFetcher(s3),
    warn: (message) => logger.warn(message),
  });
  return {
    logger,
    metrics,
    config,
    s3,
    async engine() {
      const context = buildDetectContext(config, await intel.get());
      return new Engine({ config, table, context, sink });
    },
  };
}
