import { z } from 'zod';
import { ConfigError, describeIssue } from '../config';

const EnvironmentSchema = z.object({
  TABLE_NAME: z.string().min(1),
  TOPIC_ARN: z.string().startsWith('arn:'),
  /** The ingestion queue's maxReceiveCount: the receive on which a failed record goes to the DLQ. */
  MAX_RECEIVE_COUNT: z.coerce.number().int().min(1).default(3),
  /**
   * The ingestion queue's DLQ: a processor sends a record failing on its last receive there itself,
   * with the reason as message attributes. Unset: the redrive policy moves it, without the reason.
   */
  DEAD_LETTER_QUEUE_URL: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * The digest's: every dead-letter queue of the stack, as JSON `{ "<name>": "<queue URL>" }`; the
   * digest reports how many messages wait in each.
   */
  DEAD_LETTER_QUEUES: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not JSON' });
        return z.NEVER;
      }
    })
    .pipe(z.record(z.string().min(1), z.url({ protocol: /^https?$/ })))
    .optional(),
});

export type LambdaEnvironment = z.infer<typeof EnvironmentSchema>;

/** Validates the Lambda's environment once, at cold start. */
export function lambdaEnvironment(env: NodeJS.ProcessEnv = process.env): LambdaEnvironment {
  const parsed = EnvironmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`Lambda environment: ${describeIssue(parsed.error)}; redeploy the stack`);
  }
  return parsed.data;
}
