/**
 * The import rules of Driftwatch, checked by `npm run deps` (part of `npm test`).
 *
 * `LAYERS` is the one place the order of the domain core's modules is written: a module may import
 * the modules before it, never one after it. docs/ARCHITECTURE.md explains each layer.
 */
const LAYERS = [
  'util', // hashing, time, globs, printable text
  'config', // the one config schema
  'intel', // CIDR index and threat lists
  'store', // the Table contract, DynamoDB and in-memory tables, the key layout
  'ingest', // object identification and the readers: bytes in, AuditEvent and FlowRecord out
  'kube', // what audit events mean in Kubernetes terms: who acted, images, RBAC, aws-auth
  'network', // addresses, entities, flow edges, attribution, hourly edges and their rows
  'alert', // the Finding contract and its rendering
  'incident', // incidents: correlation, lifecycle, suppressions, messages, sinks, the digest
  'detect', // detector types, the catalog, the registry
  'baseline', // baselines, learning, observations, per-edge statistics, the rebaseline
  'record', // recorders: the RBAC trail, the pod IP map, hourly edges
  'engine', // one object in, findings out
  'report', // the HTML report
  'aws', // S3 and SQS adapters of the Lambdas
];

const above = (i) => LAYERS.slice(i + 1).join('|');

/** Downward only: each layer, and the modules above it it may not import. */
const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer}`,
  comment: `shared/${layer} sits below ${LAYERS.slice(i + 1).join(', ')}: it may not import them (LAYERS in .dependency-cruiser.cjs)`,
  severity: 'error',
  from: { path: `^shared/${layer}/` },
  to: { path: `^shared/(${above(i)})/` },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'Files import each other in a circle: split the shared part into a file both import.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'module-api',
      comment:
        "Another module's files are private: import its public API, shared/<module>/index.ts, not a file inside it.",
      severity: 'error',
      from: { path: '^(shared/([^/]+)/|cli/|functions/|infra/|events/|bench/)' },
      to: {
        path: '^shared/([^/]+)/.+',
        pathNot: ['^shared/$2/', '^shared/[^/]+/index\\.ts$', '^shared/report/client/'],
      },
    },
    {
      name: 'sdk-in-adapters',
      comment:
        'Only shared/aws loads the AWS SDK: everything below it stays free of it at load time (the CLI, the bench, cold starts).',
      severity: 'error',
      from: { path: '^shared/', pathNot: '^shared/aws/' },
      to: { path: 'node_modules/@aws-sdk/' },
    },
    {
      name: 'core-stands-alone',
      comment:
        'shared/ is the domain core: it never imports the CLI, the functions, the CDK app, events, bench or tests.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(cli|functions|infra|events|bench|test)/' },
    },
    {
      name: 'functions-are-thin',
      comment: 'Lambda entry points call into shared/ only.',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: '^(cli|infra|events|bench|test)/' },
    },
    {
      name: 'infra-reads-config',
      comment: 'The CDK app may read shared/ (config, field lists), never the CLI, functions code, events or tests.',
      severity: 'error',
      from: { path: '^infra/' },
      to: { path: '^(cli|functions|events|bench|test)/' },
    },
    {
      name: 'cli-and-events',
      comment: 'The CLI may use the scenario generator; events may use shared/ only.',
      severity: 'error',
      from: { path: '^(cli|events)/' },
      to: { path: '^(functions|infra|bench|test)/' },
    },
    {
      name: 'no-orphans',
      comment: 'A file nothing imports and that is no entry point: delete it, or import it.',
      severity: 'error',
      from: {
        orphan: true,
        pathNot: [
          '\\.d\\.ts$',
          '^(cli/main|infra/app|bench/[^/]+|functions/[^/]+/index|cli/docs-detections)\\.ts$',
          '^shared/report/client/',
        ],
      },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(cdk\\.out|test)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
