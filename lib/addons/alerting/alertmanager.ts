/**
 * Alertmanager's configuration from spec.addons.alerting: the routing tree, inhibition and
 * receivers. Credentials never pass through here: each receiver's secret is a key of the Secret
 * monitoring/alertmanager-kraken-receivers, which the Prometheus Operator mounts in Alertmanager,
 * and the config names the mounted file with Alertmanager's `*_file` fields (all in 0.25).
 * docs/alerting.md explains the flow and how to add a receiver.
 * @see https://prometheus.io/docs/alerting/0.25/configuration/
 */
import { stringify } from "yaml";
import type { AlertReceiver, AlertRoute, Cluster } from "../../spec";

/**
 * Oldest Alertmanager that reads every `*_file` field rendered here: PagerDuty `routing_key_file`
 * and email `auth_password_file` came in 0.25.0 (Slack `api_url_file` and `http_config.authorization` in 0.22.0).
 */
export const MIN_ALERTMANAGER_VERSION = "0.25.0";

/** The Secret with the receivers' credentials, and where the Prometheus Operator mounts it (`spec.secrets` of the Alertmanager resource). */
export const ALERTMANAGER_SECRET = {
  name: "alertmanager-kraken-receivers",
  namespace: "monitoring",
  mountPath: "/etc/alertmanager/secrets/alertmanager-kraken-receivers",
} as const;

/**
 * Receiver of what should notify nobody (the always-firing Watchdog, or everything when the spec
 * has no receivers). Spec receiver names cannot contain '_', so it never collides with one.
 */
export const NULL_RECEIVER = "kraken_null";

/** The always-firing alert that proves the pipeline works (severity none); it goes to NULL_RECEIVER. */
export const WATCHDOG_ALERT = "Watchdog";

/** Labels two alerts must share for one to inhibit the other; `cluster` is every alert's external label. */
export const INHIBIT_EQUAL_LABELS = ["alertname", "cluster", "namespace"] as const;

/** Fixed timings of the root route; repeat_interval comes from the spec. */
export const ROUTE_TIMING = { groupWait: "30s", groupInterval: "5m", resolveTimeout: "5m" } as const;

/** One value of the receivers' Secret: which environment variable fills which key. */
export interface ReceiverSecretKey {
  /** Key in the Secret, and file name under the mount path. */
  readonly key: string;
  /** The spec's environment variable (an `*Env` field) holding the value where the addons stack is deployed. */
  readonly env: string;
  /** Receiver (by name) that uses it. */
  readonly receiver: string;
  /** What the value is, for messages and docs: "Slack incoming-webhook URL". */
  readonly what: string;
}

/** The Terraform variable of the addons stack that carries one Secret value. */
export interface AlertmanagerTerraformVariable {
  /** Terraform variable name: alerting_<key with '-' as '_'>. */
  readonly variable: string;
  /** Environment variable Terraform reads it from: TF_VAR_<variable>. */
  readonly env: string;
  /** Key of the Secret the value goes into. */
  readonly key: string;
  /** The spec's environment variable that holds the value (export env from it). */
  readonly specEnv: string;
  readonly receiver: string;
  readonly what: string;
}

export interface AlertmanagerConfigOptions {
  /**
   * Directory the `*_file` fields point into.
   * @default ALERTMANAGER_SECRET.mountPath
   */
  readonly secretsDir?: string;
}

type Integration = "slack" | "pagerduty" | "email" | "webhook";

/** Per integration: the Secret key's suffix (none is a suffix of another, so keys never collide) and what the value is. */
const SECRET_KINDS: Record<Integration, { readonly suffix: string; readonly what: string; readonly env: (receiver: AlertReceiver) => string | undefined }> = {
  slack: { suffix: "slack-webhook-url", what: "Slack incoming-webhook URL", env: (receiver) => receiver.slack?.webhookUrlEnv },
  pagerduty: { suffix: "pagerduty-routing-key", what: "PagerDuty Events API v2 routing key", env: (receiver) => receiver.pagerduty?.routingKeyEnv },
  email: { suffix: "email-auth-password", what: "SMTP password", env: (receiver) => receiver.email?.authPasswordEnv },
  webhook: { suffix: "webhook-bearer-token", what: "webhook bearer token", env: (receiver) => receiver.webhook?.bearerTokenEnv },
};

const INTEGRATIONS = Object.keys(SECRET_KINDS) as Integration[];

function secretKey(receiver: string, integration: Integration): string {
  return `${receiver}-${SECRET_KINDS[integration].suffix}`;
}

/** Which environment variable fills which key of the receivers' Secret, in receiver order. Keys are valid Secret keys ([-._a-zA-Z0-9]). */
export function alertmanagerSecretKeys(cluster: Cluster): ReceiverSecretKey[] {
  return cluster.spec.addons.alerting.receivers.flatMap((receiver) =>
    INTEGRATIONS.flatMap((integration) => {
      const env = SECRET_KINDS[integration].env(receiver);
      return env === undefined ? [] : [{ key: secretKey(receiver.name, integration), env, receiver: receiver.name, what: SECRET_KINDS[integration].what }];
    }),
  );
}

/** The addons stack's Terraform variables (sensitive), one per Secret key: export `env` where the stack is deployed. */
export function alertmanagerTerraformVariables(cluster: Cluster): AlertmanagerTerraformVariable[] {
  return alertmanagerSecretKeys(cluster).map(({ key, env, receiver, what }) => {
    const variable = `alerting_${key.replaceAll("-", "_")}`;
    return { variable, env: `TF_VAR_${variable}`, key, specEnv: env, receiver, what };
  });
}

/** `name="value"` in Alertmanager's matcher syntax, with the value escaped. */
export function equalityMatcher(name: string, value: string): string {
  const escaped = value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
  return `${name}="${escaped}"`;
}

// Alertmanager 0.25 accepts only classic Prometheus label names in matchers.
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function routeMatchers(route: AlertRoute, index: number): string[] {
  const invalid = Object.keys(route.matchers).filter((name) => !LABEL_NAME.test(name));
  if (invalid.length > 0) {
    throw new Error(
      invalid.map((name) => `spec.addons.alerting.routes[${index}].matchers: "${name}" is not a label name (letters, digits and '_', not starting with a digit)`).join("\n"),
    );
  }
  const matchers = route.severity === undefined ? [] : [equalityMatcher("severity", route.severity)];
  for (const [name, value] of Object.entries(route.matchers)) matchers.push(equalityMatcher(name, value));
  return matchers;
}

/** The highest severity among the group's alerts, in PagerDuty's terms (critical, error, warning, info). */
const PAGERDUTY_SEVERITY =
  '{{ $severity := "info" }}{{ range .Alerts }}{{ if eq .Labels.severity "critical" }}{{ $severity = "critical" }}' +
  '{{ else if and (eq .Labels.severity "warning") (ne $severity "critical") }}{{ $severity = "warning" }}{{ end }}{{ end }}{{ $severity }}';

const SUMMARY = "{{ if .Annotations.summary }}{{ .Annotations.summary }}{{ else }}{{ .Labels.alertname }}{{ end }}";

const SLACK_TITLE =
  '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }} on {{ .CommonLabels.cluster }}';

const SLACK_TEXT =
  `{{ range .Alerts }}*{{ .Labels.severity }}*{{ if .Labels.namespace }} \`{{ .Labels.namespace }}\`{{ end }}: ${SUMMARY}\n` +
  "{{ if .Annotations.description }}{{ .Annotations.description }}\n{{ end }}" +
  // kraken-lib's rules annotate `runbook` (docs/alert-reference.md); kube-prometheus's annotate `runbook_url`.
  "{{ if .Annotations.runbook_url }}Runbook: {{ .Annotations.runbook_url }}\n{{ else if .Annotations.runbook }}Runbook: {{ .Annotations.runbook }}\n{{ end }}{{ end }}";

const PAGERDUTY_DESCRIPTION = `[{{ .CommonLabels.cluster }}] {{ .CommonLabels.alertname }}: {{ with index .Alerts 0 }}${SUMMARY}{{ end }}`;

/** Templates rendered into receivers, exported so tests can render them with the real amtool. */
export const NOTIFICATION_TEMPLATES = { slackTitle: SLACK_TITLE, slackText: SLACK_TEXT, pagerdutySeverity: PAGERDUTY_SEVERITY, pagerdutyDescription: PAGERDUTY_DESCRIPTION } as const;

function renderReceiver(receiver: AlertReceiver, secretsDir: string): Record<string, unknown> {
  const file = (integration: Integration) => `${secretsDir}/${secretKey(receiver.name, integration)}`;
  const rendered: Record<string, unknown> = { name: receiver.name };
  if (receiver.slack) {
    rendered.slack_configs = [
      {
        send_resolved: true,
        api_url_file: file("slack"),
        ...(receiver.slack.channel === undefined ? {} : { channel: receiver.slack.channel }),
        title: SLACK_TITLE,
        text: SLACK_TEXT,
      },
    ];
  }
  if (receiver.pagerduty) {
    rendered.pagerduty_configs = [
      {
        send_resolved: true,
        routing_key_file: file("pagerduty"),
        severity: PAGERDUTY_SEVERITY,
        description: PAGERDUTY_DESCRIPTION,
        // Added to Alertmanager's default details (firing, resolved, num_firing, num_resolved).
        details: { cluster: "{{ .CommonLabels.cluster }}", namespace: "{{ .CommonLabels.namespace }}" },
      },
    ];
  }
  if (receiver.email) {
    const email = receiver.email;
    rendered.email_configs = [
      {
        send_resolved: true,
        to: email.to.join(", "),
        from: email.from,
        smarthost: email.smarthost,
        ...(email.authUsername === undefined ? {} : { auth_username: email.authUsername }),
        ...(email.authPasswordEnv === undefined ? {} : { auth_password_file: file("email") }),
        require_tls: email.requireTls,
      },
    ];
  }
  if (receiver.webhook) {
    rendered.webhook_configs = [
      {
        send_resolved: true,
        url: receiver.webhook.url,
        ...(receiver.webhook.bearerTokenEnv === undefined ? {} : { http_config: { authorization: { type: "Bearer", credentials_file: file("webhook") } } }),
      },
    ];
  }
  return rendered;
}

/** Alertmanager's configuration as an object, ready to serialize. */
export function alertmanagerConfig(cluster: Cluster, options: AlertmanagerConfigOptions = {}): Record<string, unknown> {
  const alerting = cluster.spec.addons.alerting;
  const secretsDir = (options.secretsDir ?? ALERTMANAGER_SECRET.mountPath).replace(/\/+$/, "");
  const routes = [
    // First, so that no catch-all route of the spec pages anyone for the always-firing alert.
    { receiver: NULL_RECEIVER, matchers: [equalityMatcher("alertname", WATCHDOG_ALERT)] },
    ...alerting.routes.map((route, index) => {
      const matchers = routeMatchers(route, index);
      return { receiver: route.receiver, ...(matchers.length > 0 ? { matchers } : {}), continue: route.continue };
    }),
  ];
  const equal = [...INHIBIT_EQUAL_LABELS];
  return {
    global: { resolve_timeout: ROUTE_TIMING.resolveTimeout },
    route: {
      receiver: alerting.defaultReceiver ?? alerting.receivers[0]?.name ?? NULL_RECEIVER,
      group_by: [...alerting.groupBy],
      group_wait: ROUTE_TIMING.groupWait,
      group_interval: ROUTE_TIMING.groupInterval,
      repeat_interval: alerting.repeatInterval,
      routes,
    },
    inhibit_rules: [
      { source_matchers: [equalityMatcher("severity", "critical")], target_matchers: [equalityMatcher("severity", "warning")], equal },
      { source_matchers: ['severity=~"critical|warning"'], target_matchers: [equalityMatcher("severity", "info")], equal },
    ],
    receivers: [{ name: NULL_RECEIVER }, ...alerting.receivers.map((receiver) => renderReceiver(receiver, secretsDir))],
  };
}

/** alertmanager.yaml for the cluster. */
export function renderAlertmanagerConfig(cluster: Cluster, options: AlertmanagerConfigOptions = {}): string {
  return `# Rendered by kraken-lib from spec.addons.alerting of ${cluster.metadata.name}; docs/alerting.md.\n${stringify(alertmanagerConfig(cluster, options), { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
