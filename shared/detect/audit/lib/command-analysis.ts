import ipaddr from 'ipaddr.js';
import type { AuditEvent } from '../../../ingest';
import { asObject, bodyOf } from '../../../kube';

/** The command of an exec, decoded from the repeated `command=` query parameters. */
function execCommand(requestUri: string): string | undefined {
  const query = requestUri.indexOf('?');
  if (query === -1) return undefined;
  const params = new URLSearchParams(requestUri.slice(query + 1));
  const parts = params.getAll('command');
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/** The command and arguments of the last ephemeral container an event adds (`kubectl debug`). */
function ephemeralCommand(event: AuditEvent): string | undefined {
  const spec = asObject(bodyOf(event)?.spec);
  const list = Array.isArray(spec?.ephemeralContainers) ? spec.ephemeralContainers : [];
  const last = asObject(list[list.length - 1]);
  if (!last) return undefined;
  const words = [last.command, last.args].flatMap((part) =>
    Array.isArray(part) ? part.filter((w): w is string => typeof w === 'string') : [],
  );
  return words.length > 0 ? words.join(' ') : undefined;
}

/** What an exec or debug session runs: the exec command, else the ephemeral container's command. */
export function sessionCommand(event: AuditEvent): string | undefined {
  return execCommand(event.requestUri) ?? ephemeralCommand(event);
}

export type CommandRiskKind =
  | 'reverse-shell'
  | 'metadata-service'
  | 'service-account-token'
  | 'credential-file'
  | 'download-and-execute'
  | 'encoded-script'
  | 'network-fetch';

export interface CommandRisk {
  kind: CommandRiskKind;
  /** What was recognised, in words (never the secret itself). */
  detail: string;
}

/** The risks that make a command worth more than a look, most serious first. */
export const HIGH_RISKS: ReadonlySet<CommandRiskKind> = new Set([
  'reverse-shell',
  'metadata-service',
  'service-account-token',
  'credential-file',
  'download-and-execute',
  'encoded-script',
]);

const SHELL = String.raw`(?:/(?:usr/)?bin/)?(?:ba|z|da|k|a)?sh\b`;

const REVERSE_SHELLS: [RegExp, string][] = [
  [/\/dev\/(?:tcp|udp)\/[^\s/]+\/\d+/, 'a shell redirected to /dev/tcp'],
  [/\/inet\/(?:tcp|udp)\//, 'awk /inet/tcp socket'],
  [
    /\b(?:nc|ncat|netcat|nc\.traditional|nc\.openbsd)\b[^|;&]*\s(?:-[a-z]*[ec]\b|--exec|--sh-exec|--lua-exec)/,
    'netcat running a program',
  ],
  [/\bsocat\b.*\b(?:exec|system):/, 'socat running a program'],
  [/\bsocat\b.*\b(?:tcp[46]?(?:-connect)?|openssl(?:-connect)?):[^\s]+:\d+/, 'socat connecting out'],
  [/\bmkfifo\b.*\b(?:nc|ncat|netcat|openssl|telnet)\b/, 'a named pipe wired to a network client'],
  [new RegExp(String.raw`\b(?:openssl\s+s_client|telnet)\b.*\|\s*${SHELL}`), 'a network client piped to a shell'],
  [/\bpython[0-9.]*\b.*\bsocket\b.*\b(?:subprocess|pty|os\.dup2|connect)\b/, 'a python socket shell'],
  [/\bpython[0-9.]*\b.*\bpty\.spawn\b/, 'a python pty shell'],
  [/\bperl\b.*\b(?:socket|io::socket)\b/, 'a perl socket shell'],
  [/\bphp\b.*\bfsockopen\b/, 'a php socket shell'],
  [/\bruby\b.*(?:-rsocket|tcpsocket)/, 'a ruby socket shell'],
  [/\b(?:node|nodejs)\b.*\bnet\.socket\b.*\bchild_process\b/, 'a node socket shell'],
  [/\b(?:ba)?sh\s+-i\b.*[<>]&\s*\d/, 'an interactive shell with redirected descriptors'],
];

const TOKEN_PATHS: [RegExp, string][] = [
  [/\/(?:var\/)?run\/secrets\/kubernetes\.io\/serviceaccount\b/, 'the Kubernetes service account token'],
  [/\/(?:var\/)?run\/secrets\/eks\.amazonaws\.com\/serviceaccount\b/, 'the IRSA web identity token'],
  [/\/(?:var\/)?run\/secrets\/pods\.eks\.amazonaws\.com\/serviceaccount\b/, 'the EKS Pod Identity token'],
  [/\baws_container_authorization_token_file\b/, 'the EKS Pod Identity token'],
];

const CREDENTIAL_PATHS: [RegExp, string][] = [
  [/\/var\/lib\/kubelet\b/, 'the kubelet credentials (/var/lib/kubelet)'],
  [/\/etc\/kubernetes\b/, 'the node Kubernetes configuration (/etc/kubernetes)'],
  [/(?:^|[\s'"=:])(?:~|\/root|\/home\/[^/\s]+)?\/\.kube\/config\b/, 'a kubeconfig'],
  [/(?:^|[\s'"=:])(?:~|\/root|\/home\/[^/\s]+)?\/\.aws\/credentials\b/, 'AWS credentials (~/.aws/credentials)'],
  [/\/etc\/shadow\b/, 'the host password hashes (/etc/shadow)'],
  [/\/proc\/(?:1|self|\d+)\/environ\b/, 'process environment (/proc/*/environ)'],
];

const FETCHERS = /\b(?:curl|wget|aria2c|axel|lwp-download|lwp-request|tftp|ftp|scp|rsync)\b/;
const SCRIPTED_FETCH =
  /\b(?:python[0-9.]*|perl|ruby|php|node)\b.*\b(?:urllib|urlopen|requests\.get|http\.client|lwp::simple|net::http|file_get_contents\(['"]https?:|https?\.get)\b/;
/** A download piped into a shell or an interpreter. */
const PIPE_TO_INTERPRETER = new RegExp(String.raw`\|\s*(?:sudo\s+)?${SHELL}|\|\s*(?:python[0-9.]*|perl|ruby|node)\b`);
/** A base64-decoded payload piped into a shell. */
const ENCODED_SCRIPT = new RegExp(String.raw`\bbase64\s+(?:-d|--decode|-di)\b[^|]*\|\s*${SHELL}`);
const LOCAL_ONLY = /^[^/]*(?:https?:\/\/)?(?:localhost|127\.0\.0\.1|\[::1\])(?::\d+)?(?:\/|\s|$)/;

/** The metadata endpoints a pod can steal the node's or another workload's cloud credentials from. */
const METADATA_V4: Record<string, string> = {
  '169.254.169.254': 'the EC2 instance metadata service',
  '169.254.170.2': 'the container credentials endpoint',
  '169.254.170.23': 'the EKS Pod Identity agent',
};
const METADATA_V6: Record<string, string> = {
  'fd00:ec2::254': 'the EC2 instance metadata service (IPv6)',
  'fd00:ec2::23': 'the EKS Pod Identity agent (IPv6)',
};
const METADATA_NAMES: [RegExp, string][] = [
  [/\binstance-data(?:\.ec2\.internal)?\b/, 'the EC2 instance metadata service (instance-data)'],
  [/\bmetadata\.google\.internal\b/, 'a cloud metadata service (metadata.google.internal)'],
  [
    /\/latest\/(?:meta-data|api\/token|user-data|dynamic\/instance-identity)\b/,
    'an instance metadata path (/latest/...)',
  ],
];

/**
 * Decodes percent-escapes that survive the query decoding (double-encoded payloads) and folds
 * case, so that patterns match however the command was written.
 */
function normalize(command: string): string {
  let text = command;
  for (let i = 0; i < 2 && /%[0-9a-f]{2}/i.test(text); i++) {
    text = text.replace(/%([0-9a-f]{2})/gi, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  }
  return text.toLowerCase();
}

/**
 * An IPv4 address written any way `inet_aton` accepts: one to four parts, each decimal, octal
 * (leading 0) or hex (0x), the last part filling the remaining bytes. `2852039166`,
 * `0xa9fea9fe`, `0251.0376.0251.0376` and `169.254.43518` are all 169.254.169.254.
 */
export function parseLooseIpv4(text: string): string | undefined {
  const parts = text.split('.');
  if (parts.length < 1 || parts.length > 4) return undefined;
  const values: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0x[0-9a-f]+$/i.test(part)) value = Number.parseInt(part.slice(2), 16);
    else if (/^0[0-7]*$/.test(part)) value = part.length > 1 ? Number.parseInt(part.slice(1), 8) : 0;
    else if (/^[1-9][0-9]*$/.test(part)) value = Number(part);
    else return undefined;
    if (!Number.isSafeInteger(value)) return undefined;
    values.push(value);
  }
  const last = values.pop() as number;
  if (values.some((v) => v > 255)) return undefined;
  const lastBytes = 4 - values.length;
  if (last >= 2 ** (8 * lastBytes)) return undefined;
  const bytes = [...values];
  for (let i = lastBytes - 1; i >= 0; i--) bytes.push(Math.floor(last / 2 ** (8 * i)) % 256);
  return bytes.join('.');
}

/** Which metadata endpoint a command reaches, however the address is written. */
export function metadataTarget(command: string): string | undefined {
  const text = normalize(command);
  for (const [pattern, what] of METADATA_NAMES) if (pattern.test(text)) return what;
  for (const token of text.match(/(?:0x[0-9a-f]+|\d+)(?:\.(?:0x[0-9a-f]+|\d+)){0,3}/g) ?? []) {
    const address = parseLooseIpv4(token);
    if (address && METADATA_V4[address]) return METADATA_V4[address];
  }
  for (const token of text.match(/[0-9a-f]*:[0-9a-f:.]*[0-9a-f]/g) ?? []) {
    if (!ipaddr.isValid(token)) continue;
    let parsed = ipaddr.parse(token);
    if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
      parsed = (parsed as ipaddr.IPv6).toIPv4Address();
    }
    const normalized = parsed.toString();
    const what = METADATA_V4[normalized] ?? METADATA_V6[normalized];
    if (what) return what;
  }
  return undefined;
}

/** What is risky about a command run in a container, most serious first; empty when nothing is. */
export function commandRisks(command: string): CommandRisk[] {
  const text = normalize(command);
  const risks: CommandRisk[] = [];
  const shell = REVERSE_SHELLS.find(([pattern]) => pattern.test(text));
  if (shell) risks.push({ kind: 'reverse-shell', detail: shell[1] });
  const metadata = metadataTarget(command);
  if (metadata) risks.push({ kind: 'metadata-service', detail: `reaches ${metadata}` });
  const token = TOKEN_PATHS.find(([pattern]) => pattern.test(text));
  if (token) risks.push({ kind: 'service-account-token', detail: `reads ${token[1]}` });
  const credential = CREDENTIAL_PATHS.find(([pattern]) => pattern.test(text));
  if (credential) risks.push({ kind: 'credential-file', detail: `reads ${credential[1]}` });
  const fetches = FETCHERS.test(text) || SCRIPTED_FETCH.test(text);
  if (fetches && PIPE_TO_INTERPRETER.test(text)) {
    risks.push({ kind: 'download-and-execute', detail: 'pipes a download into an interpreter' });
  }
  if (ENCODED_SCRIPT.test(text)) {
    risks.push({ kind: 'encoded-script', detail: 'runs a base64-encoded script' });
  }
  if (fetches && !risks.some((r) => r.kind === 'download-and-execute') && !fetchesOnlyLocally(text)) {
    risks.push({ kind: 'network-fetch', detail: 'fetches from the network' });
  }
  return risks;
}

/** `curl localhost:8080/health` and the like: a local check, not a download. */
function fetchesOnlyLocally(text: string): boolean {
  const urls = text.match(/\b(?:https?|ftp|tftp):\/\/[^\s'"]+|\b[a-z0-9.-]+\.[a-z]{2,}\/[^\s'"]*/g) ?? [];
  if (urls.length === 0) {
    const after = text.replace(/^.*?\b(?:curl|wget)\b/, '').trim();
    return after.length === 0 || /^(?:-[a-z-]+\s+)*(?:localhost|127\.0\.0\.1|\[::1\])/.test(after);
  }
  return urls.every((url) => LOCAL_ONLY.test(url));
}
