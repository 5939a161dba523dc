import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Runs in the child: imports the bundle's `handler` as Lambda's Node.js runtime does, invokes it
 * once with the event and a context built from the environment, and writes the outcome to a file
 * (stdout carries the function's own log lines).
 */
const RUNNER = `
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [bundle, eventFile, outcomeFile, timeoutMs] = process.argv.slice(1);
const env = process.env;
const deadline = Date.now() + Number(timeoutMs);
const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
  invokedFunctionArn: 'arn:aws:lambda:' + env.AWS_REGION + ':123456789012:function:' + env.AWS_LAMBDA_FUNCTION_NAME,
  memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
  logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  done() {}, fail() {}, succeed() {},
};
let outcome;
try {
  const { handler } = await import(pathToFileURL(bundle).href);
  const result = await handler(JSON.parse(readFileSync(eventFile, 'utf8')), context);
  outcome = { result };
} catch (error) {
  outcome = { error: String(error && error.stack ? error.stack : error) };
}
writeFileSync(outcomeFile, JSON.stringify(outcome));
process.exit(0);
`;

export interface BundleInvocation {
  /** The bundle, `index.mjs` of the function's asset. */
  readonly bundle: string;
  /** The whole environment of the child: nothing is inherited from the test's process. */
  readonly env: Record<string, string>;
  readonly event: unknown;
  /** The function's timeout. @default 60_000 */
  readonly timeoutMs?: number;
}

export interface BundleOutcome {
  /** What the handler returned, when it returned. */
  readonly result?: unknown;
  /** What it threw, with its stack. */
  readonly error?: string;
  /** The function's log lines (stdout and stderr). */
  readonly logs: string;
}

/** Invokes a bundled Lambda handler in a child Node.js process, as Lambda would, and returns what it returned. */
export async function invokeBundle(invocation: BundleInvocation): Promise<BundleOutcome> {
  const scratch = mkdtempSync(join(tmpdir(), 'driftwatch-invoke-'));
  try {
    const eventFile = join(scratch, 'event.json');
    const outcomeFile = join(scratch, 'outcome.json');
    writeFileSync(eventFile, JSON.stringify(invocation.event));
    const timeoutMs = invocation.timeoutMs ?? 60_000;
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', RUNNER, invocation.bundle, eventFile, outcomeFile, String(timeoutMs)],
      { env: invocation.env, cwd: dirname(invocation.bundle), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let logs = '';
    child.stdout.on('data', (chunk) => {
      logs += chunk;
    });
    child.stderr.on('data', (chunk) => {
      logs += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    let outcome: { result?: unknown; error?: string };
    try {
      outcome = JSON.parse(readFileSync(outcomeFile, 'utf8'));
    } catch {
      outcome = { error: `the function's process ended (code ${code}) without an outcome` };
    }
    return { ...outcome, logs };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
