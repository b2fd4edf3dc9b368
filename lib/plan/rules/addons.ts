/** Rules for spec.addons: what the addons stack (its own state, its own apply) changes in the cluster. */
import { blocked, eachDifference, inPlace, shown, simple, type PlanRule } from "./rule";

const MONITORING = "addon/monitoring";
const ALERTING = "addon/alerting";

export const ADDONS_RULES: readonly PlanRule[] = [
  {
    id: "monitoring-enabled",
    patterns: ["spec.addons.monitoring.enabled"],
    description: "Turning monitoring on installs its Helm releases; turning it off uninstalls them and deletes Prometheus's volume with its history.",
    classify: eachDifference((difference) =>
      difference.after === true
        ? simple(MONITORING, "create", "the addons stack installs the Prometheus stack, metrics-server and kraken-lib's rules and dashboards")
        : simple(MONITORING, "destroy", "the addons stack uninstalls the monitoring stack: Prometheus's volume and every metric in it are deleted, and no alert fires any more"),
    )("monitoring-enabled"),
  },
  {
    id: "monitoring-storage",
    patterns: ["spec.addons.monitoring.storage"],
    description: "Prometheus's volume grows in place (when its storage class allows expansion); it cannot shrink; another storage class is a new, empty volume.",
    classify: eachDifference((difference) => {
      if (difference.path.endsWith("sizeGib")) {
        const before = Number(difference.before);
        const after = Number(difference.after);
        if (after < before) {
          return blocked(
            MONITORING,
            `Prometheus's volume cannot shrink from ${before} to ${after} GiB (Kubernetes only expands volumes)`,
            `keep sizeGib: ${before}; to use less disk, lower retention or set retentionSize; to really shrink, change storageClass too, which starts a new, empty volume`,
          );
        }
        return inPlace(MONITORING, `Prometheus's volume grows from ${before} to ${after} GiB in place (its storage class must allow volume expansion)`);
      }
      return simple(MONITORING, "replace", `Prometheus moves to a new, empty volume of storage class ${shown(difference.after)}: the metric history on the old one is lost`);
    })("monitoring-storage"),
  },
  {
    id: "monitoring-settings",
    patterns: ["spec.addons.monitoring"],
    description: "Retention, scrape interval and Grafana: the Helm release is upgraded in place; Prometheus restarts.",
    classify: eachDifference((difference) =>
      inPlace(MONITORING, `${difference.path.replace(/^spec\.addons\.monitoring\./, "")} ${shown(difference.before)} to ${shown(difference.after)}: the monitoring release is upgraded in place`),
    )("monitoring-settings"),
  },
  {
    id: "logging-enabled",
    patterns: ["spec.addons.logging.enabled"],
    description: "Turning logging on installs the agents and the events exporter; off uninstalls them (the sinks keep what they have).",
    classify: eachDifference((difference) =>
      difference.after === true
        ? simple("addon/logging", "create", "the addons stack installs the log agent on every node and the events exporter; etcd hosts ship their journal once they are replaced (spec.etcd[].replaceMember), with the sinks' credentials from k2 secrets logging")
        : simple("addon/logging", "destroy", "the addons stack uninstalls the log agents and the events exporter; the sinks keep the logs they have"),
    )("logging-enabled"),
  },
  {
    id: "logging-settings",
    patterns: ["spec.addons.logging"],
    description: "Sinks, retention and labels: the agents' configuration is updated in place (they restart); etcd hosts get it when they are replaced.",
    classify: eachDifference((difference) => {
      const field = difference.path.replace(/^spec\.addons\.logging\./, "");
      // CloudWatch Logs and S3 are reached with the machines' roles; the others with credentials from the environment.
      const iam = /^sinks(\.(cloudwatch|s3)(\.|$)|$)/.test(field) ? "; the machines' IAM policy ship-logs follows in place" : "";
      const credentials = /^sinks(\.(loki|elasticsearch)(\.(usernameEnv|passwordEnv)|$)|$)/.test(field) ? "; run k2 secrets logging so that etcd hosts get the sinks' credentials" : "";
      return inPlace("addon/logging", `${field} changes: the agents' configuration is updated in place${iam}${credentials}; running etcd hosts keep theirs until they are replaced`);
    })("logging-settings"),
  },
  {
    id: "alerting-routing",
    patterns: ["spec.addons.alerting"],
    description: "Receivers and routes: Alertmanager's configuration (and its Secret of receiver credentials) is updated in place and reloaded.",
    classify: eachDifference((difference) =>
      inPlace(ALERTING, `${difference.path.replace(/^spec\.addons\.alerting\.?/, "") || "alerting"} changes: Alertmanager's routing is updated in place and reloaded`),
    )("alerting-routing"),
  },
];
