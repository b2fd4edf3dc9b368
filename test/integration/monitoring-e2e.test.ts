/**
 * Monitoring end to end, with the real components on loopback: kraken-lib's rule files
 * (rendered from examples/aws-ha) in a real Prometheus over hours of synthetic cAdvisor and
 * kube-state-metrics data, alerts routed by the rendered Alertmanager config to a webhook in this
 * test, and `k2 usage` reading the recording rules back with the numbers the data implies.
 *
 * How the recording rules get a past: Prometheus only evaluates rules from the moment it starts,
 * so the raw series are backfilled (promtool tsdb create-blocks-from openmetrics) for the last
 * three hours, and the recording rules are backfilled over the last two by promtool tsdb
 * create-blocks-from rules against a helper Prometheus holding that data, one layer at a time
 * (promtool cannot backfill a rule that reads another rule being backfilled: cluster:* sums
 * node:* and namespace:*), restarting the helper to load each layer's blocks. Then the final
 * Prometheus starts with the rules and keeps the series going: it scrapes an exporter in this
 * test that serves the same synthetic series at the latest 30 s grid point, with that timestamp,
 * so raw data continue on the backfilled grid and every rate is exact at any evaluation time.
 *
 * How an alert with `for: 15m` fires in seconds: the for-state Prometheus keeps across restarts
 * (ALERTS_FOR_STATE, whose value is when the alert became active) is backfilled for
 * KubeNodeNotReady as active for two hours up to the end of the data, exactly as a Prometheus
 * restarted during a two-hour outage finds it; it restores that state on start and fires.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertmanagerSecretKeys, renderAlertmanagerConfig } from "../../lib/addons/alerting/alertmanager";
import { prometheusRuleFiles, renderRuleFile, type AlertingRule, type RecordingRule, type RuleFile } from "../../lib/addons/monitoring/rules";
import type { UsageReport } from "../../lib/cli/usage";
import { loadClusterFiles } from "../../lib/spec";
import { freePort, requireBinary, waitFor } from "../support/etcd";
import { EXAMPLES, runK2Async, type CliResult } from "../util";

const execFileAsync = promisify(execFile);
const STEP_SECONDS = 30;
const GIB = 1024 ** 3;
const CLUSTER = "prod-usw2";
const ALERT = "KubeNodeNotReady";

// ---------------------------------------------------------------------------------------------
// The synthetic cluster: what it runs, and therefore what every rule must compute.

interface SyntheticNode {
  readonly name: string;
  readonly ready: boolean;
  /** Minutes before the end of the data when the node joined; undefined: there from the start. */
  readonly joinedMinutesAgo?: number;
}

/** Two nodes of 4 cores (one NotReady throughout), a third joins 30 minutes before the end: capacity 8 → 12 cores. */
const NODES: readonly SyntheticNode[] = [
  { name: "node-1", ready: true },
  { name: "node-2", ready: false },
  { name: "node-3", ready: true, joinedMinutesAgo: 30 },
];
const NODE_CAPACITY = { cores: 4, memoryGiB: 16 };
const NODE_ALLOCATABLE = { cores: 3.5, memoryGiB: 15 };

interface SyntheticContainer {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly node: string;
  readonly phase: "Running" | "Succeeded";
  readonly cores: number;
  readonly memoryGiB: number;
  readonly requestCores: number;
  readonly requestGiB: number;
}

/** Namespace a uses 0.5 cores and 1 GiB; b uses 1.5 cores and 3 GiB; b's finished job requests 2 cores that nobody holds. */
const CONTAINERS: readonly SyntheticContainer[] = [
  { namespace: "a", pod: "a-1", container: "app", node: "node-1", phase: "Running", cores: 0.5, memoryGiB: 1, requestCores: 0.25, requestGiB: 0.5 },
  { namespace: "b", pod: "b-1", container: "web", node: "node-1", phase: "Running", cores: 1, memoryGiB: 2, requestCores: 0.5, requestGiB: 1 },
  { namespace: "b", pod: "b-2", container: "web", node: "node-2", phase: "Running", cores: 0.5, memoryGiB: 1, requestCores: 0.5, requestGiB: 1 },
  { namespace: "b", pod: "b-migrate-1", container: "migrate", node: "node-1", phase: "Succeeded", cores: 0, memoryGiB: 0, requestCores: 2, requestGiB: 4 },
];
/** What each pod's pause (sandbox) container uses: it must not count. */
const PAUSE = { cores: 0.1, memoryGiB: 0.25 };

interface Series {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The value at `t` (Unix seconds), or undefined when the series does not exist yet. */
  valueAt(t: number): number | undefined;
}

/** Every raw series of the cluster, as cAdvisor (through the kubelet) and kube-state-metrics expose them, for data ending at `end`. */
function syntheticSeries(end: number): Series[] {
  const series: Series[] = [];
  const joinedAt = (node: SyntheticNode) => (node.joinedMinutesAgo === undefined ? -Infinity : end - node.joinedMinutesAgo * 60);
  const gauge = (name: string, labels: Record<string, string>, value: number, from = -Infinity) => {
    series.push({ name, labels, valueAt: (t) => (t >= from ? value : undefined) });
  };
  // Counters start high and grow at `cores` per second: rate() gives back `cores`.
  const counter = (name: string, labels: Record<string, string>, perSecond: number) => {
    series.push({ name, labels, valueAt: (t) => 1_000_000 + perSecond * (t - (end - 4 * 3600)) });
  };
  const cadvisor = (node: string, extra: Record<string, string>) => ({ job: "kubelet", metrics_path: "/metrics/cadvisor", instance: `${node}:10250`, node, ...extra });
  const running = CONTAINERS.filter((container) => container.phase === "Running");
  const pods = [...new Map(running.map((container) => [`${container.namespace}/${container.pod}`, container])).values()];

  for (const container of running) {
    const labels = cadvisor(container.node, { namespace: container.namespace, pod: container.pod, container: container.container, image: `registry.example.com/${container.container}:1.0`, id: `/kubepods/${container.pod}/${container.container}` });
    counter("container_cpu_usage_seconds_total", { ...labels, cpu: "total" }, container.cores);
    gauge("container_memory_working_set_bytes", labels, container.memoryGiB * GIB);
  }
  for (const pod of pods) {
    const inPod = running.filter((container) => container.pod === pod.pod);
    // The pause container: container POD, the pause image.
    const pause = cadvisor(pod.node, { namespace: pod.namespace, pod: pod.pod, container: "POD", image: "registry.k8s.io/pause:3.10", id: `/kubepods/${pod.pod}/pause` });
    counter("container_cpu_usage_seconds_total", { ...pause, cpu: "total" }, PAUSE.cores);
    gauge("container_memory_working_set_bytes", pause, PAUSE.memoryGiB * GIB);
    // The pod's cgroup, a roll-up of the above: no container, no image.
    const rollUp = cadvisor(pod.node, { namespace: pod.namespace, pod: pod.pod, container: "", image: "", id: `/kubepods/${pod.pod}` });
    counter("container_cpu_usage_seconds_total", { ...rollUp, cpu: "total" }, PAUSE.cores + inPod.reduce((sum, container) => sum + container.cores, 0));
    gauge("container_memory_working_set_bytes", rollUp, (PAUSE.memoryGiB + inPod.reduce((sum, container) => sum + container.memoryGiB, 0)) * GIB);
  }
  for (const node of NODES) {
    // The node's root cgroup and a system service: no namespace, pod or container.
    counter("container_cpu_usage_seconds_total", { ...cadvisor(node.name, { id: "/" }), cpu: "total" }, 3);
    counter("container_cpu_usage_seconds_total", { ...cadvisor(node.name, { id: "/system.slice/kubelet.service" }), cpu: "total" }, 0.2);
    gauge("container_memory_working_set_bytes", cadvisor(node.name, { id: "/" }), 10 * GIB);
  }

  const ksm = { job: "kube-state-metrics", instance: "10.244.1.7:8080" };
  for (const node of NODES) {
    const from = joinedAt(node);
    for (const [name, resources] of [
      ["kube_node_status_capacity", NODE_CAPACITY],
      ["kube_node_status_allocatable", NODE_ALLOCATABLE],
    ] as const) {
      gauge(name, { ...ksm, node: node.name, resource: "cpu", unit: "core" }, resources.cores, from);
      gauge(name, { ...ksm, node: node.name, resource: "memory", unit: "byte" }, resources.memoryGiB * GIB, from);
      gauge(name, { ...ksm, node: node.name, resource: "pods", unit: "integer" }, 110, from);
    }
    for (const status of ["true", "false", "unknown"]) {
      gauge("kube_node_status_condition", { ...ksm, node: node.name, condition: "Ready", status }, (status === "true") === node.ready ? 1 : 0, from);
    }
  }
  for (const container of CONTAINERS) {
    const labels = { ...ksm, namespace: container.namespace, pod: container.pod, container: container.container, node: container.node };
    gauge("kube_pod_container_resource_requests", { ...labels, resource: "cpu", unit: "core" }, container.requestCores);
    gauge("kube_pod_container_resource_requests", { ...labels, resource: "memory", unit: "byte" }, container.requestGiB * GIB);
    for (const phase of ["Pending", "Running", "Succeeded", "Failed", "Unknown"]) {
      gauge("kube_pod_status_phase", { ...ksm, namespace: container.namespace, pod: container.pod, phase }, phase === container.phase ? 1 : 0);
    }
  }
  return series;
}

function labelText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([name, value]) => `${name}="${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`)
    .join(",");
}

/** OpenMetrics for promtool: every series' samples from `start` to `end` (seconds), in time order, ending with # EOF. */
function openMetrics(series: readonly Series[], start: number, end: number): string {
  const lines: string[] = [];
  const names = [...new Set(series.map((one) => one.name))];
  for (const name of names) {
    for (const one of series.filter((candidate) => candidate.name === name)) {
      const labels = labelText(one.labels);
      for (let t = start; t <= end; t += STEP_SECONDS) {
        const value = one.valueAt(t);
        if (value !== undefined) lines.push(`${name}{${labels}} ${value} ${t}`);
      }
    }
  }
  return `${lines.join("\n")}\n# EOF\n`;
}

// ---------------------------------------------------------------------------------------------
// Processes and servers.

interface RunningProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly log: string[];
}

function startProcess(name: string, command: string, args: readonly string[]): RunningProcess {
  const log: string[] = [];
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  const keep = (chunk: Buffer) => {
    log.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    if (log.length > 400) log.splice(0, log.length - 400);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  child.on("error", (error) => {
    log.push(`spawn failed: ${error.message}`);
  });
  return { name, child, log };
}

async function stopProcess(running: RunningProcess): Promise<void> {
  const { child } = running;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      resolve();
    });
  });
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

function tail(running: RunningProcess, lines = 40): string {
  return `--- ${running.name} (last ${Math.min(lines, running.log.length)} lines) ---\n${running.log.slice(-lines).join("\n")}`;
}

async function waitReady(running: RunningProcess, url: string): Promise<void> {
  try {
    await waitFor(`${running.name} at ${url}/-/ready`, async () => {
      if (running.child.exitCode !== null) throw new Error(`${running.name} exited with ${running.child.exitCode}`);
      return fetch(`${url}/-/ready`).then(
        (response) => response.ok,
        () => false,
      );
    }, 30_000);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${tail(running)}`, { cause: error });
  }
}

/** Runs a tool to completion; its output is in the error when it fails. */
async function run(command: string, args: readonly string[]): Promise<void> {
  try {
    await execFileAsync(command, args, { maxBuffer: 16 * 1024 * 1024, timeout: 120_000 });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed: ${(error as Error).message}\n${stdout}\n${stderr}`, { cause: error });
  }
}

interface Notification {
  readonly headers: IncomingHttpHeaders;
  readonly body: {
    receiver: string;
    status: string;
    groupLabels: Record<string, string>;
    commonLabels: Record<string, string>;
    alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string>; startsAt: string }[];
  };
}

// ---------------------------------------------------------------------------------------------
// Rules: which recording rules read others, to backfill them in layers.

function allRules(files: readonly RuleFile[]): (RecordingRule | AlertingRule)[] {
  return files.flatMap((file) => file.groups.flatMap((group) => group.rules));
}

/** Recording rules by layer: layer 0 reads raw series only, layer n reads rules of layers below n. */
function recordingLayers(files: readonly RuleFile[]): RecordingRule[][] {
  const rules = allRules(files).filter((rule): rule is RecordingRule => "record" in rule);
  const reads = (rule: RecordingRule, name: string) => new RegExp(`(?<![\\w:])${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w:])`).test(rule.expr);
  const layerOf = new Map<string, number>();
  while (layerOf.size < rules.length) {
    const before = layerOf.size;
    for (const rule of rules) {
      if (layerOf.has(rule.record)) continue;
      const dependencies = rules.filter((other) => other.record !== rule.record && reads(rule, other.record));
      if (dependencies.every((dependency) => layerOf.has(dependency.record))) layerOf.set(rule.record, Math.max(-1, ...dependencies.map((dependency) => layerOf.get(dependency.record)!)) + 1);
    }
    if (layerOf.size === before) throw new Error("the recording rules read each other in a cycle");
  }
  const layers: RecordingRule[][] = [];
  for (const rule of rules) (layers[layerOf.get(rule.record)!] ??= []).push(rule);
  return layers;
}

// ---------------------------------------------------------------------------------------------

describe("monitoring end to end: rules in Prometheus, alerts through Alertmanager, k2 usage", () => {
  const work = mkdtempSync(join(tmpdir(), "k2-monitoring-"));
  const dataDir = join(work, "prometheus-data");
  const processes: RunningProcess[] = [];
  const servers: Server[] = [];
  const notifications: Notification[] = [];
  const webhookToken = "e2e-token-4f1c";
  /** End of the backfilled data, Unix seconds on the 30 s grid. */
  let end = 0;
  let prometheusUrl = "";
  let alertmanagerUrl = "";
  let series: Series[] = [];
  let prometheus: RunningProcess | undefined;
  let alertmanager: RunningProcess | undefined;

  const started = (running: RunningProcess) => {
    processes.push(running);
    return running;
  };

  async function listen(server: Server): Promise<number> {
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    return typeof address === "object" && address ? address.port : 0;
  }

  /** A Prometheus on the data dir with `config`; resolves when ready. */
  async function startPrometheus(name: string, config: Record<string, unknown>): Promise<{ running: RunningProcess; url: string }> {
    const port = await freePort();
    const configFile = join(work, `${name}.yaml`);
    writeFileSync(configFile, stringify(config));
    const running = started(
      startProcess(name, "prometheus", [`--config.file=${configFile}`, `--storage.tsdb.path=${dataDir}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=info"]),
    );
    const url = `http://127.0.0.1:${port}`;
    await waitReady(running, url);
    return { running, url };
  }

  /** Moves the blocks promtool wrote into `from` into the data dir (Prometheus must be stopped). */
  function moveBlocks(from: string): number {
    const blocks = readdirSync(from).filter((entry) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(entry));
    for (const block of blocks) renameSync(join(from, block), join(dataDir, block));
    return blocks.length;
  }

  async function diagnostics(): Promise<string> {
    const get = (url: string) =>
      fetch(url).then(
        (response) => response.text(),
        (error: unknown) => `(${String(error)})`,
      );
    return [
      `Prometheus alerts: ${await get(`${prometheusUrl}/api/v1/alerts`)}`,
      `Alertmanager alerts: ${await get(`${alertmanagerUrl}/api/v2/alerts`)}`,
      `webhook got ${notifications.length} notifications: ${JSON.stringify(notifications.map((notification) => notification.body))}`,
      ...[prometheus, alertmanager].filter((running): running is RunningProcess => running !== undefined).map((running) => tail(running)),
    ].join("\n");
  }

  /** The built k2 usage against the Prometheus under test, over the last hour; fails with its output unless it exits 0. */
  async function k2Usage(args: readonly string[]): Promise<{ result: CliResult; context: string }> {
    const result = await runK2Async(["usage", "--prometheus", prometheusUrl, "--since", "1h", ...args]);
    if (result.stderr.includes("unknown command 'usage'")) throw new Error("k2 has no usage command: lib/cli/main.ts must call registerUsageCommand(program) from lib/cli/usage.ts");
    const context = `k2 usage ${args.join(" ")} exited ${String(result.status)}\nstdout: ${result.stdout}\nstderr: ${result.stderr}\n${prometheus ? tail(prometheus, 20) : ""}`;
    expect(result.status, context).toBe(0);
    return { result, context };
  }

  beforeAll(async () => {
    for (const [binary, debianPackage] of [
      ["prometheus", "prometheus"],
      ["promtool", "prometheus"],
      ["prometheus-alertmanager", "prometheus-alertmanager"],
    ]) {
      requireBinary(binary!, debianPackage!);
    }
    mkdirSync(dataDir);
    end = Math.floor(Date.now() / 1000 / STEP_SECONDS) * STEP_SECONDS;
    series = syntheticSeries(end);

    // 1. Three hours of raw series, backfilled.
    const rawFile = join(work, "raw.om");
    writeFileSync(rawFile, openMetrics(series, end - 3 * 3600, end));
    await run("promtool", ["tsdb", "create-blocks-from", "openmetrics", rawFile, dataDir]);

    // 2. The rule files of examples/aws-ha, as the addons stack deploys them.
    const [cluster] = loadClusterFiles([EXAMPLES.awsHa]);
    const ruleFiles = prometheusRuleFiles(cluster!);
    expect(ruleFiles.length, "examples/aws-ha has monitoring on: it must have rule files").toBeGreaterThan(0);
    const rulesDir = join(work, "rules");
    mkdirSync(rulesDir);
    for (const file of ruleFiles) writeFileSync(join(rulesDir, file.name), renderRuleFile(file));

    // 3. The recording rules over the last two hours, layer by layer, each evaluated by promtool
    //    against a helper Prometheus that holds the raw data and the layers below.
    const alertRule = allRules(ruleFiles).find((rule): rule is AlertingRule => "alert" in rule && rule.alert === ALERT);
    expect(alertRule, `the rules have an alert ${ALERT}`).toBeDefined();
    const layers = recordingLayers(ruleFiles);
    let helper = await startPrometheus("helper-prometheus", { global: { scrape_interval: "1m" } });
    for (const [index, rules] of layers.entries()) {
      const layerFile = join(work, `layer-${index}.yaml`);
      writeFileSync(layerFile, renderRuleFile({ name: `layer-${index}.yaml`, groups: [{ name: `backfill-layer-${index}`, rules }] }));
      const blocks = join(work, `layer-${index}-blocks`);
      await run("promtool", ["tsdb", "create-blocks-from", "rules", `--start=${end - 2 * 3600}`, `--end=${end}`, `--url=${helper.url}`, "--eval-interval=30s", `--output-dir=${blocks}`, layerFile]);

      if (index === 0) {
        // The alert's series at the end of the data, with the labels Prometheus gives the alert:
        // its ALERTS_FOR_STATE says it has been active for two hours.
        const response = (await (await fetch(`${helper.url}/api/v1/query?${new URLSearchParams({ query: alertRule!.expr, time: String(end) }).toString()}`)).json()) as {
          data: { result: { metric: Record<string, string> }[] };
        };
        expect(response.data.result.length, `${ALERT}'s expression selects the NotReady node at the end of the data`).toBe(1);
        const alertLabels: Record<string, string> = { ...response.data.result[0]!.metric, ...alertRule!.labels, alertname: ALERT };
        delete alertLabels.__name__;
        const activeSince = end - 2 * 3600;
        const forState: Series = { name: "ALERTS_FOR_STATE", labels: alertLabels, valueAt: () => activeSince };
        const forStateFile = join(work, "for-state.om");
        writeFileSync(forStateFile, openMetrics([forState], end - 3600, end));
        await run("promtool", ["tsdb", "create-blocks-from", "openmetrics", forStateFile, blocks]);
      }
      await stopProcess(helper.running);
      expect(moveBlocks(blocks), `promtool wrote blocks for layer ${index}`).toBeGreaterThan(0);
      if (index < layers.length - 1) helper = await startPrometheus(`helper-prometheus-${index + 1}`, { global: { scrape_interval: "1m" } });
    }

    // 4. The webhook Alertmanager notifies, and an exporter that continues the synthetic series live.
    const webhookPort = await listen(
      createServer((request, response) => {
        let body = "";
        request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
        request.on("end", () => {
          notifications.push({ headers: request.headers, body: JSON.parse(body) as Notification["body"] });
          response.writeHead(200).end();
        });
      }),
    );
    const exporterPort = await listen(
      createServer((_request, response) => {
        // The latest grid point, with its timestamp: the backfilled grid continues, rates stay exact.
        const t = Math.floor(Date.now() / 1000 / STEP_SECONDS) * STEP_SECONDS;
        const lines =
          t <= end
            ? []
            : series.flatMap((one) => {
                const value = one.valueAt(t);
                return value === undefined ? [] : [`${one.name}{${labelText(one.labels)}} ${value} ${t * 1000}`];
              });
        response.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(`${lines.join("\n")}\n`);
      }),
    );

    // 5. Alertmanager with the config rendered from the spec, plus a webhook receiver whose token is a mounted secret.
    const document = parse(readFileSync(EXAMPLES.awsHa, "utf8")) as { spec: Record<string, unknown> };
    document.spec.addons = {
      alerting: {
        receivers: [{ name: "e2e-webhook", webhook: { url: `http://127.0.0.1:${webhookPort}/alerts`, bearerTokenEnv: "E2E_WEBHOOK_TOKEN" } }],
        routes: [{ receiver: "e2e-webhook", severity: "warning" }],
      },
    };
    const specFile = join(work, "cluster-with-webhook.yaml");
    writeFileSync(specFile, stringify(document));
    const [alertingCluster] = loadClusterFiles([specFile]);
    const secretsDir = join(work, "alertmanager-secrets");
    mkdirSync(secretsDir);
    for (const secret of alertmanagerSecretKeys(alertingCluster!)) writeFileSync(join(secretsDir, secret.key), webhookToken);
    const alertmanagerConfig = join(work, "alertmanager.yaml");
    writeFileSync(alertmanagerConfig, renderAlertmanagerConfig(alertingCluster!, { secretsDir }));
    const alertmanagerPort = await freePort();
    alertmanagerUrl = `http://127.0.0.1:${alertmanagerPort}`;
    alertmanager = started(
      startProcess("alertmanager", "prometheus-alertmanager", [
        `--config.file=${alertmanagerConfig}`,
        `--storage.path=${join(work, "alertmanager-data")}`,
        `--web.listen-address=127.0.0.1:${alertmanagerPort}`,
        "--cluster.listen-address=",
      ]),
    );
    await waitReady(alertmanager, alertmanagerUrl);

    // 6. The Prometheus under test.
    const final = await startPrometheus("prometheus", {
      global: { scrape_interval: "5s", evaluation_interval: "5s", external_labels: { cluster: CLUSTER } },
      rule_files: ruleFiles.map((file) => join(rulesDir, file.name)),
      alerting: { alertmanagers: [{ api_version: "v2", static_configs: [{ targets: [`127.0.0.1:${alertmanagerPort}`] }] }] },
      scrape_configs: [{ job_name: "synthetic", honor_labels: true, honor_timestamps: true, static_configs: [{ targets: [`127.0.0.1:${exporterPort}`] }] }],
    });
    prometheus = final.running;
    prometheusUrl = final.url;
  }, 180_000);

  afterAll(async () => {
    await Promise.all(processes.map((running) => stopProcess(running)));
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => {
              resolve();
            });
          }),
      ),
    );
    rmSync(work, { recursive: true, force: true });
  });

  it("notifies the webhook of the NotReady node, with the cluster, severity and the mounted token", async () => {
    const fired = () => notifications.find((notification) => notification.body.alerts.some((alert) => alert.labels.alertname === ALERT && alert.status === "firing"));
    try {
      await waitFor(`a ${ALERT} notification at the webhook`, () => Promise.resolve(fired() !== undefined), 150_000);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${await diagnostics()}`, { cause: error });
    }
    const notification = fired()!;
    const context = await diagnostics();
    expect(notification.headers.authorization, context).toBe(`Bearer ${webhookToken}`);
    expect(notification.body, context).toMatchObject({ receiver: "e2e-webhook", status: "firing", groupLabels: { alertname: ALERT, cluster: CLUSTER } });
    const alert = notification.body.alerts.find((candidate) => candidate.labels.alertname === ALERT)!;
    expect(alert.labels, context).toMatchObject({ alertname: ALERT, cluster: CLUSTER, severity: "warning", node: "node-2", condition: "Ready", status: "true" });
    expect(alert.annotations.summary, context).toBe("Node node-2 is not ready");
    expect(notification.body.alerts.filter((candidate) => candidate.labels.alertname === ALERT), "only node-2 is NotReady").toHaveLength(1);
  }, 180_000);

  it("k2 usage --by namespace reads the recording rules: pause and roll-up series excluded, capacity 8 → 12 cores", async () => {
    const { result, context } = await k2Usage(["--by", "namespace", "--format", "json"]);
    const report = JSON.parse(result.stdout) as UsageReport;
    expect(report.window.since).toBe("1h");
    const usage = new Map((report.usage ?? []).map((row) => [row.name, row]));
    expect([...usage.keys()].sort(), context).toEqual(["a", "b"]);
    for (const [namespace, cores, memoryGiB] of [
      ["a", 0.5, 1],
      ["b", 1.5, 3],
    ] as const) {
      const row = usage.get(namespace)!;
      for (const stat of ["min", "avg", "max"] as const) {
        expect(row.cpuCores[stat], `${namespace} cpu ${stat}\n${context}`).toBeCloseTo(cores, 6);
        expect(row.memoryGiB[stat], `${namespace} memory ${stat}\n${context}`).toBeCloseTo(memoryGiB, 6);
      }
      expect(row.cpuCores.samples, "one sample per 5 minutes over the hour").toBeGreaterThanOrEqual(12);
    }
    expect(report.capacity, context).toHaveLength(1);
    const [capacity] = report.capacity;
    expect(capacity!.cpu.capacityCores, context).toMatchObject({ start: 8, end: 12, min: 8, max: 12 });
    expect(capacity!.cpu.capacityCores.avg).toBeGreaterThan(8);
    expect(capacity!.cpu.capacityCores.avg).toBeLessThan(12);
    expect(capacity!.cpu.capacityCores.changes, "node-3 joined once").toEqual([expect.objectContaining({ from: 8, to: 12 })]);
    const changedAt = Date.parse(capacity!.cpu.capacityCores.changes![0]!.at) / 1000;
    // The first 5-minute step after the first rule evaluation that saw node-3 (rules are evaluated every 30 s).
    expect(changedAt - (end - 30 * 60), "the change shows at the first step after node-3 joined").toBeGreaterThanOrEqual(0);
    expect(changedAt - (end - 30 * 60)).toBeLessThanOrEqual(300 + STEP_SECONDS);
    expect(capacity!.cpu.allocatableCores).toMatchObject({ start: 7, end: 10.5 });
    expect(capacity!.memory.capacityGiB).toMatchObject({ start: 32, end: 48 });
    // Requests of Running pods only: b's Succeeded job holds nothing.
    expect(capacity!.cpu.requestsCores.avg).toBeCloseTo(1.25, 6);
    expect(capacity!.memory.requestsGiB.avg).toBeCloseTo(2.5, 6);
  });

  it("k2 usage --by cluster prints the capacity as a table, with when it changed", async () => {
    const { result } = await k2Usage(["--by", "cluster"]);
    expect(result.stdout).toMatch(/^Cluster capacity over the last 1h /);
    expect(result.stdout).not.toMatch(/^NAMESPACE/m);
    expect(result.stdout).toMatch(/^CPU capacity \(cores\) +8\.00 +12\.00 +8\.00 +\d+\.\d\d +12\.00 +8\.00 → 12\.00 by \d{4}-\d\d-\d\d \d\d:\d\d UTC$/m);
    expect(result.stdout).toMatch(/^CPU requests \(cores\) +1\.25 +1\.25 +1\.25 +1\.25 +1\.25$/m);
    expect(result.stderr, "no progress line when stderr is not a terminal").toBe("");
  });

  it("k2 usage --by node sums each node's containers", async () => {
    const { result } = await k2Usage(["--by", "node", "--format", "json"]);
    const report = JSON.parse(result.stdout) as UsageReport;
    const usage = new Map((report.usage ?? []).map((row) => [row.name, row]));
    expect(usage.get("node-1")?.cpuCores.avg).toBeCloseTo(1.5, 6);
    expect(usage.get("node-2")?.cpuCores.avg).toBeCloseTo(0.5, 6);
    expect(usage.get("node-1")?.memoryGiB.avg).toBeCloseTo(3, 6);
  });
});
