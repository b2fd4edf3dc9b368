/**
 * Step-by-step procedures for an etcd cluster of a kraken cluster, with every value filled in:
 * replacing one member, and restoring the whole cluster from a snapshot. `k2 etcd` prints them.
 */
import { stringify } from "yaml";
import { ETCD_DATA_DIR, ETCD_PKI_FILES, type EtcdClusterTopology } from "../bootstrap";
import { etcdClientUrls, ETCD_PEER_PORT } from "../bootstrap/etcd-member";
import type { Cluster, EtcdClusterSpec } from "../spec";
import { quorum } from "./protection";

export interface ProcedureStep {
  readonly title: string;
  /** Where to run the commands: "an admin machine", or a member by name. */
  readonly where: string;
  readonly commands: readonly string[];
  readonly notes?: readonly string[];
}

export interface Procedure {
  readonly title: string;
  readonly cluster: string;
  readonly etcd: string;
  readonly warnings: readonly string[];
  readonly steps: readonly ProcedureStep[];
}

const peerUrl = (host: string): string => `https://${host}:${ETCD_PEER_PORT}`;

/** A member's ID found by its peer URL, which (unlike its name) a member that has not started yet also shows. */
const memberIdByPeerUrl = (variable: string, host: string): string =>
  `${variable}=$(etcdctl member list | awk -F', ' '$4 == "${peerUrl(host)}" { print $1 }')`;

/** etcdctl settings for running on a member: its own certificate, and every member (but `except`) as endpoint. */
function etcdctlEnvironment(topology: EtcdClusterTopology, except?: string): string {
  const endpoints = etcdClientUrls(topology.members.filter((member) => member.name !== except)).join(",");
  return [
    `export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=${endpoints}`,
    `export ETCDCTL_CACERT=${ETCD_PKI_FILES.caCert} ETCDCTL_CERT=${ETCD_PKI_FILES.memberCert} ETCDCTL_KEY=${ETCD_PKI_FILES.memberKey}`,
  ].join("\n");
}

function findEtcd(cluster: Cluster, topology: readonly EtcdClusterTopology[], name: string): { etcd: EtcdClusterSpec; topology: EtcdClusterTopology; index: number } {
  const index = cluster.spec.etcd.findIndex((etcd) => etcd.name === name);
  if (index < 0) throw new Error(`cluster ${cluster.metadata.name} has no etcd cluster "${name}"; it has ${cluster.spec.etcd.map((etcd) => etcd.name).join(", ")}`);
  return { etcd: cluster.spec.etcd[index]!, topology: topology[index]!, index };
}

/** The spec snippet (YAML) that makes Terraform replace exactly one member: it goes under the etcd cluster's entry. */
/** How an admin gets a root shell on a member. */
function shellOn(cluster: Cluster): string {
  return cluster.spec.provider.aws ? "aws ssm start-session, then sudo -i" : "ssh ubuntu@<its address> with a key MAAS installed, then sudo -i";
}

export function replaceMemberOverride(memberIndex: number, id: string, keepData: boolean): string {
  return stringify({ replaceMember: { member: memberIndex, id, dataVolume: keepData ? "keep" : "replace" } }, { lineWidth: 0 });
}

export interface ReplaceMemberOptions {
  readonly memberIndex: number;
  /** Keep the data volume: replace the machine only (new instance type, image or etcd version). */
  readonly keepData: boolean;
  /** Names the replacement in replaceMember.id. */
  readonly id: string;
}

/** Replacing one member, one at a time, never below quorum; the new member joins as a learner first. */
export function replaceMemberProcedure(cluster: Cluster, topology: readonly EtcdClusterTopology[], etcdName: string, options: ReplaceMemberOptions): Procedure {
  const { etcd, topology: members, index } = findEtcd(cluster, topology, etcdName);
  const member = members.members[options.memberIndex];
  if (!member) throw new Error(`etcd cluster "${etcd.name}" has ${etcd.members} members (0 to ${etcd.members - 1}); there is no member ${options.memberIndex}`);
  const others = members.members.filter((candidate) => candidate.name !== member.name);
  const helper = others[0]?.name ?? member.name;
  const tolerance = etcd.members - quorum(etcd.members);
  const warnings = [
    `One member at a time: etcd cluster "${etcd.name}" has ${etcd.members} members and stays available with ${tolerance} down. Do not start on another member before this one is healthy.`,
  ];
  if (etcd.members === 1 && !options.keepData) {
    throw new Error(`etcd cluster "${etcd.name}" has one member: replacing its data volume would delete its only copy of the data; use --keep-data, or restore from a snapshot (k2 etcd restore-plan)`);
  }
  if (etcd.members === 1) warnings.push("A one-member cluster is unavailable while its machine is replaced.");

  const override = replaceMemberOverride(options.memberIndex, options.id, options.keepData);
  const apply: ProcedureStep = {
    title: `Add the override to etcd cluster "${etcd.name}" (spec.etcd[${index}]) and apply it: Terraform replaces member ${member.name}'s machine${options.keepData ? "" : " and data volume"}, and nothing else`,
    where: "an admin machine",
    commands: [
      `# under "- name: ${etcd.name}" in spec.etcd:`,
      ...override.trimEnd().split("\n").map((line) => `#   ${line}`),
      "k2 lint <spec file>",
      "cdktf deploy   # or: k2 synth <spec file> --out <dir> --against <applied spec>, then terraform apply in the cluster's stack",
    ],
    notes: options.keepData
      ? [`The new machine mounts the same data volume and rejoins as ${member.name}, with the spec's current machine and etcd ${etcd.version}.`]
      : [`The new machine starts etcd with ETCD_INITIAL_CLUSTER_STATE=existing (k2 etcd config --cluster ${etcd.name} --member ${options.memberIndex} --initial-cluster-state existing shows its configuration).`],
  };
  const health: ProcedureStep =
    others.length > 0
      ? {
          title: `Check that every member but ${member.name} is healthy: if another one is not, stop here (replacing a member then would lose quorum)`,
          where: `member ${helper} (${shellOn(cluster)})`,
          commands: [etcdctlEnvironment(members, member.name), "etcdctl endpoint health", "etcdctl member list -w table"],
        }
      : {
          title: `Check that ${member.name} is healthy, and take a snapshot first: it is the cluster's only member`,
          where: `member ${member.name} (${shellOn(cluster)})`,
          commands: [etcdctlEnvironment(members), "etcdctl endpoint health", "systemctl start etcd-snapshot   # or: etcdctl snapshot save /var/lib/etcd/before-replacement.db"],
        };
  const verify: ProcedureStep = {
    title: `Verify: ${etcd.members} started voting members, all healthy, and the leader's raft index reached by every member`,
    where: `member ${helper}`,
    commands: [etcdctlEnvironment(members), "etcdctl member list -w table", "etcdctl endpoint health --cluster", "etcdctl endpoint status --cluster -w table"],
    notes: ["Leave replaceMember in the spec or remove it: neither replaces anything again. A new id replaces the member again."],
  };

  const steps: ProcedureStep[] = options.keepData
    ? [
        health,
        apply,
        { title: `Wait until ${member.name} is back and healthy`, where: `member ${helper}`, commands: [etcdctlEnvironment(members), "until etcdctl endpoint health --cluster; do sleep 10; done"] },
        verify,
      ]
    : [
        health,
        {
          title: `Remove ${member.name} from the cluster (its machine may already be gone)`,
          where: `member ${helper}`,
          commands: [etcdctlEnvironment(members, member.name), memberIdByPeerUrl("MEMBER_ID", member.host), `etcdctl member remove "$MEMBER_ID"`],
        },
        {
          title: `Add it back as a learner: it receives the data but does not vote until promoted`,
          where: `member ${helper}`,
          commands: [etcdctlEnvironment(members, member.name), `etcdctl member add ${member.name} --learner --peer-urls=${peerUrl(member.host)}`],
          notes: ["etcdctl prints ETCD_INITIAL_CLUSTER and ETCD_INITIAL_CLUSTER_STATE=existing: the new machine's configuration already says so."],
        },
        apply,
        {
          title: `Promote ${member.name} once it has caught up with the leader`,
          where: `member ${helper}`,
          commands: [
            etcdctlEnvironment(members, member.name),
            memberIdByPeerUrl("NEW_ID", member.host),
            `until etcdctl member promote "$NEW_ID"; do sleep 10; done   # refused until the learner is in sync`,
          ],
        },
        verify,
      ];
  return { title: `Replace member ${member.name} of etcd cluster "${etcd.name}"`, cluster: cluster.metadata.name, etcd: etcd.name, warnings, steps };
}

export interface RestoreOptions {
  /** s3://bucket/key, or a path on each member. */
  readonly snapshot: string;
}

/** Restoring an etcd cluster from one snapshot, on every member, while the API servers are stopped. */
export function restoreProcedure(cluster: Cluster, topology: readonly EtcdClusterTopology[], etcdName: string, options: RestoreOptions): Procedure {
  const { etcd, topology: members } = findEtcd(cluster, topology, etcdName);
  // Supported etcd releases (3.5 and later) restore with etcdutl; etcdctl's restore is deprecated.
  const restoreTool = "etcdutl";
  const local = "/var/lib/etcd/restore.db";
  const fetch = options.snapshot.startsWith("s3://") ? `aws s3 cp --only-show-errors ${options.snapshot} ${local}` : `cp ${options.snapshot} ${local}`;
  const initialCluster = members.members.map((member) => `${member.name}=${peerUrl(member.host)}`).join(",");
  const stamp = "$(date -u +%Y%m%dT%H%M%SZ)";
  const perMember = members.members.map(
    (member): ProcedureStep => ({
      title: `Restore on ${member.name}`,
      where: `member ${member.name}`,
      commands: [
        fetch,
        `${restoreTool} snapshot status ${local} -w table`,
        `mv ${ETCD_DATA_DIR} ${ETCD_DATA_DIR}.before-restore-${stamp}`,
        `${restoreTool} snapshot restore ${local} --name ${member.name} --data-dir ${ETCD_DATA_DIR} --initial-cluster ${initialCluster} --initial-cluster-token ${members.token} --initial-advertise-peer-urls ${peerUrl(member.host)}`,
        `chown -R etcd:etcd ${ETCD_DATA_DIR} && chmod 0700 ${ETCD_DATA_DIR}`,
      ],
    }),
  );
  const isPrimary = etcd.resources.length === 0;
  return {
    title: `Restore etcd cluster "${etcd.name}" of ${cluster.metadata.name} from ${options.snapshot}`,
    cluster: cluster.metadata.name,
    etcd: etcd.name,
    warnings: [
      `Every key written after the snapshot is lost${isPrimary ? " (the cluster's objects go back to the snapshot's time; controllers then reconcile from there)" : ` (${etcd.resources.join(", ")} only)`}.`,
      "Every member restores from the same snapshot file; never restore only some members.",
    ],
    steps: [
      {
        title: "Stop the API servers, so that nothing writes during the restore",
        where: "every control-plane node",
        commands: ["mv /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/kube-apiserver.yaml.stopped"],
      },
      { title: "Stop etcd on every member", where: `every member (${members.members.map((member) => member.name).join(", ")})`, commands: ["systemctl stop etcd"] },
      ...perMember,
      {
        title: "Start every member (within a few minutes of each other: each waits for a majority)",
        where: `every member (${members.members.map((member) => member.name).join(", ")})`,
        commands: ["systemctl start etcd"],
      },
      {
        title: "Verify the restored cluster",
        where: `member ${members.members[0]!.name}`,
        commands: [etcdctlEnvironment(members), "etcdctl endpoint health --cluster", "etcdctl member list -w table", "etcdctl get / --prefix --keys-only --limit 10"],
      },
      {
        title: "Start the API servers again",
        where: "every control-plane node",
        commands: ["mv /etc/kubernetes/kube-apiserver.yaml.stopped /etc/kubernetes/manifests/kube-apiserver.yaml", "kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes"],
      },
    ],
  };
}

/** The procedure as numbered, copyable text. */
export function renderProcedure(procedure: Procedure): string {
  const lines = [procedure.title, "", ...procedure.warnings.map((warning) => `! ${warning}`), ""];
  procedure.steps.forEach((step, index) => {
    lines.push(`${index + 1}. ${step.title}`, `   on: ${step.where}`);
    for (const command of step.commands) for (const line of command.split("\n")) lines.push(`     ${line}`);
    for (const note of step.notes ?? []) lines.push(`   note: ${note}`);
    lines.push("");
  });
  return lines.join("\n");
}
