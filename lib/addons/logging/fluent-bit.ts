/**
 * The log agent: Fluent Bit as a DaemonSet on every Kubernetes node (control plane included)
 * and as a systemd service on the etcd hosts, which are not Kubernetes nodes. Pure render
 * functions: the addons stack and the etcd hosts' cloud-init consume them.
 *
 * Configs are in Fluent Bit's classic format, as the chart's `config.*` values take them.
 * Parser regexes are exported so the tests apply the very same expressions to real log lines
 * (Onigmo's `(?<name>...)` groups are JavaScript's syntax too).
 *
 * @see https://docs.fluentbit.io/manual/administration/configuring-fluent-bit/classic-mode
 * @see https://github.com/fluent/helm-charts/tree/main/charts/fluent-bit
 */
import { AUDIT_LOG_PATH } from "../../bootstrap/audit";
import type { Cluster, LoggingSpec } from "../../spec";
import { everyNodeTolerations } from "../monitoring/values";
import { EVENTS_EXPORTER_NAME, LOGGING_NAMESPACE } from "./events-exporter";

/** Fluent Bit release shipped by the chart's image (pinned explicitly) and by the etcd hosts' package. */
export const FLUENT_BIT_VERSION = "5.1.2";

/**
 * The fluent/helm-charts chart. The image tag is pinned in the values too, so the agent's
 * version never moves with a chart default.
 */
export const FLUENT_BIT_CHART = { name: "fluent-bit", repository: "https://fluent.github.io/helm-charts", version: "0.58.2" } as const;

export const FLUENT_BIT_IMAGE = { repository: "cr.fluentbit.io/fluent/fluent-bit", tag: FLUENT_BIT_VERSION } as const;

export { LOGGING_NAMESPACE };

/** Secret (in LOGGING_NAMESPACE) with the sinks' credentials; the addons stack creates it. */
export const LOGGING_SECRET = "fluent-bit-sinks";

/** Pod whose container logs are Kubernetes events, one JSON object a line. */
export const EVENT_EXPORTER_POD_PREFIX = EVENTS_EXPORTER_NAME;

/** Signing key of packages.fluentbit.io (releases since 1.9.0/1.8.15). */
export const FLUENT_BIT_APT_KEY_FINGERPRINT = "C3C0A28534B9293EAF51FABD9F9DDC083888C1CD";

/** Root-only environment file with the sinks' credentials on etcd hosts, from their secret (lib/secrets/logging.ts). */
export const ETCD_HOST_CREDENTIALS_FILE = "/etc/kraken/logging.env";

/** The API server's audit log (lib/bootstrap/audit.ts); it exists on control-plane nodes only. */
export { AUDIT_LOG_PATH };

/**
 * containerd's CRI log line: `<RFC3339Nano> <stream> <F|P> <message>`. Same expression as
 * Fluent Bit's built-in `cri` multiline parser, which the tail input uses (it also joins P parts).
 */
export const CRI_LOG_REGEX = "^(?<time>.+?) (?<stream>stdout|stderr) (?<_p>F|P) (?<log>.*)$";

/** klog header of kubelet journal messages: `I0603 15:36:24.886841    5645 file.go:78] msg`. */
export const KLOG_REGEX = "^(?<severity>[IWEF])(?<klog_time>\\d{4} \\d{2}:\\d{2}:\\d{2}\\.\\d+)\\s+(?<klog_pid>\\d+) (?<klog_source>[^ \\]]+)\\] (?<msg>.*)$";

/** Kernel OOM-killer verdict: `[Memory cgroup ]Out of memory: Killed process <pid> (<name>) ...`. */
export const OOM_KILLED_REGEX = "(?<oom_scope>Memory cgroup out of memory|Out of memory): Killed process (?<oom_pid>\\d+) \\((?<oom_process>[^)]+)\\)";

/** Kernel OOM-killer context line; the pod UID is in task_memcg (systemd or cgroupfs driver). */
export const OOM_CONTEXT_REGEX =
  "oom-kill:constraint=(?<oom_constraint>[A-Z_]+),.*task_memcg=(?<oom_task_memcg>[^,]*?pod(?<oom_pod_uid>[0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})[^,]*),task=(?<oom_process>[^,]+),pid=(?<oom_pid>\\d+)";

/** Audit events are JSON lines; their time is the stage's timestamp. */
export const AUDIT_TIME_KEY = "stageTimestamp";

interface Sinks {
  readonly sinks: LoggingSpec["sinks"];
  readonly retentionDays: number;
}

/** One credential of a sink: Secret key, the spec's environment variable, the container's. */
export interface LoggingSecretKey {
  readonly key: string;
  readonly env: string;
  readonly containerEnv: string;
  readonly what: string;
  /** The spec field that names `env`: "spec.addons.logging.sinks.loki.passwordEnv". */
  readonly field: string;
}

/** The credentials the sinks need, in the Secret `fluent-bit-sinks`; only those the spec names. */
export function loggingSecretKeys(cluster: Cluster): LoggingSecretKey[] {
  const { loki, elasticsearch } = cluster.spec.addons.logging.sinks;
  const sinks = "spec.addons.logging.sinks";
  const keys: LoggingSecretKey[] = [];
  if (loki?.usernameEnv) keys.push({ key: "loki-username", env: loki.usernameEnv, containerEnv: "LOKI_USERNAME", what: "Loki basic-auth user name", field: `${sinks}.loki.usernameEnv` });
  if (loki?.passwordEnv) keys.push({ key: "loki-password", env: loki.passwordEnv, containerEnv: "LOKI_PASSWORD", what: "Loki basic-auth password", field: `${sinks}.loki.passwordEnv` });
  if (elasticsearch?.usernameEnv) keys.push({ key: "es-username", env: elasticsearch.usernameEnv, containerEnv: "ES_USERNAME", what: "Elasticsearch user name", field: `${sinks}.elasticsearch.usernameEnv` });
  if (elasticsearch?.passwordEnv) keys.push({ key: "es-password", env: elasticsearch.passwordEnv, containerEnv: "ES_PASSWORD", what: "Elasticsearch password", field: `${sinks}.elasticsearch.passwordEnv` });
  return keys;
}

/** Terraform variable the addons stack reads a credential from (`TF_VAR_<name>`). */
export function loggingSecretVariable(key: LoggingSecretKey): string {
  return `logging_${key.key.replace(/-/g, "_")}`;
}

// ---------------------------------------------------------------------------------------------
// Classic-format rendering

type Entry = readonly [string, string | number];

function section(kind: "SERVICE" | "INPUT" | "FILTER" | "OUTPUT" | "PARSER", entries: readonly Entry[]): string {
  const width = Math.max(...entries.map(([key]) => key.length));
  return [`[${kind}]`, ...entries.map(([key, value]) => `    ${key.padEnd(width)} ${value}`)].join("\n") + "\n";
}

function sections(kind: "INPUT" | "FILTER" | "OUTPUT" | "PARSER", list: readonly (readonly Entry[])[]): string {
  return list.map((entries) => section(kind, entries)).join("\n");
}

/** CloudWatch Logs accepts these retention periods only; the spec's value is rounded up. */
export const CLOUDWATCH_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

export function cloudwatchRetentionDays(days: number): number {
  return CLOUDWATCH_RETENTION_DAYS.find((allowed) => allowed >= days) ?? 3653;
}

function endpoint(url: string, defaultPath = ""): { host: string; port: number; tls: "On" | "Off"; path: string } {
  const parsed = new URL(url);
  const tls = parsed.protocol === "https:";
  const path = parsed.pathname.replace(/\/+$/, "");
  return { host: parsed.hostname, port: parsed.port ? Number(parsed.port) : tls ? 443 : 80, tls: tls ? "On" : "Off", path: path + defaultPath };
}

/** Loki label → record accessor; Kubernetes ones are absent on etcd hosts and left out there. */
const LOKI_KUBERNETES_LABELS: readonly Entry[] = [
  ["namespace", "$kubernetes['namespace_name']"],
  ["pod", "$kubernetes['pod_name']"],
  ["container", "$kubernetes['container_name']"],
];

function renderOutputs(clusterName: string, logging: Sinks, lokiLabels: readonly Entry[]): string {
  const { loki, elasticsearch, cloudwatch, s3 } = logging.sinks;
  const outputs: Entry[][] = [];
  if (loki) {
    const target = endpoint(loki.url, "/loki/api/v1/push");
    const entries: Entry[] = [
      ["Name", "loki"],
      ["Match", "*"],
      ["Host", target.host],
      ["Port", target.port],
      ["Uri", target.path],
      ["Tls", target.tls],
      ["Labels", lokiLabels.map(([label, accessor]) => `${label}=${accessor}`).join(", ")],
      ["Line_Format", "json"],
      ["Retry_Limit", "no_limits"],
    ];
    if (loki.tenantId) entries.push(["Tenant_Id", loki.tenantId]);
    if (loki.usernameEnv) entries.push(["Http_User", "${LOKI_USERNAME}"]);
    if (loki.passwordEnv) entries.push(["Http_Passwd", "${LOKI_PASSWORD}"]);
    outputs.push(entries);
  }
  if (elasticsearch) {
    const target = endpoint(elasticsearch.url);
    const entries: Entry[] = [
      ["Name", "es"],
      ["Match", "*"],
      ["Host", target.host],
      ["Port", target.port],
      ["Tls", target.tls],
      ["Logstash_Format", "On"],
      ["Logstash_Prefix", elasticsearch.index],
      ["Suppress_Type_Name", "On"],
      // Kubernetes labels such as app.kubernetes.io/name would be read as object paths.
      ["Replace_Dots", "On"],
      ["Retry_Limit", "no_limits"],
    ];
    if (target.path) entries.push(["Path", target.path]);
    if (elasticsearch.usernameEnv) entries.push(["HTTP_User", "${ES_USERNAME}"]);
    if (elasticsearch.passwordEnv) entries.push(["HTTP_Passwd", "${ES_PASSWORD}"]);
    outputs.push(entries);
  }
  if (cloudwatch) {
    outputs.push([
      ["Name", "cloudwatch_logs"],
      ["Match", "*"],
      ["Region", cloudwatch.region],
      ["Log_Group_Name", cloudwatch.logGroup],
      // One stream per node and tag (source): <node>.<tag>.
      ["Log_Stream_Prefix", "${NODE_NAME}."],
      ["Auto_Create_Group", "On"],
      ["Log_Retention_Days", cloudwatchRetentionDays(logging.retentionDays)],
      ["Retry_Limit", "no_limits"],
    ]);
  }
  if (s3) {
    const prefix = s3.prefix.replace(/^\/+|\/+$/g, "");
    outputs.push([
      ["Name", "s3"],
      ["Match", "*"],
      ["Bucket", s3.bucket],
      ["Region", s3.region],
      ["S3_Key_Format", `${prefix ? `/${prefix}` : ""}/${clusterName}/$TAG/%Y/%m/%d/%H%M%S-$UUID.gz`],
      ["Compression", "gzip"],
      ["Json_Date_Key", "time"],
      ["Total_File_Size", "50M"],
      ["Upload_Timeout", "10m"],
      ["Use_Put_Object", "On"],
      ["Store_Dir", "/var/lib/fluent-bit/s3"],
      ["Retry_Limit", "no_limits"],
    ]);
  }
  return sections("OUTPUT", outputs);
}

function labelEntries(base: readonly Entry[], labels: Readonly<Record<string, string>>): Entry[] {
  return [...base, ...Object.entries(labels).map(([key, value]): Entry => ["Record", `${key} ${value}`])];
}

/** Parsers both agents declare (customParsers on nodes, a parsers file on etcd hosts). */
function renderParsers(): string {
  return sections("PARSER", [
    [
      ["Name", "kraken-klog"],
      ["Format", "regex"],
      ["Regex", KLOG_REGEX],
    ],
    [
      ["Name", "kraken-oom-killed"],
      ["Format", "regex"],
      ["Regex", OOM_KILLED_REGEX],
    ],
    [
      ["Name", "kraken-oom-context"],
      ["Format", "regex"],
      ["Regex", OOM_CONTEXT_REGEX],
    ],
    [
      ["Name", "kraken-audit"],
      ["Format", "json"],
      ["Time_Key", AUDIT_TIME_KEY],
      ["Time_Format", "%Y-%m-%dT%H:%M:%S.%LZ"],
      ["Time_Keep", "On"],
    ],
    [
      ["Name", "kraken-event"],
      ["Format", "json"],
    ],
  ]);
}

/** Kernel and kubelet journal messages, parsed in place (the original MESSAGE is kept). */
function journalParserFilters(match: string): Entry[][] {
  return [
    [
      ["Name", "parser"],
      ["Match", match],
      ["Key_Name", "MESSAGE"],
      ["Parser", "kraken-oom-killed"],
      ["Parser", "kraken-oom-context"],
      ["Parser", "kraken-klog"],
      ["Reserve_Data", "On"],
      ["Preserve_Key", "On"],
    ],
  ];
}

/** The node agent's configuration, as the chart's config.service/inputs/filters/outputs/customParsers. */
export function fluentBitConfig(cluster: Cluster): { service: string; inputs: string; filters: string; outputs: string; parsers: string } {
  const logging = cluster.spec.addons.logging;
  const service = section("SERVICE", [
    ["Daemon", "Off"],
    ["Flush", 1],
    ["Log_Level", "info"],
    ["Parsers_File", "/fluent-bit/etc/parsers.conf"],
    ["Parsers_File", "/fluent-bit/etc/conf/custom_parsers.conf"],
    ["HTTP_Server", "On"],
    ["HTTP_Listen", "0.0.0.0"],
    ["HTTP_Port", 2020],
    ["Health_Check", "On"],
    ["storage.path", "/var/lib/fluent-bit/storage"],
    ["storage.sync", "normal"],
    ["storage.backlog.mem_limit", "16M"],
  ]);
  const eventsPath = `/var/log/containers/${EVENT_EXPORTER_POD_PREFIX}-*_${LOGGING_NAMESPACE}_*.log`;
  const tail: Entry[] = [
    ["Name", "tail"],
    ["multiline.parser", "cri"],
    ["Mem_Buf_Limit", "32MB"],
    ["Skip_Long_Lines", "On"],
    ["Refresh_Interval", 10],
    ["storage.type", "filesystem"],
  ];
  const inputs = sections("INPUT", [
    [["Tag", "kube.*"], ["Path", "/var/log/containers/*.log"], ["Exclude_Path", eventsPath], ["DB", "/var/lib/fluent-bit/containers.db"], ...tail],
    // The events exporter's lines are Kubernetes events: read apart, parsed as JSON, tagged kube.events.
    [["Tag", "kevents.*"], ["Path", eventsPath], ["DB", "/var/lib/fluent-bit/events.db"], ...tail],
    [
      ["Name", "systemd"],
      ["Tag", "journal.*"],
      ["Path", "/var/log/journal"],
      ["Systemd_Filter", "_SYSTEMD_UNIT=kubelet.service"],
      ["Systemd_Filter", "_SYSTEMD_UNIT=containerd.service"],
      ["Systemd_Filter", "_TRANSPORT=kernel"],
      ["Systemd_Filter_Type", "Or"],
      ["Read_From_Tail", "On"],
      ["Strip_Underscores", "Off"],
      ["DB", "/var/lib/fluent-bit/journal.db"],
      ["storage.type", "filesystem"],
    ],
    // Control-plane nodes only: elsewhere the path does not exist and the input stays idle.
    [
      ["Name", "tail"],
      ["Tag", "audit.kube-apiserver"],
      ["Path", AUDIT_LOG_PATH],
      ["Parser", "kraken-audit"],
      ["DB", "/var/lib/fluent-bit/audit.db"],
      ["Mem_Buf_Limit", "32MB"],
      ["Buffer_Max_Size", "1MB"],
      ["Skip_Long_Lines", "On"],
      ["storage.type", "filesystem"],
    ],
  ]);
  const kubernetes: Entry[] = [
    ["Name", "kubernetes"],
    ["Merge_Log", "On"],
    ["Keep_Log", "Off"],
    ["K8S-Logging.Parser", "On"],
    ["K8S-Logging.Exclude", "On"],
    ["Labels", "On"],
    ["Annotations", "Off"],
    ["Buffer_Size", "0"],
  ];
  const filters = sections("FILTER", [
    [["Match", "kube.*"], ["Kube_Tag_Prefix", "kube.var.log.containers."], ...kubernetes],
    // The exporter writes event records on stdout and its own logs on stderr.
    [
      ["Name", "grep"],
      ["Match", "kevents.*"],
      ["Regex", "stream ^stdout$"],
    ],
    [["Match", "kevents.*"], ["Kube_Tag_Prefix", "kevents.var.log.containers."], ...kubernetes],
    [
      ["Name", "parser"],
      ["Match", "kevents.*"],
      ["Key_Name", "log"],
      ["Parser", "kraken-event"],
      ["Reserve_Data", "On"],
    ],
    [
      ["Name", "rewrite_tag"],
      ["Match", "kevents.*"],
      ["Rule", "$reason ^.+$ kube.events false"],
      ["Emitter_Name", "kube_events_emitter"],
      ["Emitter_Storage.type", "filesystem"],
    ],
    ...journalParserFilters("journal.*"),
    [["Name", "record_modifier"], ["Match", "kube.var.log.containers.*"], ["Record", "source container"], ["Record", "job kubernetes-pods"]],
    [["Name", "record_modifier"], ["Match", "kube.events"], ["Record", "source event"], ["Record", "job kubernetes-events"]],
    [["Name", "record_modifier"], ["Match", "journal.*"], ["Record", "source journal"], ["Record", "job systemd-journal"]],
    [["Name", "record_modifier"], ["Match", "audit.*"], ["Record", "source audit"], ["Record", "job kube-apiserver-audit"]],
    labelEntries(
      [
        ["Name", "record_modifier"],
        ["Match", "*"],
        ["Record", `cluster ${cluster.metadata.name}`],
        ["Record", "node ${NODE_NAME}"],
        ["Record", "role node"],
      ],
      logging.labels,
    ),
  ]);
  const lokiLabels: Entry[] = [
    ["job", "$job"],
    ["cluster", "$cluster"],
    ["node", "$node"],
    ...LOKI_KUBERNETES_LABELS,
    ["role", "$role"],
    ["source", "$source"],
  ];
  return { service, inputs, filters, outputs: renderOutputs(cluster.metadata.name, logging, lokiLabels), parsers: renderParsers() };
}

/** Helm values of the fluent-bit chart: the DaemonSet on every node. */
export function fluentBitValues(cluster: Cluster): Record<string, unknown> {
  const config = fluentBitConfig(cluster);
  const env: Record<string, unknown>[] = [
    { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
    { name: "CLUSTER_NAME", value: cluster.metadata.name },
    ...loggingSecretKeys(cluster).map((key) => ({ name: key.containerEnv, valueFrom: { secretKeyRef: { name: LOGGING_SECRET, key: key.key } } })),
  ];
  const hostPath = (name: string, path: string, type?: string): Record<string, unknown> => ({ name, hostPath: type ? { path, type } : { path } });
  return {
    kind: "DaemonSet",
    image: { repository: FLUENT_BIT_IMAGE.repository, tag: FLUENT_BIT_IMAGE.tag },
    config: { service: config.service, inputs: config.inputs, filters: config.filters, outputs: config.outputs, customParsers: config.parsers },
    tolerations: everyNodeTolerations(cluster),
    priorityClassName: "system-node-critical",
    env,
    // The chart's defaults mount /var/log read-write and docker's directory: replace them.
    daemonSetVolumes: [
      hostPath("varlog", "/var/log"),
      hostPath("runlogjournal", "/run/log/journal", "DirectoryOrCreate"),
      hostPath("etcmachineid", "/etc/machine-id", "File"),
      hostPath("state", "/var/lib/fluent-bit", "DirectoryOrCreate"),
    ],
    daemonSetVolumeMounts: [
      // Covers /var/log/containers, /var/log/pods, /var/log/journal and /var/log/kubernetes/audit.
      { name: "varlog", mountPath: "/var/log", readOnly: true },
      { name: "runlogjournal", mountPath: "/run/log/journal", readOnly: true },
      { name: "etcmachineid", mountPath: "/etc/machine-id", readOnly: true },
      { name: "state", mountPath: "/var/lib/fluent-bit" },
    ],
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    // Root is needed: container logs, the journal and the audit log are readable by root only.
    // Nothing else: no privilege, no capability, no writable root filesystem.
    podSecurityContext: { runAsUser: 0, runAsGroup: 0, seccompProfile: { type: "RuntimeDefault" } },
    securityContext: {
      runAsUser: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    },
    serviceMonitor: { enabled: cluster.spec.addons.monitoring.enabled },
    rbac: { create: true, nodeAccess: false, eventsAccess: false },
  };
}

// ---------------------------------------------------------------------------------------------
// etcd hosts

/** The agent of an etcd host: journal of etcd, the kernel and the system, to the same sinks. */
export function etcdHostAgent(cluster: Cluster, etcdName: string): { config: string; parsers: string; unit?: string; install: string } {
  const logging = cluster.spec.addons.logging;
  const service = section("SERVICE", [
    ["Daemon", "Off"],
    ["Flush", 1],
    ["Log_Level", "info"],
    ["Parsers_File", "/etc/fluent-bit/kraken-parsers.conf"],
    ["storage.path", "/var/lib/fluent-bit/storage"],
    ["storage.sync", "normal"],
  ]);
  const inputs = sections("INPUT", [
    [
      ["Name", "systemd"],
      ["Tag", "journal.*"],
      ["Systemd_Filter", "_SYSTEMD_UNIT=etcd.service"],
      ["Systemd_Filter", "_TRANSPORT=kernel"],
      ["Systemd_Filter", "_SYSTEMD_UNIT=ssh.service"],
      ["Systemd_Filter", "_SYSTEMD_UNIT=sshd.service"],
      ["Systemd_Filter", "_SYSTEMD_UNIT=cloud-init.service"],
      ["Systemd_Filter", "_SYSTEMD_UNIT=cloud-final.service"],
      ["Systemd_Filter_Type", "Or"],
      ["Read_From_Tail", "On"],
      ["DB", "/var/lib/fluent-bit/journal.db"],
      ["storage.type", "filesystem"],
    ],
  ]);
  const filters = sections("FILTER", [
    ...journalParserFilters("journal.*"),
    labelEntries(
      [
        ["Name", "record_modifier"],
        ["Match", "*"],
        ["Record", `cluster ${cluster.metadata.name}`],
        ["Record", "node ${NODE_NAME}"],
        ["Record", "role etcd"],
        ["Record", `etcd_cluster ${etcdName}`],
        ["Record", "source journal"],
        ["Record", "job etcd-host-journal"],
      ],
      logging.labels,
    ),
  ]);
  const lokiLabels: Entry[] = [
    ["job", "$job"],
    ["cluster", "$cluster"],
    ["node", "$node"],
    ["role", "$role"],
    ["source", "$source"],
    ["etcd_cluster", "$etcd_cluster"],
  ];
  const config = [service, inputs, filters, renderOutputs(cluster.metadata.name, logging, lokiLabels)].join("\n");
  const parsers = renderParsers();
  const unit = [
    "[Service]",
    `Environment=CLUSTER_NAME=${cluster.metadata.name}`,
    // Credentials (LOKI_USERNAME, LOKI_PASSWORD, ES_USERNAME, ES_PASSWORD), from the host's secret.
    `EnvironmentFile=-${ETCD_HOST_CREDENTIALS_FILE}`,
    "EnvironmentFile=-/etc/kraken/log-agent-node.env",
    "",
  ].join("\n");
  return { config, parsers, unit, install: renderInstall(config, parsers, unit) };
}

function renderInstall(config: string, parsers: string, unit: string): string {
  const marker = "KRAKEN_LOG_AGENT_EOF";
  for (const text of [config, parsers, unit]) if (text.includes(marker)) throw new Error(`log agent config must not contain ${marker}`);
  return `install_log_agent() {
  local version=${FLUENT_BIT_VERSION}
  local fingerprint=${FLUENT_BIT_APT_KEY_FINGERPRINT}
  local keyring=/usr/share/keyrings/fluentbit-keyring.gpg
  local work actual distro codename
  distro=$(awk -F= '$1 == "ID" { gsub(/"/, "", $2); print $2 }' /etc/os-release)
  codename=$(awk -F= '$1 == "VERSION_CODENAME" { gsub(/"/, "", $2); print $2 }' /etc/os-release)
  work=$(mktemp -d)
  curl -fsSL --retry 5 https://packages.fluentbit.io/fluentbit.key -o "$work/fluentbit.key"
  gpg --batch --yes --dearmor -o "$work/fluentbit.gpg" "$work/fluentbit.key"
  actual=$(gpg --batch --with-colons --show-keys "$work/fluentbit.gpg" | awk -F: '$1 == "fpr" { print $10; exit }')
  if [ "$actual" != "$fingerprint" ]; then
    echo "packages.fluentbit.io key fingerprint is '$actual', expected '$fingerprint'" >&2
    rm -rf "$work"
    return 1
  fi
  install -m 0644 "$work/fluentbit.gpg" "$keyring"
  rm -rf "$work"
  echo "deb [signed-by=$keyring] https://packages.fluentbit.io/$distro/$codename $codename main" > /etc/apt/sources.list.d/fluent-bit.list
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "fluent-bit=$version"
  apt-mark hold fluent-bit
  install -d -m 0755 /etc/fluent-bit /etc/systemd/system/fluent-bit.service.d
  install -d -m 0700 /etc/kraken /var/lib/fluent-bit
  cat > /etc/fluent-bit/fluent-bit.conf <<'${marker}'
${config}${marker}
  cat > /etc/fluent-bit/kraken-parsers.conf <<'${marker}'
${parsers}${marker}
  cat > /etc/systemd/system/fluent-bit.service.d/kraken.conf <<'${marker}'
${unit}${marker}
  echo "NODE_NAME=$(hostname)" > /etc/kraken/log-agent-node.env
  chmod 0600 /etc/kraken/log-agent-node.env
  systemctl daemon-reload
  systemctl enable fluent-bit
  systemctl restart fluent-bit
}
`;
}
