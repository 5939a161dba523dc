/**
 * Removes secret-looking values from text that goes into findings, alerts and logs: `KEY=value`
 * and `--password value` forms whose key names a secret, bearer tokens, JWTs, AWS secret and
 * session keys, private-key blocks, and credentials in URLs. What remains keeps its shape, so an
 * analyst still sees what was done.
 */
const SECRET_NAME = '(?:pass(?:word|wd)?|pwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential|auth)';
const RULES: [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[REDACTED PRIVATE KEY]'],
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [REDACTED]'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, '[REDACTED JWT]'],
  [/\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, '$1[REDACTED]'],
  [
    new RegExp(
      `([A-Za-z0-9_.-]*${SECRET_NAME}[A-Za-z0-9_.-]*)(\\s*(?:[=:]|%3[Dd]|%3[Aa])\\s*)("[^"]*"|'[^']*'|[^\\s&"',;%]+(?:%[0-9A-Fa-f]{2}[^\\s&"',;%]*)*)`,
      'gi',
    ),
    '$1$2[REDACTED]',
  ],
  [new RegExp(`(--?[A-Za-z0-9-]*${SECRET_NAME}[A-Za-z0-9-]*)(\\s+)(?!-)(\\S+)`, 'gi'), '$1$2[REDACTED]'],
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/:@]+:[^\s/@]+@/gi, '$1[REDACTED]@'],
  [/\b[A-Za-z0-9/+]{40}\b(?=[^A-Za-z0-9/+]|$)/g, '[REDACTED 40-CHAR KEY]'],
];

export function redact(text: string): string {
  let out = text;
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement);
  return out;
}

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Makes a string from a log safe to print on a terminal or in an email: control characters,
 * ANSI escapes and bidirectional overrides are shown as escapes, and length is bounded.
 */
export function printable(text: string, max = 512): string {
  const cleaned = text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return cleaned.length > max ? `${cleaned.slice(0, max - 1)}…` : cleaned;
}
