import { z } from 'zod';

/** Severities in ascending order; the index is the rank. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export const SeveritySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof SeveritySchema>;

const BucketSourceSchema = z
  .object({
    /** Import an existing bucket by name. When absent, the stack creates one log bucket shared by both sources. */
    bucketName: z.string().min(3).max(63).optional(),
    /** S3 key prefix the logs land under. Must end with a slash. */
    prefix: z.string().regex(/^$|\/$/, 'must be empty or end with "/"'),
  })
  .strict();

const ThreatIntelSourceSchema = z.union([
  z.object({ path: z.string().min(1), name: z.string().optional() }).strict(),
  z
    .object({
      s3Uri: z.string().regex(/^s3:\/\/[^/]+\/.+/, 'must look like s3://bucket/key'),
      name: z.string().optional(),
    })
    .strict(),
]);
export type ThreatIntelSource = z.infer<typeof ThreatIntelSourceSchema>;

const DetectorOverrideSchema = z
  .object({
    enabled: z.boolean().optional(),
    severity: SeveritySchema.optional(),
    dedupeMinutes: z.number().int().positive().optional(),
  })
  .strict();

const ScheduleSchema = z
  .string()
  .regex(
    /^(cron\((\S+ ){5}\S+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$/,
    'must be an EventBridge expression such as "cron(0 0 * * ? *)" or "rate(1 day)"',
  );

/**
 * The one configuration schema. The CDK app reads it at synth time and passes the runtime part
 * to the Lambdas; the CLI reads the same file. Unknown keys are errors, so a typo is caught.
 */
export const ConfigSchema = z
  .object({
    /** Cluster name used for audit logs whose delivery does not carry one (anything but Firehose). */
    clusterName: z.string().min(1).default('eks'),
    sources: z
      .object({
        audit: BucketSourceSchema.default({ prefix: 'audit/' }),
        flow: BucketSourceSchema.extend({
          /**
           * Field names of headerless flow-log text, in order (the AWS default format has a header
           * line; a format is only needed for files that lost it).
           */
          format: z.array(z.string()).optional(),
        })
          .strict()
          .default({ prefix: 'flow/' }),
      })
      .strict()
      .default({ audit: { prefix: 'audit/' }, flow: { prefix: 'flow/' } }),
    learning: z
      .object({
        /** Anomaly detectors stay silent for this many days of event time after a scope's first event. */
        days: z.number().min(0).max(365).default(7),
      })
      .strict()
      .default({ days: 7 }),
    rebaseline: z
      .object({
        /** EventBridge schedule of the rebaseline job; in the CLI, replayed in event time. */
        schedule: ScheduleSchema.default('cron(0 0 * * ? *)'),
        /** A baseline entry not seen for this many days is pruned. */
        retentionDays: z.number().int().min(1).max(3650).default(90),
      })
      .strict()
      .default({ schedule: 'cron(0 0 * * ? *)', retentionDays: 90 }),
    alerts: z
      .object({
        /** Findings below this severity are recorded in the run summary but not published. */
        minSeverity: SeveritySchema.default('low'),
        emails: z
          .array(z.object({ address: z.email(), minSeverity: SeveritySchema.default('medium') }).strict())
          .default([]),
      })
      .strict()
      .default({ minSeverity: 'low', emails: [] }),
    /** Per-detector overrides, keyed by rule id. */
    detectors: z.record(z.string(), DetectorOverrideSchema).default({}),
    threatIntel: z
      .object({ sources: z.array(ThreatIntelSourceSchema).default([]) })
      .strict()
      .default({ sources: [] }),
    identities: z
      .object({
        /** Identities (glob patterns on the username) that deploy through CI/CD. */
        cicd: z.array(z.string()).default([]),
        /** Humans allowed to exec into pods without a high-severity alert. */
        execAllowlist: z.array(z.string()).default([]),
      })
      .strict()
      .default({ cicd: [], execAllowlist: [] }),
    registries: z
      .object({
        /** Registries (glob patterns) trusted from the first day. */
        trusted: z.array(z.string()).default([]),
      })
      .strict()
      .default({ trusted: [] }),
    network: z
      .object({
        /** CIDRs of the monitored VPCs; their addresses are internal. */
        vpcCidrs: z.array(z.string()).default([]),
      })
      .strict()
      .default({ vpcCidrs: [] }),
    /** Optional log plumbing the stack creates for you. */
    plumbing: z
      .object({
        /** Subscribe this EKS cluster's audit log stream through Firehose into the audit prefix. */
        eksClusterName: z.string().min(1).optional(),
        /** Create flow logs for these VPCs into the flow prefix. */
        vpcIds: z.array(z.string().regex(/^vpc-[0-9a-f]+$/, 'must look like vpc-0abc...')).default([]),
      })
      .strict()
      .default({ vpcIds: [] }),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function severitiesAtLeast(min: Severity): Severity[] {
  return SEVERITIES.filter((s) => severityRank(s) >= severityRank(min));
}
