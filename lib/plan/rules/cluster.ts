/** Rules for what the whole cluster shares: the document, Kubernetes, networks, certificates. */
import { minorDistance, parseVersion } from "../../spec";
import { blocked, eachDifference, inPlace, rollingControlPlane, shown, type PlanRule } from "./rule";

const NEW_CLUSTER = "none: build a new cluster with the new value and move the workloads to it (a running cluster cannot change it)";

function nextMinor(version: string): string {
  const parsed = parseVersion(version);
  return parsed ? `${parsed.major}.${parsed.minor + 1}` : "the next minor";
}

export const CLUSTER_RULES: readonly PlanRule[] = [
  {
    id: "document",
    patterns: ["apiVersion", "kind", "metadata.name"],
    description: "The document's identity: a different name is a different cluster; nothing to plan.",
    classify: eachDifference(() => undefined)("document"),
  },
  {
    id: "cluster-labels",
    patterns: ["metadata.labels"],
    description: "Cluster labels select clusters in a fleet and are kept in the applied spec: in-place, no resource changes.",
    classify: eachDifference(() => inPlace("cluster", "cluster labels only select clusters in a fleet; no machine or resource changes"))("cluster-labels"),
  },
  {
    id: "kubernetes-version",
    patterns: ["spec.kubernetes.version"],
    description:
      "The control plane's Kubernetes version rolls the control plane, one minor at a time: a skipped minor or a downgrade is blocked. Pools follow in a later change (see pool-kubernetes-version).",
    classify: eachDifference((difference, { next }) => {
      const before = String(difference.before);
      const after = String(difference.after);
      const minors = minorDistance(before, after);
      if (minors !== undefined && minors < 0) {
        return blocked("controlPlane", `Kubernetes ${after} is older than the running ${before}: kubeadm does not downgrade a control plane`, `none: keep ${before}`);
      }
      if (minors !== undefined && minors > 1) {
        return blocked(
          "controlPlane",
          `Kubernetes upgrades go one minor at a time; ${before} to ${after} skips ${minors - 1} minor${minors === 2 ? "" : "s"}`,
          `upgrade to ${nextMinor(before)} first (control plane, then pools), then to the next minor`,
        );
      }
      return rollingControlPlane(
        next,
        `control-plane nodes are replaced by nodes running Kubernetes ${after} (${minors === 0 ? "a patch release" : "one minor up"}); the control plane goes before the pools`,
      );
    })("kubernetes-version"),
  },
  {
    id: "cluster-networks",
    patterns: ["spec.kubernetes.podCidr", "spec.kubernetes.serviceCidr", "spec.kubernetes.nodeCidrMaskSize", "spec.kubernetes.clusterDomain"],
    description: "Pod and service networks, node ranges and the cluster domain are fixed for a cluster's life: blocked.",
    classify: eachDifference((difference) =>
      blocked(
        "network",
        `${difference.path} is fixed when a cluster is created (pods, Services, DNS names and certificates depend on it); changing it from ${shown(difference.before)} to ${shown(difference.after)} needs a new cluster`,
        NEW_CLUSTER,
      ),
    )("cluster-networks"),
  },
  {
    id: "cni",
    patterns: ["spec.kubernetes.cni"],
    description: "The pod network plugin is installed once, when the cluster is created: changing it is blocked.",
    classify: eachDifference((difference) =>
      blocked(
        "network",
        `the pod network (${shown(difference.before)}) is installed once, when the cluster is created; switching a running cluster to ${shown(difference.after)} needs a migration kraken-lib does not do`,
        "migrate the pod network yourself (install the new plugin, move nodes over), then record it in the spec with --against a spec that already has it",
      ),
    )("cni"),
  },
  {
    id: "certificates",
    patterns: ["spec.certificates"],
    description: "Certificate validity applies to certificates issued from then on (k2 secrets init): in-place.",
    classify: eachDifference((difference) =>
      inPlace("certificates", `${difference.path} applies to certificates issued from now on by k2 secrets init; certificates already issued keep their dates (k2 certs check)`),
    )("certificates"),
  },
];
