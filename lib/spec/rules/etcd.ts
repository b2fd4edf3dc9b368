import { SUPPORTED_ETCD_MINORS, isSupportedEtcdVersion } from "../versions";
import { checkUniqueNames, present, type SpecRule } from "./rule";

export const etcdTopologyRule: SpecRule = {
  id: "etcd-topology",
  summary:
    "etcd clusters have unique names and a supported version; exactly one is the primary (no resources), each resource is stored by one etcd cluster only, and replaceMember names an existing member.",
  check(document, report) {
    const clusters = present(document.spec?.etcd);
    checkUniqueNames(document.spec?.etcd, ["spec", "etcd"], "etcd cluster", report);

    for (const [etcd, index] of clusters) {
      if (etcd.version !== undefined && !isSupportedEtcdVersion(etcd.version)) {
        report(["spec", "etcd", index, "version"], `etcd ${etcd.version} is not supported; expected a release of ${SUPPORTED_ETCD_MINORS.join(" or ")}`);
      }
      const replaced = etcd.replaceMember?.member;
      if (replaced !== undefined && etcd.members !== undefined && replaced >= etcd.members) {
        report(["spec", "etcd", index, "replaceMember", "member"], `must name one of the ${etcd.members} members (0 to ${etcd.members - 1}), got ${replaced}`);
      }
    }

    const withResources = clusters.filter(([etcd]) => etcd.resources !== undefined);
    if (withResources.length !== clusters.length || clusters.length === 0) return;
    const primaries = clusters.filter(([etcd]) => (etcd.resources ?? []).length === 0);
    if (primaries.length === 0) {
      report(["spec", "etcd"], "needs one primary etcd cluster (one with no resources) to store everything not sent elsewhere; every etcd cluster lists resources");
    }
    for (const [etcd, index] of primaries.slice(1)) {
      const first = primaries[0]!;
      report(
        ["spec", "etcd", index, "resources"],
        `etcd cluster "${etcd.name ?? index}" has no resources, like "${first[0].name ?? first[1]}": only one etcd cluster can be the primary; list the resources this one stores (e.g. ["events"])`,
      );
    }
    const owner = new Map<string, string>();
    for (const [etcd, index] of clusters) {
      for (const [resource, resourceIndex] of present(etcd.resources)) {
        const previous = owner.get(resource);
        if (previous !== undefined) {
          report(["spec", "etcd", index, "resources", resourceIndex], `"${resource}" is already stored by etcd cluster "${previous}"; a resource lives in one etcd cluster`);
        } else {
          owner.set(resource, etcd.name ?? String(index));
        }
      }
    }
  },
};
