import type { Endpoint } from '../../alert';
import type { FlowEdge } from '../../network';
import { isInternal } from '../../network';
import type { CorrelationDetector, CorrelationSide, CorrelationSighting, DetectContext } from '../types';
import { edgeEvidence, edgeRoles, protocolName } from './lib/describe';
import { exampleEdge, exampleWorkload } from './lib/example-edges';

const INTERNET = 'internet';

function labelOf(entity: FlowEdge['clientEntity'], address: string): string {
  return entity?.label ?? address;
}

/** The side of an edge into an internal address from the internet, or from a public entry point. */
function publicSide(edge: FlowEdge, context: DetectContext): CorrelationSide | undefined {
  if (!isInternal(edge.serverClass) || edge.accepted === 0) return undefined;
  const fromInternet = edge.clientClass === 'public' && !context.knownNetworks.contains(edge.client);
  // An entry point's interface logs only its own traffic: an internal client there is the entry point.
  const entry =
    isInternal(edge.clientClass) &&
    (edge.clientEntity?.entryPoint === true ||
      context.network.entryPoint(edge.client) !== undefined ||
      (edge.interfaceId !== undefined && context.network.entryInterfaces.has(edge.interfaceId)));
  if (!fromInternet && !entry) return undefined;
  const workload = edge.serverEntity?.id ?? `ip:${edge.server}`;
  // All of the internet is one source: one sighting per workload, however many clients it has.
  const source = fromInternet ? 'internet' : (edge.clientEntity?.id ?? edge.client);
  return {
    side: 'first',
    key: workload,
    value: source,
    facts: {
      workload: labelOf(edge.serverEntity, edge.server),
      // Through an entry point the public source is any of its clients (the engine names one when it can).
      publicSource: fromInternet
        ? labelOf(edge.clientEntity, edge.client)
        : `${INTERNET} via ${labelOf(edge.clientEntity, edge.client)}`,
      ...(fromInternet ? { publicAddress: edge.client } : { entryPoint: labelOf(edge.clientEntity, edge.client) }),
    },
  };
}

/** The side of an edge from an internal address to something sensitive. */
function sensitiveSide(edge: FlowEdge, context: DetectContext): CorrelationSide | undefined {
  if (!isInternal(edge.clientClass) || edge.accepted === 0) return undefined;
  const match = context.network.sensitive(edge.server, edge.serverClass, edge.serverPort, edge.protocol);
  if (!match) return undefined;
  const target = edge.serverEntity?.id ?? `ip:${edge.server}`;
  const port = edge.serverPort ?? 0;
  return {
    side: 'second',
    key: edge.clientEntity?.id ?? `ip:${edge.client}`,
    value: `${target}|${port}/${protocolName(edge.protocol)}`,
    facts: {
      workload: labelOf(edge.clientEntity, edge.client),
      sensitive:
        match.range && !edge.serverEntity
          ? `${match.range.label} (${edge.server})`
          : labelOf(edge.serverEntity, edge.server),
      address: edge.server,
      port,
      ...(match.range ? { range: match.range.label } : {}),
    },
  };
}

/** Accepted paths from config: a workload glob and what it may reach (a label, a CIDR, or `*`). */
function allowed(context: DetectContext, first: CorrelationSighting, second: CorrelationSighting): boolean {
  for (const entry of context.exposureAllowlist) {
    if (!entry.workload.matches(String(first.facts.workload))) continue;
    if (entry.to === '*' || entry.to === second.facts.range || entry.to === second.facts.sensitive) return true;
    if (entry.range?.lookup(String(second.facts.address))) return true;
  }
  return false;
}

export const exposurePath: CorrelationDetector<FlowEdge> = {
  id: 'net.exposure-path',
  kind: 'correlation',
  source: 'vpc-flow',
  title: 'Public-facing workload reaches a sensitive resource',
  description:
    'A workload that receives traffic from the internet (directly, or through a load balancer) also opens ' +
    'connections to a sensitive resource: a database, cache, search engine, Vault or etcd port, or a range ' +
    'configured as sensitive. Whoever compromises the public-facing workload is one hop from the data.',
  severity: 'high',
  mitre: ['T1190', 'T1210'],
  dedupeMinutes: 24 * 60,
  equivalents: { falco: 'none', guardduty: 'none', elastic: 'none', sigma: 'none' },
  runbook:
    'Check whether the workload is meant to reach the resource (a web tier talking straight to its database). If ' +
    'not, find the change (a new release, a NetworkPolicy or security group edit) and revert it. If it is meant, ' +
    'put a service in between or restrict the connection, and accept the path under network.exposure.allow.',

  windowMinutes(context) {
    return context.config.network.exposure.windowDays * 24 * 60;
  },
  uses: ['flow-direction'],

  sides(edge, context) {
    const out: CorrelationSide[] = [];
    const first = publicSide(edge, context);
    if (first) out.push(first);
    const second = sensitiveSide(edge, context);
    if (second) out.push(second);
    return out.length > 0 ? out : undefined;
  },

  describe(key, first, second, sample, context) {
    if (allowed(context, first, second)) return undefined;
    const workload = String(second.facts.workload);
    const sensitive = String(second.facts.sensitive);
    const port = Number(second.facts.port);
    const entry = first.facts.entryPoint === undefined ? undefined : String(first.facts.entryPoint);
    // Through an entry point, a public client of it seen at the same time stands for the internet.
    const upstream = entry ? first.upstream : undefined;
    const publicSource = String(upstream?.facts.publicSource ?? first.facts.publicSource);
    const publicAddress = upstream?.facts.publicAddress ?? first.facts.publicAddress;
    const path = [publicSource, ...(entry ? [entry] : []), workload, sensitive];
    const target = second.value.slice(0, second.value.lastIndexOf('|'));
    const hops: Endpoint[] = [
      publicAddress !== undefined ? { address: String(publicAddress), name: publicSource } : { name: publicSource },
      ...(entry ? [{ entity: first.value, name: entry }] : []),
      { entity: key, name: workload },
      {
        address: String(second.facts.address),
        ...(target.startsWith('ip:') ? {} : { entity: target }),
        name: sensitive,
      },
    ];
    return {
      summary:
        `${workload} receives traffic from ${entry ? `the internet (${publicSource}) through ${entry}` : publicSource} ` +
        `and connects to ${sensitive} on port ${port}: ${path.join(' -> ')}:${port}.`,
      entities: {
        srcAddr: sample.client,
        dstAddr: sample.server,
        dstPort: sample.serverPort,
        protocol: sample.protocol,
        interfaceId: sample.interfaceId,
        vpcId: sample.vpcId,
        workload,
        workloadId: key,
        sensitive,
        sensitiveAddress: second.facts.address,
        ...(publicAddress !== undefined ? { publicAddress } : {}),
        path,
        exposure: { publicSource, ...(entry ? { entryPoint: entry } : {}), workload, sensitive, port },
      },
      roles: { ...edgeRoles(sample), path: hops },
      evidence:
        `public side: ${workload} reached from ${entry ?? publicSource} between ${new Date(first.firstTime).toISOString()} ` +
        `and ${new Date(first.lastTime).toISOString()}; sensitive side: ${edgeEvidence(sample)}`,
      dedupeKey: `${sample.scope}|${key}|${second.value}`,
    };
  },

  examples: {
    config: {
      network: {
        entryPoints: { cidrs: [{ cidr: '10.0.0.0/24', label: 'alb' }] },
        sensitive: { cidrs: [{ cidr: '10.0.200.0/24', label: 'rds-subnets' }] },
        exposure: {
          allow: [
            { workload: 'shop/cart', to: 'rds-subnets' },
            { workload: 'shop/admin-*', to: '10.0.200.0/28' },
          ],
        },
      },
    },
    fires: [
      // A customer reaches the load balancer, which forwards to the web tier, which reaches the database.
      [
        exampleEdge({ client: '198.51.100.9', server: '10.0.0.37', serverPort: 443 }),
        exampleEdge({
          client: '10.0.0.37',
          server: '10.0.1.57',
          serverPort: 8080,
          serverEntity: exampleWorkload('shop', 'web'),
        }),
        exampleEdge({
          client: '10.0.1.57',
          server: '10.0.200.10',
          serverPort: 5432,
          clientEntity: exampleWorkload('shop', 'web'),
        }),
      ],
      // Through the load balancer, then to the database.
      [
        exampleEdge({
          client: '10.0.0.37',
          server: '10.0.1.57',
          serverPort: 8080,
          serverEntity: exampleWorkload('shop', 'web'),
        }),
        exampleEdge({
          client: '10.0.1.57',
          server: '10.0.200.10',
          serverPort: 5432,
          clientEntity: exampleWorkload('shop', 'web'),
        }),
      ],
      // Straight from the internet, then to Redis (a sensitive port anywhere inside), the other way round.
      [
        exampleEdge({ client: '10.0.3.7', server: '10.0.2.9', serverPort: 6379 }),
        exampleEdge({ client: '198.51.100.9', server: '10.0.3.7', serverPort: 9090 }),
      ],
    ],
    quiet: [
      // Public-facing, but only talks to other services; internal-only, but talks to the database.
      [
        exampleEdge({
          client: '10.0.0.37',
          server: '10.0.1.57',
          serverPort: 8080,
          serverEntity: exampleWorkload('shop', 'web'),
        }),
        exampleEdge({
          client: '10.0.1.57',
          server: '10.0.2.31',
          serverPort: 8080,
          clientEntity: exampleWorkload('shop', 'web'),
        }),
      ],
      [
        exampleEdge({
          client: '10.0.2.20',
          server: '10.0.200.10',
          serverPort: 5432,
          clientEntity: exampleWorkload('payments', 'api'),
        }),
        exampleEdge({
          client: '10.0.1.57',
          server: '10.0.2.20',
          serverPort: 8443,
          serverEntity: exampleWorkload('payments', 'api'),
        }),
      ],
      // Rejected at the database; an accepted path.
      [
        exampleEdge({
          client: '10.0.0.37',
          server: '10.0.1.57',
          serverPort: 8080,
          serverEntity: exampleWorkload('shop', 'web'),
        }),
        exampleEdge({
          client: '10.0.1.57',
          server: '10.0.200.10',
          serverPort: 5432,
          clientEntity: exampleWorkload('shop', 'web'),
          accepted: 0,
          rejected: 2,
        }),
      ],
      [
        exampleEdge({
          client: '10.0.0.37',
          server: '10.0.1.80',
          serverPort: 8080,
          serverEntity: exampleWorkload('shop', 'cart'),
        }),
        exampleEdge({
          client: '10.0.1.80',
          server: '10.0.200.10',
          serverPort: 5432,
          clientEntity: exampleWorkload('shop', 'cart'),
        }),
      ],
      // Accepted by a workload glob and a CIDR.
      [
        exampleEdge({
          client: '10.0.0.37',
          server: '10.0.1.81',
          serverPort: 8080,
          serverEntity: exampleWorkload('shop', 'admin-ui'),
        }),
        exampleEdge({
          client: '10.0.1.81',
          server: '10.0.200.10',
          serverPort: 5432,
          clientEntity: exampleWorkload('shop', 'admin-ui'),
        }),
      ],
    ],
  },
};
