import { ACCOUNT, CLUSTER, KUBERNETES_VERSION } from './cluster';
import { streamOf } from './prng';

/** The `user` of an audit event. */
export interface Actor {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** Who acted, how they present themselves, and why the authorizer let them. */
export interface Identity {
  actor: Actor;
  userAgent: string;
  /** The `authorization.k8s.io/reason` annotation of an allowed request. */
  reason: string;
}

const BUILD = KUBERNETES_VERSION.split('-').pop() as string;
const CONTROL_PLANE_UA = (component: string, suffix: string) =>
  `${component}/${KUBERNETES_VERSION} (linux/amd64) kubernetes/${BUILD}/${suffix}`;
const CLIENT_UA = (name: string, version = 'v0.0.0') => `${name}/${version} (linux/amd64) kubernetes/$Format`;
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function rbacReason(
  binding: 'ClusterRoleBinding' | 'RoleBinding',
  bindingName: string,
  role: string,
  subject: string,
): string {
  return `RBAC: allowed by ${binding} "${bindingName}" of ClusterRole "${role}" to ${subject}`;
}

/** A person or role mapped in aws-auth; their access keys rotate daily for roles. */
export interface MappedIamIdentity {
  username: string;
  groups: string[];
  /** IAM user name, or role name plus session name. */
  iam: { user: string } | { role: string; session: string };
  userAgent: string;
}

export const HUMANS = {
  alice: {
    username: 'alice',
    groups: ['platform-admins', 'system:authenticated'],
    iam: { user: 'alice' },
    userAgent: 'kubectl/v1.31.1 (darwin/arm64) kubernetes/948afe5',
  },
  bob: {
    username: 'bob',
    groups: ['devs', 'system:authenticated'],
    iam: { user: 'bob' },
    userAgent: 'kubectl/v1.30.4 (linux/amd64) kubernetes/a51b3b7',
  },
  carol: {
    username: 'carol',
    groups: ['devs', 'system:authenticated'],
    iam: { user: 'carol' },
    userAgent: 'k9s/v0.32.5 (darwin/arm64) kubernetes/$Format',
  },
} as const satisfies Record<string, MappedIamIdentity>;

export type HumanName = keyof typeof HUMANS;

/** The CI/CD identity: GitHub Actions assuming an IAM role mapped as `github-actions`. */
export const CICD: MappedIamIdentity = {
  username: 'github-actions',
  groups: ['ci-deployers', 'system:authenticated'],
  iam: { role: 'github-actions-deployer', session: 'GitHubActions' },
  userAgent: 'kubectl/v1.31.1 (linux/amd64) kubernetes/948afe5',
};

/**
 * Builds the identities of the scenario. UIDs and IAM principal ids are fixed for a seed;
 * temporary access keys of assumed roles change every day.
 */
export class Identities {
  constructor(private readonly seed: number) {}

  private principalId(prefix: 'AIDA' | 'AROA', name: string): string {
    return prefix + streamOf(this.seed, 'principal', name).chars(UPPER, 17);
  }

  private accessKey(prefix: 'AKIA' | 'ASIA', name: string, day: number): string {
    return prefix + streamOf(this.seed, 'access-key', name, prefix === 'AKIA' ? 0 : day).chars(UPPER, 16);
  }

  private uid(name: string): string {
    return streamOf(this.seed, 'uid', name).uuid();
  }

  /** A user or role mapped through aws-auth, as the EKS authenticator reports it. */
  iamMapped(who: MappedIamIdentity, day: number, reason: string): Identity {
    let arn: string;
    let canonicalArn: string;
    let principalId: string;
    let accessKeyId: string;
    let sessionName: string;
    if ('user' in who.iam) {
      arn = `arn:aws:iam::${ACCOUNT}:user/${who.iam.user}`;
      canonicalArn = arn;
      principalId = this.principalId('AIDA', who.iam.user);
      accessKeyId = this.accessKey('AKIA', who.iam.user, day);
      sessionName = '';
    } else {
      arn = `arn:aws:sts::${ACCOUNT}:assumed-role/${who.iam.role}/${who.iam.session}`;
      canonicalArn = `arn:aws:iam::${ACCOUNT}:role/${who.iam.role}`;
      principalId = this.principalId('AROA', who.iam.role);
      accessKeyId = this.accessKey('ASIA', who.iam.role, day);
      sessionName = who.iam.session;
    }
    return {
      actor: {
        username: who.username,
        uid: `aws-iam-authenticator:${ACCOUNT}:${principalId}`,
        groups: [...who.groups],
        extra: {
          accessKeyId: [accessKeyId],
          arn: [arn],
          canonicalArn: [canonicalArn],
          principalId: [principalId],
          sessionName: [sessionName],
          'sigs.k8s.io/aws-iam-authenticator/principalId': [principalId],
        },
      },
      userAgent: who.userAgent,
      reason,
    };
  }

  human(name: HumanName, day: number, namespace?: string): Identity {
    const who = HUMANS[name];
    let reason: string;
    if (name === 'alice') {
      reason = rbacReason('ClusterRoleBinding', 'platform-admins', 'cluster-admin', 'Group "platform-admins"');
    } else if (namespace) {
      reason = rbacReason('RoleBinding', `devs-edit/${namespace}`, 'edit', 'Group "devs"');
    } else {
      reason = rbacReason('ClusterRoleBinding', 'devs-cluster-view', 'devs-cluster-view', 'Group "devs"');
    }
    return this.iamMapped(who, day, reason);
  }

  cicd(day: number): Identity {
    return this.iamMapped(
      CICD,
      day,
      rbacReason('ClusterRoleBinding', 'ci-deployers', 'ci-deployer', 'Group "ci-deployers"'),
    );
  }

  /** A kubelet, authenticated with the node role of its cluster. */
  node(nodeName: string, instanceId: string, day: number, cluster: string = CLUSTER): Identity {
    const role = `${cluster}-node-role`;
    const principalId = this.principalId('AROA', role);
    return {
      actor: {
        username: `system:node:${nodeName}`,
        uid: `aws-iam-authenticator:${ACCOUNT}:${principalId}`,
        groups: ['system:bootstrappers', 'system:nodes', 'system:authenticated'],
        extra: {
          accessKeyId: [this.accessKey('ASIA', instanceId, day)],
          arn: [`arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${instanceId}`],
          canonicalArn: [`arn:aws:iam::${ACCOUNT}:role/${role}`],
          principalId: [principalId],
          sessionName: [instanceId],
          'sigs.k8s.io/aws-iam-authenticator/principalId': [principalId],
        },
      },
      userAgent: `kubelet/${KUBERNETES_VERSION} (linux/amd64) kubernetes/${BUILD}`,
      reason: '',
    };
  }

  /** A kube-controller-manager controller, with its own service account credentials. */
  controller(name: string): Identity {
    const sa = `system:serviceaccount:kube-system:${name}`;
    return {
      actor: {
        username: sa,
        uid: this.uid(sa),
        groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
        extra: { 'authentication.kubernetes.io/credential-id': [`JTI=${this.uid(`${sa}/token`)}`] },
      },
      userAgent: CONTROL_PLANE_UA('kube-controller-manager', sa),
      reason: rbacReason(
        'ClusterRoleBinding',
        `system:controller:${name}`,
        `system:controller:${name}`,
        `ServiceAccount "${name}/kube-system"`,
      ),
    };
  }

  /** A control-plane component with a client certificate (kube-scheduler, kube-controller-manager). */
  component(username: 'system:kube-scheduler' | 'system:kube-controller-manager', suffix: string): Identity {
    const component = username.slice('system:'.length);
    return {
      actor: { username, groups: ['system:authenticated'] },
      userAgent: CONTROL_PLANE_UA(component, suffix),
      reason: rbacReason('ClusterRoleBinding', username, username, `User "${username}"`),
    };
  }

  apiserver(instance: number): Identity {
    return {
      actor: {
        username: 'system:apiserver',
        uid: this.uid(`system:apiserver/${instance}`),
        groups: ['system:authenticated', 'system:masters'],
      },
      userAgent: `kube-apiserver/${KUBERNETES_VERSION} (linux/amd64) kubernetes/${BUILD}`,
      reason: '',
    };
  }

  /** One of the agents EKS runs against the cluster (`eks:certificate-controller`, ...). */
  eks(name: string, userAgent: string): Identity {
    const username = `eks:${name}`;
    return {
      actor: { username, groups: ['system:authenticated'] },
      userAgent,
      reason: rbacReason('ClusterRoleBinding', username, username, `User "${username}"`),
    };
  }

  /**
   * A workload's service account, with the bound-token claims the API server reports (the pod
   * and node the token was issued for). `reason` is the binding that lets it act.
   */
  serviceAccount(
    namespace: string,
    name: string,
    userAgent: string,
    pod?: { name: string; uid: string; node: string },
    reason?: string,
  ): Identity {
    const username = `system:serviceaccount:${namespace}:${name}`;
    const extra: Record<string, string[]> = {
      'authentication.kubernetes.io/credential-id': [`JTI=${this.uid(`${username}/${pod?.uid ?? ''}`)}`],
    };
    if (pod) {
      extra['authentication.kubernetes.io/node-name'] = [pod.node];
      extra['authentication.kubernetes.io/node-uid'] = [this.uid(`node/${pod.node}`)];
      extra['authentication.kubernetes.io/pod-name'] = [pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [pod.uid];
    }
    return {
      actor: {
        username,
        uid: this.uid(username),
        groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
        extra,
      },
      userAgent,
      reason: reason ?? rbacReason('ClusterRoleBinding', name, name, `ServiceAccount "${name}/${namespace}"`),
    };
  }
}

/** User agents of the in-cluster clients. */
export const USER_AGENTS = {
  coredns: CLIENT_UA('coredns'),
  kubeProxy: `kube-proxy/${KUBERNETES_VERSION} (linux/amd64) kubernetes/${BUILD}`,
  awsNode: CLIENT_UA('aws-node'),
  loadBalancerController: CLIENT_UA('controller'),
  prometheus: 'Prometheus/2.54.1',
  kubeStateMetrics: CLIENT_UA('kube-state-metrics', 'v2.13.0'),
  metricsServer: CLIENT_UA('metrics-server', 'v0.7.2'),
  certificateController: CLIENT_UA('eks-certificates-controller'),
  addonManager: CLIENT_UA('eks-addon-manager'),
  cloudControllerManager: CLIENT_UA('aws-cloud-controller-manager', 'v1.31.0'),
  k8sMetrics: CLIENT_UA('eks-k8s-metrics'),
  authenticator: CLIENT_UA('aws-iam-authenticator', 'v0.6.26'),
  argocd: CLIENT_UA('argocd-application-controller', 'v2.13.2'),
} as const;
