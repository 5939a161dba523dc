import type { FlowEdge } from '../../../network';
import { AddressClassifier, type NetworkEntity, workloadEntity } from '../../../network';

const classifier = new AddressClassifier(['10.0.0.0/16']);

/** Builds a flow edge for detector examples; the VPC is 10.0.0.0/16. */
export function exampleEdge(input: Partial<FlowEdge> & { client: string; server: string }): FlowEdge {
  return {
    scope: 'vpc-0example',
    serverPort: 443,
    protocol: 6,
    clientClass: classifier.classify(input.client, input.clientService),
    serverClass: classifier.classify(input.server, input.serverService),
    bytesToServer: 1200,
    bytesToClient: 5400,
    packets: 12,
    flows: 2,
    accepted: 2,
    rejected: 0,
    opened: 1,
    time: Date.parse('2026-11-09T10:00:00Z'),
    lastTime: Date.parse('2026-11-09T10:01:00Z'),
    origin: { uri: 'example', line: 2 },
    interfaceId: 'eni-0example',
    vpcId: 'vpc-0example',
    ...input,
  };
}

/** A workload entity for examples, with a pod name. */
export function exampleWorkload(namespace: string, name: string): NetworkEntity {
  return workloadEntity(namespace, name, { owner: `Deployment/${name}`, pod: `${name}-7d9c8b6f5d-x2k4q` });
}

/** A connection attempt answered by a RST (a closed port), as a scan produces. */
export function exampleProbe(
  client: string,
  server: string,
  serverPort: number,
  extra: Partial<FlowEdge> = {},
): FlowEdge {
  return exampleEdge({
    client,
    server,
    serverPort,
    bytesToServer: 44,
    bytesToClient: 40,
    packets: 2,
    flows: 2,
    accepted: 2,
    opened: 1,
    ...extra,
  });
}
