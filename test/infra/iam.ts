import type { RecordedRequest } from '../support/recording-proxy';
import type { SnsRequest } from '../support/sns-stub';
import type { SqsRequest } from '../support/sqs-stub';

/**
 * What a deployed function calls, held against what its role allows. The template's references
 * are resolved to local names (each resource is named after its logical id, so a local name maps
 * straight back to the resource), the calls recorded by the local engines become IAM actions on
 * ARNs, and the two are compared both ways: calls no statement allows, and grants no call used.
 */

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

type CfnTemplate = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

/** The local name of a resource: its logical id, lowercased where AWS wants lowercase (bucket names). */
export function localName(template: CfnTemplate, logicalId: string): string {
  return template.Resources[logicalId]?.Type === 'AWS::S3::Bucket' ? logicalId.toLowerCase() : logicalId;
}

const PSEUDO: Record<string, string> = {
  'AWS::AccountId': ACCOUNT,
  'AWS::Region': REGION,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'Driftwatch',
};

function refOf(template: CfnTemplate, id: string): string {
  const pseudo = PSEUDO[id];
  if (pseudo) return pseudo;
  const resource = template.Resources[id];
  if (!resource) throw new Error(`Ref to ${id}, which the template does not have`);
  const name = localName(template, id);
  // The Ref of a topic is its ARN; of a queue, its URL; of a table, bucket or anything else, its name.
  if (resource.Type === 'AWS::SNS::Topic') return `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`;
  if (resource.Type === 'AWS::SQS::Queue') return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`;
  return name;
}

function attributeOf(template: CfnTemplate, id: string, attribute: string): string {
  const resource = template.Resources[id];
  if (!resource) throw new Error(`Fn::GetAtt of ${id}, which the template does not have`);
  const name = localName(template, id);
  if (attribute === 'Arn') {
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
      case 'AWS::S3::Bucket':
        return `arn:aws:s3:::${name}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${ACCOUNT}:role/${name}`;
      default: {
        const service = resource.Type.split('::')[1]?.toLowerCase() ?? 'unknown';
        return `arn:aws:${service}:${REGION}:${ACCOUNT}:${name}`;
      }
    }
  }
  return `${name}.${attribute}`;
}

const NO_VALUE = Symbol('AWS::NoValue');

/** Evaluates a CloudFormation value with every resource named locally. */
export function resolveValue(template: CfnTemplate, value: unknown): unknown {
  const resolved = evaluate(template, value);
  return resolved === NO_VALUE ? undefined : resolved;
}

function evaluate(template: CfnTemplate, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => evaluate(template, v)).filter((v) => v !== NO_VALUE);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  const [key, arg] = Object.entries(record)[0] ?? [];
  const text = (v: unknown) => String(evaluate(template, v));
  switch (key) {
    case 'Ref':
      return arg === 'AWS::NoValue' ? NO_VALUE : refOf(template, arg as string);
    case 'Fn::GetAtt': {
      const [id, attribute] = (typeof arg === 'string' ? arg.split('.') : arg) as [string, string];
      return attributeOf(template, id, attribute);
    }
    case 'Fn::Join': {
      const [separator, parts] = arg as [string, unknown[]];
      return parts.map(text).join(separator);
    }
    case 'Fn::Sub': {
      const [body, variables] = (typeof arg === 'string' ? [arg, {}] : arg) as [string, Record<string, unknown>];
      return body.replace(/\$\{([^}]+)\}/g, (_, name: string) =>
        name in variables
          ? text(variables[name])
          : name.includes('.')
            ? attributeOf(template, ...(name.split('.') as [string, string]))
            : refOf(template, name),
      );
    }
    case 'Fn::Select': {
      const [index, list] = arg as [number | string, unknown];
      return (evaluate(template, list) as unknown[])[Number(index)];
    }
    case 'Fn::Split': {
      const [separator, source] = arg as [string, unknown];
      return text(source).split(separator);
    }
    default:
      if (key?.startsWith('Fn::')) throw new Error(`cannot resolve ${key} locally`);
      return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, evaluate(template, v)]));
  }
}

/** One IAM call: an action on a resource, and the request it came from. */
export interface AwsCall {
  readonly action: string;
  readonly resource: string;
  /** The API operation, e.g. `HeadObject` (authorized as s3:GetObject). */
  readonly operation: string;
  /** DynamoDB: the partition keys the request touches (the condition key `dynamodb:LeadingKeys`). */
  readonly leadingKeys?: readonly string[];
}

type AttributeMap = Record<string, { S?: string } | undefined>;

/** The partition keys (`pk`) a DynamoDB request names, per table. */
function leadingKeysOf(operation: string, body: Record<string, unknown>, table: string): string[] {
  const pk = (item: unknown) => (item as AttributeMap | undefined)?.pk?.S;
  const keys: (string | undefined)[] = [];
  switch (operation) {
    case 'PutItem':
      keys.push(pk(body.Item));
      break;
    case 'GetItem':
    case 'UpdateItem':
    case 'DeleteItem':
      keys.push(pk(body.Key));
      break;
    case 'Query': {
      const placeholder = /\bpk = (:\w+)/.exec(String(body.KeyConditionExpression ?? ''))?.[1] ?? '';
      keys.push((body.ExpressionAttributeValues as AttributeMap | undefined)?.[placeholder]?.S);
      break;
    }
    case 'BatchWriteItem': {
      const writes = ((body.RequestItems as Record<string, unknown[]>)[table] ?? []) as {
        PutRequest?: { Item: unknown };
        DeleteRequest?: { Key: unknown };
      }[];
      for (const w of writes) keys.push(pk(w.PutRequest?.Item ?? w.DeleteRequest?.Key));
      break;
    }
    case 'BatchGetItem':
      for (const key of (body.RequestItems as Record<string, { Keys: unknown[] }>)[table]?.Keys ?? [])
        keys.push(pk(key));
      break;
    default:
      throw new Error(`no leading keys mapped for dynamodb:${operation}`);
  }
  if (keys.some((k) => k === undefined)) throw new Error(`dynamodb:${operation} without a string pk`);
  return [...new Set(keys as string[])];
}

/** DynamoDB requests (JSON protocol) as IAM calls: the operation is the `X-Amz-Target`, the table from the body. */
export function dynamoCalls(requests: readonly RecordedRequest[]): AwsCall[] {
  return requests.flatMap((request) => {
    const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1];
    if (!operation) throw new Error(`DynamoDB request without X-Amz-Target: ${request.method} ${request.url}`);
    const body = JSON.parse(request.body || '{}') as { TableName?: string; RequestItems?: Record<string, unknown> };
    const tables = body.TableName ? [body.TableName] : Object.keys(body.RequestItems ?? {});
    return tables.map((table) => ({
      action: `dynamodb:${operation}`,
      resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${table}`,
      operation,
      leadingKeys: leadingKeysOf(operation, body, table),
    }));
  });
}

/** SQS requests (JSON protocol) as IAM calls on the queue their URL names. */
export function sqsCalls(requests: readonly SqsRequest[]): AwsCall[] {
  return requests.map((request) => ({
    action: `sqs:${request.action}`,
    resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:${request.queueUrl?.split('/').pop() ?? ''}`,
    operation: request.action,
  }));
}

/** S3 requests (REST, path-style) as IAM calls, from the method, the path and the query. */
export function s3Calls(requests: readonly RecordedRequest[]): AwsCall[] {
  return requests.map((request) => {
    const url = new URL(request.url, 'http://s3.local');
    const [bucket = '', ...rest] = url.pathname.slice(1).split('/');
    const key = rest.map(decodeURIComponent).join('/');
    const versioned = url.searchParams.has('versionId');
    const object = `arn:aws:s3:::${bucket}/${key}`;
    if (key && (request.method === 'GET' || request.method === 'HEAD')) {
      const operation = request.method === 'GET' ? 'GetObject' : 'HeadObject';
      // HeadObject is authorized as s3:GetObject; either on a version as s3:GetObjectVersion.
      return { action: versioned ? 's3:GetObjectVersion' : 's3:GetObject', resource: object, operation };
    }
    if (key && request.method === 'PUT') return { action: 's3:PutObject', resource: object, operation: 'PutObject' };
    if (!key && request.method === 'GET') {
      return { action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}`, operation: 'ListObjectsV2' };
    }
    throw new Error(`no IAM action mapped for S3 ${request.method} ${request.url}`);
  });
}

/** SNS requests as IAM calls: PublishBatch is authorized as sns:Publish. */
export function snsCalls(requests: readonly SnsRequest[]): AwsCall[] {
  return requests.map((request) => ({
    action: request.action === 'PublishBatch' ? 'sns:Publish' : `sns:${request.action}`,
    resource: request.topicArn ?? '',
    operation: request.action,
  }));
}

/** One statement of a role's identity policies, its references resolved. */
export interface RoleStatement {
  /** The logical id of the policy it belongs to (or of the role, for an inline policy). */
  readonly policy: string;
  readonly effect: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** `ForAllValues:StringLike` on `dynamodb:LeadingKeys`: every partition key a call touches must match one. */
  readonly leadingKeys?: readonly string[];
}

/** The one condition this check reads: DynamoDB leading keys. Anything else it cannot judge. */
function leadingKeysCondition(policy: string, condition: unknown): string[] {
  const operators = Object.entries(condition as Record<string, Record<string, unknown>>);
  const keys = operators.length === 1 ? operators[0] : undefined;
  const patterns = keys?.[0] === 'ForAllValues:StringLike' ? keys[1]['dynamodb:LeadingKeys'] : undefined;
  if (!keys || Object.keys(keys[1]).length !== 1 || patterns === undefined) {
    throw new Error(`${policy}: a condition other than dynamodb:LeadingKeys; teach this check to read it`);
  }
  return (Array.isArray(patterns) ? patterns : [patterns]).map(String);
}

/** Every statement attached to the role of the function `functionId`: policies naming the role and its inline policies. */
export function functionRoleStatements(template: CfnTemplate, functionId: string): RoleStatement[] {
  const fn = template.Resources[functionId];
  const role = (fn?.Properties?.Role as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
  if (!role) throw new Error(`${functionId} has no role of the template's own`);
  const roleProps = template.Resources[role]?.Properties ?? {};
  if (roleProps.ManagedPolicyArns) throw new Error(`${role} has managed policies; this check reads only statements`);
  const documents: { policy: string; document: unknown }[] = [
    ...((roleProps.Policies ?? []) as { PolicyDocument: unknown }[]).map((p) => ({
      policy: role,
      document: p.PolicyDocument,
    })),
    ...Object.entries(template.Resources)
      .filter(
        ([, r]) =>
          r.Type === 'AWS::IAM::Policy' &&
          ((r.Properties?.Roles ?? []) as { Ref?: string }[]).some((ref) => ref.Ref === role),
      )
      .map(([id, r]) => ({ policy: id, document: r.Properties?.PolicyDocument })),
  ];
  const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);
  return documents.flatMap(({ policy, document }) =>
    asArray((document as { Statement: unknown }).Statement).map((raw) => {
      const s = raw as Record<string, unknown>;
      for (const unsupported of ['NotAction', 'NotResource', 'Principal']) {
        if (unsupported in s)
          throw new Error(`${policy}: a statement with ${unsupported}; teach this check to read it`);
      }
      return {
        policy,
        effect: s.Effect as 'Allow' | 'Deny',
        actions: asArray(s.Action) as string[],
        resources: asArray(resolveValue(template, s.Resource)).map(String),
        ...(s.Condition ? { leadingKeys: leadingKeysCondition(policy, s.Condition) } : {}),
      };
    }),
  );
}

/** IAM's wildcards: `*` any run of characters, `?` one; actions compare without case, ARNs with. */
export function iamMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, ignoreCase ? 'i' : '').test(value);
}

/** ForAllValues: a call with no leading keys (not DynamoDB) is never allowed by a leading-keys statement. */
const keysAllowed = (patterns: readonly string[] | undefined, call: AwsCall) =>
  patterns === undefined || call.leadingKeys?.every((key) => patterns.some((p) => iamMatch(p, key))) === true;

const allows = (s: RoleStatement, call: AwsCall) =>
  s.actions.some((a) => iamMatch(a, call.action, true)) &&
  s.resources.some((r) => iamMatch(r, call.resource)) &&
  keysAllowed(s.leadingKeys, call);

/** A grant the function's run is not expected to use, and why it is there anyway. */
export interface Allowance {
  readonly action: string;
  /** A pattern (IAM wildcards) of the granted resources this covers; every resource when absent. */
  readonly resource?: string;
  readonly why: string;
}

/** One action on one resource pattern, as granted. */
export interface Grant {
  readonly action: string;
  readonly resource: string;
  readonly policy: string;
  readonly leadingKeys?: readonly string[];
}

export interface RoleCheck {
  /** Calls the role does not allow: each would fail with AccessDenied in AWS. */
  readonly denied: AwsCall[];
  /** Grants no call used and an allowance explains. */
  readonly unusedExplained: Grant[];
  /** Grants no call used and nothing explains: more than the function needs. */
  readonly unusedUnexplained: Grant[];
}

/** Holds the calls a function made against its role's statements, both ways. */
export function checkRole(
  statements: readonly RoleStatement[],
  calls: readonly AwsCall[],
  allowances: readonly Allowance[],
): RoleCheck {
  const denied = calls.filter(
    (call) =>
      !statements.some((s) => s.effect === 'Allow' && allows(s, call)) ||
      statements.some((s) => s.effect === 'Deny' && allows(s, call)),
  );
  const grants = statements
    .filter((s) => s.effect === 'Allow')
    .flatMap((s) =>
      s.actions.flatMap((action) =>
        s.resources.map((resource) => ({
          action,
          resource,
          policy: s.policy,
          ...(s.leadingKeys ? { leadingKeys: s.leadingKeys } : {}),
        })),
      ),
    );
  const unused = grants.filter(
    (g) =>
      !calls.some(
        (c) => iamMatch(g.action, c.action, true) && iamMatch(g.resource, c.resource) && keysAllowed(g.leadingKeys, c),
      ),
  );
  const explained = (g: Grant) => allowances.some((a) => explains(a, g));
  return {
    denied: uniqueCalls(denied),
    unusedExplained: unused.filter(explained),
    unusedUnexplained: unused.filter((g) => !explained(g)),
  };
}

/** True when the allowance covers the grant: the same action, on a resource its pattern matches. */
export function explains(allowance: Allowance, grant: Grant): boolean {
  return (
    allowance.action === grant.action &&
    (allowance.resource === undefined || iamMatch(allowance.resource, grant.resource))
  );
}

/** Calls once each, by action and resource. */
export function uniqueCalls(calls: readonly AwsCall[]): AwsCall[] {
  const seen = new Map<string, AwsCall>();
  for (const call of calls) seen.set(`${call.action} ${call.resource}`, call);
  return [...seen.values()];
}
