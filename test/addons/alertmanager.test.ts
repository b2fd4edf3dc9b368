/**
 * Alertmanager configuration from spec.addons.alerting, checked by the real Alertmanager 0.25:
 * `amtool check-config` accepts every rendering, `amtool config routes test` says where alerts go,
 * `amtool template render` renders the notification templates, and a running Alertmanager reads
 * the mounted secret files, inhibits and delivers. amtool and prometheus-alertmanager must be
 * installed (Debian's prometheus-alertmanager; .ci/run installs it): missing, the tests fail.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import {
  ALERTMANAGER_SECRET,
  alertmanagerConfig,
  alertmanagerSecretKeys,
  alertmanagerTerraformVariables,
  NOTIFICATION_TEMPLATES,
  NULL_RECEIVER,
  renderAlertmanagerConfig,
} from "../../lib/addons/alerting/alertmanager";
import { defineCluster, loadClusterFiles, type Cluster, type ClusterDocumentInput } from "../../lib/spec";
import { freePort, requireBinary } from "../support/etcd";
import { EXAMPLES } from "../util";

type AlertingInput = NonNullable<NonNullable<ClusterDocumentInput["spec"]["addons"]>["alerting"]>;

const [haCluster] = loadClusterFiles([EXAMPLES.awsHa]);

/** examples/aws-ha/cluster.yaml with spec.addons.alerting replaced. */
function clusterWith(alerting: AlertingInput): Cluster {
  const base = haCluster!;
  return defineCluster({ ...base, spec: { ...base.spec, addons: { ...base.spec.addons, alerting } } } as ClusterDocumentInput);
}

const root = mkdtempSync(join(tmpdir(), "kraken-alertmanager-"));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

let amtoolPath = "";
beforeAll(() => {
  amtoolPath = requireBinary("amtool", "prometheus-alertmanager");
});

function amtool(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(amtoolPath, args, { encoding: "utf8", timeout: 30_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** What a Secret value's dummy content is: unique, so the tests can look for it anywhere. */
const dummyValue = (key: string) => `dummy-credential-for-${key}`;

interface Written {
  readonly configFile: string;
  readonly secretsDir: string;
  readonly yaml: string;
}

/** Writes the rendered config and the Secret's files (dummy contents) where the config says they are mounted. */
function writeConfig(name: string, yaml: string, cluster: Cluster): Written {
  const dir = join(root, name);
  const secretsDir = join(dir, "secrets");
  mkdirSync(secretsDir, { recursive: true });
  for (const { key } of alertmanagerSecretKeys(cluster)) writeFileSync(join(secretsDir, key), dummyValue(key));
  const configFile = join(dir, "alertmanager.yml");
  writeFileSync(configFile, yaml);
  return { configFile, secretsDir, yaml };
}

function renderAndWrite(name: string, cluster: Cluster): Written {
  const secretsDir = join(root, name, "secrets");
  return writeConfig(name, renderAlertmanagerConfig(cluster, { secretsDir }), cluster);
}

function checkConfig(configFile: string): { status: number | null; output: string } {
  const result = amtool(["check-config", configFile]);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The receivers amtool resolves for a label set, in routing-tree order. */
function routesTo(configFile: string, labels: Readonly<Record<string, string>>): string[] {
  const result = amtool(["config", "routes", "test", `--config.file=${configFile}`, ...Object.entries(labels).map(([name, value]) => `${name}=${value}`)]);
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.trim().split(",");
}

/** Every value of a `*_file` field, anywhere in the config. */
function fileFields(node: unknown, found: [string, string][] = []): [string, string][] {
  if (Array.isArray(node)) for (const item of node) fileFields(item, found);
  else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key.endsWith("_file") && typeof value === "string") found.push([key, value]);
      else fileFields(value, found);
    }
  }
  return found;
}

const slack = { name: "platform", slack: { webhookUrlEnv: "ALERTS_SLACK_WEBHOOK_URL", channel: "#alerts-prod" } };
const pagerduty = { name: "oncall", pagerduty: { routingKeyEnv: "PAGERDUTY_ROUTING_KEY" } };
const email = {
  name: "payments-team",
  email: { to: ["payments@example.com", "lead@example.com"], from: "alertmanager@example.com", smarthost: "smtp.example.com:587", authUsername: "alertmanager", authPasswordEnv: "ALERTS_SMTP_PASSWORD" },
};
const webhook = { name: "audit", webhook: { url: "https://hooks.example.com/alertmanager", bearerTokenEnv: "ALERTS_WEBHOOK_TOKEN" } };

/** Everything at once: every receiver kind, routes by severity and namespace, continue, an explicit default. */
const fullAlerting: AlertingInput = {
  receivers: [slack, pagerduty, email, webhook],
  routes: [
    { receiver: "oncall", severity: "critical", continue: true },
    { receiver: "payments-team", matchers: { namespace: "payments" } },
    { receiver: "audit", severity: "warning", matchers: { alertname: "KubeAPIErrorBudgetBurn" } },
  ],
  defaultReceiver: "platform",
  groupBy: ["alertname", "cluster", "namespace"],
  repeatInterval: "12h",
};

const specs: [string, AlertingInput][] = [
  ["no receivers", {}],
  ["slack alone", { receivers: [slack] }],
  ["slack without a channel", { receivers: [{ name: "platform", slack: { webhookUrlEnv: "ALERTS_SLACK_WEBHOOK_URL" } }] }],
  ["pagerduty alone", { receivers: [pagerduty] }],
  ["email alone", { receivers: [email] }],
  ["email without authentication or TLS", { receivers: [{ name: "relay", email: { to: ["ops@example.com"], from: "am@example.com", smarthost: "relay.internal:25", requireTls: false } }] }],
  ["webhook alone", { receivers: [webhook] }],
  ["webhook without a token", { receivers: [{ name: "audit", webhook: { url: "http://hooks.internal/alerts" } }] }],
  ["one receiver with every integration", { receivers: [{ ...slack, ...pagerduty, ...email, ...webhook, name: "everything" }] }],
  ["everything together", fullAlerting],
];

describe("amtool check-config", () => {
  it.each(specs)("accepts the config of %s, whose secret files are all in the Secret", (name, alerting) => {
    // GIVEN a cluster with this alerting spec, its config and the Secret's files written
    const cluster = clusterWith(alerting);
    const written = renderAndWrite(name.replaceAll(" ", "-"), cluster);
    // WHEN the real amtool checks it
    const { status, output } = checkConfig(written.configFile);
    // THEN Alertmanager 0.25 accepts it
    expect(status, output).toBe(0);
    expect(output).toContain("SUCCESS");
    // AND every file it names is a key of the Secret, under the mount path, and exists
    const files = fileFields(parse(written.yaml)).map(([, path]) => path);
    expect(files.sort()).toEqual(alertmanagerSecretKeys(cluster).map(({ key }) => join(written.secretsDir, key)).sort());
    for (const file of files) expect(existsSync(file), file).toBe(true);
  });

  it("rejects a route to a receiver that does not exist (the check can fail)", () => {
    // GIVEN the full config with its first spec route pointed at a receiver nobody defined
    const cluster = clusterWith(fullAlerting);
    const config = alertmanagerConfig(cluster, { secretsDir: join(root, "ghost", "secrets") });
    const routes = (config.route as { routes: { receiver: string }[] }).routes;
    routes[1]!.receiver = "ghost";
    const written = writeConfig("ghost", stringify(config), cluster);
    // THEN amtool refuses it and names the receiver
    const { status, output } = checkConfig(written.configFile);
    expect(status).not.toBe(0);
    expect(output).toContain('undefined receiver "ghost" used in route');
  });

  it("rejects a matcher on a name that is no label name, which the renderer refuses first", () => {
    // GIVEN a spec route matching on "team-name" (the schema allows any key)
    const cluster = clusterWith({ receivers: [slack], routes: [{ receiver: "platform", matchers: { "team-name": "payments" } }] });
    // THEN rendering names the field
    expect(() => renderAlertmanagerConfig(cluster)).toThrow(/spec\.addons\.alerting\.routes\[0\]\.matchers: "team-name" is not a label name/);
    // AND amtool refuses the same matcher, so the renderer's rule is Alertmanager's
    const config = alertmanagerConfig(clusterWith({ receivers: [slack], routes: [{ receiver: "platform", matchers: { team_name: "payments" } }] }), { secretsDir: join(root, "label", "secrets") });
    const written = writeConfig("label", stringify(config).replace('team_name="payments"', 'team-name="payments"'), cluster);
    expect(written.yaml).toContain('team-name="payments"');
    const { status, output } = checkConfig(written.configFile);
    expect(status).not.toBe(0);
    expect(output).toMatch(/team-name/);
  });

  it("points the *_file fields at the Prometheus Operator's mount of the Secret by default", () => {
    const yaml = renderAlertmanagerConfig(clusterWith(fullAlerting));
    expect(fileFields(parse(yaml)).map(([field, path]) => `${field} ${path}`).sort()).toEqual([
      `api_url_file ${ALERTMANAGER_SECRET.mountPath}/platform-slack-webhook-url`,
      `auth_password_file ${ALERTMANAGER_SECRET.mountPath}/payments-team-email-auth-password`,
      `credentials_file ${ALERTMANAGER_SECRET.mountPath}/audit-webhook-bearer-token`,
      `routing_key_file ${ALERTMANAGER_SECRET.mountPath}/oncall-pagerduty-routing-key`,
    ]);
  });
});

describe("amtool config routes test", () => {
  let full: Written;
  let none: Written;
  let firstReceiver: Written;
  beforeAll(() => {
    full = renderAndWrite("routes-full", clusterWith(fullAlerting));
    none = renderAndWrite("routes-none", clusterWith({}));
    firstReceiver = renderAndWrite("routes-first", clusterWith({ receivers: [webhook, slack], routes: [{ receiver: "platform", severity: "critical" }] }));
  });

  it.each<[string, Record<string, string>, string[]]>([
    ["a critical alert goes to the critical route", { alertname: "KubeNodeNotReady", severity: "critical", cluster: "prod-usw2" }, ["oncall"]],
    ["a namespace matcher picks its team", { alertname: "KubePodCrashLooping", severity: "warning", cluster: "prod-usw2", namespace: "payments" }, ["payments-team"]],
    ["continue reaches two receivers", { alertname: "KubePodCrashLooping", severity: "critical", cluster: "prod-usw2", namespace: "payments" }, ["oncall", "payments-team"]],
    ["severity and alertname matchers together", { alertname: "KubeAPIErrorBudgetBurn", severity: "warning", cluster: "prod-usw2" }, ["audit"]],
    ["the same alert at another severity falls through", { alertname: "KubeAPIErrorBudgetBurn", severity: "info", cluster: "prod-usw2" }, ["platform"]],
    ["an unmatched alert goes to the default receiver", { alertname: "CPUThrottlingHigh", severity: "warning", cluster: "prod-usw2", namespace: "web" }, ["platform"]],
    ["Watchdog goes nowhere, even in a matched namespace", { alertname: "Watchdog", severity: "none", cluster: "prod-usw2", namespace: "payments" }, [NULL_RECEIVER]],
  ])("%s", (_name, labels, receivers) => {
    expect(routesTo(full.configFile, labels)).toEqual(receivers);
  });

  it("without defaultReceiver, unmatched alerts go to the first receiver", () => {
    expect(routesTo(firstReceiver.configFile, { alertname: "X", severity: "warning", cluster: "prod-usw2" })).toEqual(["audit"]);
    expect(routesTo(firstReceiver.configFile, { alertname: "X", severity: "critical", cluster: "prod-usw2" })).toEqual(["platform"]);
  });

  it("without receivers, every alert stays in Alertmanager", () => {
    expect(routesTo(none.configFile, { alertname: "KubeNodeNotReady", severity: "critical", cluster: "prod-usw2" })).toEqual([NULL_RECEIVER]);
  });

  it("--verify.receivers fails when routing differs (the check can fail)", () => {
    const result = amtool(["config", "routes", "test", `--config.file=${full.configFile}`, "--verify.receivers=platform", "severity=critical", "alertname=KubeNodeNotReady"]);
    expect(result.status).not.toBe(0);
    expect(result.stdout.split("\n")[0]).toBe("oncall");
    expect(result.stdout).toContain("Expected receivers did not match resolved receivers");
  });

  it("matches label values with quotes and backslashes exactly", () => {
    const written = renderAndWrite("routes-escaping", clusterWith({ receivers: [slack, webhook], routes: [{ receiver: "audit", matchers: { team: 'a "quoted" \\ team' } }] }));
    expect(routesTo(written.configFile, { alertname: "X", team: '"a \\"quoted\\" \\\\ team"' })).toEqual(["audit"]);
    expect(routesTo(written.configFile, { alertname: "X", team: "a" })).toEqual(["platform"]);
  });
});

describe("credentials", () => {
  it("never appear in the rendered config, whatever the environment holds", () => {
    // GIVEN every credential environment variable set to a recognizable value
    const cluster = clusterWith(fullAlerting);
    const keys = alertmanagerSecretKeys(cluster);
    const saved = new Map(keys.map(({ env }) => [env, process.env[env]]));
    const withoutEnvironment = renderAlertmanagerConfig(cluster);
    try {
      for (const { env } of keys) process.env[env] = `secret-value-of-${env}`;
      // WHEN the config is rendered, and its Secret files written
      const written = renderAndWrite("credentials", cluster);
      const rendered = renderAlertmanagerConfig(cluster);
      // THEN neither the environment's values nor the files' contents are in it
      for (const text of [rendered, written.yaml]) {
        for (const { env, key } of keys) {
          expect(text).not.toContain(`secret-value-of-${env}`);
          expect(text).not.toContain(readFileSync(join(written.secretsDir, key), "utf8"));
          expect(text).not.toContain(env);
        }
      }
      // AND rendering does not depend on the environment at all
      expect(rendered).toBe(withoutEnvironment);
    } finally {
      for (const [env, value] of saved) {
        if (value === undefined) Reflect.deleteProperty(process.env, env);
        else process.env[env] = value;
      }
    }
  });

  it("maps each spec environment variable to a Secret key and a Terraform variable", () => {
    const cluster = clusterWith(fullAlerting);
    expect(alertmanagerSecretKeys(cluster)).toEqual([
      { key: "platform-slack-webhook-url", env: "ALERTS_SLACK_WEBHOOK_URL", receiver: "platform", what: "Slack incoming-webhook URL" },
      { key: "oncall-pagerduty-routing-key", env: "PAGERDUTY_ROUTING_KEY", receiver: "oncall", what: "PagerDuty Events API v2 routing key" },
      { key: "payments-team-email-auth-password", env: "ALERTS_SMTP_PASSWORD", receiver: "payments-team", what: "SMTP password" },
      { key: "audit-webhook-bearer-token", env: "ALERTS_WEBHOOK_TOKEN", receiver: "audit", what: "webhook bearer token" },
    ]);
    expect(alertmanagerTerraformVariables(cluster).map(({ variable, env, key, specEnv }) => ({ variable, env, key, specEnv }))).toEqual([
      { variable: "alerting_platform_slack_webhook_url", env: "TF_VAR_alerting_platform_slack_webhook_url", key: "platform-slack-webhook-url", specEnv: "ALERTS_SLACK_WEBHOOK_URL" },
      { variable: "alerting_oncall_pagerduty_routing_key", env: "TF_VAR_alerting_oncall_pagerduty_routing_key", key: "oncall-pagerduty-routing-key", specEnv: "PAGERDUTY_ROUTING_KEY" },
      { variable: "alerting_payments_team_email_auth_password", env: "TF_VAR_alerting_payments_team_email_auth_password", key: "payments-team-email-auth-password", specEnv: "ALERTS_SMTP_PASSWORD" },
      { variable: "alerting_audit_webhook_bearer_token", env: "TF_VAR_alerting_audit_webhook_bearer_token", key: "audit-webhook-bearer-token", specEnv: "ALERTS_WEBHOOK_TOKEN" },
    ]);
    for (const { key, variable } of alertmanagerTerraformVariables(cluster)) {
      expect(key).toMatch(/^[-._a-zA-Z0-9]{1,253}$/);
      expect(variable).toMatch(/^[a-zA-Z][a-zA-Z0-9_]*$/);
    }
  });

  it("has no Secret keys without credentials in the spec", () => {
    expect(alertmanagerSecretKeys(clusterWith({ receivers: [{ name: "audit", webhook: { url: "https://hooks.example.com/a" } }] }))).toEqual([]);
    expect(alertmanagerTerraformVariables(clusterWith({}))).toEqual([]);
  });
});

describe("notification templates, rendered by amtool", () => {
  const emptyTemplates = join(root, "empty.tmpl");
  const alert = (labels: Record<string, string>, annotations: Record<string, string> = {}) => ({
    status: "firing",
    labels,
    annotations,
    startsAt: "2026-11-20T10:00:00Z",
    endsAt: "0001-01-01T00:00:00Z",
    generatorURL: "http://prometheus.example.com/graph",
    fingerprint: Object.values(labels).join("-"),
  });
  const data = {
    receiver: "platform",
    status: "firing",
    alerts: [
      alert({ alertname: "KubePodCrashLooping", severity: "warning", cluster: "prod-usw2", namespace: "payments" }, { summary: "Pod payments/api is crash looping.", runbook_url: "https://runbooks.example.com/KubePodCrashLooping" }),
      alert({ alertname: "KubePodCrashLooping", severity: "critical", cluster: "prod-usw2", namespace: "payments" }, { description: "Restarted 12 times in 10 minutes.", runbook: "docs/alert-reference.md#kubepodcrashlooping" }),
    ],
    groupLabels: { alertname: "KubePodCrashLooping" },
    commonLabels: { alertname: "KubePodCrashLooping", cluster: "prod-usw2", namespace: "payments" },
    commonAnnotations: {},
    externalURL: "http://alertmanager.example.com",
  };

  function render(text: string, templateData: unknown = data): string {
    writeFileSync(emptyTemplates, "");
    const dataFile = join(root, `data-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(dataFile, JSON.stringify(templateData));
    const result = amtool(["template", "render", `--template.glob=${emptyTemplates}`, `--template.data=${dataFile}`, `--template.text=${text}`]);
    expect(result.status, result.stderr).toBe(0);
    return result.stdout;
  }

  it("titles Slack messages with status, count, alert and cluster", () => {
    expect(render(NOTIFICATION_TEMPLATES.slackTitle)).toBe("[FIRING:2] KubePodCrashLooping on prod-usw2");
  });

  it("lists each alert with severity, namespace, summary (or its name), description and runbook (runbook_url or runbook)", () => {
    expect(render(NOTIFICATION_TEMPLATES.slackText)).toBe(
      "*warning* `payments`: Pod payments/api is crash looping.\nRunbook: https://runbooks.example.com/KubePodCrashLooping\n" +
        "*critical* `payments`: KubePodCrashLooping\nRestarted 12 times in 10 minutes.\nRunbook: docs/alert-reference.md#kubepodcrashlooping\n",
    );
  });

  it.each([
    [["warning", "critical"], "critical"],
    [["critical", "warning"], "critical"],
    [["warning", "info"], "warning"],
    [["info"], "info"],
    [["none"], "info"],
  ])("maps severities %j to PagerDuty's %s", (severities, expected) => {
    const alerts = severities.map((severity) => alert({ alertname: "A", severity, cluster: "prod-usw2" }));
    expect(render(NOTIFICATION_TEMPLATES.pagerdutySeverity, { ...data, alerts })).toBe(expected);
  });

  it("describes a PagerDuty incident by cluster, alert and first summary", () => {
    expect(render(NOTIFICATION_TEMPLATES.pagerdutyDescription)).toBe("[prod-usw2] KubePodCrashLooping: Pod payments/api is crash looping.");
  });
});

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: { [key: string]: unknown };
}

describe("a running Alertmanager", () => {
  const received: Received[] = [];
  let sink: Server;
  let alertmanager: ChildProcess | undefined;
  const log: string[] = [];
  let amUrl = "";
  let cluster: Cluster;
  let written: Written;

  beforeAll(async () => {
    const binary = requireBinary("prometheus-alertmanager", "prometheus-alertmanager");
    // A stand-in for Slack and the webhook: records every call.
    sink = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      request.on("end", () => {
        received.push({ path: request.url ?? "", headers: request.headers, body: JSON.parse(body) as Received["body"] });
        response.writeHead(200, { "content-type": "text/plain" }).end("ok");
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
    const address = sink.address();
    const sinkUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;

    cluster = clusterWith({
      receivers: [
        { name: "chat", slack: { webhookUrlEnv: "ALERTS_SLACK_WEBHOOK_URL", channel: "#prod-alerts" } },
        { name: "hook", webhook: { url: `${sinkUrl}/hook`, bearerTokenEnv: "ALERTS_WEBHOOK_TOKEN" } },
      ],
      routes: [{ receiver: "hook", severity: "critical" }],
      defaultReceiver: "chat",
    });
    const secretsDir = join(root, "daemon", "secrets");
    const config = alertmanagerConfig(cluster, { secretsDir });
    // Only the wait before the first notification changes, so the test takes seconds instead of 30.
    (config.route as { group_wait: string }).group_wait = "1s";
    written = writeConfig("daemon", stringify(config), cluster);
    // The Slack "webhook URL" in the Secret points at the sink.
    writeFileSync(join(secretsDir, "chat-slack-webhook-url"), `${sinkUrl}/slack`);

    const port = await freePort();
    amUrl = `http://127.0.0.1:${port}`;
    const storage = join(root, "daemon", "data");
    mkdirSync(storage, { recursive: true });
    alertmanager = spawn(binary, [`--config.file=${written.configFile}`, `--storage.path=${storage}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address="], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    alertmanager.stdout?.on("data", (chunk: Buffer) => log.push(chunk.toString("utf8")));
    alertmanager.stderr?.on("data", (chunk: Buffer) => log.push(chunk.toString("utf8")));
    await waitFor(async () => (await fetch(`${amUrl}/-/ready`).catch(() => undefined))?.ok === true, 20_000, () => `Alertmanager did not become ready:\n${log.join("")}`);
  });

  afterAll(async () => {
    if (alertmanager?.pid !== undefined && alertmanager.exitCode === null) {
      const exited = new Promise((resolve) => alertmanager!.once("exit", resolve));
      process.kill(alertmanager.pid, "SIGTERM");
      await exited;
    }
    await new Promise((resolve) => sink.close(resolve));
  });

  function addAlert(labels: Record<string, string>, summary: string): void {
    const result = amtool(["alert", "add", `--alertmanager.url=${amUrl}`, ...Object.entries(labels).map(([name, value]) => `${name}=${value}`), `--annotation=summary=${summary}`]);
    expect(result.status, result.stderr).toBe(0);
  }

  it("reads the mounted files, inhibits warnings under a critical alert, and drops Watchdog", async () => {
    // GIVEN a critical alert and its warning twin in the same namespace, another warning, and Watchdog
    addAlert({ alertname: "TargetDown", severity: "critical", cluster: "prod-usw2", namespace: "payments" }, "All payments targets are down.");
    addAlert({ alertname: "TargetDown", severity: "warning", cluster: "prod-usw2", namespace: "payments" }, "Some payments targets are down.");
    addAlert({ alertname: "KubePodCrashLooping", severity: "warning", cluster: "prod-usw2", namespace: "web" }, "Pod web/frontend is crash looping.");
    addAlert({ alertname: "Watchdog", severity: "none", cluster: "prod-usw2" }, "Alerting works.");

    // WHEN Alertmanager has notified
    await waitFor(() => received.some((call) => call.path === "/hook") && received.some((call) => call.path === "/slack"), 30_000, () => `no notifications; got ${received.length}:\n${log.join("")}`);
    // Give a wrongly routed or uninhibited notification (same group_wait) time to arrive too.
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    // THEN the webhook got the critical alert, with the bearer token read from its file
    const hooks = received.filter((call) => call.path === "/hook");
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.headers.authorization).toBe(`Bearer ${dummyValue("hook-webhook-bearer-token")}`);
    const hookAlerts = hooks[0]!.body.alerts as { labels: Record<string, string> }[];
    expect(hookAlerts.map((alert) => alert.labels)).toEqual([{ alertname: "TargetDown", severity: "critical", cluster: "prod-usw2", namespace: "payments" }]);

    // AND Slack (at the URL read from its file) got only the other warning: the twin was inhibited, Watchdog dropped
    const slackCalls = received.filter((call) => call.path === "/slack");
    expect(slackCalls).toHaveLength(1);
    expect(slackCalls[0]!.body.channel).toBe("#prod-alerts");
    const [attachment] = slackCalls[0]!.body.attachments as { title: string; text: string }[];
    expect(attachment!.title).toBe("[FIRING:1] KubePodCrashLooping on prod-usw2");
    expect(attachment!.text).toBe("*warning* `web`: Pod web/frontend is crash looping.\n");

    // AND Alertmanager itself reports the warning twin as inhibited by the critical alert
    const response = await fetch(`${amUrl}/api/v2/alerts`);
    const alerts = (await response.json()) as { labels: Record<string, string>; status: { state: string; inhibitedBy: string[] }; receivers: { name: string }[] }[];
    const twin = alerts.find((alert) => alert.labels.alertname === "TargetDown" && alert.labels.severity === "warning");
    expect(twin?.status.state).toBe("suppressed");
    expect(twin?.status.inhibitedBy).toHaveLength(1);
    const watchdog = alerts.find((alert) => alert.labels.alertname === "Watchdog");
    expect(watchdog?.receivers.map((receiver) => receiver.name)).toEqual([NULL_RECEIVER]);
  });
});

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, describeFailure: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(describeFailure());
}
