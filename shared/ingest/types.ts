/** Where a record came from: the object (S3 URI or file path) and its position inside it. */
export interface Origin {
  uri: string;
  /** 1-based line of the record (or of the document that holds it). */
  line?: number;
  /** 0-based index of the document in an object of concatenated documents (Firehose). */
  document?: number;
  /**
   * 0-based index of the record inside a document (CloudWatch Logs `logEvents[]`), or of the row
   * in a Parquet object.
   */
  record?: number;
}

export interface AuditUser {
  username: string;
  groups: string[];
  uid?: string;
  /** Extra attributes from the authenticator (on EKS: arn, sessionName, principalId, ...). */
  extra?: Record<string, string[]>;
}

export interface ObjectReference {
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  apiGroup?: string;
  apiVersion?: string;
}

/** A Kubernetes audit event (audit.k8s.io v1 or v1beta1), normalized. */
export interface AuditEvent {
  auditId: string;
  /** The cluster the event came from (the Firehose log group names it; else the configured name). */
  cluster: string;
  /** Event time in epoch milliseconds (requestReceivedTimestamp, else stageTimestamp). */
  time: number;
  stage: string;
  level?: string;
  verb: string;
  requestUri: string;
  user: AuditUser;
  impersonatedUser?: AuditUser;
  sourceIps: string[];
  userAgent?: string;
  objectRef?: ObjectReference;
  responseCode?: number;
  /** `authorization.k8s.io/decision`: allow or forbid. */
  decision?: string;
  /** Raw request and response bodies. Detectors read fields from them; they are never copied out whole. */
  requestObject?: unknown;
  responseObject?: unknown;
  annotations?: Record<string, string>;
  origin: Origin;
}

export type FlowAction = 'ACCEPT' | 'REJECT';

/** One VPC flow-log record, normalized. Numeric fields that were `-` are undefined. */
export interface FlowRecord {
  version?: number;
  accountId?: string;
  interfaceId?: string;
  /** The packet-level address when the log has it (pkt-srcaddr), else srcaddr: EKS pod IPs show there. */
  srcAddr: string;
  dstAddr: string;
  /** The interface-level addresses as logged (srcaddr and dstaddr). */
  ifSrcAddr?: string;
  ifDstAddr?: string;
  srcPort?: number;
  dstPort?: number;
  protocol?: number;
  packets?: number;
  bytes?: number;
  /** Start and end of the capture window, epoch seconds. */
  start?: number;
  end?: number;
  action?: FlowAction;
  logStatus: 'OK' | 'NODATA' | 'SKIPDATA';
  vpcId?: string;
  subnetId?: string;
  instanceId?: string;
  tcpFlags?: number;
  type?: string;
  region?: string;
  azId?: string;
  /** `wavelength`, `outpost` or `localzone`, with the id of that sublocation (v4). */
  sublocationType?: string;
  sublocationId?: string;
  pktSrcAwsService?: string;
  pktDstAwsService?: string;
  flowDirection?: 'ingress' | 'egress';
  trafficPath?: number;
  /** Why a REJECT happened, e.g. `BPA` (v8). */
  rejectReason?: string;
  /** The ECS task behind the interface, when there is one (v7 fields). */
  ecs?: FlowEcsContext;
  /** Fields this reader does not know, kept by name. */
  extras?: Record<string, string>;
  origin: Origin;
}

/** The v7 ECS fields of a flow record, kept only when the log has them. */
export interface FlowEcsContext {
  clusterArn?: string;
  clusterName?: string;
  containerInstanceArn?: string;
  containerInstanceId?: string;
  containerId?: string;
  secondContainerId?: string;
  serviceName?: string;
  taskDefinitionArn?: string;
  taskArn?: string;
  taskId?: string;
}
