/**
 * `k2 addons render` and what it renders: every Kubernetes object validates against the
 * Kubernetes OpenAPI schemas (kubernetes-models; the Prometheus Operator's for its kinds), rule
 * files pass the real `promtool check rules`, Alertmanager's configuration the real `amtool
 * check-config`, and the dashboards read only series kraken-lib's rules record. No API server
 * runs here: the schemas stand in for one's validation.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PrometheusRule, ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { ClusterRole, ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from "kubernetes-models/v1";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { addonManifests, renderAddons } from "../../lib/addons/render";
import { everyNodeTolerations, kubePrometheusStackValues } from "../../lib/addons/monitoring/values";
import { RECORDING_RULES } from "../../lib/addons/monitoring/rules";
import { clusterEtcdTopology } from "../../lib/etcd/cluster-topology";
import { defineCluster, loadClusterFiles, type Cluster, type ClusterDocumentInput } from "../../lib/spec";
import { EXAMPLES, runK2, setPath } from "../util";

const work = mkdtempSync(join(tmpdir(), "k2-addons-"));
afterAll(() => {
  // Left for inspection on failure is not needed: everything is in the assertions.
  spawnSync("rm", ["-rf", work]);
});

const awsHa = loadClusterFiles([EXAMPLES.awsHa])[0]!;

type Validator = new (data: never) => { validate(): void };
const KINDS: Record<string, Validator> = {
  "v1/Namespace": Namespace,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
  "apps/v1/Deployment": Deployment,
  "rbac.authorization.k8s.io/v1/ClusterRole": ClusterRole,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": ClusterRoleBinding,
  "monitoring.coreos.com/v1/PrometheusRule": PrometheusRule,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
};

/** The schema problem of a Kubernetes object, or undefined when it is valid. */
function schemaProblem(object: Record<string, unknown>): string | undefined {
  const kind = `${String(object.apiVersion)}/${String(object.kind)}`;
  const Model = KINDS[kind];
  if (!Model) return `no schema for ${kind}: add its kubernetes-models class to this test`;
  try {
    new Model(object as never).validate();
    return undefined;
  } catch (error) {
    return `${kind} ${JSON.stringify((object.metadata as { name?: string } | undefined)?.name)}: ${(error as Error).message}`;
  }
}

function tool(command: string, args: readonly string[]): { status: number | null; output: string } {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 60_000 });
  const code = result.error && "code" in result.error ? result.error.code : undefined;
  if (code === "ENOENT") {
    throw new Error(`${command} is not installed: CI installs it from Debian (${command === "promtool" ? "prometheus" : "prometheus-alertmanager"}); run .ci/run or apt-get install it`);
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function withAlerting(cluster: Cluster, alerting: Record<string, unknown>): Cluster {
  const document = JSON.parse(JSON.stringify(cluster)) as ClusterDocumentInput;
  return defineCluster(setPath(document, "spec.addons.alerting", alerting));
}

describe("rendered Kubernetes objects", () => {
  const objects = addonManifests(awsHa).flatMap((file) => file.objects);

  it("cover the namespace, the rules, the dashboards, Alertmanager's configuration and the events exporter", () => {
    const monitoring = ["ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "Namespace", "PrometheusRule", "PrometheusRule", "PrometheusRule", "Secret", "Service", "ServiceAccount", "ServiceMonitor"];
    // The example ships logs too: the events logger's objects.
    const logging = ["ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "Namespace", "ServiceAccount"];
    expect(objects.map((object) => object.kind).sort()).toEqual([...monitoring, ...logging].sort());
  });

  it("validate against the Kubernetes and Prometheus Operator OpenAPI schemas", () => {
    expect(objects.map(schemaProblem).filter((problem) => problem !== undefined)).toEqual([]);
  });

  it("would fail the schemas with a wrong field type (the check can fail)", () => {
    const deployment = structuredClone(objects.find((object) => object.kind === "Deployment")!) as { spec: { replicas: unknown } };
    deployment.spec.replicas = "two";
    expect(schemaProblem(deployment as unknown as Record<string, unknown>)).toMatch(/replicas/);
  });

  it("put no credential in Alertmanager's configuration Secret", () => {
    const cluster = withAlerting(awsHa, { receivers: [{ name: "ops", slack: { webhookUrlEnv: "OPS_SLACK_URL" }, webhook: { url: "https://hooks.example.com/a", bearerTokenEnv: "OPS_TOKEN" } }] });
    const text = JSON.stringify(addonManifests(cluster));
    expect(text).toContain("api_url_file");
    expect(text).not.toMatch(/hooks\.slack\.com/);
  });
});

describe("k2 addons render", () => {
  it("writes rules, Alertmanager's configuration, dashboards, values and manifests that the real tools accept", () => {
    const out = join(work, "aws-ha");
    const result = runK2(["addons", "render", EXAMPLES.awsHa, "--out", out, "--format", "json"]);
    expect(result.status, result.stderr).toBe(0);
    const ruleFiles = readdirSync(join(out, "rules")).map((name) => join(out, "rules", name));
    expect(ruleFiles.length).toBeGreaterThan(0);
    const rules = tool("promtool", ["check", "rules", ...ruleFiles]);
    expect(rules.status, rules.output).toBe(0);
    // Alertmanager reads the receivers' credentials from files of a mounted Secret: a real check needs them there.
    const alertmanager = tool("amtool", ["check-config", join(out, "alertmanager.yaml")]);
    expect(alertmanager.status, alertmanager.output).toBe(0);
    for (const name of ["dashboards/kraken-usage.json", "values/kube-prometheus-stack.yaml", "values/metrics-server.yaml", "manifests/prometheus-rules.yaml", "manifests/event-exporter.yaml"]) {
      expect(existsSync(join(out, name)), name).toBe(true);
    }
    const manifests = readdirSync(join(out, "manifests")).flatMap((name) => parseAllDocuments(readFileSync(join(out, "manifests", name), "utf8")).map((document) => document.toJSON() as Record<string, unknown>));
    expect(manifests.map(schemaProblem).filter((problem) => problem !== undefined)).toEqual([]);
  });

  it("renders dashboards that read only series kraken-lib's rules record", () => {
    const dashboard = JSON.parse(renderAddons(awsHa).find((file) => file.path === "dashboards/kraken-usage.json")!.content) as { panels: { targets: { expr: string }[] }[] };
    const series = dashboard.panels.flatMap((panel) => panel.targets.map((target) => /[a-z_]+:[a-z_]+:[a-z0-9_]+/.exec(target.expr)?.[0]));
    expect(series.length).toBeGreaterThanOrEqual(8);
    for (const name of series) expect(RECORDING_RULES as readonly string[]).toContain(name);
  });

  it("runs node-exporter on every node: the control plane and every tainted pool, the GPU pool's taint included", () => {
    const tolerations = everyNodeTolerations(awsHa);
    expect(tolerations).toContainEqual({ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" });
    expect(tolerations).toContainEqual({ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" });
    expect(tolerations).toContainEqual({ key: "lifecycle", operator: "Exists", effect: "PreferNoSchedule" });
    const values = kubePrometheusStackValues(awsHa, clusterEtcdTopology(awsHa)) as { "prometheus-node-exporter": { tolerations: unknown[] }; prometheus: { prometheusSpec: { additionalScrapeConfigs: { job_name: string; static_configs: { targets: string[] }[] }[]; retention: string } } };
    expect(values["prometheus-node-exporter"].tolerations).toEqual(tolerations);
    // etcd is scraped at its members' metrics port, one job per etcd cluster.
    const jobs = values.prometheus.prometheusSpec.additionalScrapeConfigs;
    expect(jobs.map((job) => job.job_name)).toEqual(["etcd-main", "etcd-events"]);
    expect(jobs[0]!.static_configs[0]!.targets).toEqual(["10.0.0.10:2381", "10.0.32.10:2381", "10.0.64.10:2381"]);
    expect(values.prometheus.prometheusSpec.retention).toBe("15d");
  });

  it("writes nothing for an invalid spec, and refuses a directory it did not write", () => {
    const dir = join(work, "bad");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "bad.yaml"), readFileSync(EXAMPLES.awsMinimal, "utf8").replace(/^spec:$/m, "spec:\n  addons: { monitoring: { retention: 30 } }"));
    const invalid = runK2(["addons", "render", "bad.yaml", "--out", "out"], { cwd: dir });
    expect(invalid.status, invalid.stderr).toBe(1);
    expect(invalid.stderr).toContain("spec.addons.monitoring.retention");
    expect(existsSync(join(dir, "out"))).toBe(false);
    const foreign = join(work, "foreign");
    mkdirSync(foreign, { recursive: true });
    writeFileSync(join(foreign, "notes.txt"), "mine");
    const refused = runK2(["addons", "render", EXAMPLES.awsHa, "--out", foreign]);
    // A wrong --out is a usage error, as for k2 synth.
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/not written by k2 addons render/);
    expect(readdirSync(foreign)).toEqual(["notes.txt"]);
  });

  it("writes the logging manifests, the agents' configuration and the sinks' Secret template (no credential)", () => {
    const files = new Map(renderAddons(awsHa).map((file) => [file.path, file.content]));
    for (const path of ["manifests/logging-events.yaml", "values/fluent-bit.yaml", "logging/fluent-bit.conf", "logging/parsers.conf", "logging/etcd-main-hosts.conf", "logging/etcd-events-hosts.conf", "secrets/logging-sinks.yaml"]) {
      expect(files.has(path), path).toBe(true);
    }
    expect(files.get("logging/fluent-bit.conf")).toMatch(/\[OUTPUT\][^[]*Name\s+loki/);
    expect(files.get("logging/etcd-main-hosts.conf")).toContain("_SYSTEMD_UNIT=etcd.service");
    expect(files.get("secrets/logging-sinks.yaml")).toContain("<TF_VAR_logging_loki_password, from $LOKI_PASSWORD");
  });

  it("places the log agent on every node: the control plane and the GPU pool's taint, with no toleration written by hand", () => {
    const values = parseAllDocuments(renderAddons(awsHa).find((file) => file.path === "values/fluent-bit.yaml")!.content)[0]!.toJSON() as { tolerations: { key: string; effect: string }[] };
    const keys = values.tolerations.map((toleration) => `${toleration.key}:${toleration.effect}`);
    expect(keys).toContain("node-role.kubernetes.io/control-plane:NoSchedule");
    expect(keys).toContain("nvidia.com/gpu:NoSchedule");
    // Every taint of every pool, whatever the spec says.
    for (const pool of awsHa.spec.nodePools) for (const taint of pool.taints) expect(keys).toContain(`${taint.key}:${taint.effect}`);
  });

  it("renders one directory per cluster for a fleet, and nothing but a marker when monitoring is off", () => {
    const out = join(work, "fleet");
    const result = runK2(["addons", "render", EXAMPLES.awsHa, EXAMPLES.maasBareMetal, "--out", out]);
    expect(result.status, result.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual([".k2-addons-render", "metal-dc1", "prod-usw2"]);
    const off = defineCluster(setPath(setPath(JSON.parse(JSON.stringify(awsHa)) as ClusterDocumentInput, "spec.addons.monitoring.enabled", false), "spec.addons.logging.enabled", false));
    expect(renderAddons(off)).toEqual([]);
  });
});
