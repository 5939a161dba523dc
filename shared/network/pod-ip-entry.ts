/** Who held an address from `from` on: a pod (and the workload that owns it) or a node. */
export interface PodIpEntry {
  kind: 'pod' | 'node';
  cluster?: string;
  namespace?: string;
  pod?: string;
  uid?: string;
  /** The owning workload's name and kind (`Deployment`, `DaemonSet`, ...), when known or inferred. */
  workload?: string;
  ownerKind?: string;
  /** The node's name (for a node, its own). */
  node?: string;
  /** Epoch ms the address was first held (the pod's start time when the log gives it). */
  from: number;
  /** Epoch ms the holder was last reported. */
  seen: number;
  /**
   * Epoch ms the audit log first reported the holder. Far after `from`, the pod ran unnamed for a
   * while (it started before the log, or before Driftwatch ran): its traffic until then was judged
   * by address, and that history is the workload's ({@link reportedLate}).
   */
  reported?: number;
  /** Epoch ms the pod stopped holding the address, when the log says so. */
  to?: number;
}
