import type { AuditEvent, AuditUser, ObjectReference } from '../../../ingest';

/** Builds audit events for detector examples: sensible defaults, overridden per example. */
export interface ExampleEventInput {
  verb?: string;
  user?: string | Partial<AuditUser>;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  apiGroup?: string;
  requestUri?: string;
  requestObject?: unknown;
  responseObject?: unknown;
  responseCode?: number;
  decision?: string;
  sourceIps?: string[];
  userAgent?: string;
  time?: string;
  stage?: string;
  impersonatedUser?: string;
  cluster?: string;
  auditId?: string;
}

let counter = 0;

export function exampleEvent(input: ExampleEventInput = {}): AuditEvent {
  counter++;
  const user: AuditUser =
    typeof input.user === 'string' || input.user === undefined
      ? { username: input.user ?? 'alice@example.com', groups: ['system:authenticated'] }
      : { username: 'alice@example.com', groups: ['system:authenticated'], ...input.user };
  const objectRef: ObjectReference = {
    resource: input.resource ?? 'pods',
    subresource: input.subresource,
    namespace: input.namespace,
    name: input.name,
    apiGroup: input.apiGroup,
    apiVersion: 'v1',
  };
  const path = input.namespace
    ? `/api/v1/namespaces/${input.namespace}/${objectRef.resource}${input.name ? `/${input.name}` : ''}${input.subresource ? `/${input.subresource}` : ''}`
    : `/api/v1/${objectRef.resource}${input.name ? `/${input.name}` : ''}`;
  return {
    auditId: input.auditId ?? `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    cluster: input.cluster ?? 'example',
    time: Date.parse(input.time ?? '2026-11-09T10:00:00Z'),
    stage: input.stage ?? 'ResponseComplete',
    verb: input.verb ?? 'get',
    requestUri: input.requestUri ?? path,
    user,
    impersonatedUser: input.impersonatedUser ? { username: input.impersonatedUser, groups: [] } : undefined,
    sourceIps: input.sourceIps ?? ['10.0.1.15'],
    userAgent: input.userAgent ?? 'kubectl/v1.31.0 (linux/amd64) kubernetes/abc1234',
    objectRef,
    responseCode: input.responseCode ?? 200,
    decision: input.decision ?? 'allow',
    requestObject: input.requestObject,
    responseObject: input.responseObject,
    origin: { uri: 'example', line: counter },
  };
}

/** A Deployment body with the given container images. */
export function deploymentBody(name: string, images: string[]): Record<string, unknown> {
  return {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name },
    spec: {
      template: {
        spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
      },
    },
  };
}

/** A Pod body with the given container images. */
export function podBody(name: string, images: string[]): Record<string, unknown> {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { name },
    spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
  };
}
