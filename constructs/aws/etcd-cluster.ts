import { EbsVolume } from "@cdktf/provider-aws/lib/ebs-volume";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { NetworkInterface } from "@cdktf/provider-aws/lib/network-interface";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VolumeAttachment } from "@cdktf/provider-aws/lib/volume-attachment";
import { Construct } from "constructs";
import { resourceTags } from "../../lib/aws/tags";
import { awsProviderShell, renderEtcdMemberUserData, type EtcdClusterTopology } from "../../lib/bootstrap";
import { etcdMemberAddresses, type Cluster, type EtcdClusterSpec } from "../../lib/spec";
import { terraformGzipBase64Text } from "../terraform-text";
import type { ClusterNetwork } from "./cluster-network";
import { MachineImages } from "./machine-images";
import { encryptedVolume, IMDS_V2_ONLY } from "./machine-settings";
import type { NodeRole } from "./node-role";

export interface EtcdClusterProps {
  readonly cluster: Cluster;
  readonly etcd: EtcdClusterSpec;
  readonly topology: EtcdClusterTopology;
  readonly network: ClusterNetwork;
  readonly securityGroup: SecurityGroup;
  readonly nodeRole: NodeRole;
  readonly images: MachineImages;
  /** The secret the members read at boot (their certificates). */
  readonly secretName: string;
}

/** One etcd member's resources. */
export interface EtcdMember {
  readonly name: string;
  readonly privateIp: string;
  readonly zone: string;
  readonly networkInterface: NetworkInterface;
  readonly dataVolume: EbsVolume;
  readonly instance: Instance;
}

/**
 * A dedicated etcd cluster. Members are pets, not an auto scaling group: each has a fixed
 * private address on its own network interface, its own encrypted data volume, and TLS with
 * client-certificate authentication for clients and peers. Members, their interfaces and their
 * volumes are protected with prevent_destroy: Terraform refuses any plan that would destroy one.
 */
export class EtcdCluster extends Construct {
  readonly members: readonly EtcdMember[];
  /** https://address:2379 of every member. */
  readonly clientUrls: readonly string[];

  constructor(scope: Construct, id: string, props: EtcdClusterProps) {
    super(scope, id);
    const { cluster, etcd, topology } = props;
    const aws = cluster.spec.provider.aws!;
    const machine = etcd.machine.aws!;
    const clusterName = cluster.metadata.name;
    const lookedUp = MachineImages.isLookedUp(machine.image);
    const addresses = etcdMemberAddresses(props.network.zones, topology.index, etcd.members);

    this.clientUrls = topology.clientUrls;
    this.members = addresses.map((address) => {
      const member = topology.members[address.member]!;
      const zone = props.network.zones[address.zoneIndex]!;
      const resourceName = `${clusterName}-etcd-${member.name}`;
      const tags = resourceTags(cluster, resourceName, { "kraken.dev/etcd-cluster": etcd.name, "kraken.dev/etcd-member": member.name });
      const protect = { preventDestroy: true };

      // The address lives on its own interface, which outlives any instance that wears it.
      const networkInterface = new NetworkInterface(this, `${member.name}-eni`, {
        subnetId: zone.privateSubnetId,
        privateIps: [address.privateIp],
        securityGroups: [props.securityGroup.id],
        description: `etcd member ${member.name} of ${clusterName}`,
        tags,
        lifecycle: protect,
      });
      const dataVolume = new EbsVolume(this, `${member.name}-data`, {
        availabilityZone: address.zone,
        size: machine.dataVolume.sizeGib,
        type: machine.dataVolume.type,
        ...(machine.dataVolume.iops === undefined ? {} : { iops: machine.dataVolume.iops }),
        ...(machine.dataVolume.throughputMibps === undefined ? {} : { throughput: machine.dataVolume.throughputMibps }),
        encrypted: true,
        ...(aws.ebsKmsKeyArn === undefined ? {} : { kmsKeyId: aws.ebsKmsKeyArn }),
        tags: { ...tags, Name: `${resourceName}-data` },
        lifecycle: protect,
      });
      const userData = renderEtcdMemberUserData({
        cluster,
        etcd,
        topology,
        memberIndex: address.member,
        provider: awsProviderShell(),
        providerEnvironment: { AWS_REGION: aws.region, ETCD_VOLUME_ID: dataVolume.id },
        secretId: props.secretName,
      });
      const instance = new Instance(this, `${member.name}-instance`, {
        ami: props.images.imageId(machine.image),
        instanceType: machine.instanceType,
        networkInterface: [{ networkInterfaceId: networkInterface.id, deviceIndex: 0 }],
        iamInstanceProfile: props.nodeRole.instanceProfile.name,
        metadataOptions: IMDS_V2_ONLY,
        rootBlockDevice: { ...encryptedVolume(machine.rootVolume, aws.ebsKmsKeyArn), deleteOnTermination: true, tags: { ...tags, Name: `${resourceName}-root` } },
        ...(aws.sshKeyName === undefined ? {} : { keyName: aws.sshKeyName }),
        userDataBase64: terraformGzipBase64Text(userData),
        userDataReplaceOnChange: false,
        tags,
        // User data only runs at first boot: changing it on a running member would only stop
        // and start it, all members at once. A looked-up image changes whenever its publisher
        // releases one. Members are replaced deliberately, one at a time, never by either.
        lifecycle: { preventDestroy: true, ignoreChanges: ["user_data", "user_data_base64", ...(lookedUp ? ["ami"] : [])] },
      });
      new VolumeAttachment(this, `${member.name}-data-attachment`, {
        deviceName: "/dev/sdf",
        volumeId: dataVolume.id,
        instanceId: instance.id,
        stopInstanceBeforeDetaching: true,
      });
      return { name: member.name, privateIp: address.privateIp, zone: address.zone, networkInterface, dataVolume, instance };
    });
  }
}
