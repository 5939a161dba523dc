/**
 * What Driftwatch knows about EKS out of the box, so that the defaults are quiet on a plain EKS
 * cluster: the add-ons and common system components that live in kube-system, the ones among
 * them that need host access, and the registries EKS pulls its add-ons from.
 */

/** Workloads (`namespace/name` globs) expected in the system namespaces. */
export const BUILT_IN_SYSTEM_WORKLOADS: readonly string[] = [
  'kube-system/aws-node',
  'kube-system/kube-proxy',
  'kube-system/coredns',
  'kube-system/metrics-server',
  'kube-system/eks-pod-identity-agent',
  'kube-system/aws-load-balancer-controller',
  'kube-system/ebs-csi-*',
  'kube-system/efs-csi-*',
  'kube-system/fsx-csi-*',
  'kube-system/s3-csi-*',
  'kube-system/snapshot-controller',
  'kube-system/cluster-autoscaler*',
  'kube-system/karpenter',
  'kube-system/external-dns',
  'kube-system/secrets-store-csi-driver*',
  'kube-system/csi-secrets-store-provider-aws*',
  'kube-system/aws-efa-k8s-device-plugin*',
  'kube-system/nvidia-device-plugin*',
  'kube-system/neuron-device-plugin*',
];

/**
 * Workloads that need host access to do their job: the VPC CNI and kube-proxy program the node's
 * network, the CSI node plugins mount volumes into the kubelet's directory, the device plugins
 * register with the kubelet, and EKS's security and observability agents read the host.
 */
export const BUILT_IN_PRIVILEGED_WORKLOADS: readonly string[] = [
  'kube-system/aws-node',
  'kube-system/kube-proxy',
  'kube-system/eks-pod-identity-agent',
  'kube-system/ebs-csi-node*',
  'kube-system/efs-csi-node*',
  'kube-system/fsx-csi-node*',
  'kube-system/s3-csi-node*',
  'kube-system/secrets-store-csi-driver*',
  'kube-system/csi-secrets-store-provider-aws*',
  'kube-system/aws-efa-k8s-device-plugin*',
  'kube-system/nvidia-device-plugin*',
  'kube-system/neuron-device-plugin*',
  'amazon-guardduty/aws-guardduty-agent',
  'amazon-cloudwatch/cloudwatch-agent*',
  'amazon-cloudwatch/fluent-bit*',
  'amazon-cloudwatch/dcgm-exporter*',
];

/** The registries EKS serves its add-ons from (per-region ECR accounts, and its public gallery paths). */
export const EKS_REGISTRIES: readonly string[] = [
  '602401143452.dkr.ecr.*.amazonaws.com',
  '800184023465.dkr.ecr.ap-east-1.amazonaws.com',
  '558608220178.dkr.ecr.me-south-1.amazonaws.com',
  '590381155156.dkr.ecr.eu-south-1.amazonaws.com',
  '013241004608.dkr.ecr.us-gov-west-1.amazonaws.com',
  '151742754352.dkr.ecr.us-gov-east-1.amazonaws.com',
  '918309763551.dkr.ecr.cn-north-1.amazonaws.com.cn',
  '961992271922.dkr.ecr.cn-northwest-1.amazonaws.com.cn',
  'public.ecr.aws/eks/*',
  'public.ecr.aws/eks-distro/*',
];

/** Namespaces that belong to the platform: nothing but its own components should run there. */
export const SYSTEM_NAMESPACES: ReadonlySet<string> = new Set(['kube-system', 'kube-public', 'kube-node-lease']);
