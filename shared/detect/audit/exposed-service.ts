import type { AuditEvent } from '../../ingest';
import {
  actor,
  actorName,
  asObject,
  bodyOf,
  created,
  isSystemIdentity,
  objectName,
  pathOf,
  succeeded,
} from '../../kube';
import type { RuleDetector } from '../types';
import { baseEntities, isCicdIdentity } from './lib/actor';
import { exampleEvent } from './lib/example-events';

/** Web consoles that hand an attacker the cluster, its data or its credentials when exposed. */
const DASHBOARDS =
  /kubernetes-dashboard|\bdashboard\b|grafana|prometheus|alertmanager|kibana|elasticsearch|argocd|argo-cd|argo-workflows|jenkins|kubeflow|jupyter|rancher|portainer|weave-scope|consul|vault|kiali|jaeger|pgadmin|phpmyadmin|airflow|spark-ui|mlflow|minio/i;

const CHANGES = new Set(['create', 'update', 'patch']);

interface Exposure {
  kind: 'Service' | 'Ingress';
  type?: string;
  internetFacing: boolean;
  reasons: string[];
  ports: string[];
  backends: string[];
}

function annotationsOf(body: Record<string, unknown> | undefined): Record<string, string> {
  const raw = asObject(pathOf(body, 'metadata', 'annotations')) ?? {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** How a Service of type LoadBalancer or NodePort is exposed, read from its spec and AWS annotations. */
function serviceExposure(body: Record<string, unknown> | undefined, name: string): Exposure | undefined {
  const spec = asObject(body?.spec);
  const type = typeof spec?.type === 'string' ? spec.type : undefined;
  if (type !== 'LoadBalancer' && type !== 'NodePort') return undefined;
  const annotations = annotationsOf(body);
  const reasons: string[] = [];
  let internetFacing = false;
  if (type === 'LoadBalancer') {
    const scheme = annotations['service.beta.kubernetes.io/aws-load-balancer-scheme'];
    const internal =
      annotations['service.beta.kubernetes.io/aws-load-balancer-internal'] ??
      annotations['service.beta.kubernetes.io/aws-load-balancer-internal-only'];
    // The AWS Load Balancer Controller defaults to internal; the legacy in-tree controller to internet-facing.
    const lbc =
      (typeof spec?.loadBalancerClass === 'string' && spec.loadBalancerClass.startsWith('service.k8s.aws/')) ||
      annotations['service.beta.kubernetes.io/aws-load-balancer-type'] === 'external';
    if (scheme === 'internet-facing') {
      internetFacing = true;
      reasons.push('internet-facing by its scheme annotation');
    } else if (!scheme && !lbc && (internal === undefined || internal === 'false')) {
      internetFacing = true;
      reasons.push('internet-facing (a classic load balancer with no internal annotation)');
    }
    const ranges = spec?.loadBalancerSourceRanges;
    if (internetFacing && Array.isArray(ranges) && ranges.length > 0 && !ranges.includes('0.0.0.0/0')) {
      internetFacing = false;
      reasons.length = 0;
    }
  }
  const ports = (Array.isArray(spec?.ports) ? spec.ports : []).map((p) => {
    const port = asObject(p);
    return `${port?.port ?? '?'}${port?.nodePort ? `/node ${port.nodePort}` : ''}`;
  });
  const selector = asObject(spec?.selector) ?? {};
  const backends = [...Object.values(selector).filter((v): v is string => typeof v === 'string'), name];
  return { kind: 'Service', type, internetFacing, reasons, ports, backends };
}

/** How an Ingress is exposed: scheme, TLS, and the services it routes to. */
function ingressExposure(body: Record<string, unknown> | undefined, name: string): Exposure {
  const annotations = annotationsOf(body);
  const spec = asObject(body?.spec);
  const reasons: string[] = [];
  const scheme = annotations['alb.ingress.kubernetes.io/scheme'];
  const internetFacing = scheme === 'internet-facing';
  if (internetFacing) reasons.push('internet-facing by its scheme annotation');
  const tls = Array.isArray(spec?.tls) && spec.tls.length > 0;
  const albCertificate = Boolean(annotations['alb.ingress.kubernetes.io/certificate-arn']);
  if (!tls && !albCertificate) reasons.push('no TLS');
  const backends = [name];
  const rules = Array.isArray(spec?.rules) ? spec.rules : [];
  for (const rule of rules) {
    const paths = pathOf(rule, 'http', 'paths');
    for (const p of Array.isArray(paths) ? paths : []) {
      const service = pathOf(p, 'backend', 'service', 'name') ?? pathOf(p, 'backend', 'serviceName');
      if (typeof service === 'string') backends.push(service);
    }
  }
  const hosts = rules.map((r) => asObject(r)?.host).filter((h): h is string => typeof h === 'string');
  return { kind: 'Ingress', internetFacing, reasons, ports: hosts, backends };
}

function service(type: string, annotations: Record<string, string> = {}, name = 'web'): Record<string, unknown> {
  return {
    kind: 'Service',
    apiVersion: 'v1',
    metadata: { name, annotations },
    spec: {
      type,
      selector: { app: name },
      ports: [{ port: 443, targetPort: 8443, ...(type === 'NodePort' ? { nodePort: 30443 } : {}) }],
    },
  };
}

export const exposedService: RuleDetector<AuditEvent> = {
  id: 'audit.exposed-service',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Service exposed outside the cluster',
  description:
    'A Service of type LoadBalancer or NodePort, or an Ingress, was created, or changed by someone other than the ' +
    'pipeline and the controllers. Every new entry point is attack surface. High when it is internet-facing by its ' +
    'annotations (or a classic load balancer, internet-facing by default), when an Ingress has no TLS, or when it ' +
    'fronts a known dashboard (Kubernetes Dashboard, Grafana, Prometheus, Kibana, Argo CD, Jupyter, ...).',
  severity: 'medium',
  mitre: ['T1133', 'T1190'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco: 'Create NodePort Service; Ingress Object without TLS Certificate Created',
    guardduty: 'Policy:Kubernetes/ExposedDashboard',
    elastic: 'Kubernetes Exposed Service Created With Type NodePort',
    sigma: 'none',
  },
  runbook:
    'Ask the owner whether the service is meant to be reachable from outside, and from where. Make load balancers ' +
    'internal unless they must be public, restrict them with loadBalancerSourceRanges or security groups, put TLS ' +
    'and authentication in front of dashboards, and delete what nobody claims.',

  detect(event, context) {
    const ref = event.objectRef;
    if (ref?.subresource || !CHANGES.has(event.verb) || !succeeded(event)) return undefined;
    if (ref?.resource !== 'services' && ref?.resource !== 'ingresses') return undefined;
    const user = actor(event);
    const isNew = created(event);
    // A re-apply by the pipeline, or the load balancer controller's bookkeeping, is not a new exposure.
    if (!isNew && (isCicdIdentity(user, context, event) || isSystemIdentity(user))) return undefined;
    const body = bodyOf(event);
    const name = ref.name ?? (pathOf(body, 'metadata', 'name') as string | undefined) ?? '?';
    const exposure = ref.resource === 'services' ? serviceExposure(body, name) : ingressExposure(body, name);
    if (!exposure) return undefined;
    const reasons = [...exposure.reasons];
    const dashboard = exposure.backends.find((b) => DASHBOARDS.test(b));
    if (dashboard) reasons.push(`fronts a dashboard (${dashboard})`);
    const high = exposure.internetFacing || dashboard !== undefined || reasons.includes('no TLS');
    const what = exposure.kind === 'Service' ? `${exposure.type} Service` : 'Ingress';
    return {
      severity: high ? 'high' : 'medium',
      title: exposure.internetFacing ? `Internet-facing ${what}` : `${what} ${isNew ? 'created' : 'changed'}`,
      summary:
        `${actorName(event)} ${isNew ? 'created' : 'changed'} ${what} ${objectName(event)}` +
        `${exposure.ports.length ? ` (${exposure.ports.join(', ')})` : ''}${reasons.length ? `: ${reasons.join('; ')}` : ''}.`,
      entities: { ...baseEntities(event), serviceType: exposure.type, internetFacing: exposure.internetFacing },
      evidence: `${event.verb} ${event.requestUri.slice(0, 200)} -> ${event.responseCode ?? '?'} ${what}${exposure.ports.length ? ` ports/hosts=${exposure.ports.join(',')}` : ''}`,
      dedupeKey: `${ref.resource}|${objectName(event)}|${exposure.type ?? ''}|${exposure.internetFacing}`,
    };
  },

  examples: {
    config: { identities: { cicd: ['github-actions'] } },
    fires: [
      exampleEvent({
        verb: 'create',
        resource: 'services',
        namespace: 'monitoring',
        name: 'prometheus-public',
        requestObject: service(
          'LoadBalancer',
          { 'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing' },
          'prometheus-public',
        ),
        responseCode: 201,
      }),
      exampleEvent({
        verb: 'create',
        resource: 'services',
        namespace: 'default',
        name: 'nginx',
        requestObject: service('NodePort', {}, 'nginx'),
        responseCode: 201,
      }),
      exampleEvent({
        verb: 'patch',
        resource: 'services',
        namespace: 'shop',
        name: 'web',
        requestObject: service('LoadBalancer', { 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' }),
      }),
      exampleEvent({
        verb: 'create',
        resource: 'ingresses',
        namespace: 'argocd',
        name: 'argocd-server',
        requestObject: {
          kind: 'Ingress',
          metadata: { name: 'argocd-server', annotations: { 'alb.ingress.kubernetes.io/scheme': 'internet-facing' } },
          spec: {
            rules: [
              { host: 'argo.example.com', http: { paths: [{ backend: { service: { name: 'argocd-server' } } }] } },
            ],
          },
        },
        responseCode: 201,
      }),
    ],
    quiet: [
      exampleEvent({
        verb: 'create',
        resource: 'services',
        namespace: 'default',
        name: 'nginx',
        requestObject: service('ClusterIP', {}, 'nginx'),
      }),
      exampleEvent({
        verb: 'patch',
        resource: 'services',
        namespace: 'shop',
        name: 'web',
        user: { username: 'github-actions', groups: ['ci-deployers'] },
        requestObject: service('LoadBalancer'),
      }),
      exampleEvent({
        verb: 'update',
        resource: 'services',
        subresource: 'status',
        namespace: 'shop',
        name: 'web',
        user: { username: 'system:serviceaccount:kube-system:aws-load-balancer-controller', groups: [] },
      }),
      exampleEvent({ verb: 'get', resource: 'ingresses', namespace: 'shop', name: 'web' }),
    ],
  },
};
