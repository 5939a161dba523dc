import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  DeadLetterQueue,
  DYNAMO_CLIENT_CONFIG,
  DynamoTable,
  lambdaEnvironment,
  QueueDepths,
  SnsPublisher,
  s3ListFetcher,
} from '../shared/aws';
import type { Config } from '../shared/config';
import { configFromEnv } from '../shared/config';
import { buildDetectContext } from '../shared/detect';
import { Engine, type IncidentSource } from '../shared/engine';
import { IncidentBook, type MessageSink } from '../shared/incident';
import { type ThreatIntel, ThreatIntelProvider } from '../shared/intel';
import type { Table } from '../shared/store';

/** Everything a handler needs, created once per Lambda container. */
export interface Runtime {
  logger: Logger;
  metrics: Metrics;
  config: Config;
  s3: S3Client;
  /** The ingestion queue's maxReceiveCount (`MAX_RECEIVE_COUNT`): a record failing on that receive goes to the DLQ. */
  maxReceiveCount: number;
  /**
   * The ingestion queue's DLQ (`DEAD_LETTER_QUEUE_URL`): a record failing on its last receive is
   * sent there with its reason. Unset: the redrive policy moves it, without the reason.
   */
  deadLetters: DeadLetterQueue | undefined;
  /** The state table; its counters are the container's reads and writes so far. */
  table: Table;
  /** Incident messages and the daily digest go here: the alert topic. */
  messages: MessageSink;
  /** The incidents the digest lists. */
  incidents: IncidentSource;
  /** The stack's dead-letter queues (`DEAD_LETTER_QUEUES`, the digest's); unset elsewhere. */
  deadLetterDepths: QueueDepths | undefined;
  /**
   * The container's engine. It is built once and kept while the threat lists stay the same, so
   * its caches (scopes and learning starts, baseline values known, correlation sightings written)
   * serve every object a warm container processes; a change to the lists builds a new one.
   */
  engine(): Promise<Engine>;
}

export interface RuntimeOverrides {
  s3?: S3Client;
  dynamo?: DynamoDBClient;
  sns?: SNSClient;
  sqs?: SQSClient;
  /** Where the digest reads incidents. @default the incidents in the state table */
  incidents?: IncidentSource;
  env?: NodeJS.ProcessEnv;
  /** Wall clock, for when the threat lists are checked again. @default Date.now */
  now?: () => number;
}

export function createRuntime(serviceName: string, overrides: RuntimeOverrides = {}): Runtime {
  const env = lambdaEnvironment(overrides.env);
  const config = configFromEnv(overrides.env);
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({ namespace: 'Driftwatch', serviceName });
  const s3 = overrides.s3 ?? new S3Client({});
  const table = new DynamoTable({
    tableName: env.TABLE_NAME,
    client: overrides.dynamo ?? new DynamoDBClient({ ...DYNAMO_CLIENT_CONFIG }),
  });
  const sns = overrides.sns ?? new SNSClient({});
  const sink = new SnsPublisher({ client: sns, topicArn: env.TOPIC_ARN });
  let sqsClient: SQSClient | undefined;
  const sqs = () => {
    sqsClient ??= overrides.sqs ?? new SQSClient({});
    return sqsClient;
  };
  const intel = new ThreatIntelProvider({
    sources: config.threatIntel.sources,
    s3: s3ListFetcher(s3),
    warn: (message) => logger.warn(message),
  });
  const now = overrides.now ?? Date.now;
  let current: { intel: ThreatIntel; engine: Engine } | undefined;
  return {
    logger,
    metrics,
    config,
    s3,
    maxReceiveCount: env.MAX_RECEIVE_COUNT,
    deadLetters: env.DEAD_LETTER_QUEUE_URL ? new DeadLetterQueue(sqs(), env.DEAD_LETTER_QUEUE_URL) : undefined,
    table,
    messages: sink,
    incidents: overrides.incidents ?? new IncidentBook(table, config, Date.now),
    deadLetterDepths: env.DEAD_LETTER_QUEUES ? new QueueDepths(sqs(), env.DEAD_LETTER_QUEUES) : undefined,
    async engine() {
      const lists = await intel.get(now());
      if (current?.intel !== lists) {
        current = {
          intel: lists,
          engine: new Engine({ config, table, context: buildDetectContext(config, lists), sink }),
        };
      }
      return current.engine;
    },
  };
}
