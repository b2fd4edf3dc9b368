import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import { TerraformVariable, type ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";

const MANAGED = { "app.kubernetes.io/managed-by": "kraken-lib" };

/** An addon's namespace (its agents read host logs and metrics: privileged pods are allowed). */
export function addonNamespace(scope: Construct, name: string): NamespaceV1 {
  return new NamespaceV1(scope, "namespace", { metadata: { name, labels: { ...MANAGED, "pod-security.kubernetes.io/enforce": "privileged" } } });
}

/** One credential: the Secret key it fills and the sensitive Terraform variable it comes from. */
export interface Credential {
  readonly variable: string;
  readonly key: string;
  readonly description: string;
}

/** A Secret of credentials, each from a sensitive Terraform variable (TF_VAR_<variable>), never from the spec. */
export function credentialsSecret(scope: Construct, id: string, props: { readonly name: string; readonly namespace: NamespaceV1; readonly credentials: readonly Credential[] }): SecretV1 {
  const data: Record<string, string> = {};
  for (const credential of props.credentials) {
    const value = new TerraformVariable(scope, credential.variable, { type: "string", sensitive: true, nullable: false, description: credential.description });
    value.overrideLogicalId(credential.variable);
    data[credential.key] = value.stringValue;
  }
  return new SecretV1(scope, id, { metadata: { name: props.name, namespace: props.namespace.metadata.name, labels: MANAGED }, data });
}

/** Rendered objects applied as they are, in `namespace` (which the addon creates itself, not from the objects). */
export function applyObjects(scope: Construct, objects: readonly Record<string, unknown>[], namespace: NamespaceV1): ITerraformDependable[] {
  return objects
    .filter((object) => object.kind !== "Namespace")
    .map((object) => {
      const metadata = object.metadata as { name: string; namespace: string; labels?: Record<string, string> };
      const id = `${String(object.kind).toLowerCase()}-${metadata.name}`;
      // The API never returns a Secret's stringData, which kubernetes_manifest would then plan again and again.
      if (object.kind === "Secret") {
        return new SecretV1(scope, id, {
          metadata: { name: metadata.name, namespace: metadata.namespace, ...(metadata.labels ? { labels: metadata.labels } : {}) },
          data: object.stringData as Record<string, string>,
          dependsOn: [namespace],
        });
      }
      return new Manifest(scope, id, { manifest: object, dependsOn: [namespace] });
    });
}
