/** Rules for spec.provider: where the cluster runs, its network, and settings every machine shares. */
import { planZones, type Cluster } from "../../spec";
import { blocked, changeOf, eachDifference, etcdComponent, inPlace, rollingControlPlane, rollingPool, shown, simple, type ChangeFields, type PlanRule } from "./rule";

const NEW_CLUSTER = "none: build a new cluster with the new value and move the workloads to it (a running cluster cannot change it)";

/** A setting every machine boots with: machines that roll get it now, etcd members when they are replaced. */
function everyMachine(cluster: Cluster, what: string): ChangeFields[] {
  return [
    rollingControlPlane(cluster, `control-plane nodes are replaced to boot with the new ${what}`),
    ...cluster.spec.nodePools.map((pool) => rollingPool(pool, `the pool's nodes are replaced to boot with the new ${what}`)),
    ...cluster.spec.etcd.map((etcd) =>
      inPlace(
        etcdComponent(etcd.name),
        `running etcd members keep their ${what} (they are never rebuilt all at once); each member gets the new one when it is replaced (spec.etcd[].replaceMember)`,
      ),
    ),
  ];
}

/** Zones: new zones add subnets; a removed zone, or a zone whose subnets move, is blocked. */
function zoneChanges(previous: Cluster, next: Cluster): ChangeFields[] {
  const before = previous.spec.provider.aws;
  const after = next.spec.provider.aws;
  if (!before || !after) return [];
  const zonesBefore = planZones(before);
  const zonesAfter = planZones(after);
  const removed = zonesBefore.filter((zone) => !zonesAfter.some((candidate) => candidate.zone === zone.zone)).map((zone) => zone.zone);
  const moved = zonesBefore
    .map((zone) => ({ zone, now: zonesAfter.find((candidate) => candidate.zone === zone.zone) }))
    .filter(({ zone, now }) => now !== undefined && (now.privateSubnetCidr !== zone.privateSubnetCidr || now.publicSubnetCidr !== zone.publicSubnetCidr))
    .map(({ zone }) => zone.zone);
  if (removed.length > 0 || moved.length > 0) {
    return [
      blocked(
        "network",
        [
          removed.length > 0 ? `zone${removed.length === 1 ? "" : "s"} ${removed.join(", ")} would be removed with every machine and etcd member in it` : "",
          moved.length > 0 ? `the subnets of ${moved.join(", ")} would move (subnets follow the order of availabilityZones), replacing everything in them` : "",
        ]
          .filter((part) => part !== "")
          .join("; "),
        "only add zones at the end of availabilityZones; a zone cannot be taken out of a running cluster",
      ),
    ];
  }
  const added = zonesAfter.filter((zone) => !zonesBefore.some((candidate) => candidate.zone === zone.zone)).map((zone) => zone.zone);
  const changes: ChangeFields[] = [
    simple("network", "create", `new subnets${after.natGateways === "perZone" && !after.existingVpc ? " and a NAT gateway" : ""} in ${added.join(", ")}`),
  ];
  // Control-plane node i lives in zone i mod zones: a new zone count moves some of them.
  const replicas = next.spec.controlPlane.replicas;
  const movedNodes = Array.from({ length: Math.min(replicas, previous.spec.controlPlane.replicas) }, (_, index) => index).filter(
    (index) => zonesBefore[index % zonesBefore.length]!.zone !== zonesAfter[index % zonesAfter.length]!.zone,
  );
  if (movedNodes.length > 0) {
    changes.push({
      ...rollingControlPlane(next, `control-plane node${movedNodes.length === 1 ? "" : "s"} ${movedNodes.join(", ")} move${movedNodes.length === 1 ? "s" : ""} to ${movedNodes.map((index) => zonesAfter[index % zonesAfter.length]!.zone).join(", ")} (node i lives in zone i mod zones)`),
      nodes: movedNodes.length,
    });
  }
  return changes;
}

export const PROVIDER_RULES: readonly PlanRule[] = [
  {
    id: "provider-kind",
    patterns: ["=spec.provider", "=spec.provider.aws", "=spec.provider.maas"],
    description: "Moving a cluster between AWS and MAAS: blocked (a new cluster).",
    classify: (differences) => {
      const first = differences[0];
      return first ? [changeOf("provider-kind", first, blocked("network", "a cluster cannot move between AWS and MAAS: every machine and network would be rebuilt", NEW_CLUSTER))] : [];
    },
  },
  {
    id: "aws-network",
    patterns: ["spec.provider.aws.region", "spec.provider.aws.vpcCidr", "spec.provider.aws.existingVpc"],
    description: "The region, the VPC and its subnets are fixed for a cluster's life: blocked.",
    classify: eachDifference((difference) =>
      blocked("network", `${difference.path} (${shown(difference.before)} to ${shown(difference.after)}) would rebuild the network and every machine and etcd member in it`, NEW_CLUSTER),
    )("aws-network"),
  },
  {
    id: "availability-zones",
    patterns: ["spec.provider.aws.availabilityZones"],
    description: "Zones added at the end get subnets (and move control-plane nodes placed by zone count); removing or reordering zones is blocked.",
    classify: (differences, { previous, next }) => differences.flatMap((difference) => zoneChanges(previous, next).map((fields) => changeOf("availability-zones", difference, fields))),
  },
  {
    id: "nat-gateways",
    patterns: ["spec.provider.aws.natGateways"],
    description: "Switching between one NAT gateway per zone and a single one rebuilds them: replace.",
    classify: eachDifference((difference) =>
      simple("network", "replace", `NAT gateways are rebuilt (${shown(difference.before)} to ${shown(difference.after)}); machines in private subnets lose outbound internet for a few minutes`),
    )("nat-gateways"),
  },
  {
    id: "default-image",
    patterns: ["spec.provider.aws.image"],
    description: "The default machine image shows where it takes effect: on each machine that does not set its own.",
    classify: eachDifference(() => undefined)("default-image"),
  },
  {
    id: "machine-wide-aws",
    patterns: ["spec.provider.aws.ebsKmsKeyArn", "spec.provider.aws.sshKeyName"],
    description: "Settings every machine boots with roll the control plane and every pool; etcd members get them when replaced.",
    classify: eachDifference((difference, { next }) => everyMachine(next, difference.path.endsWith("ebsKmsKeyArn") ? "EBS encryption key" : "SSH key pair"))("machine-wide-aws"),
  },
  {
    id: "aws-tags",
    patterns: ["spec.provider.aws.tags"],
    description: "Tags are updated in place everywhere; the launch templates carry them to new machines, so the control plane and every pool roll.",
    classify: eachDifference((difference, { next }) => [
      inPlace("cluster", `every AWS resource of the cluster is retagged (${shown(difference.before)} to ${shown(difference.after)})`),
      ...everyMachine(next, "tags").filter((change) => change.impact !== "in-place"),
    ])("aws-tags"),
  },
  {
    id: "maas-connection",
    patterns: ["spec.provider.maas.apiUrl", "spec.provider.maas.apiKeyEnv", "spec.provider.maas.apiVersion", "spec.provider.maas.tlsCaCertPath", "spec.provider.maas.tlsInsecureSkipVerify"],
    description: "How Terraform reaches the MAAS API: in-place, no machine changes.",
    classify: eachDifference((difference) => inPlace("cluster", `${difference.path} only changes how Terraform reaches the MAAS API; no machine changes`))("maas-connection"),
  },
  {
    id: "maas-os",
    patterns: ["spec.provider.maas.distroSeries", "spec.provider.maas.hweKernel"],
    description: "The operating system MAAS deploys: the control plane and every pool are redeployed; etcd members when replaced.",
    classify: eachDifference((difference, { next }) => everyMachine(next, difference.path.endsWith("hweKernel") ? "kernel" : "Ubuntu series"))("maas-os"),
  },
  {
    id: "maas-subnet",
    patterns: ["spec.provider.maas.network.subnetCidr"],
    description: "The subnet every machine, etcd address and the VIP live on: blocked (a new cluster).",
    classify: eachDifference((difference) =>
      blocked("network", `${difference.path} (${shown(difference.before)} to ${shown(difference.after)}) would move every machine, etcd member and the API endpoint to another network`, NEW_CLUSTER),
    )("maas-subnet"),
  },
  {
    id: "maas-interface",
    patterns: ["spec.provider.maas.network.interface"],
    description: "The machines' network interface: the control plane and every pool are redeployed; etcd members when replaced.",
    classify: eachDifference((_difference, { next }) => everyMachine(next, "network interface"))("maas-interface"),
  },
  {
    id: "maas-vault-machines",
    patterns: ["spec.provider.maas.vault.address", "spec.provider.maas.vault.caCertPath", "spec.provider.maas.vault.kvMount", "spec.provider.maas.vault.approleMount"],
    description: "Where machines read their secret at first boot: the control plane and every pool are redeployed (their user data names it); etcd members when replaced. The secrets and roles must be there first (k2 secrets init).",
    classify: eachDifference((difference, { next }) => [
      ...everyMachine(next, `Vault settings (${difference.path.replace(/^spec\.provider\.maas\.vault\./, "")})`).map((change) => ({
        ...change,
        reason: `${change.reason}; the cluster's secrets, policies and AppRole roles must exist there before applying (k2 secrets init)`,
      })),
    ])("maas-vault-machines"),
  },
  {
    id: "maas-vault-admin",
    patterns: ["spec.provider.maas.vault.tokenEnv", "spec.provider.maas.vault.wrappingTtl"],
    description: "The admin's token variable and the wrapping TTL of secret IDs minted later: in-place, no machine changes.",
    classify: eachDifference((difference) => inPlace("cluster", `${difference.path} applies to secret IDs minted and commands run from now on; no machine changes`))("maas-vault-admin"),
  },
  {
    id: "maas-endpoint",
    patterns: ["spec.provider.maas.controlPlaneEndpoint"],
    description: "The API endpoint every node and kubeconfig points at: blocked.",
    classify: eachDifference((difference) =>
      blocked(
        "controlPlane",
        `the API endpoint (${shown(difference.before)} to ${shown(difference.after)}) is in every node's kubelet configuration, every kubeconfig and the API server's certificate`,
        "keep the endpoint; point a new DNS name at it and add the name to controlPlane.apiServer.extraSans instead",
      ),
    )("maas-endpoint"),
  },
];
