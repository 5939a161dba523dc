import type { AuditEvent } from '../../ingest';
import { actor, actorName, asObject, bodyOf, isSystemIdentity, objectName, pastTense, succeeded } from '../../kube';
import type { RuleDetector } from '../types';
import { baseEntities } from './lib/actor';
import { exampleEvent } from './lib/example-events';

const SECRET_WORD =
  '(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key(?:[_-]?id)?|private[_-]?key|credentials?|client[_-]?secret)';
/** Names that talk about a credential without holding one: `password_min_length`, `token_file`, `secret_name`. */
const ABOUT_ONLY =
  /(?:[_.-](?:min|max|length|policy|file|path|dir|ttl|expiry|expiration|enabled|header|name|ref|url|endpoint|type|mode|rotation|prefix|hash|algorithm)s?)$/i;
const NAME = new RegExp(`^[A-Za-z0-9_.-]*${SECRET_WORD}[A-Za-z0-9_.-]*$`, 'i');
/** `name = value`, `name: value`, `"name": "value"`, `NAME=value` lines inside a value. */
const ASSIGNMENT = new RegExp(
  `["']?([A-Za-z0-9_.-]*${SECRET_WORD}[A-Za-z0-9_.-]*)["']?\\s*[=:]\\s*["']?([^\\s"',;]+)`,
  'gi',
);
const MATERIAL: [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/, 'an AWS access key id'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/, 'a JWT'],
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:[^\s/@]+@/i, 'a URL with a password'],
  [/\bgh[pousr]_[A-Za-z0-9]{36}\b/, 'a GitHub token'],
  [/\bxox[abpr]-[A-Za-z0-9-]{10,}/, 'a Slack token'],
];

/** A value that is a real credential, not a placeholder, a reference or a path. */
function looksLikeValue(value: string): boolean {
  const v = value.trim();
  if (v.length < 3) return false;
  if (/^(?:\$\{.*\}|\{\{.*\}\}|<.*>|%\(.*\)s?|\$[A-Z_]+|true|false|null|none|yes|no|\*+)$/i.test(v)) return false;
  return !v.startsWith('/') && !/^(?:file|env|vault|arn|secretsmanager|ssm):/i.test(v);
}

/**
 * The names of the keys (and of the settings inside their values) that look like credentials.
 * Only names are returned: the values stay in the log.
 */
function credentialKeys(data: Record<string, unknown>): string[] {
  const found: string[] = [];
  for (const [key, raw] of Object.entries(data)) {
    if (typeof raw !== 'string') continue;
    const inner = new Set<string>();
    if (NAME.test(key) && !ABOUT_ONLY.test(key) && !raw.includes('\n') && looksLikeValue(raw)) {
      found.push(key);
      continue;
    }
    for (const m of raw.matchAll(ASSIGNMENT)) {
      const name = m[1] as string;
      if (!ABOUT_ONLY.test(name) && looksLikeValue(m[2] as string)) inner.add(name);
    }
    for (const [pattern, what] of MATERIAL) if (pattern.test(raw)) inner.add(what);
    if (inner.size > 0) found.push(`${key} (${[...inner].slice(0, 6).join(', ')})`);
  }
  return found;
}

function configMap(data: Record<string, string>): Record<string, unknown> {
  return { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'app-config' }, data };
}

export const configmapCredentials: RuleDetector<AuditEvent> = {
  id: 'audit.configmap-credentials',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Credentials stored in a ConfigMap',
  description:
    'A ConfigMap was written with keys or values that look like credentials: passwords, AWS access keys, API ' +
    'tokens, private keys, URLs with a password. ConfigMaps are readable by far more identities than Secrets, are ' +
    "not encrypted with the cluster's KMS key, and end up in logs and backups. The finding names the keys, never the values.",
  severity: 'medium',
  mitre: ['T1552.007', 'T1552.001'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco: 'Create/Modify Configmap With Private Credentials',
    guardduty: 'none',
    elastic: 'none',
    sigma: 'none',
  },
  runbook:
    'Move the values to a Secret (or AWS Secrets Manager with the CSI driver), rotate every credential that was in ' +
    'the ConfigMap (it is in the audit log and in etcd backups), and check who could read ConfigMaps in the namespace.',

  detect(event) {
    const ref = event.objectRef;
    if (ref?.resource !== 'configmaps' || ref.subresource) return undefined;
    if (!['create', 'update', 'patch'].includes(event.verb) || !succeeded(event)) return undefined;
    const user = actor(event);
    if (isSystemIdentity(user)) return undefined;
    const data = asObject(bodyOf(event)?.data);
    if (!data) return undefined;
    const keys = credentialKeys(data);
    if (keys.length === 0) return undefined;
    return {
      summary: `${actorName(event)} ${pastTense(event.verb)} ConfigMap ${objectName(event)} with what look like credentials in ${keys.join('; ')}.`,
      entities: { ...baseEntities(event), keys },
      evidence: `${event.verb} ConfigMap ${objectName(event)}: credential-like keys ${keys.join('; ')} (values not copied)`,
      dedupeKey: objectName(event),
    };
  },

  examples: {
    fires: [
      exampleEvent({
        verb: 'create',
        resource: 'configmaps',
        namespace: 'default',
        name: 'my-config',
        requestObject: configMap({
          'access.properties': 'aws_access_key_id = MY-ID\naws_secret_access_key = MY-KEY\n',
        }),
      }),
      exampleEvent({
        verb: 'update',
        resource: 'configmaps',
        namespace: 'payments',
        name: 'app-config',
        requestObject: configMap({ DB_PASSWORD: 'hunter2hunter2', LOG_LEVEL: 'info' }),
      }),
      exampleEvent({
        verb: 'patch',
        resource: 'configmaps',
        namespace: 'payments',
        name: 'app-config',
        requestObject: { data: { DATABASE_URL: 'postgres://app:s3cr3t@db.internal:5432/app' } },
      }),
    ],
    quiet: [
      exampleEvent({
        verb: 'create',
        resource: 'configmaps',
        namespace: 'default',
        name: 'my-config',
        requestObject: configMap({ 'ui.properties': 'color.good=purple\ncolor.bad=yellow\nallow.textmode=true\n' }),
      }),
      exampleEvent({
        verb: 'create',
        resource: 'configmaps',
        namespace: 'payments',
        name: 'app-config',
        requestObject: configMap({
          PASSWORD_MIN_LENGTH: '12',
          TOKEN_FILE: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a placeholder, as it appears in a ConfigMap
          'api-key': '${API_KEY}',
          'secret-name': 'payments-db',
        }),
      }),
      exampleEvent({ verb: 'get', resource: 'configmaps', namespace: 'payments', name: 'app-config' }),
    ],
  },
};
