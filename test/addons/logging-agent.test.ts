/**
 * The log agent's rendered Fluent Bit configuration: its parser regexes applied to real log
 * lines (test/fixtures/logs, sources in its README), the classic config's structure, the
 * DaemonSet's tolerations and the etcd hosts' install function (bash -n, shellcheck).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CRI_LOG_REGEX,
  KLOG_REGEX,
  LOGGING_SECRET,
  OOM_CONTEXT_REGEX,
  OOM_KILLED_REGEX,
  etcdHostAgent,
  fluentBitConfig,
  fluentBitValues,
  loggingSecretKeys,
  loggingSecretVariable,
} from "../../lib/addons/logging/fluent-bit";
import { defineCluster, loadClusterFiles, type Cluster, type ClusterDocumentInput } from "../../lib/spec";
import { EXAMPLES, REPO_ROOT, awsDocument, setPath } from "../util";

const FIXTURES = join(REPO_ROOT, "test/fixtures/logs");
const lines = (name: string): string[] => readFileSync(join(FIXTURES, name), "utf8").split("\n").filter((line) => line.trim() !== "");

const ALL_SINKS = {
  enabled: true,
  sinks: {
    loki: { url: "https://loki.example.com", tenantId: "platform", usernameEnv: "PROD_LOKI_USER", passwordEnv: "PROD_LOKI_PASS" },
    elasticsearch: { url: "https://search.example.com:9200", index: "prod-logs", usernameEnv: "PROD_ES_USER", passwordEnv: "PROD_ES_PASS" },
    cloudwatch: { region: "us-west-2", logGroup: "/kraken/test" },
    s3: { bucket: "acme-log-archive", region: "us-west-2", prefix: "archive/k8s" },
  },
  retentionDays: 45,
  labels: { env: "prod", team: "platform" },
};

function clusterWith(logging: unknown): Cluster {
  return defineCluster(setPath(awsDocument() as ClusterDocumentInput, "spec.addons.logging", logging));
}

// ---------------------------------------------------------------------------------------------
// A small parser of Fluent Bit's classic format: sections of `Key Value` lines.

interface Section {
  readonly kind: string;
  readonly entries: readonly (readonly [string, string])[];
}

function parseClassic(text: string): Section[] {
  const result: { kind: string; entries: [string, string][] }[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const header = /^\[([A-Z_]+)\]$/.exec(line);
    if (header) {
      result.push({ kind: header[1]!, entries: [] });
      continue;
    }
    const current = result[result.length - 1];
    if (!current) throw new Error(`entry outside a section: ${line}`);
    const match = /^(\S+)\s+(.*)$/.exec(line);
    if (!match) throw new Error(`not a "Key Value" line: ${line}`);
    current.entries.push([match[1]!, match[2]!]);
  }
  return result;
}

const get = (section: Section, key: string): string | undefined => section.entries.find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
const getAll = (section: Section, key: string): string[] => section.entries.filter(([k]) => k.toLowerCase() === key.toLowerCase()).map(([, v]) => v);

// ---------------------------------------------------------------------------------------------

describe("parsers on real log lines", () => {
  it("GIVEN containerd CRI lines WHEN the cri regex applies THEN time, stream, tag and message come out", () => {
    const regex = new RegExp(CRI_LOG_REGEX);
    const [scheduler, apiserver] = lines("containerd-cri.log").map((line) => regex.exec(line)?.groups);
    expect(scheduler).toMatchObject({ time: "2025-02-03T15:52:04.259430674Z", stream: "stderr", _p: "F" });
    expect(scheduler!.log).toMatch(/^I0203 15:52:04.258997 +1 eventhandlers.go:149\] "Add event for unscheduled pod"/);
    expect(apiserver).toMatchObject({ stream: "stderr", _p: "F" });
    // The message is a klog line too: the same header the kubelet writes.
    expect(new RegExp(KLOG_REGEX).exec(apiserver!.log!)?.groups).toMatchObject({ severity: "I", klog_source: "httplog.go:132" });
  });

  it("GIVEN a kubelet journal entry WHEN the klog regex applies to MESSAGE THEN the registration is found", () => {
    const entry = JSON.parse(lines("kubelet-journal.json")[0]!) as Record<string, string>;
    expect(entry._SYSTEMD_UNIT).toBe("kubelet.service");
    const fields = new RegExp(KLOG_REGEX).exec(entry.MESSAGE!)?.groups;
    expect(fields).toMatchObject({ severity: "I", klog_pid: "5645", klog_source: "kubelet_node_status.go:78" });
    expect(fields!.msg).toBe('"Successfully registered node" node="node02"');
  });

  it("GIVEN kernel OOM-killer lines WHEN the OOM regexes apply THEN process, pid and the pod UID come out", () => {
    const [context, killed] = lines("kernel-oom-journal.jsonl").map((line) => (JSON.parse(line) as Record<string, string>).MESSAGE!);
    expect(new RegExp(OOM_CONTEXT_REGEX).exec(context!)?.groups).toMatchObject({
      oom_constraint: "CONSTRAINT_MEMCG",
      oom_pod_uid: "968a06fb_9ab9_4819_8caf_0392ddff3d9b",
      oom_process: "qemu-system-x86",
      oom_pid: "39079",
    });
    expect(new RegExp(OOM_KILLED_REGEX).exec(killed!)?.groups).toMatchObject({ oom_scope: "Memory cgroup out of memory", oom_pid: "70870", oom_process: "qemu-system-x86" });
    // Neither matches an ordinary kubelet line.
    expect(new RegExp(OOM_KILLED_REGEX).test(lines("kubelet-journal.json")[0]!)).toBe(false);
  });

  it("GIVEN an audit log line THEN it is an audit.k8s.io/v1 Event with the time key the parser names", () => {
    const parsers = parseClassic(fluentBitConfig(clusterWith(ALL_SINKS)).parsers);
    const audit = parsers.find((p) => get(p, "Name") === "kraken-audit")!;
    const event = JSON.parse(lines("audit.log")[0]!) as Record<string, unknown>;
    expect(event).toMatchObject({ kind: "Event", apiVersion: "audit.k8s.io/v1", verb: "get", requestURI: "/readyz" });
    expect(event[get(audit, "Time_Key")!]).toBe("2023-01-29T13:23:42.914467Z");
  });

  it("GIVEN the events exporter's RegisteredNode line THEN it is JSON with the fields the docs query", () => {
    const event = JSON.parse(lines("registered-node-event.json")[0]!) as Record<string, unknown>;
    expect(event).toMatchObject({ reason: "RegisteredNode", involvedObject: { kind: "Node" }, count: 1 });
    expect(event.message).toMatch(/Registered Node \S+ in Controller/);
  });
});

describe("the node agent's classic config", () => {
  const cluster = clusterWith(ALL_SINKS);
  const config = fluentBitConfig(cluster);
  const inputs = parseClassic(config.inputs);
  const filters = parseClassic(config.filters);
  const outputs = parseClassic(config.outputs);

  it("reads container logs with the cri multiline parser, the journal and the audit log", () => {
    expect(inputs.every((s) => s.kind === "INPUT")).toBe(true);
    const containers = inputs.find((s) => get(s, "Path") === "/var/log/containers/*.log")!;
    expect(get(containers, "multiline.parser")).toBe("cri");
    expect(get(containers, "Exclude_Path")).toBe("/var/log/containers/kube-events-logger-*_logging_*.log");
    const journal = inputs.find((s) => get(s, "Name") === "systemd")!;
    expect(getAll(journal, "Systemd_Filter")).toEqual(["_SYSTEMD_UNIT=kubelet.service", "_SYSTEMD_UNIT=containerd.service", "_TRANSPORT=kernel"]);
    const audit = inputs.find((s) => get(s, "Path") === "/var/log/kubernetes/audit/audit.log")!;
    expect(get(audit, "Parser")).toBe("kraken-audit");
  });

  it("adds Kubernetes metadata, tags the exporter's records kube.events and labels every record", () => {
    expect(filters.every((s) => s.kind === "FILTER")).toBe(true);
    expect(filters.filter((s) => get(s, "Name") === "kubernetes").map((s) => get(s, "Match"))).toEqual(["kube.*", "kevents.*"]);
    const rewrite = filters.find((s) => get(s, "Name") === "rewrite_tag")!;
    expect(get(rewrite, "Match")).toBe("kevents.*");
    expect(get(rewrite, "Rule")).toMatch(/ kube\.events false$/);
    const parser = filters.find((s) => get(s, "Name") === "parser" && get(s, "Match") === "kevents.*")!;
    expect(get(parser, "Parser")).toBe("kraken-event");
    const everyRecord = filters.find((s) => get(s, "Name") === "record_modifier" && get(s, "Match") === "*")!;
    expect(getAll(everyRecord, "Record")).toEqual(["cluster test", "node ${NODE_NAME}", "role node", "env prod", "team platform"]);
    // Every parser a filter names is declared.
    const declared = parseClassic(config.parsers).map((s) => get(s, "Name"));
    for (const name of filters.flatMap((s) => getAll(s, "Parser"))) expect(declared).toContain(name);
  });

  it("has one output per configured sink, matching everything", () => {
    expect(outputs.map((s) => get(s, "Name"))).toEqual(["loki", "es", "cloudwatch_logs", "s3"]);
    expect(outputs.every((s) => get(s, "Match") === "*")).toBe(true);
    const [loki, es, cloudwatch, s3] = outputs as [Section, Section, Section, Section];
    expect(get(loki, "Labels")).toBe(
      "job=$job, cluster=$cluster, node=$node, namespace=$kubernetes['namespace_name'], pod=$kubernetes['pod_name'], container=$kubernetes['container_name'], role=$role, source=$source",
    );
    expect([get(loki, "Host"), get(loki, "Port"), get(loki, "Uri"), get(loki, "Tenant_Id")]).toEqual(["loki.example.com", "443", "/loki/api/v1/push", "platform"]);
    expect([get(es, "Logstash_Format"), get(es, "Logstash_Prefix"), get(es, "Suppress_Type_Name"), get(es, "Port")]).toEqual(["On", "prod-logs", "On", "9200"]);
    expect([get(cloudwatch, "Log_Group_Name"), get(cloudwatch, "Auto_Create_Group"), get(cloudwatch, "Log_Retention_Days")]).toEqual(["/kraken/test", "On", "60"]);
    expect(get(s3, "S3_Key_Format")).toBe("/archive/k8s/test/$TAG/%Y/%m/%d/%H%M%S-$UUID.gz");
    expect(get(s3, "Compression")).toBe("gzip");
  });

  it("renders only the configured sinks", () => {
    const onlyLoki = parseClassic(fluentBitConfig(clusterWith({ enabled: true, sinks: { loki: { url: "http://loki.logging:3100/base" } } })).outputs);
    expect(onlyLoki.map((s) => get(s, "Name"))).toEqual(["loki"]);
    expect([get(onlyLoki[0]!, "Port"), get(onlyLoki[0]!, "Tls"), get(onlyLoki[0]!, "Uri"), get(onlyLoki[0]!, "Http_Passwd")]).toEqual(["3100", "Off", "/base/loki/api/v1/push", undefined]);
  });

  it("names credentials by ${VAR} reference only, never the spec's variables or values", () => {
    const text = Object.values(config).join("\n");
    const references = [...text.matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1]);
    expect(new Set(references)).toEqual(new Set(["NODE_NAME", "LOKI_USERNAME", "LOKI_PASSWORD", "ES_USERNAME", "ES_PASSWORD"]));
    for (const specEnv of ["PROD_LOKI_USER", "PROD_LOKI_PASS", "PROD_ES_USER", "PROD_ES_PASS"]) expect(text).not.toContain(specEnv);
    const passwords = outputs.flatMap((s) => s.entries.filter(([key]) => /passw|user/i.test(key)).map(([, value]) => value));
    expect(passwords).toEqual(["${LOKI_USERNAME}", "${LOKI_PASSWORD}", "${ES_USERNAME}", "${ES_PASSWORD}"]);
  });
});

describe("the chart's values", () => {
  it("GIVEN the aws-ha example THEN tolerations cover the control plane and the GPU pool, all computed", () => {
    const [cluster] = loadClusterFiles([EXAMPLES.awsHa]);
    const tolerations = fluentBitValues(cluster!).tolerations as Record<string, unknown>[];
    expect(tolerations).toContainEqual({ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" });
    expect(tolerations).toContainEqual({ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" });
  });

  it("takes credentials from the Secret and the node name from the downward API", () => {
    const cluster = clusterWith(ALL_SINKS);
    const env = fluentBitValues(cluster).env as Record<string, unknown>[];
    expect(env).toContainEqual({ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } });
    expect(env).toContainEqual({ name: "LOKI_PASSWORD", valueFrom: { secretKeyRef: { name: LOGGING_SECRET, key: "loki-password" } } });
    expect(loggingSecretKeys(cluster).map((k) => [k.key, k.env, k.containerEnv, loggingSecretVariable(k)])).toEqual([
      ["loki-username", "PROD_LOKI_USER", "LOKI_USERNAME", "logging_loki_username"],
      ["loki-password", "PROD_LOKI_PASS", "LOKI_PASSWORD", "logging_loki_password"],
      ["es-username", "PROD_ES_USER", "ES_USERNAME", "logging_es_username"],
      ["es-password", "PROD_ES_PASS", "ES_PASSWORD", "logging_es_password"],
    ]);
  });

  it("mounts host logs read-only, runs unprivileged root, and follows monitoring for the ServiceMonitor", () => {
    const values = fluentBitValues(clusterWith(ALL_SINKS));
    const mounts = values.daemonSetVolumeMounts as { mountPath: string; readOnly?: boolean }[];
    expect(mounts.filter((m) => m.mountPath !== "/var/lib/fluent-bit").every((m) => m.readOnly)).toBe(true);
    expect(values.securityContext).toMatchObject({ privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    const off = defineCluster(setPath(setPath(awsDocument() as ClusterDocumentInput, "spec.addons.logging", ALL_SINKS), "spec.addons.monitoring.enabled", false));
    expect(fluentBitValues(off).serviceMonitor).toEqual({ enabled: false });
  });
});

describe("the etcd hosts' agent", () => {
  const agent = etcdHostAgent(clusterWith(ALL_SINKS), "events");
  const config = parseClassic(agent.config);

  it("ships etcd.service, the kernel and the system journal with role=etcd", () => {
    const journal = config.find((s) => s.kind === "INPUT" && get(s, "Name") === "systemd")!;
    expect(getAll(journal, "Systemd_Filter")).toEqual(expect.arrayContaining(["_SYSTEMD_UNIT=etcd.service", "_TRANSPORT=kernel", "_SYSTEMD_UNIT=ssh.service", "_SYSTEMD_UNIT=cloud-init.service"]));
    const labels = config.find((s) => s.kind === "FILTER" && get(s, "Name") === "record_modifier")!;
    expect(getAll(labels, "Record")).toEqual(expect.arrayContaining(["role etcd", "etcd_cluster events", "cluster test", "env prod"]));
    expect(config.filter((s) => s.kind === "OUTPUT").map((s) => get(s, "Name"))).toEqual(["loki", "es", "cloudwatch_logs", "s3"]);
    expect(agent.unit).toContain("EnvironmentFile=-/etc/kraken/logging.env");
  });

  it("has an install function that bash parses and shellcheck accepts", () => {
    const script = `#!/bin/bash\nset -euo pipefail\n${agent.install}\ninstall_log_agent\n`;
    const syntax = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
    expect(syntax.stderr).toBe("");
    expect(syntax.status).toBe(0);
    const lint = spawnSync("shellcheck", ["-s", "bash", "-"], { input: script, encoding: "utf8" });
    expect(lint.error, "shellcheck must be installed").toBeUndefined();
    expect(lint.stdout).toBe("");
    expect(lint.status).toBe(0);
    expect(agent.install).toContain('apt-get install -y "fluent-bit=$version"');
    expect(agent.install).toContain("C3C0A28534B9293EAF51FABD9F9DDC083888C1CD");
  });
});
