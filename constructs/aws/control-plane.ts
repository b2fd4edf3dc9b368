import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { Construct } from "constructs";
import { awsName, LOAD_BALANCER_NAME_MAX } from "../../lib/aws/names";
import { resourceTags } from "../../lib/aws/tags";
import { awsProviderShell, renderControlPlaneUserData, type EtcdClusterTopology } from "../../lib/bootstrap";
import type { Cluster } from "../../lib/spec";
import type { ClusterNetwork } from "./cluster-network";
import type { ClusterSecurityGroups } from "./cluster-security-groups";
import type { MachineImages } from "./machine-images";
import { nodeLaunchTemplateConfig } from "./machine-settings";
import type { NodeRole } from "./node-role";

export const API_PORT = 6443;

/**
 * Seconds a new control-plane node has to boot, install Kubernetes, join and pass the target
 * group's /readyz check before its group may count it unhealthy and replace it. A node of a new
 * cluster also waits for the lower-numbered nodes to join first.
 */
export const CONTROL_PLANE_JOIN_GRACE_SECONDS = 900;

export interface ControlPlaneProps {
  readonly cluster: Cluster;
  readonly network: ClusterNetwork;
  readonly securityGroups: ClusterSecurityGroups;
  readonly nodeRole: NodeRole;
  readonly images: MachineImages;
  readonly etcd: readonly EtcdClusterTopology[];
  /** The secret control-plane nodes read at boot (CAs, etcd client certificate, bootstrap token). */
  readonly secretName: string;
}

/**
 * The Kubernetes control plane: N nodes spread over the zones, behind a network load balancer
 * on 6443, set up by kubeadm against the external etcd clusters (events and other resources go
 * to their own etcd cluster through --etcd-servers-overrides). Node 0 initializes a new cluster
 * and the others join it one at a time; a replaced node, node 0 included, joins the running one.
 *
 * Each node is an auto scaling group of exactly one instance in its zone's private subnet, with a
 * launch template of its own (its user data carries its index). The group registers its instance
 * with the API target group and counts it healthy only when the API answers /readyz there. Any
 * change to a node's template (user data such as the Kubernetes version or API server settings,
 * image, instance type, root volume, SSH key) starts an instance refresh of that node's group,
 * which launches the new node first and terminates the old one only once the new one is healthy:
 * the control plane never has fewer than `replicas` API servers in service because of a change.
 * Groups refresh independently, so a change to every node rolls them side by side.
 */
export class ControlPlane extends Construct {
  readonly loadBalancer: Lb;
  readonly targetGroup: LbTargetGroup;
  /** One launch template per node, by node index. */
  readonly launchTemplates: readonly LaunchTemplate[];
  /** One auto scaling group of exactly one instance per node, by node index. */
  readonly groups: readonly AutoscalingGroup[];
  /** DNS name of the API load balancer. */
  readonly endpoint: string;

  constructor(scope: Construct, id: string, props: ControlPlaneProps) {
    super(scope, id);
    const { cluster, network } = props;
    const aws = cluster.spec.provider.aws!;
    const spec = cluster.spec.controlPlane;
    const machine = spec.machine.aws!;
    const name = cluster.metadata.name;
    const isPublic = spec.apiServer.public;

    this.loadBalancer = new Lb(this, "api", {
      name: awsName([name, "api"], LOAD_BALANCER_NAME_MAX),
      loadBalancerType: "network",
      internal: !isPublic,
      subnets: isPublic ? network.publicSubnetIds() : network.privateSubnetIds(),
      securityGroups: [props.securityGroups.apiLoadBalancer.id],
      enableCrossZoneLoadBalancing: true,
      ipAddressType: "ipv4",
      tags: resourceTags(cluster, `${name}-api`),
    });
    this.endpoint = this.loadBalancer.dnsName;
    this.targetGroup = new LbTargetGroup(this, "api-targets", {
      name: awsName([name, "api"], LOAD_BALANCER_NAME_MAX),
      port: API_PORT,
      protocol: "TCP",
      targetType: "instance",
      vpcId: network.vpcId,
      // Without client IP preservation a node can reach the API through the load balancer even
      // when the load balancer picks that node itself.
      preserveClientIp: "false",
      deregistrationDelay: "30",
      healthCheck: { protocol: "HTTPS", port: String(API_PORT), path: "/readyz", healthyThreshold: 2, unhealthyThreshold: 2, interval: 10 },
      tags: resourceTags(cluster, `${name}-api`),
    });
    new LbListener(this, "api-listener", {
      loadBalancerArn: this.loadBalancer.arn,
      port: API_PORT,
      protocol: "TCP",
      defaultAction: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
      tags: resourceTags(cluster, `${name}-api`),
    });

    const imageId = props.images.imageId(machine.image);
    const nodes = Array.from({ length: spec.replicas }, (_, index) => {
      const zone = network.zones[index % network.zones.length]!;
      const nodeName = `${name}-control-plane-${index}`;
      const resourceName = awsName([name, "control-plane", String(index)], 128);
      const nodeTags = resourceTags(cluster, nodeName, { "kraken.dev/role": "control-plane" });
      const userData = renderControlPlaneUserData({
        cluster,
        index,
        etcd: props.etcd,
        apiHost: this.endpoint,
        provider: awsProviderShell(),
        providerEnvironment: { AWS_REGION: aws.region },
        secretId: props.secretName,
      });
      const launchTemplate = new LaunchTemplate(
        this,
        `node-${index}-template`,
        nodeLaunchTemplateConfig({
          cluster,
          name: resourceName,
          description: `Control-plane node ${index} of kraken cluster ${name}`,
          imageId,
          instanceType: machine.instanceType,
          instanceProfileName: props.nodeRole.instanceProfile.name,
          securityGroupId: props.securityGroups.controlPlane.id,
          rootDeviceName: machine.rootDeviceName,
          rootVolume: machine.rootVolume,
          userData,
          instanceTags: nodeTags,
          volumeTags: { ...nodeTags, Name: `${nodeName}-root` },
        }),
      );
      const group = new AutoscalingGroup(this, `node-${index}`, {
        name: resourceName,
        minSize: 1,
        maxSize: 1,
        desiredCapacity: 1,
        vpcZoneIdentifier: [zone.privateSubnetId],
        // The template's newest version: every change to it is a new version, which starts the refresh below.
        launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.toString() },
        targetGroupArns: [this.targetGroup.arn],
        // Healthy means the API answers /readyz through the load balancer, not merely a running instance.
        healthCheckType: "ELB",
        healthCheckGracePeriod: CONTROL_PLANE_JOIN_GRACE_SECONDS,
        // An unhealthy node is replaced the same way: its replacement first, the node itself once
        // the replacement serves. When every API fails /readyz at once (etcd lost quorum), no group
        // terminates its node for a replacement that cannot become healthy either.
        instanceMaintenancePolicy: { minHealthyPercentage: 100, maxHealthyPercentage: 200 },
        // No capacity wait: by default Terraform waits up to 10 minutes for the instance (and, with
        // min_elb_capacity, for /readyz, many minutes for a node of a new cluster that waits for
        // etcd and the lower-numbered nodes). A wait that fails on creation leaves the group
        // tainted, to be destroyed with its node at the next apply. Apply returns once the group
        // exists; the target group's health and the bootstrap log tell when the node is up.
        waitForCapacityTimeout: "0",
        instanceRefresh: {
          strategy: "Rolling",
          preferences: {
            // Launch the new node first (up to two instances) and keep the old one until the new
            // one is healthy in the target group and warmed up: no loss of API capacity.
            minHealthyPercentage: 100,
            maxHealthyPercentage: 200,
            // As long as the grace period: the old node stays until the new one has had its full
            // time to join, even if the load balancer's verdict comes late.
            instanceWarmup: String(CONTROL_PLANE_JOIN_GRACE_SECONDS),
          },
        },
        tag: Object.entries(nodeTags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
      });
      return { launchTemplate, group };
    });
    this.launchTemplates = nodes.map((node) => node.launchTemplate);
    this.groups = nodes.map((node) => node.group);
  }
}
