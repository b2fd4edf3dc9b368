/** The addons stack: a state of its own next to the cluster's, and the applied spec in a ConfigMap of the cluster. */
import { createHash } from "node:crypto";
import { Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { AddonsStack, APPLIED_SPEC_CONFIG_MAP } from "../../constructs/addons/addons-stack";
import { canonicalJson } from "../../constructs/kraken-cluster";
import { defineCluster, type ClusterDocumentInput } from "../../lib/spec";
import { awsWith } from "../util";

interface AddonsJson {
  terraform: { backend: Record<string, Record<string, unknown>> };
  provider: { kubernetes: Record<string, unknown>[] };
  resource: { kubernetes_config_map_v1: Record<string, { metadata: { name: string; namespace: string; labels: Record<string, string> }; data: Record<string, string> }> };
}

function synth(state: object, options: ConstructorParameters<typeof AddonsStack>[2] = {}) {
  const cluster = defineCluster(awsWith({ "metadata.name": "prod-usw2", "spec.state": state }) as ClusterDocumentInput);
  const stack = new AddonsStack(Testing.app(), cluster, { baseDir: "/srv/infra", ...options });
  return { cluster, stack, json: JSON.parse(Testing.synth(stack)) as AddonsJson };
}

describe("AddonsStack", () => {
  it("records the applied spec in kube-system/kraken-applied-spec, with its hash", () => {
    const { cluster, stack, json } = synth({ backend: "local" });
    expect(stack.node.id).toBe("prod-usw2-addons");
    const [configMap] = Object.values(json.resource.kubernetes_config_map_v1);
    expect(configMap!.metadata).toMatchObject({ name: APPLIED_SPEC_CONFIG_MAP.name, namespace: "kube-system", labels: { "kraken.dev/cluster": "prod-usw2", "app.kubernetes.io/managed-by": "kraken-lib" } });
    expect(JSON.parse(configMap!.data["spec.json"]!)).toEqual(JSON.parse(JSON.stringify(cluster)));
    expect(configMap!.data["spec-sha256"]).toBe(createHash("sha256").update(canonicalJson(cluster)).digest("hex"));
  });

  it("reaches the cluster through a kubeconfig, ~/.kube/<cluster>.yaml unless told", () => {
    expect(synth({ backend: "local" }).json.provider.kubernetes[0]?.config_path).toMatch(/\/\.kube\/prod-usw2\.yaml$/);
    expect(synth({ backend: "local" }, { kubeconfigPath: "/etc/k.yaml", kubeconfigContext: "admin" }).json.provider.kubernetes[0]).toMatchObject({ config_path: "/etc/k.yaml", config_context: "admin" });
  });

  it.each([
    [{ backend: "local" }, { local: { path: "/srv/infra/terraform.prod-usw2.addons.tfstate" } }],
    [{ backend: "s3", s3: { bucket: "acme" } }, { s3: expect.objectContaining({ bucket: "acme", key: "kraken/prod-usw2/addons.tfstate", use_lockfile: true }) as unknown }],
    [{ backend: "pg" }, { pg: { schema_name: "kraken_prod_usw2_addons" } }],
    [{ backend: "kubernetes" }, { kubernetes: expect.objectContaining({ secret_suffix: "prod-usw2-addons" }) as unknown }],
  ])("keeps its own state next to the cluster's: %j", (state, backend) => {
    expect(synth(state).json.terraform.backend).toEqual(backend);
  });
});
