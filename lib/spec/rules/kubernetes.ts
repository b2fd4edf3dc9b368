import { checkDns1123Subdomain } from "../kube-names";
import { MAX_KUBELET_MINOR_SKEW, SUPPORTED_KUBERNETES_MINORS, isSupportedKubernetesVersion, minorDistance, minorOf, parseVersion } from "../versions";
import { present, type SpecRule } from "./rule";

const supportedList = SUPPORTED_KUBERNETES_MINORS.join(", ");

export const kubernetesVersionRule: SpecRule = {
  id: "kubernetes-version",
  summary: `Kubernetes versions (the control plane's and every pool's) are of a supported minor (${supportedList}); a pool is never newer than the control plane and at most ${MAX_KUBELET_MINOR_SKEW} minors older.`,
  check(document, report) {
    const spec = document.spec;
    const version = spec?.kubernetes?.version;
    if (version !== undefined && !isSupportedKubernetesVersion(version)) {
      report(["spec", "kubernetes", "version"], `Kubernetes ${minorOf(version) ?? version} is not supported, got "${version}"; expected one of ${supportedList}`);
    }
    for (const [pool, index] of present(spec?.nodePools)) {
      const poolVersion = pool.kubernetesVersion;
      if (poolVersion === undefined || poolVersion === version) continue;
      const path = ["spec", "nodePools", index, "kubernetesVersion"];
      if (!isSupportedKubernetesVersion(poolVersion)) {
        report(path, `Kubernetes ${minorOf(poolVersion) ?? poolVersion} is not supported, got "${poolVersion}"; expected one of ${supportedList}`);
        continue;
      }
      if (version === undefined) continue;
      const behind = minorDistance(poolVersion, version);
      if (behind === undefined) continue;
      if (behind < 0) {
        report(path, `must not be newer than the control plane (spec.kubernetes.version "${version}"), got "${poolVersion}"; upgrade the control plane first`);
      } else if (behind > MAX_KUBELET_MINOR_SKEW) {
        report(path, `must be at most ${MAX_KUBELET_MINOR_SKEW} minors older than the control plane ("${version}"), got "${poolVersion}"`);
      } else if (behind === 0 && (parseVersion(poolVersion)?.patch ?? -1) > (parseVersion(version)?.patch ?? Infinity)) {
        report(path, `must not be newer than the control plane (spec.kubernetes.version "${version}"), got "${poolVersion}"`);
      }
    }
  },
};

export const clusterDomainRule: SpecRule = {
  id: "cluster-domain",
  summary: "spec.kubernetes.clusterDomain is a DNS subdomain.",
  check(document, report) {
    const domain = document.spec?.kubernetes?.clusterDomain;
    if (domain === undefined) return;
    const problem = checkDns1123Subdomain(domain);
    if (problem) report(["spec", "kubernetes", "clusterDomain"], `${problem}, got ${JSON.stringify(domain)}`);
  },
};
