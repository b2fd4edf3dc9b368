/**
 * The API server's audit log: the policy every control-plane node writes, and the kubeadm flags
 * and mounts that turn it on. The log agent ships the log (lib/addons/logging, docs/logging.md).
 *
 * Rules match in order; the first that matches sets the level. The policy keeps who did what to
 * which object for every request worth keeping, the request body for changes, and never the body
 * of a Secret, ConfigMap, token or token review. It drops what only adds volume: health checks,
 * Lease renewals (every node, every 10 seconds), kube-proxy's and the nodes' own reads, and Events
 * (the events logger keeps those).
 * @see https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/
 */
import { Document, isMap, isSeq } from "yaml";

export const AUDIT_POLICY_DIR = "/etc/kubernetes/audit";
export const AUDIT_POLICY_FILE = `${AUDIT_POLICY_DIR}/policy.yaml`;
export const AUDIT_LOG_DIR = "/var/log/kubernetes/audit";
/** JSON lines of audit.k8s.io/v1 Events; the API server rotates it (AUDIT_LOG_ROTATION). */
export const AUDIT_LOG_PATH = `${AUDIT_LOG_DIR}/audit.log`;

/** At most 5 × 100 MB of audit log per control-plane node, rotated files gzipped, a week at most. */
export const AUDIT_LOG_ROTATION = { maxSizeMegabytes: 100, maxBackups: 4, maxAgeDays: 7 } as const;

export type AuditLevel = "None" | "Metadata" | "Request" | "RequestResponse";

export interface AuditRule {
  readonly level: AuditLevel;
  readonly users?: readonly string[];
  readonly userGroups?: readonly string[];
  readonly verbs?: readonly string[];
  readonly namespaces?: readonly string[];
  readonly resources?: readonly { readonly group: string; readonly resources?: readonly string[] }[];
  readonly nonResourceURLs?: readonly string[];
}

export interface AuditPolicy {
  readonly apiVersion: "audit.k8s.io/v1";
  readonly kind: "Policy";
  readonly omitStages: readonly string[];
  readonly rules: readonly AuditRule[];
}

const READS = ["get", "list", "watch"];
const WRITES = ["create", "update", "patch", "delete", "deletecollection"];

export const AUDIT_POLICY: AuditPolicy = {
  apiVersion: "audit.k8s.io/v1",
  kind: "Policy",
  // One record per request when the response is sent (and one when a long watch starts).
  omitStages: ["RequestReceived"],
  rules: [
    { level: "None", nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version", "/metrics", "/openapi/*"] },
    // Leader election and node heartbeats: every component and node, every few seconds. The
    // control-plane join lock is created and deleted, which stays in the log.
    { level: "None", verbs: ["get", "update"], resources: [{ group: "coordination.k8s.io", resources: ["leases"] }] },
    { level: "None", users: ["system:kube-proxy"], verbs: ["watch"], resources: [{ group: "", resources: ["endpoints", "services", "services/status"] }, { group: "discovery.k8s.io", resources: ["endpointslices"] }] },
    { level: "None", userGroups: ["system:nodes"], verbs: ["get"], resources: [{ group: "", resources: ["nodes", "nodes/status"] }] },
    { level: "None", resources: [{ group: "", resources: ["events"] }, { group: "events.k8s.io", resources: ["events"] }] },
    // Who touched a secret, never what it holds (the body would put the secret in the log).
    {
      level: "Metadata",
      resources: [
        { group: "", resources: ["secrets", "configmaps", "serviceaccounts/token"] },
        { group: "authentication.k8s.io", resources: ["tokenreviews"] },
        { group: "authorization.k8s.io", resources: ["subjectaccessreviews", "selfsubjectaccessreviews", "localsubjectaccessreviews"] },
        { group: "certificates.k8s.io", resources: ["certificatesigningrequests"] },
      ],
    },
    { level: "Metadata", verbs: READS },
    // Changes with what was asked: a Deployment's new replicas, a Pod's spec, a node's taints.
    { level: "Request", verbs: WRITES },
    { level: "Metadata" },
  ],
};

/** The policy file's text: one line per rule. */
export function renderAuditPolicy(policy: AuditPolicy = AUDIT_POLICY): string {
  const document = new Document(policy);
  const rules = document.get("rules");
  if (isSeq(rules)) for (const rule of rules.items) if (isMap(rule)) rule.flow = true;
  const omitStages = document.get("omitStages");
  if (isSeq(omitStages)) omitStages.flow = true;
  return document.toString({ lineWidth: 0 });
}

/** kube-apiserver flags (kubeadm apiServer.extraArgs) that write the audit log. */
export function auditApiServerArgs(): { name: string; value: string }[] {
  return [
    { name: "audit-policy-file", value: AUDIT_POLICY_FILE },
    { name: "audit-log-path", value: AUDIT_LOG_PATH },
    { name: "audit-log-format", value: "json" },
    { name: "audit-log-maxsize", value: String(AUDIT_LOG_ROTATION.maxSizeMegabytes) },
    { name: "audit-log-maxbackup", value: String(AUDIT_LOG_ROTATION.maxBackups) },
    { name: "audit-log-maxage", value: String(AUDIT_LOG_ROTATION.maxAgeDays) },
    { name: "audit-log-compress", value: "true" },
  ];
}

/** The host directories the API server's static pod mounts: the policy read-only, the log read-write. */
export function auditApiServerVolumes(): { name: string; hostPath: string; mountPath: string; readOnly: boolean; pathType: string }[] {
  return [
    { name: "audit-policy", hostPath: AUDIT_POLICY_DIR, mountPath: AUDIT_POLICY_DIR, readOnly: true, pathType: "DirectoryOrCreate" },
    { name: "audit-log", hostPath: AUDIT_LOG_DIR, mountPath: AUDIT_LOG_DIR, readOnly: false, pathType: "DirectoryOrCreate" },
  ];
}
