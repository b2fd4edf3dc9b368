/**
 * The API server's audit policy and the kubeadm settings that turn it on. No API server runs on
 * these machines, so the policy is checked by evaluating it as the API server does: rules in
 * order, the first whose every given field matches sets the level (k8s.io/apiserver's
 * policy checker: `*` at the end of a non-resource URL is a prefix, a rule with resources or
 * namespaces never matches a non-resource request, and the reverse).
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { AUDIT_LOG_PATH, AUDIT_POLICY, AUDIT_POLICY_FILE, KRAKEN_DIR, renderAuditPolicy, type AuditLevel, type AuditPolicy, type AuditRule } from "../../lib/bootstrap";
import { withoutCommentLines } from "../../lib/bootstrap/compact";
import { fluentBitConfig } from "../../lib/addons/logging/fluent-bit";
import { awsHa, controlPlaneUserData, largeCluster, parseUserData, writtenFile, yamlDocuments } from "./fixtures";

interface AuditRequest {
  readonly user: string;
  readonly groups?: readonly string[];
  readonly verb: string;
  readonly group?: string;
  readonly resource?: string;
  readonly namespace?: string;
  readonly path?: string;
}

function ruleMatches(rule: AuditRule, request: AuditRequest): boolean {
  if (rule.users && !rule.users.includes(request.user)) return false;
  if (rule.userGroups && !rule.userGroups.some((group) => request.groups?.includes(group))) return false;
  if (rule.verbs && !rule.verbs.includes(request.verb)) return false;
  if (request.path !== undefined) {
    if (rule.resources || rule.namespaces) return false;
    if (!rule.nonResourceURLs) return true;
    return rule.nonResourceURLs.some((url) => (url.endsWith("*") ? request.path!.startsWith(url.slice(0, -1)) : request.path === url));
  }
  if (rule.nonResourceURLs) return false;
  if (rule.namespaces && !rule.namespaces.includes(request.namespace ?? "")) return false;
  if (rule.resources) {
    return rule.resources.some((entry) => entry.group === (request.group ?? "") && (entry.resources === undefined || entry.resources.includes(request.resource ?? "")));
  }
  return true;
}

function levelOf(policy: AuditPolicy, request: AuditRequest): AuditLevel {
  return policy.rules.find((rule) => ruleMatches(rule, request))?.level ?? "None";
}

const admin = { user: "kubernetes-admin", groups: ["system:masters"] };
const kubelet = { user: "system:node:worker-1", groups: ["system:nodes", "system:authenticated"] };

describe("the audit policy", () => {
  const policy = parse(renderAuditPolicy()) as AuditPolicy;

  it("is the policy as written, in audit.k8s.io/v1, without the RequestReceived stage", () => {
    expect(policy).toEqual(JSON.parse(JSON.stringify(AUDIT_POLICY)));
    expect(policy.apiVersion).toBe("audit.k8s.io/v1");
    expect(policy.kind).toBe("Policy");
    expect(policy.omitStages).toEqual(["RequestReceived"]);
  });

  it("uses levels and wildcards the API server accepts, and ends with a rule for everything", () => {
    for (const rule of policy.rules) {
      expect(["None", "Metadata", "Request", "RequestResponse"]).toContain(rule.level);
      for (const url of rule.nonResourceURLs ?? []) expect(url.indexOf("*") === -1 || url.indexOf("*") === url.length - 1, url).toBe(true);
      expect(rule.nonResourceURLs !== undefined && (rule.resources !== undefined || rule.namespaces !== undefined), JSON.stringify(rule)).toBe(false);
    }
    expect(Object.keys(policy.rules.at(-1)!)).toEqual(["level"]);
  });

  it.each<[string, AuditRequest, AuditLevel]>([
    ["an admin reading a Secret: who and when, never its data", { ...admin, verb: "get", resource: "secrets", namespace: "shop" }, "Metadata"],
    ["an admin creating a Secret: the body holds the secret, so metadata only", { ...admin, verb: "create", resource: "secrets", namespace: "shop" }, "Metadata"],
    ["a ConfigMap update: metadata only", { ...admin, verb: "update", resource: "configmaps", namespace: "shop" }, "Metadata"],
    ["a token request: metadata only", { ...admin, verb: "create", resource: "serviceaccounts/token", namespace: "shop" }, "Metadata"],
    ["a token review: metadata only", { user: "system:kube-apiserver", verb: "create", group: "authentication.k8s.io", resource: "tokenreviews" }, "Metadata"],
    ["scaling a Deployment: the request, with the new replicas", { ...admin, verb: "patch", group: "apps", resource: "deployments/scale", namespace: "shop" }, "Request"],
    ["deleting a Pod", { ...admin, verb: "delete", resource: "pods", namespace: "shop" }, "Request"],
    ["tainting a Node", { ...admin, verb: "patch", resource: "nodes" }, "Request"],
    ["an exec into a Pod", { ...admin, verb: "create", resource: "pods/exec", namespace: "shop" }, "Request"],
    ["creating a custom resource", { ...admin, verb: "create", group: "monitoring.coreos.com", resource: "prometheusrules", namespace: "monitoring" }, "Request"],
    ["listing Pods", { ...admin, verb: "list", resource: "pods" }, "Metadata"],
    ["the control-plane join lock taken", { ...admin, verb: "create", group: "coordination.k8s.io", resource: "leases", namespace: "kube-system" }, "Request"],
    ["a kubelet's heartbeat (Lease renewal)", { ...kubelet, verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease" }, "None"],
    ["the scheduler's leader election", { user: "system:kube-scheduler", verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: "kube-system" }, "None"],
    ["a kubelet reading its Node", { ...kubelet, verb: "get", resource: "nodes" }, "None"],
    ["a kubelet's status update: a change, kept", { ...kubelet, verb: "patch", resource: "nodes/status" }, "Request"],
    ["kube-proxy watching EndpointSlices", { user: "system:kube-proxy", verb: "watch", group: "discovery.k8s.io", resource: "endpointslices" }, "None"],
    ["an Event written by the kubelet (the events logger keeps it)", { ...kubelet, verb: "create", resource: "events", namespace: "shop" }, "None"],
    ["an Event written through events.k8s.io", { user: "system:kube-scheduler", verb: "create", group: "events.k8s.io", resource: "events", namespace: "shop" }, "None"],
    ["a health check", { user: "system:anonymous", verb: "get", path: "/readyz" }, "None"],
    ["a probe of one health check", { user: "system:anonymous", verb: "get", path: "/livez/etcd" }, "None"],
    ["discovery of the API", { ...admin, verb: "get", path: "/apis" }, "Metadata"],
  ])("%s → %s", (_what, request, expected) => {
    expect(levelOf(policy, request)).toBe(expected);
  });
});

describe("the control plane's audit settings", () => {
  const userData = parseUserData(controlPlaneUserData(awsHa(), 0));

  it("writes the policy file, readable by root only", () => {
    const file = userData.writeFiles.find((entry) => entry.path === AUDIT_POLICY_FILE)!;
    expect(file.permissions).toBe("0600");
    expect(parse(file.content)).toEqual(parse(renderAuditPolicy()));
  });

  it("gives the API server the policy, the log where the log agent reads it, rotation, and both directories", () => {
    const documents = yamlDocuments(writtenFile(userData, `${KRAKEN_DIR}/kubeadm-init.yaml`).content, "1.1");
    const configuration = documents.find((document) => document.kind === "ClusterConfiguration") as {
      apiServer: { extraArgs: { name: string; value: string }[]; extraVolumes: { name: string; hostPath: string; mountPath: string; readOnly: boolean }[] };
    };
    const args = Object.fromEntries(configuration.apiServer.extraArgs.map((arg) => [arg.name, arg.value]));
    expect(args).toMatchObject({
      "audit-policy-file": AUDIT_POLICY_FILE,
      "audit-log-path": AUDIT_LOG_PATH,
      "audit-log-format": "json",
      "audit-log-maxsize": "100",
      "audit-log-maxbackup": "4",
      "audit-log-maxage": "7",
      "audit-log-compress": "true",
    });
    const volumes = configuration.apiServer.extraVolumes;
    expect(volumes.find((volume) => AUDIT_POLICY_FILE.startsWith(`${volume.mountPath}/`))).toMatchObject({ readOnly: true });
    expect(volumes.find((volume) => AUDIT_LOG_PATH.startsWith(`${volume.mountPath}/`))).toMatchObject({ readOnly: false });
    for (const volume of volumes) expect(volume.hostPath).toBe(volume.mountPath);
    // The etcd overrides stay beside the audit flags.
    expect(args["etcd-servers-overrides"]).toMatch(/^\/events#/);
  });

  it("is where the node log agent tails the audit log", () => {
    expect(fluentBitConfig(awsHa()).inputs).toMatch(new RegExp(`Path\\s+${AUDIT_LOG_PATH.replace(/\//g, "\\/").replace(/\./g, "\\.")}\\n`));
  });

  it("fits the largest cluster's control-plane user data (its scripts go without comment lines)", () => {
    expect(controlPlaneUserData(largeCluster(), 0)).toContain(AUDIT_POLICY_FILE);
  });
});

describe("scripts without their comment lines", () => {
  it("drops comment lines and keeps the shebang, shellcheck directives, code and trailing comments", () => {
    const script = ["#!/usr/bin/env bash", "# what this does", "set -e", "  # indented comment", "# shellcheck source=/dev/null", ". /etc/env", 'echo "# not a comment" # trailing', ""].join("\n");
    expect(withoutCommentLines(script)).toBe(["#!/usr/bin/env bash", "set -e", "# shellcheck source=/dev/null", ". /etc/env", 'echo "# not a comment" # trailing', ""].join("\n"));
  });

  it("keeps every line of a here-document, quoted or not, tab-stripped or not, and resumes after it", () => {
    const script = [
      "cat > /etc/a.conf <<'EOF'",
      "# a config comment, which is data",
      "key value",
      "EOF",
      "# dropped",
      "cat <<-END > b",
      "\t# kept too",
      "\tEND",
      "# dropped as well",
      'grep -c . <<< "$names"',
      "# and this one: a here-string opens no document",
    ].join("\n");
    expect(withoutCommentLines(script)).toBe(
      ["cat > /etc/a.conf <<'EOF'", "# a config comment, which is data", "key value", "EOF", "cat <<-END > b", "\t# kept too", "\tEND", 'grep -c . <<< "$names"'].join("\n"),
    );
  });
});
