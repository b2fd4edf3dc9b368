import { checkLabelValue, checkQualifiedName, kubeletLabelRestriction } from "../kube-names";
import type { PathSegment } from "../problems";
import { checkUniqueNames, present, type Report, type SpecRule } from "./rule";

/** Label prefix kraken-lib sets itself on nodes (kraken.dev/pool, kraken.dev/cluster). */
export const RESERVED_LABEL_PREFIX = "kraken.dev/";

/** Pool names the control plane's own groups take: <cluster>-control-plane-<n> is not free for a pool's <cluster>-<pool>. */
const RESERVED_POOL_NAME = /^control-plane-[0-9]+$/;

export const nodePoolSizesRule: SpecRule = {
  id: "node-pool-sizes",
  summary: "Node pools have unique names, none of the form control-plane-<n>, and minSize <= desiredSize <= maxSize.",
  check(document, report) {
    checkUniqueNames(document.spec?.nodePools, ["spec", "nodePools"], "node pool", report);
    for (const [pool, index] of present(document.spec?.nodePools)) {
      const { minSize, maxSize, desiredSize } = pool;
      const path: PathSegment[] = ["spec", "nodePools", index];
      if (typeof pool.name === "string" && RESERVED_POOL_NAME.test(pool.name)) {
        report([...path, "name"], `"${pool.name}" is reserved: control-plane node n has an auto scaling group and a launch template named <cluster>-control-plane-n`);
      }
      if (minSize !== undefined && maxSize !== undefined && maxSize < minSize) {
        report([...path, "maxSize"], `must be >= minSize (${minSize}), got ${maxSize}`);
        continue;
      }
      if (desiredSize === undefined) continue;
      if (minSize !== undefined && desiredSize < minSize) report([...path, "desiredSize"], `must be >= minSize (${minSize}), got ${desiredSize}`);
      if (maxSize !== undefined && desiredSize > maxSize) report([...path, "desiredSize"], `must be <= maxSize (${maxSize}), got ${desiredSize}`);
    }
  },
};

function checkLabels(labels: Readonly<Record<string, string | undefined>> | undefined, path: readonly PathSegment[], onNode: boolean, report: Report): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    const at = [...path, key];
    const keyProblem = checkQualifiedName(key);
    if (keyProblem) report(at, `label key "${key}" ${keyProblem}`);
    else if (onNode && key.startsWith(RESERVED_LABEL_PREFIX)) report(at, `label key "${key}" uses the prefix ${RESERVED_LABEL_PREFIX}, which kraken-lib reserves for the labels it sets itself`);
    else if (onNode) {
      const restriction = kubeletLabelRestriction(key);
      if (restriction) report(at, `label key "${key}" ${restriction}`);
    }
    if (typeof value === "string") {
      const valueProblem = checkLabelValue(value);
      if (valueProblem) report(at, `label value ${JSON.stringify(value)} ${valueProblem}`);
    }
  }
}

export const labelsRule: SpecRule = {
  id: "labels",
  summary:
    "Label keys and values follow Kubernetes rules; node labels avoid the kubernetes.io and k8s.io prefixes that NodeRestriction refuses and the kraken.dev prefix that kraken-lib reserves.",
  check(document, report) {
    checkLabels(document.metadata?.labels, ["metadata", "labels"], false, report);
    for (const [pool, index] of present(document.spec?.nodePools)) {
      checkLabels(pool.labels, ["spec", "nodePools", index, "labels"], true, report);
    }
  },
};

export const taintsRule: SpecRule = {
  id: "taints",
  summary: "Taint keys and values follow Kubernetes label rules, and no key appears twice with the same effect.",
  check(document, report) {
    for (const [pool, poolIndex] of present(document.spec?.nodePools)) {
      const seen = new Map<string, number>();
      for (const [taint, index] of present(pool.taints)) {
        const path = ["spec", "nodePools", poolIndex, "taints", index];
        if (taint.key !== undefined) {
          const problem = checkQualifiedName(taint.key);
          if (problem) report([...path, "key"], `taint key "${taint.key}" ${problem}`);
        }
        if (taint.value !== undefined) {
          const problem = checkLabelValue(taint.value);
          if (problem) report([...path, "value"], `taint value ${JSON.stringify(taint.value)} ${problem}`);
        }
        if (taint.key === undefined || taint.effect === undefined) continue;
        const identity = `${taint.key}:${taint.effect}`;
        const first = seen.get(identity);
        if (first !== undefined) report(path, `duplicate taint ${identity}: already at taints[${first}]; Kubernetes keeps one taint per key and effect`);
        else seen.set(identity, index);
      }
    }
  },
};
