import { answersFor, type PeerCatalog } from './types';

const { covered, outOfScope } = answersFor('panther');

/** Panther's EKS, Kubernetes-audit and VPC-flow rules, by RuleID. */
export const PANTHER: PeerCatalog = {
  peer: 'panther',
  name: 'Panther EKS / Kubernetes audit + VPC flow',
  source:
    'panther-labs/panther-analysis (main, July 2026): the `RuleID` of every rule in `rules/aws_eks_rules/`, ' +
    '`rules/kubernetes_rules/` and `rules/aws_vpc_flow_rules/` (that folder also holds one DNS-log rule, listed ' +
    'here as out of scope). `rules/gcp_k8s_rules/` is GKE-only.',
  rules: [
    'Amazon.EKS.AnonymousAPIAccess',
    'Amazon.EKS.Audit.Multiple403',
    'Amazon.EKS.Audit.SystemNamespaceFromPublicIP',
    'Kubernetes.AdmissionController.Created',
    'Kubernetes.API.AnonymousAccess',
    'Kubernetes.ClientCertificate.Created',
    'Kubernetes.ClusterRoleBinding.Privileged',
    'Kubernetes.CronJob.CreatedOrModified',
    'Kubernetes.DaemonSet.Created',
    'Kubernetes.Pod.Exec',
    'Kubernetes.Ingress.NoTLS',
    'Kubernetes.API.IOC.Activity',
    'Kubernetes.Kubectl.CP.Operation',
    'Kubernetes.API.Multiple403.PublicIP',
    'Kubernetes.Pod.SystemNamespace',
    'Kubernetes.Pod.Dangerous.Capabilities',
    'Kubernetes.Pod.Host.IPC',
    'Kubernetes.Pod.Host.Network',
    'Kubernetes.Pod.Host.PID',
    'Kubernetes.Pod.HostPath.Volume',
    'Kubernetes.Pod.Privileged.Created',
    'Kubernetes.Role.NodeProxyPermissions',
    'Kubernetes.Role.PodExec',
    'Kubernetes.Role.Wildcard',
    'Kubernetes.Role.WritePermissions',
    'Kubernetes.Secret.AccessDenied',
    'Kubernetes.BulkSecretAccess',
    'Kubernetes.Secrets.DumpAllNamespaces',
    'Kubernetes.Service.NodePort.Deployed',
    'Kubernetes.ServiceAccount.TokenCreated',
    'Kubernetes.Pod.StealServiceAccountToken',
    'Kubernetes.System.Principal.PublicIP',
    'Kubernetes.SystemRole.Modified',
    'AWS.DNS.Crypto.Domain',
    'AWS.VPC.HealthyLogStatus',
    'AWS.VPC.InboundPortWhitelist',
    'AWS.VPC.InboundPortBlacklist',
    'AWS.VPC.PortScanning',
    'AWS.VPC.SSHAllowedSignal',
    'AWS.VPC.UnapprovedOutboundDNS',
  ],
  entries: [
    covered(
      'Amazon.EKS.AnonymousAPIAccess',
      ['audit.anonymous-access'],
      'Allowed anonymous requests beyond health and discovery.',
    ),
    covered(
      'Amazon.EKS.Audit.Multiple403',
      ['audit.forbidden-burst'],
      'Denials counted per public source address as well as per identity.',
    ),
    covered(
      'Amazon.EKS.Audit.SystemNamespaceFromPublicIP',
      ['audit.new-source-ip'],
      'A system: or eks: identity (a service account, kubelet or EKS component) calling from a public network it ' +
        'never used is high; later calls from the same network are deduplicated.',
    ),
    covered(
      'Kubernetes.AdmissionController.Created',
      ['audit.admission-webhook-changed'],
      'Created, changed or deleted by anyone but the control plane.',
    ),
    covered(
      'Kubernetes.API.AnonymousAccess',
      ['audit.anonymous-access'],
      'Allowed anonymous requests beyond health and discovery.',
    ),
    covered(
      'Kubernetes.ClientCertificate.Created',
      ['audit.csr-created', 'audit.csr-approved'],
      'CSRs created with the client signer, and approvals by hand.',
    ),
    covered(
      'Kubernetes.ClusterRoleBinding.Privileged',
      ['audit.rbac-change'],
      'High when a binding grants cluster-admin or admin.',
    ),
    covered(
      'Kubernetes.CronJob.CreatedOrModified',
      ['audit.out-of-band-workload', 'audit.new-workload-creator'],
      'CronJobs written outside the pipeline and controllers, or by an identity that never deployed.',
    ),
    covered(
      'Kubernetes.DaemonSet.Created',
      ['audit.out-of-band-workload', 'audit.new-workload-creator'],
      'DaemonSets written outside the pipeline and controllers, or by an identity that never deployed.',
    ),
    covered('Kubernetes.Pod.Exec', ['audit.exec-into-pod'], 'Every exec outside the allow list.'),
    covered('Kubernetes.Ingress.NoTLS', ['audit.exposed-service'], 'An Ingress without TLS is high.'),
    covered(
      'Kubernetes.API.IOC.Activity',
      ['audit.threat-intel-caller'],
      'API calls from Tor exit nodes, with the Tor list in the threat-list location.',
    ),
    covered(
      'Kubernetes.Kubectl.CP.Operation',
      ['audit.exec-into-pod'],
      'kubectl cp is an exec (tar) into the pod and is reported as one; the finding does not name it a copy.',
    ),
    covered(
      'Kubernetes.API.Multiple403.PublicIP',
      ['audit.forbidden-burst'],
      'Denials counted per public source address.',
    ),
    covered(
      'Kubernetes.Pod.SystemNamespace',
      ['audit.pod-in-system-namespace'],
      'Pods and workloads in system namespaces that are not platform components.',
    ),
    covered(
      'Kubernetes.Pod.Dangerous.Capabilities',
      ['audit.privileged-workload'],
      'Risky capabilities, SYSLOG included.',
    ),
    covered('Kubernetes.Pod.Host.IPC', ['audit.privileged-workload'], 'hostIPC on a pod or pod template.'),
    covered('Kubernetes.Pod.Host.Network', ['audit.privileged-workload'], 'hostNetwork on a pod or pod template.'),
    covered('Kubernetes.Pod.Host.PID', ['audit.privileged-workload'], 'hostPID on a pod or pod template.'),
    covered(
      'Kubernetes.Pod.HostPath.Volume',
      ['audit.privileged-workload'],
      'Any hostPath at low; sensitive paths stay high.',
    ),
    covered('Kubernetes.Pod.Privileged.Created', ['audit.privileged-workload'], 'Privileged containers.'),
    covered('Kubernetes.Role.NodeProxyPermissions', ['audit.rbac-change'], 'High when a role grants nodes/proxy.'),
    covered('Kubernetes.Role.PodExec', ['audit.rbac-change'], 'High when a role grants pods/exec.'),
    covered('Kubernetes.Role.Wildcard', ['audit.rbac-change'], 'High when a role grants every verb or resource.'),
    covered(
      'Kubernetes.Role.WritePermissions',
      ['audit.rbac-change'],
      'Every role created is reported (medium); write verbs alone do not raise it to high.',
    ),
    covered(
      'Kubernetes.Secret.AccessDenied',
      ['audit.forbidden-burst'],
      "Panther alerts on 20 denied secret reads in 15 minutes; denied reads count toward the identity's burst of denials.",
    ),
    covered(
      'Kubernetes.BulkSecretAccess',
      ['audit.secret-enumeration'],
      'Distinct secret names per identity, address and user agent in a window.',
    ),
    covered(
      'Kubernetes.Secrets.DumpAllNamespaces',
      ['audit.unusual-secret-access', 'audit.secret-enumeration'],
      'A cluster-wide list or watch of secrets is high.',
    ),
    covered('Kubernetes.Service.NodePort.Deployed', ['audit.exposed-service'], 'NodePort and LoadBalancer Services.'),
    covered(
      'Kubernetes.ServiceAccount.TokenCreated',
      ['audit.token-request'],
      'Long-lived token Secrets and TokenRequests by anyone but the kubelet and the control plane.',
    ),
    covered(
      'Kubernetes.Pod.StealServiceAccountToken',
      ['audit.suspicious-exec-command'],
      'An exec command that reads a service account token.',
    ),
    covered(
      'Kubernetes.System.Principal.PublicIP',
      ['audit.new-source-ip'],
      'A service account, kubelet or EKS identity calling from a public network it never used is high.',
    ),
    covered(
      'Kubernetes.SystemRole.Modified',
      ['audit.rbac-change'],
      'High when a system: or eks: role is changed or deleted.',
    ),
    outOfScope(
      'AWS.DNS.Crypto.Domain',
      'Needs Route 53 Resolver query logs (DNS names); flow logs carry addresses only. Mining by port and address is ' +
        'net.mining-pool-port and net.threat-intel-match.',
    ),
    covered('AWS.VPC.HealthyLogStatus', ['net.log-health'], 'SKIPDATA records and a flow log that stops arriving.'),
    covered(
      'AWS.VPC.InboundPortWhitelist',
      ['net.inbound-port-policy'],
      'Inbound traffic on ports outside the allow list.',
    ),
    covered(
      'AWS.VPC.InboundPortBlacklist',
      ['net.inbound-port-policy'],
      'Inbound traffic on ports in the deny list, accepted or rejected.',
    ),
    covered('AWS.VPC.PortScanning', ['net.port-scan'], 'One source probing many ports of one host.'),
    covered(
      'AWS.VPC.SSHAllowedSignal',
      ['net.public-ingress', 'net.inbound-port-policy'],
      'Accepted public connections to an address that is not an entry point; port 22 on the inbound deny list.',
    ),
    covered('AWS.VPC.UnapprovedOutboundDNS', ['net.dns-egress'], 'DNS to resolvers outside the approved list.'),
  ],
};
