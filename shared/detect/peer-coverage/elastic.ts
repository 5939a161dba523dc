import { answersFor, type PeerCatalog } from './types';

const { covered, partial, outOfScope } = answersFor('elastic');

/** Elastic's prebuilt Kubernetes rules, by rule name. */
export const ELASTIC: PeerCatalog = {
  peer: 'elastic',
  name: 'Elastic Kubernetes rules',
  source:
    'elastic/detection-rules, `rules/integrations/kubernetes/` (main, August 2026): the `name` of every rule file.',
  rules: [
    'Kubernetes Secret or ConfigMap Access via Azure Arc Proxy',
    'Kubernetes Secret Access via Unusual User Agent',
    'Kubernetes Rapid Secret GET Activity Against Multiple Objects',
    'Kubernetes Pod Exec Cloud Instance Metadata Access',
    'Kubernetes Pod Exec Sensitive File or Credential Path Access',
    'Kubernetes Secret get or list with Suspicious User Agent',
    'Kubernetes Secret get or list from Node or Pod Service Account',
    'Kubernetes Secrets List Across Cluster or Sensitive Namespaces',
    'Kubernetes Service Account Token Created via TokenRequest API',
    'Kubernetes Events Deleted',
    'Kubernetes Denied Service Account Request via Unusual User Agent',
    'Kubernetes Potential Endpoint Permission Enumeration Attempt by Anonymous User Detected',
    'Kubernetes Potential Endpoint Permission Enumeration Attempt Detected',
    'Kubernetes Multi-Resource Discovery',
    'Kubernetes Suspicious Self-Subject Review via Unusual User Agent',
    'Kubernetes Anonymous User Create/Update/Patch Pods Request',
    'Kubernetes Forbidden Creation Request',
    'Kubernetes Forbidden Request from Unusual User Agent',
    'Kubernetes Pod Exec with Curl or Wget to HTTPS',
    'Kubernetes Pod Exec Potential Reverse Shell',
    'Kubernetes Unusual Decision by User Agent',
    'Kubernetes User Exec into Pod',
    'Kubernetes CoreDNS or Kube-DNS Configuration Modified',
    'Kubernetes Anonymous Request Authorized by Unusual User Agent',
    'Kubernetes Cluster-Admin Role Binding Created',
    'Kubernetes Exposed Service Created With Type NodePort',
    'Kubernetes Admission Webhook Created or Modified',
    'Kubernetes Client Certificate Signing Request Created or Approved',
    'EKS Authentication Configuration Modified',
    'Kubernetes Creation or Modification of Sensitive Role',
    'Kubernetes Creation of a RoleBinding Referencing a ServiceAccount',
    'Kubernetes API Server Proxying Request to Kubelet',
    'Kubernetes Container Created with Excessive Linux Capabilities',
    'Kubernetes API Request Impersonating Privileged Identity',
    'Kubernetes Ephemeral Container Added to Pod',
    'Kubernetes Pod Created With HostIPC',
    'Kubernetes Pod Created With HostNetwork',
    'Kubernetes Pod Created With HostPID',
    'Kubernetes Pod Created with a Sensitive hostPath Volume',
    'Kubernetes Privileged Pod Created',
    'Kubernetes RBAC Wildcard Elevation on Existing Role',
    'Kubernetes Sensitive RBAC Change Followed by Workload Modification',
    'Unusual Kubernetes Sensitive Workload Modification',
    'Kubernetes Service Account Modified RBAC Objects',
    'Kubernetes Suspicious Assignment of Controller Service Account',
  ],
  entries: [
    outOfScope(
      'Kubernetes Secret or ConfigMap Access via Azure Arc Proxy',
      'Azure Arc only: EKS has no Arc proxy identity. Secret reads on EKS are answered by audit.unusual-secret-access.',
    ),
    covered(
      'Kubernetes Secret Access via Unusual User Agent',
      ['audit.new-user-agent', 'audit.unusual-secret-access'],
      'A user agent new for the identity, and secret reads in a namespace the identity never read.',
    ),
    covered(
      'Kubernetes Rapid Secret GET Activity Against Multiple Objects',
      ['audit.secret-enumeration'],
      'Distinct secret names per identity, address and user agent in a window.',
    ),
    covered(
      'Kubernetes Pod Exec Cloud Instance Metadata Access',
      ['audit.suspicious-exec-command'],
      'The instance metadata service and the Pod Identity agent, in any address encoding.',
    ),
    covered(
      'Kubernetes Pod Exec Sensitive File or Credential Path Access',
      ['audit.suspicious-exec-command'],
      'Service account tokens, kubelet credentials, kubeconfigs, AWS credentials, /etc/shadow.',
    ),
    covered(
      'Kubernetes Secret get or list with Suspicious User Agent',
      ['audit.new-user-agent', 'audit.offensive-tool', 'audit.unusual-secret-access'],
      'A user agent new for the identity (curl, a script), offensive tools by name, and first secret reads.',
    ),
    partial(
      'Kubernetes Secret get or list from Node or Pod Service Account',
      ['audit.unusual-secret-access', 'audit.secret-enumeration'],
      'A service account reading secrets in a new namespace, or many of them, is reported; node identities are left ' +
        "out, as kubelets read their pods' secrets all day.",
    ),
    covered(
      'Kubernetes Secrets List Across Cluster or Sensitive Namespaces',
      ['audit.unusual-secret-access', 'audit.secret-enumeration'],
      'High for a cluster-wide list or watch and for kube-system.',
    ),
    covered(
      'Kubernetes Service Account Token Created via TokenRequest API',
      ['audit.token-request'],
      'TokenRequest by anyone but the kubelet and the control plane.',
    ),
    covered('Kubernetes Events Deleted', ['audit.events-deleted'], 'Events deleted by anyone but the control plane.'),
    covered(
      'Kubernetes Denied Service Account Request via Unusual User Agent',
      ['audit.new-user-agent', 'audit.denied-write', 'audit.forbidden-burst'],
      'A user agent new for the service account, single denied writes, and bursts of denials.',
    ),
    covered(
      'Kubernetes Potential Endpoint Permission Enumeration Attempt by Anonymous User Detected',
      ['audit.forbidden-burst'],
      'Unauthenticated denials are counted per source address.',
    ),
    covered(
      'Kubernetes Potential Endpoint Permission Enumeration Attempt Detected',
      ['audit.forbidden-burst'],
      'Denials counted per identity and per public source address.',
    ),
    partial(
      'Kubernetes Multi-Resource Discovery',
      ['audit.secret-enumeration', 'audit.permission-probing', 'audit.offensive-tool'],
      'Secret enumeration, permission checks and known tools are reported; the breadth of one identity listing many ' +
        'resource kinds at once is not counted.',
    ),
    covered(
      'Kubernetes Suspicious Self-Subject Review via Unusual User Agent',
      ['audit.permission-probing'],
      'Self-subject reviews by an identity that never asked; high for a service account listing all its rules.',
    ),
    covered(
      'Kubernetes Anonymous User Create/Update/Patch Pods Request',
      ['audit.anonymous-access', 'audit.denied-write'],
      'Allowed anonymous requests, and denied anonymous writes.',
    ),
    covered('Kubernetes Forbidden Creation Request', ['audit.denied-write'], 'A single denied create.'),
    covered(
      'Kubernetes Forbidden Request from Unusual User Agent',
      ['audit.new-user-agent', 'audit.denied-write', 'audit.forbidden-burst'],
      'A user agent new for the identity, whether allowed or denied; denied writes and bursts on their own.',
    ),
    covered(
      'Kubernetes Pod Exec with Curl or Wget to HTTPS',
      ['audit.suspicious-exec-command'],
      'Downloads from the network in an exec command.',
    ),
    covered(
      'Kubernetes Pod Exec Potential Reverse Shell',
      ['audit.suspicious-exec-command'],
      'Reverse shells in an exec command.',
    ),
    covered(
      'Kubernetes Unusual Decision by User Agent',
      ['audit.new-user-agent'],
      'A per-identity user-agent baseline.',
    ),
    covered('Kubernetes User Exec into Pod', ['audit.exec-into-pod'], 'Every exec outside the allow list.'),
    covered(
      'Kubernetes CoreDNS or Kube-DNS Configuration Modified',
      ['audit.coredns-modified'],
      'coredns, coredns-custom and kube-dns ConfigMaps changed by anyone but EKS.',
    ),
    covered(
      'Kubernetes Anonymous Request Authorized by Unusual User Agent',
      ['audit.anonymous-access'],
      'Every allowed anonymous request beyond health and discovery, whatever the user agent.',
    ),
    covered(
      'Kubernetes Cluster-Admin Role Binding Created',
      ['audit.rbac-change'],
      'High when a binding grants cluster-admin.',
    ),
    covered(
      'Kubernetes Exposed Service Created With Type NodePort',
      ['audit.exposed-service'],
      'NodePort and LoadBalancer Services.',
    ),
    covered(
      'Kubernetes Admission Webhook Created or Modified',
      ['audit.admission-webhook-changed'],
      'Created, changed or deleted by anyone but the control plane.',
    ),
    covered(
      'Kubernetes Client Certificate Signing Request Created or Approved',
      ['audit.csr-created', 'audit.csr-approved'],
      'CSRs created with the client signer, and approvals by hand.',
    ),
    covered(
      'EKS Authentication Configuration Modified',
      ['audit.aws-auth-modified'],
      'The kube-system/aws-auth ConfigMap.',
    ),
    covered(
      'Kubernetes Creation or Modification of Sensitive Role',
      ['audit.rbac-change'],
      'High for wildcards, escalate, bind, impersonate, secrets, exec, nodes/proxy and token minting.',
    ),
    covered(
      'Kubernetes Creation of a RoleBinding Referencing a ServiceAccount',
      ['audit.rbac-change'],
      'Every binding; high for default service accounts and risky roles.',
    ),
    covered(
      'Kubernetes API Server Proxying Request to Kubelet',
      ['audit.nodes-proxy'],
      'Requests through nodes/proxy.',
    ),
    covered(
      'Kubernetes Container Created with Excessive Linux Capabilities',
      ['audit.privileged-workload'],
      'SYS_ADMIN, SYS_MODULE, SYS_PTRACE, SYS_RAWIO, SYS_BOOT, DAC_READ_SEARCH, BPF, PERFMON, NET_ADMIN, SYSLOG, ...',
    ),
    covered(
      'Kubernetes API Request Impersonating Privileged Identity',
      ['audit.impersonation'],
      'High when the impersonated identity is privileged.',
    ),
    covered(
      'Kubernetes Ephemeral Container Added to Pod',
      ['audit.exec-into-pod'],
      'kubectl debug is interactive access.',
    ),
    covered('Kubernetes Pod Created With HostIPC', ['audit.privileged-workload'], 'hostIPC on a pod or pod template.'),
    covered(
      'Kubernetes Pod Created With HostNetwork',
      ['audit.privileged-workload'],
      'hostNetwork on a pod or pod template.',
    ),
    covered('Kubernetes Pod Created With HostPID', ['audit.privileged-workload'], 'hostPID on a pod or pod template.'),
    covered(
      'Kubernetes Pod Created with a Sensitive hostPath Volume',
      ['audit.privileged-workload'],
      'Sensitive host paths are high.',
    ),
    covered('Kubernetes Privileged Pod Created', ['audit.privileged-workload'], 'Privileged containers.'),
    covered(
      'Kubernetes RBAC Wildcard Elevation on Existing Role',
      ['audit.rbac-change'],
      'A patch that adds * verbs or resources is high; the RBAC trail keeps the diff.',
    ),
    covered(
      'Kubernetes Sensitive RBAC Change Followed by Workload Modification',
      ['audit.rbac-then-workload'],
      'A sensitive RBAC change, then a workload change by the same identity within minutes.',
    ),
    covered(
      'Unusual Kubernetes Sensitive Workload Modification',
      ['audit.new-user-agent', 'audit.out-of-band-workload', 'audit.pipeline-drift'],
      'A new user agent for the identity, workload changes outside the pipeline, a pipeline writing with a new tool.',
    ),
    covered(
      'Kubernetes Service Account Modified RBAC Objects',
      ['audit.rbac-change'],
      'Every RBAC change by anyone but the control plane.',
    ),
    covered(
      'Kubernetes Suspicious Assignment of Controller Service Account',
      ['audit.pod-in-system-namespace', 'audit.out-of-band-workload'],
      'A pod in kube-system that is not a platform component, or a kube-system workload changed outside the pipeline; ' +
        'the finding does not single out the controller service account it was given.',
    ),
  ],
};
