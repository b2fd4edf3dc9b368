/** Rules for the etcd clusters: the protection of running members (lib/etcd/protection) and backups. */
import { clusterEtcdTopology } from "../../etcd/cluster-topology";
import { etcdChanges, type EtcdChange } from "../../etcd/protection";
import type { SpecDifference } from "../diff";
import type { PlanChange } from "../types";
import { changeOf, eachDifference, etcdComponent, inPlace, type PlanRule } from "./rule";

const covers = (change: EtcdChange, path: string): boolean => path === change.path || path.startsWith(`${change.path}.`) || path.startsWith(`${change.path}[`);

function planChangeOf(change: EtcdChange, folded: readonly EtcdChange[]): PlanChange {
  const base = { component: etcdComponent(change.etcd), path: change.path, ...(change.before === undefined ? {} : { before: change.before }), ...(change.after === undefined ? {} : { after: change.after }), rule: "etcd-protection" };
  if (change.blocked) return { ...base, impact: "blocked", reason: change.reason, override: change.remedy };
  if (change.kind === "add-cluster") return { ...base, impact: "create", reason: `${change.reason}; ${change.remedy}` };
  const brings = folded.map((other) => `${other.path.replace(/^spec\.etcd\[\d+\]\./, "")} ${JSON.stringify(other.before)} to ${JSON.stringify(other.after)}`);
  return {
    ...base,
    impact: "replace",
    nodes: 1,
    reason: `${change.reason}${brings.length > 0 ? `, bringing ${brings.join(", ")}` : ""}`,
    order: change.remedy,
  };
}

export const ETCD_RULES: readonly PlanRule[] = [
  {
    id: "etcd-protection",
    patterns: ["spec.etcd", "spec.etcd[].replaceMember"],
    // Members' addresses follow the network: a change outside spec.etcd can move them.
    always: true,
    description:
      "Running etcd clusters: members, addresses, resources, version and machines change only through replaceMember, one member at a time; anything else is blocked (docs/etcd.md). A new etcd cluster is created.",
    classify: (differences: readonly SpecDifference[], { previous, next }): PlanChange[] => {
      const changes = etcdChanges(previous, next, clusterEtcdTopology);
      const replacements = new Set(changes.filter((change) => change.kind === "replace-member" && !change.blocked).map((change) => change.etcd));
      // What a replacement brings (a new version or machine for that member) is told with it.
      const foldedInto = (change: EtcdChange): boolean => !change.blocked && change.kind !== "replace-member" && change.kind !== "add-cluster" && replacements.has(change.etcd);
      const planned = changes
        .filter((change) => !foldedInto(change))
        .map((change) => planChangeOf(change, change.kind === "replace-member" ? changes.filter((other) => other.etcd === change.etcd && foldedInto(other)) : []));
      // A replaceMember kept or taken out once done replaces nothing.
      const quiet = differences
        .filter((difference) => !changes.some((change) => covers(change, difference.path)))
        .map((difference) => changeOf("etcd-protection", difference, inPlace(etcdComponent(difference.names.etcd ?? "?"), `${difference.path} changes nothing on the machines (no new replaceMember id)`)));
      return [...planned, ...quiet];
    },
  },
  {
    id: "etcd-backup",
    patterns: ["spec.etcd[].backup"],
    description: "Snapshot schedule and retention: the members' timer and the bucket's lifecycle rule are updated in place.",
    classify: eachDifference((difference) =>
      inPlace(etcdComponent(difference.names.etcd!), `snapshots: ${difference.path.replace(/^spec\.etcd\[\d+\]\./, "")} ${JSON.stringify(difference.before)} to ${JSON.stringify(difference.after)} (the members' snapshot timer and the bucket's lifecycle rule)`),
    )("etcd-backup"),
  },
];
