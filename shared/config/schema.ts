import { z } from 'zod';
import { PUBLIC_THREAT_LIST_NAMES, PUBLIC_THREAT_LISTS } from './public-lists';

/** Severities in ascending order; the index is the rank. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export const SeveritySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof SeveritySchema>;

/** S3's bucket-naming rules: 3 to 63 lowercase letters, digits, dots and dashes, starting and ending alphanumeric. */
const BucketNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name such as acme-eks-audit-logs');
const PrefixSchema = z.string().regex(/^$|\/$/, 'must be empty or end with "/"');
const AccountSchema = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id such as 111122223333');
/**
 * A key ARN, not an alias: a grant on an alias ARN does not cover the key S3 decrypts with, and the
 * source account's key policy names keys.
 */
const KmsKeyArnSchema = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/,
    'must be a KMS key ARN such as arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab (not an alias)',
  );

/** Where the bucket is and who holds it: the fields one bucket and each entry of `buckets` share. */
const bucketPlacement = {
  /**
   * The account that owns the bucket, when it is not the stack's: the stack cannot configure that
   * bucket's notifications, so the owner points them at the stack's queue (docs/MULTI-ACCOUNT.md).
   */
  account: AccountSchema.optional(),
  /** The KMS key the objects are encrypted with (SSE-KMS): the readers may decrypt with it, through S3 only. */
  kmsKeyArn: KmsKeyArnSchema.optional(),
};

/** One bucket and prefix of a source, in the list form (`sources.<kind>.buckets`). */
const SourceBucketSchema = z
  .object({ bucketName: BucketNameSchema, prefix: PrefixSchema, ...bucketPlacement })
  .strict();

/**
 * A log source: one bucket (`bucketName`, `prefix`; the stack creates the bucket when no name is
 * given), or several (`buckets`), which is how clusters in other accounts feed one deployment.
 */
const bucketSourceShape = {
  /** Import an existing bucket by name. When absent, the stack creates one log bucket shared by both sources. */
  bucketName: BucketNameSchema.optional(),
  /** S3 key prefix the logs land under. Must end with a slash. */
  prefix: PrefixSchema.optional(),
  ...bucketPlacement,
  /** Several buckets (each with its prefix, and its account and key when they are not the stack's). */
  buckets: z.array(SourceBucketSchema).min(1, 'list at least one bucket, or use bucketName and prefix').optional(),
};

/** One form or the other: a source with `buckets` names nothing else about a bucket. */
function oneBucketForm(
  source: { prefix?: string; bucketName?: string; buckets?: unknown[] },
  ctx: z.RefinementCtx,
): void {
  if (source.buckets === undefined) {
    if (source.prefix === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['prefix'],
        message: 'is required: give the key prefix, such as "audit/", or a list of buckets',
      });
    }
    return;
  }
  for (const key of ['bucketName', 'prefix', 'account', 'kmsKeyArn'] as const) {
    if (key in source && (source as Record<string, unknown>)[key] !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: 'goes in each entry of "buckets": a source names one bucket or lists several, not both',
      });
    }
  }
}

const BucketSourceSchema = z.object(bucketSourceShape).strict().superRefine(oneBucketForm);

const ThreatIntelSourceSchema = z.union([
  z.object({ path: z.string().min(1), name: z.string().optional() }).strict(),
  z
    .object({
      s3Uri: z.string().regex(/^s3:\/\/[^/]+\/.+/, 'must look like s3://bucket/key'),
      name: z.string().optional(),
      /**
       * A missing object reads as an empty list instead of failing the run: the stack sets it on
       * the lists its fetcher keeps, which exist only after the fetcher's first run.
       */
      optional: z.boolean().optional(),
    })
    .strict(),
]);
export type ThreatIntelSource = z.infer<typeof ThreatIntelSourceSchema>;

const DetectorOverrideSchema = z
  .object({
    enabled: z.boolean().optional(),
    severity: SeveritySchema.optional(),
    dedupeMinutes: z.number().int().positive().optional(),
    /** This detector's findings per object above which they are rolled up into one (`alerts.rollup.cap` otherwise). */
    rollupCap: z.number().int().positive().optional(),
  })
  .strict();

/** Settings of a pod that `audit.privileged-workload` reports; an allowlist entry names the ones it allows. */
export const PRIVILEGED_SETTINGS = [
  'privileged',
  'hostNetwork',
  'hostPID',
  'hostIPC',
  'hostPath',
  'capabilities',
] as const;

const CIDR = /^[0-9A-Fa-f.:]+(\/\d{1,3})?$/;

/** Names EKS gives its nodes: `ip-10-0-1-2.eu-west-1.compute.internal`, `ip-10-0-1-2.ec2.internal`, and `i-0abc...` (resource names). */
export const DEFAULT_NODE_NAMES = ['ip-*.compute.internal', 'ip-*.ec2.internal', 'i-*'];

const AUDIT_DEFAULTS = {
  systemWorkloads: [],
  privilegedWorkloads: [],
  learnPrivilegedWorkloads: true,
  knownNetworks: [],
  forbiddenBurst: { threshold: 20, windowMinutes: 10, ignore: [] },
  nodeNames: DEFAULT_NODE_NAMES,
  namespaces: [],
  secretEnumeration: { threshold: 10, windowMinutes: 10 },
  rbacThenWorkload: { windowMinutes: 15 },
};

/** Settings of the audit-log detectors beyond identities and registries. */
const AuditSchema = z
  .object({
    /**
     * Workloads (`namespace/name` globs) expected in kube-system, kube-public and kube-node-lease,
     * besides EKS's add-ons and common system components, which are built in.
     */
    systemWorkloads: z.array(z.string()).default([]),
    /** Workloads (`namespace/name` globs) allowed some privileged settings (all when `allow` is absent). */
    privilegedWorkloads: z
      .array(
        z
          .object({
            workload: z.string().min(1),
            allow: z.array(z.enum([...PRIVILEGED_SETTINGS, '*'])).default(['*']),
          })
          .strict(),
      )
      .default([]),
    /**
     * Learn allowances from the audit log: a workload written with the same host access by the same
     * kind of identity (pipeline, controller, service account, person) on two distinct days is
     * allowed those settings, for that kind of identity. False keeps only the configured list.
     */
    learnPrivilegedWorkloads: z.boolean().default(true),
    /** Source networks (CIDRs) of your own people, such as the office and the VPN: never reported as new. */
    knownNetworks: z.array(z.string().regex(CIDR, 'must be an address or a CIDR such as 203.0.113.0/24')).default([]),
    /** `audit.forbidden-burst`: this many denied requests from one identity or address within the window. */
    forbiddenBurst: z
      .object({
        threshold: z.number().int().min(2).default(20),
        windowMinutes: z.number().int().min(1).max(1440).default(10),
        /** Identities (globs) whose denials are known noise, such as a component missing a permission. */
        ignore: z.array(z.string()).default([]),
      })
      .strict()
      .default({ threshold: 20, windowMinutes: 10, ignore: [] }),
    /** `audit.node-joined`: names (globs) nodes of this cluster are given; a node joining under another name is reported. */
    nodeNames: z
      .array(z.string().min(1, 'must not be empty: give a glob such as ip-*.compute.internal'))
      .min(1, 'must name at least one node-name glob, such as ip-*.compute.internal')
      .default(DEFAULT_NODE_NAMES),
    /** `audit.namespace-created`: namespaces (globs) anyone may create without a finding, such as `preview-*`. */
    namespaces: z.array(z.string().min(1, 'must not be empty: give a glob such as preview-*')).default([]),
    /** `audit.secret-enumeration`: this many distinct secrets read by one caller within the window. */
    secretEnumeration: z
      .object({
        threshold: z.number().int().min(2, 'must be 2 or more distinct secrets').default(10),
        windowMinutes: z.number().int().min(1).max(1440, 'must be at most 1440 (a day)').default(10),
      })
      .strict()
      .default({ threshold: 10, windowMinutes: 10 }),
    /** `audit.rbac-then-workload`: how long after a sensitive RBAC change a workload change by the same identity counts. */
    rbacThenWorkload: z
      .object({ windowMinutes: z.number().int().min(1).max(1440, 'must be at most 1440 (a day)').default(15) })
      .strict()
      .default({ windowMinutes: 15 }),
  })
  .strict();

/** Ports of databases, caches, search engines, Vault and etcd: a connection to one reaches data. */
export const DEFAULT_SENSITIVE_PORTS = [
  1433, 1521, 2379, 2380, 3306, 5432, 5984, 6379, 7000, 7001, 8086, 8200, 8529, 9042, 9160, 9200, 9300, 11211, 26257,
  27017, 27018, 28015, 50000,
] as const;

/** Ports cryptocurrency mining pools serve stratum on. */
export const DEFAULT_MINING_PORTS = [
  3333, 3334, 3357, 4444, 5555, 5588, 6666, 7777, 8888, 9999, 14433, 14444, 17777, 45560, 45700,
] as const;

const PortSchema = z.number().int().min(0).max(65535);
const CidrText = z.string().regex(CIDR, 'must be an address or a CIDR such as 10.0.200.0/24');
const LabelledCidrSchema = z
  .object({
    cidr: CidrText,
    /** The name findings and the map show for addresses in the range, such as `rds-subnets`. */
    label: z.string().min(1).max(80),
  })
  .strict();
const OptionallyLabelledCidrSchema = z.union([
  CidrText,
  z.object({ cidr: CidrText, label: z.string().min(1).max(80).optional() }).strict(),
]);

/** How far above its baseline an hourly value must go to be a spike: a ratio and robust deviations. */
const spikeShape = {
  /** At least this many times the median active hour. */
  ratio: z.number().min(1).default(10),
  /** At least this many robust deviations (1.4826 x MAD) above the median active hour. */
  deviations: z.number().min(0).default(6),
};

/** Settings of the network analysis: who addresses are, and the flow detectors' limits. */
const NetworkSchema = z
  .object({
    /** CIDRs of the monitored VPCs; their addresses are internal. */
    vpcCidrs: z.array(z.string()).default([]),
    /** Names for address ranges (`rds-subnets`, `vault`), shown in findings and on the map. */
    labels: z.array(LabelledCidrSchema).default([]),
    /**
     * Known public entry points: the subnets or addresses of load balancers (and other fronts the
     * internet may reach), and their network interfaces. Public traffic to them is expected.
     */
    entryPoints: z
      .object({
        cidrs: z.array(OptionallyLabelledCidrSchema).default([]),
        interfaces: z.array(z.string().regex(/^eni-[0-9a-f]+$/, 'must look like eni-0abc...')).default([]),
      })
      .strict()
      .prefault({}),
    /**
     * Learn entry points from the flow log: an internal address no pod or node holds that takes
     * connections from many public networks on port 80 or 443 on five distinct days is treated like
     * a configured entry point. False keeps only the configured ones.
     */
    learnEntryPoints: z.boolean().default(true),
    /** What holds data: ranges (any port) and ports (on any internal address). */
    sensitive: z
      .object({
        cidrs: z.array(OptionallyLabelledCidrSchema).default([]),
        /** Replaces the default list of database, cache, search, Vault and etcd ports. */
        ports: z.array(PortSchema).default([...DEFAULT_SENSITIVE_PORTS]),
      })
      .strict()
      .prefault({}),
    /** `net.mining-pool-port`: egress to a public address on one of these ports. */
    miningPorts: z.array(PortSchema).default([...DEFAULT_MINING_PORTS]),
    /** `net.exposure-path`: how long a workload counts as public-facing, and paths that are accepted. */
    exposure: z
      .object({
        windowDays: z.number().int().min(1).max(90).default(7),
        /** Accepted paths: a workload (`namespace/name` glob) and what it may reach (label, CIDR or `*`). */
        allow: z
          .array(z.object({ workload: z.string().min(1), to: z.string().min(1).default('*') }).strict())
          .default([]),
      })
      .strict()
      .prefault({}),
    /** `net.volume-spike`: bytes a workload sends on one edge in an hour. */
    volumeSpike: z
      .object({ minBytes: z.number().min(0).default(50_000_000), ...spikeShape })
      .strict()
      .prefault({}),
    /** `net.reject-spike`: REJECTed flow records on one internal edge in an hour. */
    rejectSpike: z
      .object({ minRejects: z.number().min(0).default(30), ...spikeShape })
      .strict()
      .prefault({}),
    /** The per-edge hourly statistics the spike detectors compare against. */
    stats: z
      .object({
        /** Days of hourly values kept per edge. */
        windowDays: z.number().int().min(1).max(60).default(14),
        /** An edge needs this many active hours, on at least `minDays` days, before it can spike. */
        minHours: z.number().int().min(1).default(24),
        minDays: z.number().int().min(1).default(3),
      })
      .strict()
      .prefault({}),
    /** `net.port-scan`: distinct ports probed on one host by one source within the window. */
    portScan: z
      .object({
        ports: z.number().int().min(2).default(20),
        windowMinutes: z.number().int().min(1).max(1440).default(10),
      })
      .strict()
      .prefault({}),
    /** `net.port-sweep`: distinct hosts probed on one port by one source within the window. */
    portSweep: z
      .object({
        hosts: z.number().int().min(2).default(20),
        windowMinutes: z.number().int().min(1).max(1440).default(10),
      })
      .strict()
      .prefault({}),
    /**
     * The clusters that share the monitored VPCs, when there is more than one: which VPCs and
     * ranges (nodes' and pods' subnets) each one's addresses are in. Flow logs name no cluster;
     * an address the audit logs never reported is the cluster's whose range holds it. Workloads
     * of a cluster other than `clusterName` are named `workload:<cluster>:<namespace>/<name>`.
     */
    clusters: z
      .array(
        z
          .object({
            /** The cluster's name as its audit log group says it (`/aws/eks/<name>/cluster`). */
            name: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, 'must be an EKS cluster name such as shop-prod'),
            /** The VPCs the cluster's nodes run in: its pods are never looked for in another. */
            vpcs: z.array(z.string().regex(/^vpc-[0-9a-f]+$/, 'must look like vpc-0abc...')).optional(),
            /** The ranges its nodes and pods take addresses from. */
            cidrs: z.array(CidrText).optional(),
          })
          .strict(),
      )
      .default([])
      .refine((clusters) => new Set(clusters.map((c) => c.name)).size === clusters.length, {
        message: 'name each cluster once',
      }),
    /** Sources allowed to scan (vulnerability scanners): workload globs or CIDRs. */
    scanners: z.array(z.string().min(1)).default([]),
    /**
     * Flow edges with an internal end wait for the audit log: until the cluster's audit watermark
     * (the newest audit event processed) passes their time by `marginMinutes`, so that pod
     * addresses reported late still name them. After `maxWaitHours` they are decided as they are.
     * A cluster whose audit log never arrived has no watermark: its edges never wait. With
     * `clusters` listed, edges wait for the watermark furthest behind among them.
     */
    lateAudit: z
      .object({
        /** Hours an edge waits at most; 0 decides every edge at once. */
        maxWaitHours: z
          .number()
          .min(0)
          .max(24 * 60)
          .default(48),
        /** How far past an edge's time the audit log must reach: a pod's first flows may precede its report. */
        marginMinutes: z.number().min(0).max(60).default(5),
      })
      .strict()
      .prefault({}),
    /**
     * What bounds an object under an internet-wide scan, and `net.internet-scan`: past `foldAbove`
     * edges from public sources in one scope of one object, public sources are folded into blocks
     * (/24, then /16, /8, the whole internet); a server port (not an entry point) whose folded
     * sources number `minSources` or more is reported.
     */
    internetScan: z
      .object({
        foldAbove: z.number().int().min(1_000).default(100_000),
        minSources: z.number().int().min(1).default(1_000),
      })
      .strict()
      .prefault({}),
    /**
     * `net.brute-force`: connection attempts from one client to one server on a remote-login port
     * (SSH, RDP, WinRM) within the window.
     */
    bruteForce: z
      .object({
        attempts: z.number().int().min(2).default(40),
        windowMinutes: z.number().int().min(1).max(1440).default(10),
        ports: z
          .array(PortSchema)
          .min(1, 'list at least one port, or disable net.brute-force')
          .default([22, 3389, 5985, 5986]),
      })
      .strict()
      .prefault({}),
    /**
     * `net.dns-egress`: public resolvers workloads may query directly (DNS on 53, DNS over TLS on 853).
     * The VPC resolver and every internal address (CoreDNS, on-premises resolvers) are always approved.
     */
    dnsResolvers: z.array(CidrText).default([]),
    /** `net.outbound-flood`: packets one internal client sends one public host, per second over the window. */
    outboundFlood: z
      .object({
        packetsPerSecond: z.number().int().min(1).default(2_000),
        windowMinutes: z.number().int().min(1).max(60).default(5),
      })
      .strict()
      .prefault({}),
    /**
     * `net.inbound-port-policy`: ports public sources may reach (`allow`: any other port is reported)
     * and may not (`deny`). Off until one list is set.
     */
    inboundPorts: z
      .object({
        allow: z.array(PortSchema).optional(),
        deny: z.array(PortSchema).optional(),
        /** Also report REJECTed attempts (at `low`); the internet knocks on every port all day. */
        rejected: z.boolean().default(false),
      })
      .strict()
      .optional(),
    /** `net.mail-egress`: SMTP connections from one internal client to public mail servers within the window. */
    mailEgress: z
      .object({
        connections: z.number().int().min(1).default(30),
        windowMinutes: z.number().int().min(1).max(1440).default(60),
        ports: z.array(PortSchema).min(1, 'list at least one port, or disable net.mail-egress').default([25]),
      })
      .strict()
      .prefault({}),
    /** `net.log-health`: a flow log silent for this long is reported at rebaseline. */
    logHealth: z
      .object({
        silentHours: z
          .number()
          .min(1)
          .max(24 * 30)
          .default(6),
      })
      .strict()
      .prefault({}),
  })
  .strict();

const ScheduleSchema = z
  .string()
  .regex(
    /^(cron\((\S+ ){5}\S+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$/,
    'must be an EventBridge expression such as "cron(0 0 * * ? *)" or "rate(1 day)"',
  );

/** A list the stack's fetcher keeps: a public list by name, or any HTTPS URL under a name of your own. */
const FetchedListSchema = z.union(
  [
    z.enum(PUBLIC_THREAT_LIST_NAMES),
    z
      .object({
        name: z
          .string()
          .regex(
            /^[a-z0-9][a-z0-9-]{0,39}$/,
            'use lowercase letters, digits and dashes (at most 40), e.g. "mining-pools"',
          ),
        url: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }),
      })
      .strict(),
  ],
  {
    error: `must be one of ${PUBLIC_THREAT_LIST_NAMES.map((n) => `"${n}"`).join(', ')}, or { "name": ..., "url": "https://..." }`,
  },
);
export type FetchedList = z.infer<typeof FetchedListSchema>;

const ThreatListFetchSchema = z
  .object({
    /** Off by default: the fetcher needs egress to the lists' sites. */
    enabled: z.boolean().default(false),
    /** The lists to keep. @default every public list the fetcher knows */
    lists: z
      .array(FetchedListSchema)
      .min(1, 'name at least one list, or set enabled to false')
      .default([...PUBLIC_THREAT_LIST_NAMES]),
    /** When to refresh them (EventBridge, UTC). */
    schedule: ScheduleSchema.default('rate(6 hours)'),
    /** A refresh with this many percent fewer entries than the copy kept is held back as suspicious. */
    maxShrinkPercent: z.number().min(1).max(100).default(50),
    /**
     * Hours a list may go without a refresh before the rebaseline reports it (`net.threat-list-stale`).
     * @default two runs of a `rate()` schedule, 48 for a `cron()` one
     */
    staleAfterHours: z
      .number({ error: 'must be a number of hours, e.g. 24' })
      .positive('must be more than 0 hours, e.g. 24')
      .optional(),
  })
  .strict();

/** Each list of `threatIntel.fetch`, with its name and URL. */
export function fetchedLists(lists: readonly FetchedList[]): { name: string; url: string }[] {
  return lists.map((list) => (typeof list === 'string' ? { name: list, url: PUBLIC_THREAT_LISTS[list] } : list));
}

/**
 * The one configuration schema. The CDK app reads it at synth time and passes the runtime part
 * to the Lambdas; the CLI reads the same file. Unknown keys are errors, so a typo is caught.
 */
/**
 * A suppression: what it matches (a detector id and/or entity globs; `dstAddr` also takes CIDRs),
 * why, whose it is, and when it ends. Every field it names must match.
 */
export const SuppressionSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'use letters, digits, dot, dash or underscore (at most 64)'),
    /** A detector id, or a glob of ids (`net.new-*`). */
    ruleId: z.string().min(1).optional(),
    /** Globs on entity values: `user`, `namespace`, `image`, `name`, `workload`; `dstAddr` and `srcAddr` take CIDRs or globs. */
    entities: z.record(z.string(), z.string().min(1)).default({}),
    reason: z.string().min(3, 'say why, in a few words'),
    owner: z.string().min(1),
    /** ISO-8601 date or time after which it stops applying. Required. */
    expires: z.string().refine((v) => Number.isFinite(Date.parse(v)), 'must be an ISO-8601 date such as 2027-01-31'),
  })
  .strict()
  .refine((s) => s.ruleId !== undefined || Object.keys(s.entities).length > 0, {
    message: 'name a ruleId or at least one entity to match',
  });
export type SuppressionRule = z.infer<typeof SuppressionSchema>;

export const ConfigSchema = z
  .object({
    /** Cluster name used for audit logs whose delivery does not carry one (anything but Firehose). */
    clusterName: z.string().min(1).default('eks'),
    sources: z
      .object({
        audit: BucketSourceSchema.default({ prefix: 'audit/' }),
        flow: z
          .object({
            ...bucketSourceShape,
            /**
             * Field names of headerless flow-log text, in order (the AWS default format has a header
             * line; a format is only needed for files that lost it).
             */
            format: z.array(z.string()).optional(),
          })
          .strict()
          .superRefine(oneBucketForm)
          .default({ prefix: 'flow/' }),
      })
      .strict()
      .default({ audit: { prefix: 'audit/' }, flow: { prefix: 'flow/' } }),
    learning: z
      .object({
        /** Anomaly detectors stay silent for this many days of event time after a scope's first event. */
        days: z.number().min(0).max(365).default(7),
        /**
         * A workload created after the learning period by a controller, a CI/CD identity or a learned
         * pipeline has this many hours from its first flow edge before the learned-baseline anomaly
         * detectors speak about its edges (they learn them meanwhile). 0 turns the grace off.
         */
        newWorkloadHours: z
          .number()
          .min(0)
          .max(24 * 30)
          .default(24),
      })
      .strict()
      .default({ days: 7, newWorkloadHours: 24 }),
    rebaseline: z
      .object({
        /** EventBridge schedule of the rebaseline job; in the CLI, replayed in event time. */
        schedule: ScheduleSchema.default('cron(0 0 * * ? *)'),
        /** A baseline entry not seen for this many days is pruned. */
        retentionDays: z.number().int().min(1).max(3650).default(90),
        /**
         * Deployed only: how many work items the rebaseline's state machine folds at once (its
         * Distributed Map's MaxConcurrency). Each item reads and writes the table on demand, so this
         * bounds the rebaseline's burst of DynamoDB units as well as its Lambda concurrency.
         */
        maxConcurrency: z
          .number({ error: 'must be a whole number of work items run at once, e.g. 10' })
          .int('must be a whole number of work items run at once, e.g. 10')
          .min(1, 'must be at least 1 (work items run at once)')
          .max(1000, 'must be at most 1000; raise the account Lambda concurrency first if you need more')
          .default(10),
      })
      .strict()
      .default({ schedule: 'cron(0 0 * * ? *)', retentionDays: 90, maxConcurrency: 10 }),
    alerts: z
      .object({
        /** Findings below this severity are recorded in the run summary but not published. */
        minSeverity: SeveritySchema.default('low'),
        emails: z
          .array(z.object({ address: z.email(), minSeverity: SeveritySchema.default('medium') }).strict())
          .default([]),
        /**
         * Bounded work under hostile load: when one object gives a detector more findings (in one
         * cluster or VPC) than `cap`, they become one roll-up finding with their count and `samples`
         * of them, most severe first.
         */
        rollup: z
          .object({
            cap: z.number().int().positive().default(25),
            samples: z.number().int().min(1).max(20).default(5),
          })
          .strict()
          .default({ cap: 25, samples: 5 }),
      })
      .strict()
      .default({ minSeverity: 'low', emails: [], rollup: { cap: 25, samples: 5 } }),
    /** How findings join incidents (README, "Incidents"). */
    incidents: z
      .object({
        /** A finding joins an incident when it shares a key with it within this many hours of its last finding. */
        windowHours: z
          .number()
          .min(1)
          .max(24 * 30)
          .default(24),
        /** Findings per incident; past it, a new incident linked to the old one takes the rest. */
        maxFindings: z.number().int().min(2).max(500).default(50),
        /** A condition (an exposure path, ...) not observed for this many days is resolved; observed again, it reopens. */
        conditionQuietDays: z.number().min(1).max(90).default(7),
        /** The daily digest: its EventBridge schedule (UTC), for subscribers whose filter takes `kind` digest. */
        digestSchedule: ScheduleSchema.default('cron(0 7 * * ? *)'),
      })
      .strict()
      .prefault({}),
    /**
     * Reviewed suppressions: matching findings are recorded and still join incidents, but notify
     * no one. More can be added to the deployed table with `driftwatch suppress add`.
     */
    suppressions: z.array(SuppressionSchema).default([]),
    /** The longest a suppression may last, in days. */
    maxSuppressionDays: z.number().int().min(1).max(3650).default(90),
    /** Per-detector overrides, keyed by rule id. */
    detectors: z.record(z.string(), DetectorOverrideSchema).default({}),
    threatIntel: z
      .object({
        sources: z.array(ThreatIntelSourceSchema).default([]),
        /** The stack's scheduled fetcher of public lists (README, "Threat lists"); the CLI ignores it. */
        fetch: ThreatListFetchSchema.prefault({}),
      })
      .strict()
      .prefault({}),
    identities: z
      .object({
        /** Identities (glob patterns on the username) that deploy through CI/CD. */
        cicd: z.array(z.string()).default([]),
        /** Humans allowed to exec into pods without a high-severity alert. */
        execAllowlist: z.array(z.string()).default([]),
        /**
         * Operators outside kube-system that create or change workloads as their job (Argo CD, Flux,
         * Karpenter, ...), treated like the built-in controllers. EKS's own identities are built in.
         */
        controllers: z.array(z.string()).default([]),
        /** Identities allowed to impersonate others (an auth proxy such as Teleport or Pinniped). */
        impersonators: z.array(z.string()).default([]),
        /**
         * Identities (globs) never learned as pipelines, whatever they do: a person's account that
         * happens to deploy from one laptop every day.
         */
        notPipelines: z.array(z.string()).default([]),
        /** Learning of pipeline identities from the audit log. */
        learnPipelines: z
          .object({
            /** Distinct days an identity must change workloads on, from one network and user agent. */
            minDays: z.number().int().min(1).max(60).default(3),
          })
          .strict()
          .default({ minDays: 3 }),
      })
      .strict()
      .default({
        cicd: [],
        execAllowlist: [],
        controllers: [],
        impersonators: [],
        notPipelines: [],
        learnPipelines: { minDays: 3 },
      }),
    registries: z
      .object({
        /** Registries (glob patterns) trusted from the first day. */
        trusted: z.array(z.string()).default([]),
      })
      .strict()
      .default({ trusted: [] }),
    audit: AuditSchema.default(AUDIT_DEFAULTS),
    network: NetworkSchema.prefault({}),
    /** Optional log plumbing the stack creates for you. */
    plumbing: z
      .object({
        /** Subscribe this EKS cluster's audit log stream through Firehose into the audit prefix. */
        eksClusterName: z.string().min(1).optional(),
        /** Create flow logs for these VPCs into the flow prefix. */
        vpcIds: z.array(z.string().regex(/^vpc-[0-9a-f]+$/, 'must look like vpc-0abc123')).default([]),
      })
      .strict()
      .default({ vpcIds: [] }),
  })
  .strict()
  .superRefine((config, ctx) => {
    const latest = Date.now() + config.maxSuppressionDays * 86_400_000;
    config.suppressions.forEach((s, i) => {
      if (Date.parse(s.expires) > latest) {
        ctx.addIssue({
          code: 'custom',
          path: ['suppressions', i, 'expires'],
          message: `is more than maxSuppressionDays (${config.maxSuppressionDays}) away; choose an earlier date or raise maxSuppressionDays`,
        });
      }
    });
    const ids = new Set<string>();
    config.suppressions.forEach((s, i) => {
      if (ids.has(s.id))
        ctx.addIssue({ code: 'custom', path: ['suppressions', i, 'id'], message: `${s.id} is used twice` });
      ids.add(s.id);
    });
  });

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function severitiesAtLeast(min: Severity): Severity[] {
  return SEVERITIES.filter((s) => severityRank(s) >= severityRank(min));
}
