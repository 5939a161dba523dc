import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { SecureQueue } from './secure-queue';

/** The repository root: entry points and the lock file are found from here. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Lambda caps the environment at 4 KB (keys plus values). */
const ENVIRONMENT_LIMIT_BYTES = 4096;

export interface DriftwatchFunctionProps {
  /** The handler file, relative to the repository root, e.g. `functions/audit-processor/index.ts`. */
  readonly entry: string;
  /** Shown in the console; says what triggers the function. */
  readonly description: string;
  /** Memory in MB. Lambda allocates CPU in proportion: 1769 MB is one full vCPU. */
  readonly memorySize: number;
  /** Per-invocation timeout. Queues that feed the function size their visibility timeout from it. */
  readonly timeout: Duration;
  /** Environment variables. Their total size is checked against Lambda's 4 KB limit at synth time. */
  readonly environment?: Record<string, string>;
  /**
   * Reserved concurrency, for functions that must not run twice at once.
   * @default - unreserved
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Set for functions invoked asynchronously (EventBridge): Lambda retries a failed invocation this
   * many times, then sends the event to {@link DriftwatchFunction.failureQueue}. Leave unset for SQS
   * consumers; their failed messages go to the source queue's own DLQ.
   * @default - not invoked asynchronously, no failure queue
   */
  readonly asyncRetryAttempts?: number;
  /**
   * How long the function's log group keeps logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The house Lambda function: Node.js 24 on arm64, bundled as minified ESM by the local esbuild
 * (never Docker), X-Ray tracing, JSON logs into an explicit log group with retention, its own role
 * with no managed policies, and a failure queue when invoked asynchronously.
 */
export class DriftwatchFunction extends NodejsFunction {
  /** The execution role: log writes to its own group only; every other grant is added by its owner. */
  public readonly executionRole: iam.Role;
  /** Where asynchronous invocations land after their retries; only with `asyncRetryAttempts`. */
  public readonly failureQueue: sqs.IQueue | undefined;
  /** The environment so far, for the size check of variables added later; set once the base class is built. */
  private environmentSoFar: Record<string, string> | undefined;

  constructor(scope: Construct, id: string, props: DriftwatchFunctionProps) {
    if (props.asyncRetryAttempts !== undefined && (props.asyncRetryAttempts < 0 || props.asyncRetryAttempts > 2)) {
      throw new Error(`${id}: asyncRetryAttempts must be 0, 1 or 2 (Lambda's limit)`);
    }
    const environment = { NODE_OPTIONS: '--enable-source-maps', ...props.environment };
    checkEnvironmentSize(scope, id, environment);
    // Created beside the function, not inside it: a subclass cannot create children before super().
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Our own role, so the function gets no AWSLambdaBasicExecutionRole (it allows writing to any
    // log group); it writes only to its own.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${id}: ${props.description}`,
    });
    logGroup.grantWrite(role);
    super(scope, id, {
      entry: `${PROJECT_ROOT}${props.entry}`,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        // The source text would only grow the bundle; stack traces need the mappings, not the sources.
        sourcesContent: false,
        mainFields: ['module', 'main'],
        // CommonJS dependencies call require(); an ESM bundle has none unless we make one.
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        // The AWS SDK is bundled rather than taken from the runtime: the functions then run the
        // exact SDK versions the tests ran (package-lock.json), and tree-shaken ESM keeps it small.
        externalModules: [],
        forceDockerBundling: false,
      },
    });
    this.executionRole = role;
    this.environmentSoFar = environment;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
    });
    if (props.asyncRetryAttempts !== undefined) {
      const failureQueue = new SecureQueue(this, 'FailureQueue', { isDeadLetterQueue: true });
      Validations.of(failureQueue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          "This queue is the function's on-failure destination (its dead-letter queue); it needs none of its own.",
      });
      this.configureAsyncInvoke({
        retryAttempts: props.asyncRetryAttempts,
        maxEventAge: Duration.hours(6),
        onFailure: new SqsDestination(failureQueue),
      });
      this.failureQueue = failureQueue;
    } else {
      this.failureQueue = undefined;
    }
  }

  /** Adds a variable, holding the environment to Lambda's limit as the constructor does (queue URLs come after it). */
  public override addEnvironment(key: string, value: string, options?: lambda.EnvironmentOptions): this {
    // The base class adds the constructor's variables through here before this class has its own state.
    if (this.environmentSoFar) {
      const next = { ...this.environmentSoFar, [key]: value };
      checkEnvironmentSize(this, this.node.id, next);
      this.environmentSoFar = next;
    }
    return super.addEnvironment(key, value, options);
  }
}

/**
 * Estimates the deployed size of the environment. Values holding tokens are resolved to their
 * CloudFormation form and measured part by part: pseudo parameters by their longest real value,
 * other references (names, ARNs) at a generous 128 bytes each.
 */
function checkEnvironmentSize(scope: Construct, id: string, environment: Record<string, string>): void {
  const stack = Stack.of(scope);
  const bytes = Object.entries(environment).reduce(
    (sum, [key, value]) => sum + Buffer.byteLength(key) + deployedBytes(stack.resolve(value)),
    0,
  );
  if (bytes > ENVIRONMENT_LIMIT_BYTES) {
    throw new Error(
      `${id}: the Lambda environment would be about ${bytes} bytes, over Lambda's 4 KB limit; ` +
        'shorten the config (allowlists, detector overrides, threat-list names)',
    );
  }
}

const PSEUDO_PARAMETER_BYTES: Record<string, number> = {
  'AWS::AccountId': 12,
  'AWS::Region': 16,
  'AWS::Partition': 10,
  'AWS::URLSuffix': 16,
};

function deployedBytes(resolved: unknown): number {
  if (typeof resolved === 'string') return Buffer.byteLength(resolved);
  if (resolved !== null && typeof resolved === 'object') {
    const record = resolved as Record<string, unknown>;
    const join = record['Fn::Join'];
    if (Array.isArray(join) && Array.isArray(join[1])) {
      const [separator, parts] = join as [string, unknown[]];
      return parts.reduce<number>((sum, part) => sum + deployedBytes(part), 0) + separator.length * (parts.length - 1);
    }
    const ref = record.Ref;
    if (typeof ref === 'string' && ref in PSEUDO_PARAMETER_BYTES) return PSEUDO_PARAMETER_BYTES[ref] ?? 128;
  }
  return 128;
}
