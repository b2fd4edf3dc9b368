import { AutoscalingGroup, type AutoscalingGroupTag } from "@cdktf/provider-aws/lib/autoscaling-group";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { Construct } from "constructs";
import { awsName } from "../../lib/aws/names";
import { resourceTags } from "../../lib/aws/tags";
import { awsProviderShell, NODE_LABELS, renderWorkerUserData } from "../../lib/bootstrap";
import type { Cluster, NodePoolInput, NodePoolSpec } from "../../lib/spec";
import type { ClusterNetwork } from "./cluster-network";
import type { MachineImages } from "./machine-images";
import { nodeLaunchTemplateConfig } from "./machine-settings";

/** What `KrakenCluster.addNodePool(id, options)` takes: a pool as the spec describes it. */
export type NodePoolOptions = NodePoolInput;

/** Everything a NodePool needs from its cluster. */
export interface NodePoolProps {
  readonly cluster: Cluster;
  /** The pool, normalized (validated with its cluster). */
  readonly pool: NodePoolSpec;
  readonly network: ClusterNetwork;
  readonly securityGroupId: string;
  readonly instanceProfileName: string;
  readonly images: MachineImages;
  /** DNS name of the API endpoint. */
  readonly apiHost: string;
  /** The secret workers read at boot (the bootstrap token). */
  readonly secretName: string;
}

/**
 * A pool of worker nodes: a launch template and an auto scaling group with the pool's sizes,
 * spread over its zones, mixing on-demand and spot capacity over several instance types. The
 * kubelet registers the pool's labels and taints. Changing the template (image, instance
 * settings, Kubernetes version, labels, taints) replaces nodes by an instance refresh that
 * keeps minHealthyPercent of the pool in service.
 */
export class NodePool extends Construct {
  readonly pool: NodePoolSpec;
  readonly launchTemplate: LaunchTemplate;
  readonly autoScalingGroup: AutoscalingGroup;

  constructor(scope: Construct, id: string, props: NodePoolProps) {
    super(scope, id);
    const { cluster, pool } = props;
    const aws = cluster.spec.provider.aws!;
    const machine = pool.machine.aws!;
    const name = awsName([cluster.metadata.name, pool.name], 128);
    this.pool = pool;

    const userData = renderWorkerUserData({
      cluster,
      pool,
      apiHost: props.apiHost,
      provider: awsProviderShell(),
      providerEnvironment: { AWS_REGION: aws.region },
      secretId: props.secretName,
    });
    this.launchTemplate = new LaunchTemplate(
      this,
      "template",
      nodeLaunchTemplateConfig({
        cluster,
        name,
        description: `Nodes of pool ${pool.name} of kraken cluster ${cluster.metadata.name}`,
        imageId: props.images.imageId(machine.image),
        instanceProfileName: props.instanceProfileName,
        securityGroupId: props.securityGroupId,
        rootDeviceName: machine.rootDeviceName,
        rootVolume: machine.rootVolume,
        userData,
        instanceTags: resourceTags(cluster, `${cluster.metadata.name}-${pool.name}`, { [NODE_LABELS.pool]: pool.name }),
      }),
    );

    this.autoScalingGroup = new AutoscalingGroup(this, "group", {
      name,
      minSize: pool.minSize,
      maxSize: pool.maxSize,
      desiredCapacity: pool.desiredSize,
      vpcZoneIdentifier: props.network.privateSubnetIds(machine.availabilityZones),
      healthCheckType: "EC2",
      healthCheckGracePeriod: 300,
      capacityRebalance: machine.onDemandPercentageAboveBase < 100,
      mixedInstancesPolicy: {
        launchTemplate: {
          launchTemplateSpecification: { launchTemplateId: this.launchTemplate.id, version: this.launchTemplate.latestVersion.toString() },
          override: machine.instanceTypes.map((instanceType) => ({ instanceType })),
        },
        instancesDistribution: {
          onDemandAllocationStrategy: "prioritized",
          onDemandBaseCapacity: machine.onDemandBaseCapacity,
          onDemandPercentageAboveBaseCapacity: machine.onDemandPercentageAboveBase,
          spotAllocationStrategy: machine.spotAllocationStrategy,
        },
      },
      instanceRefresh: { strategy: "Rolling", preferences: { minHealthyPercentage: pool.minHealthyPercent } },
      tag: groupTags(cluster, pool),
      // desiredSize sets the pool's size at creation; afterwards the group and a cluster
      // autoscaler own it, and an apply must not undo their scaling. minSize and maxSize still bound it.
      lifecycle: { ignoreChanges: ["desired_capacity"] },
    });
  }
}

/**
 * Tags of the group and its instances, including the cluster autoscaler's: discovery, and the
 * labels and taints of a node it has not seen yet (to scale a pool up from zero).
 */
function groupTags(cluster: Cluster, pool: NodePoolSpec): AutoscalingGroupTag[] {
  const clusterName = cluster.metadata.name;
  const tags: Record<string, string> = {
    ...resourceTags(cluster, `${clusterName}-${pool.name}`),
    [NODE_LABELS.pool]: pool.name,
    "k8s.io/cluster-autoscaler/enabled": "true",
    [`k8s.io/cluster-autoscaler/${clusterName}`]: "owned",
  };
  const labels = { ...pool.labels, [NODE_LABELS.cluster]: clusterName, [NODE_LABELS.pool]: pool.name };
  for (const [key, value] of Object.entries(labels)) tags[`k8s.io/cluster-autoscaler/node-template/label/${key}`] = value;
  for (const taint of pool.taints) tags[`k8s.io/cluster-autoscaler/node-template/taint/${taint.key}`] = `${taint.value}:${taint.effect}`;
  // The autoscaler reads its tags from the group; instances need none of them.
  return Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: !key.startsWith("k8s.io/cluster-autoscaler/") }));
}
