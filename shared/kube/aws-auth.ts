import type { AuditEvent } from '../ingest';
import { asObject, bodyOf } from './images';

/** One IAM identity mapped into the cluster by the aws-auth ConfigMap. */
export interface AwsAuthMapping {
  kind: 'role' | 'user' | 'account';
  arn: string;
  username?: string;
  groups: string[];
}

export function isAwsAuth(event: AuditEvent): boolean {
  const ref = event.objectRef;
  return (
    ref?.resource === 'configmaps' && ref.namespace === 'kube-system' && (ref.name ?? bodyName(event)) === 'aws-auth'
  );
}

function bodyName(event: AuditEvent): string | undefined {
  const name = asObject(bodyOf(event)?.metadata)?.name;
  return typeof name === 'string' ? name : undefined;
}

const KEYS = new Set(['rolearn', 'userarn', 'username', 'groups']);

function unquote(text: string): string {
  const t = text.trim();
  return (t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")) ? t.slice(1, -1) : t;
}

/**
 * Reads `mapRoles`, `mapUsers` or `mapAccounts`: YAML lists in the shape EKS documents (block or
 * flow style), or JSON. Tolerant: a line it does not understand is skipped, never fatal.
 */
export function parseMappings(text: string, kind: AwsAuthMapping['kind']): AwsAuthMapping[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      if (Array.isArray(parsed)) {
        return parsed.flatMap((item): AwsAuthMapping[] => {
          if (kind === 'account' && typeof item === 'string') return [{ kind, arn: item, groups: [] }];
          const o = asObject(item);
          const arn = o?.rolearn ?? o?.userarn;
          if (typeof arn !== 'string') return [];
          return [
            {
              kind,
              arn,
              username: typeof o?.username === 'string' ? o.username : undefined,
              groups: Array.isArray(o?.groups) ? o.groups.filter((g): g is string => typeof g === 'string') : [],
            },
          ];
        });
      }
    } catch {
      // Not JSON after all; read it as YAML below.
    }
  }
  const out: AwsAuthMapping[] = [];
  let current: AwsAuthMapping | undefined;
  let inGroups = false;
  for (const raw of trimmed.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '');
    if (!line.trim()) continue;
    const item = /^\s*-\s+(.*)$/.exec(line);
    const body = item ? (item[1] as string) : line.trim();
    const match = /^([A-Za-z]+)\s*:\s*(.*)$/.exec(body);
    const pair = match && KEYS.has((match[1] as string).toLowerCase()) ? match : undefined;
    if (item && inGroups && current && !pair) {
      current.groups.push(unquote(body));
      continue;
    }
    if (item && kind === 'account' && !pair) {
      out.push({ kind, arn: unquote(body), groups: [] });
      continue;
    }
    if (!pair) continue;
    const key = (pair[1] as string).toLowerCase();
    const value = (pair[2] as string).trim();
    if (item) {
      current = { kind, arn: '', groups: [] };
      out.push(current);
    }
    if (!current) continue;
    inGroups = false;
    if (key === 'rolearn' || key === 'userarn') current.arn = unquote(value);
    else if (key === 'username') current.username = unquote(value);
    else if (key === 'groups') {
      if (value.startsWith('[')) {
        current.groups.push(
          ...value
            .replace(/^\[|\]$/g, '')
            .split(',')
            .map(unquote)
            .filter(Boolean),
        );
      } else inGroups = true;
    }
  }
  return out.filter((m) => m.arn);
}

/** Every mapping a body of the aws-auth ConfigMap holds, or undefined when it holds no `data`. */
export function awsAuthMappings(body: unknown): AwsAuthMapping[] | undefined {
  const data = asObject(asObject(body)?.data);
  if (!data) return undefined;
  const out: AwsAuthMapping[] = [];
  if (typeof data.mapRoles === 'string') out.push(...parseMappings(data.mapRoles, 'role'));
  if (typeof data.mapUsers === 'string') out.push(...parseMappings(data.mapUsers, 'user'));
  if (typeof data.mapAccounts === 'string') out.push(...parseMappings(data.mapAccounts, 'account'));
  return out;
}

/** One mapping as one line, for diffs and evidence. */
export function mappingLine(m: AwsAuthMapping): string {
  if (m.kind === 'account') return `account ${m.arn}`;
  return `${m.kind} ${m.arn} as ${m.username ?? '(default name)'} in [${m.groups.join(', ')}]`;
}

/** Node roles map into system:nodes; anything in system:masters is a cluster administrator. */
export function isAdminMapping(m: AwsAuthMapping): boolean {
  return m.groups.includes('system:masters');
}
