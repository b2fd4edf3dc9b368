/**
 * LoggingAddons in the addons stack and the etcd hosts' agent in their user data. The helm and
 * kubernetes providers cannot be installed offline: this checks the synthesized JSON; the agent's
 * configuration itself is tested in test/addons/logging-agent.test.ts.
 */
import { Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { AddonsStack } from "../../constructs/addons/addons-stack";
import { defineCluster, loadClusterFiles, type ClusterDocumentInput } from "../../lib/spec";
import { EXAMPLES, setPath } from "../util";
import { allUserData, cloudConfigFiles, decodeTerraformText, synthCluster } from "./fixtures";

interface Release {
  readonly chart: string;
  readonly version: string;
  readonly namespace: string;
  readonly values: string[];
}
interface AddonsJson {
  readonly resource: Record<string, Record<string, Record<string, unknown>>>;
  readonly variable?: Record<string, { sensitive: boolean; description: string }>;
}

const awsHa = loadClusterFiles([EXAMPLES.awsHa])[0]!;

function synthAddons(edit?: (document: ClusterDocumentInput) => void): AddonsJson {
  const document = JSON.parse(JSON.stringify(awsHa)) as ClusterDocumentInput;
  edit?.(document);
  return JSON.parse(Testing.synth(new AddonsStack(Testing.app(), defineCluster(document), { baseDir: "/srv/infra" }))) as AddonsJson;
}

describe("LoggingAddons", () => {
  const json = synthAddons();
  const agent = (Object.values(json.resource.helm_release!) as unknown as Release[]).find((release) => release.chart === "fluent-bit")!;

  it("installs the pinned Fluent Bit chart in namespace logging, tolerating every taint of the spec's nodes", () => {
    expect(agent).toMatchObject({ version: "0.58.2", namespace: "logging" });
    const values = parse(decodeTerraformText(agent.values[0]!)) as { tolerations: { key: string }[]; config: { outputs: string } };
    expect(values.tolerations.map((toleration) => toleration.key)).toEqual(expect.arrayContaining(["node-role.kubernetes.io/control-plane", "nvidia.com/gpu", "lifecycle"]));
    expect(values.config.outputs).toMatch(/Name\s+loki/);
    expect(values.config.outputs).toMatch(/Name\s+s3/);
  });

  it("takes the sinks' credentials from sensitive variables, and applies the events logger", () => {
    expect(json.variable!.logging_loki_password).toMatchObject({ sensitive: true });
    expect(json.variable!.logging_loki_password!.description).toContain('export TF_VAR_logging_loki_password="$LOKI_PASSWORD"');
    const sinks = Object.values(json.resource.kubernetes_secret_v1!).find((secret) => (secret as { metadata: { name: string } }).metadata.name === "fluent-bit-sinks") as { data: Record<string, string> };
    expect(sinks.data).toEqual({ "loki-username": "${var.logging_loki_username}", "loki-password": "${var.logging_loki_password}" });
    expect(Object.keys(json.resource.kubernetes_manifest!).some((id) => id.includes("deployment-kube-events-logger"))).toBe(true);
  });

  it("deploys no agent when logging is off", () => {
    const off = synthAddons((document) => setPath(document, "spec.addons.logging.enabled", false));
    expect((Object.values(off.resource.helm_release ?? {}) as unknown as Release[]).map((release) => release.chart)).not.toContain("fluent-bit");
  });
});

describe("the etcd hosts' log agent", () => {
  it("is installed by every etcd member's bootstrap when logging is on, shipping etcd's journal with role=etcd", () => {
    const members = [...allUserData(synthCluster(awsHa).json).entries()].filter(([address]) => address.startsWith("aws_instance."));
    expect(members).toHaveLength(6);
    for (const [, userData] of members) {
      const script = cloudConfigFiles(userData).get("/usr/local/lib/kraken/log-agent.sh")!;
      expect(script).toContain("install_log_agent()");
      expect(script).toContain("_SYSTEMD_UNIT=etcd.service");
      expect(script).toMatch(/role\s+etcd/);
    }
  });

  it("is absent when logging is off", () => {
    const off = defineCluster(setPath(JSON.parse(JSON.stringify(awsHa)) as ClusterDocumentInput, "spec.addons.logging.enabled", false));
    for (const [address, userData] of allUserData(synthCluster(off).json)) {
      if (address.startsWith("aws_instance.")) expect(cloudConfigFiles(userData).has("/usr/local/lib/kraken/log-agent.sh")).toBe(false);
    }
  });
});
