import { answersFor, type PeerCatalog } from './types';

const { covered, partial } = answersFor('sigma');

/** SigmaHQ's Kubernetes audit rules, by title. */
export const SIGMA: PeerCatalog = {
  peer: 'sigma',
  name: 'Sigma Kubernetes audit',
  source: 'SigmaHQ/sigma, `rules/application/kubernetes/audit/` (master, August 2026): the `title` of every rule.',
  rules: [
    'Kubernetes Admission Controller Modification',
    'Kubernetes CronJob/Job Modification',
    'Deployment Deleted From Kubernetes Cluster',
    'Kubernetes Events Deleted',
    'Potential Remote Command Execution In Pod Container',
    'Container With A hostPath Mount Created',
    'Creation Of Pod In System Namespace',
    'Kubernetes Potential Enumeration Activity',
    'Privileged Container Deployed',
    'RBAC Permission Enumeration Attempt',
    'Kubernetes Rolebinding Modification',
    'Kubernetes Secrets Enumeration',
    'Kubernetes Secrets Modified or Deleted',
    'New Kubernetes Service Account Created',
    'Potential Sidecar Injection Into Running Deployment',
    'Kubernetes Unauthorized or Unauthenticated Access',
  ],
  entries: [
    covered(
      'Kubernetes Admission Controller Modification',
      ['audit.admission-webhook-changed'],
      'Mutating and validating webhooks and admission policies, created, changed or deleted.',
    ),
    covered(
      'Kubernetes CronJob/Job Modification',
      ['audit.out-of-band-workload', 'audit.new-workload-creator'],
      'Jobs and CronJobs written outside the pipeline and controllers, or by an identity that never deployed.',
    ),
    partial(
      'Deployment Deleted From Kubernetes Cluster',
      ['audit.manual-delete'],
      'Deletes by a person; a delete by a service account outside the controllers is not reported.',
    ),
    covered('Kubernetes Events Deleted', ['audit.events-deleted'], 'Events deleted by anyone but the control plane.'),
    covered(
      'Potential Remote Command Execution In Pod Container',
      ['audit.exec-into-pod', 'audit.suspicious-exec-command'],
      'Every exec outside the allow list; suspicious commands are high.',
    ),
    covered(
      'Container With A hostPath Mount Created',
      ['audit.privileged-workload'],
      'Any hostPath at low; sensitive paths stay high.',
    ),
    covered(
      'Creation Of Pod In System Namespace',
      ['audit.pod-in-system-namespace'],
      'Pods and workloads in kube-system, kube-public and kube-node-lease that are not platform components.',
    ),
    covered(
      'Kubernetes Potential Enumeration Activity',
      ['audit.offensive-tool', 'audit.exec-into-pod'],
      'Offensive tools by user agent (access_matrix, trufflehog, kube-hunter, peirates, ...); shells through exec.',
    ),
    covered(
      'Privileged Container Deployed',
      ['audit.privileged-workload'],
      'Privileged, host namespaces, risky capabilities.',
    ),
    covered(
      'RBAC Permission Enumeration Attempt',
      ['audit.permission-probing'],
      'Self-subject reviews by an identity that never asked; dashboards that always ask are learned.',
    ),
    covered('Kubernetes Rolebinding Modification', ['audit.rbac-change'], 'Every binding created, changed or deleted.'),
    covered(
      'Kubernetes Secrets Enumeration',
      ['audit.unusual-secret-access', 'audit.secret-enumeration'],
      'Lists of secrets by an identity that never listed them (cluster-wide is high), and many distinct secrets in a window.',
    ),
    covered(
      'Kubernetes Secrets Modified or Deleted',
      ['audit.config-object-change', 'audit.manual-delete'],
      'Secret writes and deletes by non-platform identities at info; a delete by a person is medium.',
    ),
    covered(
      'New Kubernetes Service Account Created',
      ['audit.serviceaccount-created'],
      'Service accounts created by non-platform identities; high in kube-system and kube-public.',
    ),
    covered(
      'Potential Sidecar Injection Into Running Deployment',
      ['audit.out-of-band-workload'],
      'Any patch of a Deployment, DaemonSet or StatefulSet outside the pipeline and controllers.',
    ),
    partial(
      'Kubernetes Unauthorized or Unauthenticated Access',
      ['audit.forbidden-burst', 'audit.denied-write'],
      'Bursts of 401/403 and single denied writes are reported; a single denied read is only counted toward a burst.',
    ),
  ],
};
