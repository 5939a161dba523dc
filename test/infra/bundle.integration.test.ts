import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateScenario, type ScenarioManifest } from '../../events/scenario/generate';
import { parseS3Uri } from '../../shared/aws';
import { mapLimit } from '../../shared/util';
import { type LocalDynamo, startDynalite } from '../support/dynalite';
import { s3Notification, sqsEvent } from '../support/lambda';
import { type BundleOutcome, invokeBundle } from '../support/lambda-bundle';
import { type RecordingProxy, startRecordingProxy } from '../support/recording-proxy';
import { type LocalS3, startS3rver } from '../support/s3rver';
import { type SnsRequest, type SnsStub, startSnsStub } from '../support/sns-stub';
import { type SqsStub, startSqsStub } from '../support/sqs-stub';
import {
  type Allowance,
  type AwsCall,
  checkRole,
  dynamoCalls,
  explains,
  functionRoleStatements,
  localName,
  REGION,
  resolveValue,
  s3Calls,
  snsCalls,
  sqsCalls,
} from './iam';
import { logicalId, type Synthesized, synthesize } from './synth';

type CfnTemplate = Parameters<typeof functionRoleStatements>[0];
type FunctionName = 'audit' | 'flow' | 'plan' | 'item' | 'finish' | 'digest';

const SCENARIO_CONFIG = join(import.meta.dirname, '..', '..', 'events', 'scenario', 'driftwatch.config.json');
const DAY_MS = 86_400_000;

/**
 * Grants a run of the bundles does not use, each with why the role has it anyway. Kept small: a
 * grant missing from here fails the test, and so does an entry here that no unused grant needs.
 */
const EVERY_FUNCTION: Allowance[] = [
  {
    action: 'logs:CreateLogStream',
    why: "Lambda's runtime writes the function's stdout to its log group with the role.",
  },
  { action: 'logs:PutLogEvents', why: "Lambda's runtime writes the function's stdout to its log group with the role." },
  {
    action: 'xray:PutTraceSegments',
    why: 'Active tracing: the Lambda service sends the trace segments with the role.',
  },
  { action: 'xray:PutTelemetryRecords', why: 'Active tracing: the Lambda service sends telemetry with the role.' },
];

/** Every function that publishes to the alert topic (all but the rebaseline's work items). */
const PUBLISHER: Allowance[] = [
  {
    action: 'kms:GenerateDataKey',
    why: "SNS encrypts each message with the topic's key, with the publisher's rights.",
  },
  { action: 'kms:Decrypt', why: "SNS encrypts each message with the topic's key, with the publisher's rights." },
];

/** SQS event source mappings poll with the function's role; CDK's grantConsumeMessages grants these five. */
const QUEUE_CONSUMER: Allowance[] = [
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  // Neither is called by Lambda's poller; CDK's SqsEventSource grants them with the three above.
  'sqs:ChangeMessageVisibility',
  'sqs:GetQueueUrl',
].map((action) => ({
  action,
  resource: 'arn:aws:sqs:*IngestionQueue*',
  why: "Lambda's SQS poller reads and deletes the queue's messages with the function's role.",
}));

const PROCESSOR: Allowance[] = [
  ...PUBLISHER,
  ...QUEUE_CONSUMER,
  {
    action: 'dynamodb:DeleteItem',
    why: 'A group of flow edges that waited for the audit log is deleted once decided (PendingEdgeStore.remove); in these runs the rebaseline decides them.',
  },
  {
    action: 's3:GetObjectVersion',
    why: 'Only a notification that names a version (an imported bucket with versioning on) reads one.',
  },
  {
    action: 'sqs:SendMessage',
    resource: 'arn:aws:sqs:*IngestionDeadLetterQueue*',
    why: "Only a record failing on its last receive is sent to the queue's DLQ, with its reason; every record here succeeds.",
  },
];

/**
 * The on-failure destination of asynchronous invocations: the Lambda service sends the failed event
 * with the role. CDK's SqsDestination grants sqs:SendMessage with GetQueueAttributes and GetQueueUrl.
 */
const failureQueue = (actions: readonly string[]): Allowance[] =>
  actions.map((action) => ({
    action,
    resource: 'arn:aws:sqs:*FailureQueue*',
    why: "Lambda sends an event that failed every retry to the function's failure queue with the role.",
  }));

const ALLOWANCES: Record<FunctionName, Allowance[]> = {
  audit: PROCESSOR,
  flow: PROCESSOR,
  plan: PUBLISHER,
  // The work item publishes nothing and its role has no key to publish with: nothing to explain.
  item: [],
  finish: PUBLISHER,
  // The digest reads its failure queue's depth itself, with the DLQs': GetQueueAttributes is used.
  digest: [
    ...PUBLISHER,
    ...failureQueue(['sqs:SendMessage', 'sqs:GetQueueUrl']),
    {
      action: 'dynamodb:UpdateItem',
      why: 'Only a run that takes over a digest a failed run recorded (its lease ran out), or gives one back after SNS failed it, updates its outbox item; here the digest goes at once.',
    },
  ],
};

let synth: Synthesized;
let template: CfnTemplate;
let dynamo: LocalDynamo;
let s3: LocalS3;
let dynamoProxy: RecordingProxy;
let s3Proxy: RecordingProxy;
let sns: SnsStub;
let sqs: SqsStub;
let scenarioDir: string;
let manifest: ScenarioManifest;
const functionIds = {} as Record<FunctionName, string>;
const runs = {} as Record<
  FunctionName,
  { outcome: BundleOutcome; outcomes: BundleOutcome[]; calls: AwsCall[]; published: SnsRequest[] }
>;

/** The properties of an AWS::Lambda::Function this test reads. */
interface FunctionProps {
  Environment: { Variables: Record<string, unknown> };
  MemorySize: number;
  Timeout: number;
  Runtime: string;
  Handler: string;
  Code: { S3Key: string };
  LoggingConfig?: { LogFormat?: string; ApplicationLogLevel?: string };
}

function functionProps(functionId: string): FunctionProps {
  return template.Resources[functionId]?.Properties as unknown as FunctionProps;
}

/** The environment Lambda gives the function: the template's variables, resolved, and the runtime's own. */
function lambdaEnvironment(functionId: string): Record<string, string> {
  const props = functionProps(functionId);
  const variables = resolveValue(template, props.Environment.Variables) as Record<string, string>;
  const name = localName(template, functionId);
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    // s3rver checks signatures against its one account; dynalite and the SNS stub accept any.
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_SESSION_TOKEN: 'session-token-of-the-execution-role',
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(props.MemorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: '2026/11/15/[$LATEST]0123456789abcdef',
    AWS_LAMBDA_LOG_FORMAT: props.LoggingConfig?.LogFormat ?? 'Text',
    AWS_LAMBDA_LOG_LEVEL: props.LoggingConfig?.ApplicationLogLevel ?? 'INFO',
    AWS_EXECUTION_ENV: `AWS_Lambda_${props.Runtime}`,
    AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1',
    _HANDLER: props.Handler,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoProxy.endpoint,
    AWS_ENDPOINT_URL_S3: s3Proxy.endpoint,
    AWS_ENDPOINT_URL_SNS: sns.endpoint,
    ...variables,
    ...(variables.DEAD_LETTER_QUEUES ? { DEAD_LETTER_QUEUES: localQueues(variables.DEAD_LETTER_QUEUES) } : {}),
  };
}

/**
 * The digest's DLQ URLs on the local SQS. The SDK sends a request to the host of the queue's URL,
 * not to AWS_ENDPOINT_URL_SQS, so the URLs themselves point at the stub; the path still names the queue.
 */
function localQueues(json: string): string {
  const queues = JSON.parse(json) as Record<string, string>;
  const aws = `https://sqs.${REGION}.amazonaws.com`;
  for (const [name, url] of Object.entries(queues)) {
    if (!url.startsWith(aws)) throw new Error(`${name}: ${url} is not a queue URL of ${REGION}`);
    queues[name] = `${sqs.endpoint}${url.slice(aws.length)}`;
  }
  return JSON.stringify(queues);
}

/** The function's bundle in the cloud assembly: the asset its code points at. */
function bundleOf(functionId: string): string {
  const props = functionProps(functionId);
  const hash = String(props.Code.S3Key).replace(/\.zip$/, '');
  const [file, exported] = String(props.Handler).split('.');
  expect(exported).toBe('handler');
  return join(synth.outdir, `asset.${hash}`, `${file}.mjs`);
}

/**
 * Invokes a function's bundle once per event (a few at once, as a Map runs them) and keeps the AWS
 * calls they made; the outcome is the last one's, and the first error if any failed.
 */
async function run(name: FunctionName, ...events: unknown[]) {
  for (const recorder of [dynamoProxy.requests, s3Proxy.requests, sns.requests, sqs.requests]) recorder.length = 0;
  const functionId = functionIds[name];
  const props = functionProps(functionId);
  const outcomes = await mapLimit(events, 4, (event) =>
    invokeBundle({
      bundle: bundleOf(functionId),
      env: lambdaEnvironment(functionId),
      event,
      timeoutMs: Number(props.Timeout) * 1000,
    }),
  );
  const outcome = outcomes.find((o) => o.error !== undefined) ?? (outcomes.at(-1) as BundleOutcome);
  const published = [...sns.requests];
  const calls = [
    ...dynamoCalls(dynamoProxy.requests),
    ...s3Calls(s3Proxy.requests),
    ...snsCalls(published),
    ...sqsCalls(sqs.requests),
  ];
  runs[name] = { outcome, outcomes, calls, published };
}

/** Uploads what the deployment would have put in S3 for the functions: the threat lists named in their config. */
async function uploadThreatLists(functionId: string) {
  const env = lambdaEnvironment(functionId);
  const config = JSON.parse(env.DRIFTWATCH_CONFIG ?? '{}') as { threatIntel: { sources: { s3Uri: string }[] } };
  const assets = JSON.parse(readFileSync(join(synth.outdir, 'Driftwatch.assets.json'), 'utf8')) as {
    files: Record<string, { source: { path: string }; destinations: Record<string, { objectKey: string }> }>;
  };
  expect(config.threatIntel.sources.length).toBeGreaterThan(0);
  for (const source of config.threatIntel.sources) {
    const { bucket, key } = parseS3Uri(source.s3Uri);
    const asset = Object.values(assets.files).find((a) =>
      Object.values(a.destinations).some((d) => d.objectKey === key),
    );
    if (!asset) throw new Error(`no asset is uploaded to ${source.s3Uri}`);
    await s3.client.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => undefined);
    await s3.client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(join(synth.outdir, asset.source.path)) }),
    );
  }
}

/** The scenario's object of `prefix` (audit or flow) for the hour of `time`, uploaded to the log bucket. */
async function scenarioObject(kind: 'audit' | 'flow', time: number): Promise<string> {
  const d = new Date(time);
  const p = (n: number) => String(n).padStart(2, '0');
  const [y, mo, day, h] = [d.getUTCFullYear(), p(d.getUTCMonth() + 1), p(d.getUTCDate()), p(d.getUTCHours())];
  const folder =
    kind === 'audit'
      ? join('audit', String(y), mo, day, h)
      : readdirSync(join(scenarioDir, 'flow'), { recursive: true, encoding: 'utf8' })
          .map((path) => join('flow', path))
          .find((path) => path.endsWith(join(`year=${y}`, `month=${mo}`, `day=${day}`, `hour=${h}`)));
  if (!folder) throw new Error(`no ${kind} object for ${d.toISOString()}`);
  const [file] = readdirSync(join(scenarioDir, folder));
  if (!file) throw new Error(`no ${kind} object in ${folder}`);
  const key = join(folder, file).split('\\').join('/');
  const body = readFileSync(join(scenarioDir, key));
  const out = await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body }));
  return s3Notification(s3.bucket, key, (out.ETag ?? '').replace(/"/g, ''), body.length);
}

function incidentTime(id: string): number {
  const incident = manifest.incidents.find((i) => i.id === id);
  if (!incident) throw new Error(`the scenario has no incident ${id}`);
  return Date.parse(incident.time);
}

const ruleIds = (published: readonly SnsRequest[]) =>
  published.flatMap((r) => r.messages.flatMap((m) => JSON.parse(m.attributes.ruleId ?? '[]') as string[])).sort();

beforeAll(async () => {
  synth = synthesize(SCENARIO_CONFIG);
  template = synth.template.toJSON() as CfnTemplate;
  functionIds.audit = logicalId(synth.template, 'AWS::Lambda::Function', 'ProcessorsAuditProcessor');
  functionIds.flow = logicalId(synth.template, 'AWS::Lambda::Function', 'ProcessorsFlowProcessor');
  functionIds.plan = logicalId(synth.template, 'AWS::Lambda::Function', 'RebaselinePlanFunction');
  functionIds.item = logicalId(synth.template, 'AWS::Lambda::Function', 'RebaselineItemFunction');
  functionIds.finish = logicalId(synth.template, 'AWS::Lambda::Function', 'RebaselineFinishFunction');
  functionIds.digest = logicalId(synth.template, 'AWS::Lambda::Function', 'DigestFunction');
  const tableId = logicalId(synth.template, 'AWS::DynamoDB::Table', 'StatefulStateTable');
  const logBucketId = logicalId(synth.template, 'AWS::S3::Bucket', 'StatefulLogsLogBucket');
  [dynamo, s3, sns, sqs] = await Promise.all([
    startDynalite(localName(template, tableId)),
    startS3rver(localName(template, logBucketId)),
    startSnsStub(),
    startSqsStub(),
  ]);
  [dynamoProxy, s3Proxy] = await Promise.all([startRecordingProxy(dynamo.endpoint), startRecordingProxy(s3.endpoint)]);
  await uploadThreatLists(functionIds.audit);

  // The scenario ends yesterday, so the rebaseline, on the real clock, has whole days to fold.
  scenarioDir = mkdtempSync(join(tmpdir(), 'driftwatch-scenario-'));
  const start = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS - 14 * DAY_MS).toISOString();
  // Eleven days hold both incidents used below (days 9 and 11); the rest would only cost time.
  manifest = await generateScenario({ outDir: scenarioDir, start, days: 11 });

  const exec = incidentTime('exec-into-pod');
  await run('audit', sqsEvent([await scenarioObject('audit', exec - 3_600_000), await scenarioObject('audit', exec)]));
  const egress = incidentTime('threat-intel-egress');
  await run('flow', sqsEvent([await scenarioObject('flow', egress)]));
  const scheduledEvent = JSON.parse(
    readFileSync(join(import.meta.dirname, '..', '..', 'events', 'samples', 'scheduled-event.json'), 'utf8'),
  );
  // The rebaseline's steps with the payloads its state machine builds (infra/rebaseline-workflow.ts).
  await run('plan', { time: scheduledEvent.time });
  const plan = runs.plan.outcome.result as {
    run: string;
    now: number;
    items: unknown[];
    scopes: string[];
    late: unknown;
  };
  await run('item', ...plan.items.map((item) => ({ run: plan.run, now: plan.now, scopes: plan.scopes, item })));
  const { run: name, now, items, scopes, late } = plan;
  const reports = runs.item.outcomes.map((o) => o.result);
  await run('finish', { plan: { run: name, now, items, scopes }, late, reports });
  // The digest of the exec incident's day: a schedule one day after it reports the day before.
  await run('digest', { ...scheduledEvent, time: new Date(exec + DAY_MS).toISOString() });
}, 240_000);

afterAll(async () => {
  await Promise.all([dynamoProxy?.close(), s3Proxy?.close(), sns?.close(), sqs?.close()]);
  await Promise.all([dynamo?.close(), s3?.close()]);
  synth?.dispose();
  if (scenarioDir) rmSync(scenarioDir, { recursive: true, force: true });
});

describe('the deployed bundles', () => {
  it('the audit processor reads the objects from S3, keeps state in DynamoDB and publishes the exec finding', () => {
    const { outcome, published } = runs.audit;
    expect(outcome.error, outcome.logs).toBeUndefined();
    expect(outcome.result).toEqual({ batchItemFailures: [] });
    expect(ruleIds(published)).toEqual(
      expect.arrayContaining(['audit.exec-into-pod', 'audit.suspicious-exec-command']),
    );
    expect(published.every((r) => r.topicArn === lambdaEnvironment(functionIds.audit).TOPIC_ARN)).toBe(true);
  });

  it('the flow processor matches the threat list the stack uploaded and publishes the finding', () => {
    const { outcome, published } = runs.flow;
    expect(outcome.error, outcome.logs).toBeUndefined();
    expect(outcome.result).toEqual({ batchItemFailures: [] });
    expect(ruleIds(published)).toContain('net.threat-intel-match');
  });

  it('the rebaseline plans work items, folds each, and finishes the days the processors recorded', () => {
    for (const name of ['plan', 'item', 'finish'] as const) {
      for (const outcome of runs[name].outcomes) expect(outcome.error, outcome.logs).toBeUndefined();
    }
    expect(runs.item.outcomes.length).toBeGreaterThan(0);
    expect(runs.item.published).toEqual([]);
    const { result } = runs.finish.outcome;
    expect(result).toMatchObject({ daysFolded: expect.any(Number), findings: expect.any(Number) });
    expect((result as { daysFolded: number }).daysFolded).toBeGreaterThan(0);
  });

  it('the digest reads every DLQ and publishes one digest, for the configured cluster', () => {
    const { outcome, published } = runs.digest;
    expect(outcome.error, outcome.logs).toBeUndefined();
    expect(outcome.result).toMatchObject({ published: 1, alreadySent: 0 });
    const messages = published.flatMap((r) => r.messages);
    expect(messages.map((m) => m.attributes.kind)).toEqual(['digest']);
    const digest = JSON.parse(JSON.parse(messages[0]?.message ?? '{}').default).digest;
    expect(Object.keys(digest.health.deadLetters).sort()).toEqual([
      'AuditIngestion',
      'DigestFailures',
      'DigestSchedule',
      'FlowIngestion',
      'RebaselineSchedule',
    ]);
    expect(digest.learning.length).toBeGreaterThan(0);
  });
});

describe('the roles of the deployed functions', () => {
  for (const name of ['audit', 'flow', 'plan', 'item', 'finish', 'digest'] as const) {
    it(`${name}: allows every call the bundle made, and nothing it did not make but for the grants explained`, () => {
      const allowances = [...EVERY_FUNCTION, ...ALLOWANCES[name]];
      const check = checkRole(functionRoleStatements(template, functionIds[name]), runs[name].calls, allowances);
      expect(check.denied).toEqual([]);
      expect(check.unusedUnexplained).toEqual([]);
      // Every allowance still explains a grant the role has and the run did not use.
      const stale = allowances.filter((a) => !check.unusedExplained.some((g) => explains(a, g)));
      expect(stale).toEqual([]);
      // The report: what the role allows that this run never called, and why it stays.
      console.info(
        `${name}: ${runs[name].calls.length} calls, all allowed; granted and unused: ` +
          [...new Set(check.unusedExplained.map((g) => g.action))].join(', '),
      );
    });
  }
});

describe('the role check', () => {
  /** The template with the audit processor's policy edited by `edit`. */
  function withAuditPolicy(edit: (statements: Record<string, unknown>[]) => Record<string, unknown>[]): CfnTemplate {
    const copy = structuredClone(template);
    const policies = Object.values(copy.Resources).filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' &&
        JSON.stringify(r.Properties?.Roles).includes(
          logicalId(synth.template, 'AWS::IAM::Role', 'ProcessorsAuditProcessorRole'),
        ),
    );
    expect(policies).toHaveLength(1);
    const document = policies[0]?.Properties?.PolicyDocument as { Statement: Record<string, unknown>[] };
    document.Statement = edit(document.Statement);
    return copy;
  }
  const check = (edited: CfnTemplate) =>
    checkRole(functionRoleStatements(edited, functionIds.audit), runs.audit.calls, [
      ...EVERY_FUNCTION,
      ...ALLOWANCES.audit,
    ]);

  it('reports a call the role no longer allows when one action is taken out of a statement', () => {
    // Prepare: the same template without dynamodb:PutItem.
    const edited = withAuditPolicy((statements) =>
      statements.map((s) =>
        Array.isArray(s.Action) ? { ...s, Action: s.Action.filter((a) => a !== 'dynamodb:PutItem') } : s,
      ),
    );
    // Act
    const result = check(edited);
    // Assess: the bundle's PutItem calls on the table would be denied.
    expect(result.denied.map((c) => `${c.action} ${c.resource}`)).toEqual([
      `dynamodb:PutItem arn:aws:dynamodb:${REGION}:123456789012:table/${localName(template, logicalId(synth.template, 'AWS::DynamoDB::Table', 'StatefulStateTable'))}`,
    ]);
  });

  it('reports every object read as denied when the statement granting the log prefix is deleted', () => {
    const edited = withAuditPolicy((statements) =>
      statements.filter((s) => !JSON.stringify(s.Resource).includes('/audit/*')),
    );
    const denied = check(edited).denied;
    expect(denied.length).toBeGreaterThan(0);
    expect(denied.every((c) => c.action === 's3:GetObject' && c.resource.includes('/audit/'))).toBe(true);
  });

  it('reports a digest write outside its own outbox as denied: the leading-key condition holds', () => {
    const table = runs.digest.calls.find((c) => c.action === 'dynamodb:PutItem');
    expect(table?.leadingKeys?.every((k) => k.startsWith('OUTBOX#digest#'))).toBe(true);
    const stray = { ...(table as AwsCall), leadingKeys: ['BL#shop-prod#image-registry'] };
    const result = checkRole(
      functionRoleStatements(template, functionIds.digest),
      [...runs.digest.calls, stray],
      [...EVERY_FUNCTION, ...ALLOWANCES.digest],
    );
    expect(result.denied).toEqual([stray]);
  });

  it('reports a grant the bundle never uses and nothing explains', () => {
    const edited = withAuditPolicy((statements) => [
      ...statements,
      { Effect: 'Allow', Action: 'dynamodb:Scan', Resource: '*' },
    ]);
    const result = check(edited);
    expect(result.denied).toEqual([]);
    expect(result.unusedUnexplained).toEqual([expect.objectContaining({ action: 'dynamodb:Scan', resource: '*' })]);
  });
});
