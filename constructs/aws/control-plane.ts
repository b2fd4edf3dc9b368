import { Instance } from "@cdktf/provider-aws/lib/instance";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { LbTargetGroupAttachment } from "@cdktf/provider-aws/lib/lb-target-group-attachment";
import { Construct } from "constructs";
import { awsName, LOAD_BALANCER_NAME_MAX } from "../../lib/aws/names";
import { resourceTags } from "../../lib/aws/tags";
import { awsProviderShell, renderControlPlaneUserData, type EtcdClusterTopology } from "../../lib/bootstrap";
import type { Cluster } from "../../lib/spec";
import { terraformGzipBase64Text } from "../terraform-text";
import type { ClusterNetwork } from "./cluster-network";
import type { ClusterSecurityGroups } from "./cluster-security-groups";
import { MachineImages } from "./machine-images";
import { encryptedVolume, IMDS_V2_ONLY } from "./machine-settings";
import type { NodeRole } from "./node-role";

export const API_PORT = 6443;

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
 * to their own etcd cluster through --etcd-servers-overrides). Node 0 initializes a new cluster;
 * the others join one at a time.
 */
export class ControlPlane extends Construct {
  readonly loadBalancer: Lb;
  readonly targetGroup: LbTargetGroup;
  readonly instances: readonly Instance[];
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

    const lookedUp = MachineImages.isLookedUp(machine.image);
    this.instances = Array.from({ length: spec.replicas }, (_, index) => {
      const zone = network.zones[index % network.zones.length]!;
      const nodeName = `${name}-control-plane-${index}`;
      const userData = renderControlPlaneUserData({
        cluster,
        index,
        etcd: props.etcd,
        apiHost: this.endpoint,
        provider: awsProviderShell(),
        providerEnvironment: { AWS_REGION: aws.region },
        secretId: props.secretName,
      });
      const instance = new Instance(this, `node-${index}`, {
        ami: props.images.imageId(machine.image),
        instanceType: machine.instanceType,
        subnetId: zone.privateSubnetId,
        associatePublicIpAddress: false,
        vpcSecurityGroupIds: [props.securityGroups.controlPlane.id],
        iamInstanceProfile: props.nodeRole.instanceProfile.name,
        metadataOptions: IMDS_V2_ONLY,
        rootBlockDevice: { ...encryptedVolume(machine.rootVolume, aws.ebsKmsKeyArn), deleteOnTermination: true, tags: resourceTags(cluster, `${nodeName}-root`) },
        ...(aws.sshKeyName === undefined ? {} : { keyName: aws.sshKeyName }),
        userDataBase64: terraformGzipBase64Text(userData),
        userDataReplaceOnChange: false,
        tags: resourceTags(cluster, nodeName, { "kraken.dev/role": "control-plane" }),
        // User data only runs at first boot: changing it would only stop and start every node
        // at once. A looked-up image changes under running nodes. Nodes are rolled deliberately.
        lifecycle: { ignoreChanges: ["user_data", "user_data_base64", ...(lookedUp ? ["ami"] : [])] },
      });
      new LbTargetGroupAttachment(this, `node-${index}-target`, { targetGroupArn: this.targetGroup.arn, targetId: instance.id, port: API_PORT });
      return instance;
    });
  }
}
