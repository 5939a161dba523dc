import { answersFor, type CoverageEntry, type PeerCatalog } from './types';

const { covered, partial } = answersFor('guardduty-eks');

/** GuardDuty names one finding per tactic for the same caller; Driftwatch has one detector for each caller kind. */
const TACTICS = ['CredentialAccess', 'DefenseEvasion', 'Discovery', 'Impact', 'Persistence'] as const;

function callers(tactic: string): CoverageEntry[] {
  return [
    partial(
      `${tactic}:Kubernetes/MaliciousIPCaller`,
      ['audit.threat-intel-caller'],
      "Matches the threat lists Driftwatch is given (FireHOL level 1, Spamhaus DROP, your own); GuardDuty's own " +
        'threat intelligence is not public, so addresses only it knows are missed.',
    ),
    covered(
      `${tactic}:Kubernetes/MaliciousIPCaller.Custom`,
      ['audit.threat-intel-caller'],
      'Your own threat lists, in the threat-list location; denied, read and write calls at rising severity.',
    ),
    covered(
      `${tactic}:Kubernetes/SuccessfulAnonymousAccess`,
      ['audit.anonymous-access'],
      'Any allowed request by system:anonymous or system:unauthenticated beyond health and discovery.',
    ),
    covered(
      `${tactic}:Kubernetes/TorIPCaller`,
      ['audit.threat-intel-caller'],
      'With the Tor exit-node list (kept by the opt-in list fetcher, or downloaded for a local run).',
    ),
  ];
}

/** GuardDuty EKS Protection (audit log) finding types. */
export const GUARDDUTY_EKS: PeerCatalog = {
  peer: 'guardduty-eks',
  name: 'GuardDuty EKS audit-log finding types',
  source:
    'Amazon GuardDuty User Guide, "EKS Protection finding types" (guardduty-finding-types-eks-audit-logs): every ' +
    'finding type on the page, including PrivilegeEscalation:Kubernetes/PrivilegedContainer and ' +
    'Persistence:Kubernetes/ContainerWithSensitiveMount, which the guide now also lists as retired.',
  rules: [
    'CredentialAccess:Kubernetes/MaliciousIPCaller',
    'CredentialAccess:Kubernetes/MaliciousIPCaller.Custom',
    'CredentialAccess:Kubernetes/SuccessfulAnonymousAccess',
    'CredentialAccess:Kubernetes/TorIPCaller',
    'DefenseEvasion:Kubernetes/MaliciousIPCaller',
    'DefenseEvasion:Kubernetes/MaliciousIPCaller.Custom',
    'DefenseEvasion:Kubernetes/SuccessfulAnonymousAccess',
    'DefenseEvasion:Kubernetes/TorIPCaller',
    'Discovery:Kubernetes/MaliciousIPCaller',
    'Discovery:Kubernetes/MaliciousIPCaller.Custom',
    'Discovery:Kubernetes/SuccessfulAnonymousAccess',
    'Discovery:Kubernetes/TorIPCaller',
    'Impact:Kubernetes/MaliciousIPCaller',
    'Impact:Kubernetes/MaliciousIPCaller.Custom',
    'Impact:Kubernetes/SuccessfulAnonymousAccess',
    'Impact:Kubernetes/TorIPCaller',
    'Persistence:Kubernetes/MaliciousIPCaller',
    'Persistence:Kubernetes/MaliciousIPCaller.Custom',
    'Persistence:Kubernetes/SuccessfulAnonymousAccess',
    'Persistence:Kubernetes/TorIPCaller',
    'Execution:Kubernetes/ExecInKubeSystemPod',
    'Persistence:Kubernetes/ContainerWithSensitiveMount',
    'Policy:Kubernetes/AdminAccessToDefaultServiceAccount',
    'Policy:Kubernetes/AnonymousAccessGranted',
    'Policy:Kubernetes/ExposedDashboard',
    'Policy:Kubernetes/KubeflowDashboardExposed',
    'PrivilegeEscalation:Kubernetes/PrivilegedContainer',
    'CredentialAccess:Kubernetes/AnomalousBehavior.SecretsAccessed',
    'PrivilegeEscalation:Kubernetes/AnomalousBehavior.RoleBindingCreated',
    'Execution:Kubernetes/AnomalousBehavior.ExecInPod',
    'PrivilegeEscalation:Kubernetes/AnomalousBehavior.WorkloadDeployed!PrivilegedContainer',
    'Persistence:Kubernetes/AnomalousBehavior.WorkloadDeployed!ContainerWithSensitiveMount',
    'Execution:Kubernetes/AnomalousBehavior.WorkloadDeployed',
    'PrivilegeEscalation:Kubernetes/AnomalousBehavior.RoleCreated',
    'Discovery:Kubernetes/AnomalousBehavior.PermissionChecked',
  ],
  entries: [
    ...TACTICS.flatMap(callers),
    covered(
      'Execution:Kubernetes/ExecInKubeSystemPod',
      ['audit.exec-into-pod'],
      'Every exec outside the allow list, kube-system pods included.',
    ),
    covered(
      'Persistence:Kubernetes/ContainerWithSensitiveMount',
      ['audit.privileged-workload'],
      'Sensitive host paths (/, /etc, /proc, the kubelet directory, runtime sockets) are high.',
    ),
    covered(
      'Policy:Kubernetes/AdminAccessToDefaultServiceAccount',
      ['audit.rbac-change'],
      "High when a binding names a namespace's default service account.",
    ),
    covered(
      'Policy:Kubernetes/AnonymousAccessGranted',
      ['audit.rbac-change'],
      'High when a binding names system:anonymous or system:unauthenticated.',
    ),
    covered(
      'Policy:Kubernetes/ExposedDashboard',
      ['audit.exposed-service'],
      'High when an exposed Service or Ingress fronts a known dashboard.',
    ),
    covered(
      'Policy:Kubernetes/KubeflowDashboardExposed',
      ['audit.exposed-service'],
      'Kubeflow and Jupyter are in the dashboard list.',
    ),
    covered(
      'PrivilegeEscalation:Kubernetes/PrivilegedContainer',
      ['audit.privileged-workload'],
      'Every privileged container, whether or not its image is new.',
    ),
    covered(
      'CredentialAccess:Kubernetes/AnomalousBehavior.SecretsAccessed',
      ['audit.unusual-secret-access', 'audit.secret-enumeration'],
      'Secrets read by an identity in a namespace it never read, and many distinct secrets in a window.',
    ),
    covered(
      'PrivilegeEscalation:Kubernetes/AnomalousBehavior.RoleBindingCreated',
      ['audit.rbac-change'],
      'Every binding is reported, not only unusual ones; high for the risky ones.',
    ),
    covered(
      'Execution:Kubernetes/AnomalousBehavior.ExecInPod',
      ['audit.exec-into-pod', 'audit.suspicious-exec-command'],
      'Every exec outside the allow list; suspicious commands are high.',
    ),
    covered(
      'PrivilegeEscalation:Kubernetes/AnomalousBehavior.WorkloadDeployed!PrivilegedContainer',
      ['audit.privileged-workload'],
      'Every privileged workload outside the learned and configured allowances.',
    ),
    covered(
      'Persistence:Kubernetes/AnomalousBehavior.WorkloadDeployed!ContainerWithSensitiveMount',
      ['audit.privileged-workload'],
      'Every sensitive host mount outside the learned and configured allowances.',
    ),
    covered(
      'Execution:Kubernetes/AnomalousBehavior.WorkloadDeployed',
      ['audit.new-workload-creator', 'audit.out-of-band-workload', 'audit.new-image-repository'],
      'A new identity deploying, a deploy outside the pipeline, an image repository never run.',
    ),
    covered(
      'PrivilegeEscalation:Kubernetes/AnomalousBehavior.RoleCreated',
      ['audit.rbac-change'],
      'Every role created; high for wildcard, escalate, bind, impersonate and takeover routes.',
    ),
    covered(
      'Discovery:Kubernetes/AnomalousBehavior.PermissionChecked',
      ['audit.permission-probing'],
      'An identity checking its own permissions for the first time.',
    ),
  ],
};
