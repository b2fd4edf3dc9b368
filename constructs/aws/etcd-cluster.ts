import { EbsVolume } from "@cdktf/provider-aws/lib/ebs-volume";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { NetworkInterface } from "@cdktf/provider-aws/lib/network-interface";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VolumeAttachment } from "@cdktf/provider-aws/lib/volume-attachment";
import { Construct } from "constructs";
import { etcdLogAgent } from "../../lib/addons/logging/etcd-agent";
import { resourceTags } from "../../lib/aws/tags";
import { awsProviderShell, renderEtcdMemberUserData, type EtcdClusterTopology } from "../../lib/bootstrap";
import { etcdMemberAddresses, type Cluster, type EtcdClusterSpec } from "../../lib/spec";
import { replacementTrigger, triggerAddress } from "../replacement-trigger";
import { terraformGzipBase64Text } from "../terraform-text";
import type { ClusterNetwork } from "./cluster-network";
import type { MachineImages } from "./machine-images";
import { encryptedVolume, IMDS_V2_ONLY } from "./machine-settings";
import type { NodeRole } from "./node-role";

/**
 * Attributes of a member's instance that a spec change can alter and that would restart (user
 * data, instance type, root volume size) or rebuild (image, SSH key, root volume encryption) it,
 * which would happen to every member at once: they reach a member only when it is replaced. The
 * rest cannot change with the spec (the interface, the instance profile, IMDS settings) or
 * changes in place without a restart (tags).
 */
export const ETCD_MEMBER_IGNORED_CHANGES: readonly string[] = ["user_data", "user_data_base64", "ami", "instance_type", "root_block_device", "key_name"];

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
  /** Name of the bucket snapshots go to; absent when backups are off. */
  readonly backupBucket?: string;
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
 * volumes are protected with prevent_destroy: Terraform refuses any plan that would destroy one,
 * except the one member spec.etcd[].replaceMember names, which is replaced.
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
    const addresses = etcdMemberAddresses(props.network.zones, topology.index, etcd.members);

    this.clientUrls = topology.clientUrls;
    const replacement = etcd.replaceMember;
    const logAgent = etcdLogAgent(cluster, etcd.name);
    this.members = addresses.map((address) => {
      const member = topology.members[address.member]!;
      const zone = props.network.zones[address.zoneIndex]!;
      const resourceName = `${clusterName}-etcd-${member.name}`;
      const tags = resourceTags(cluster, resourceName, { "kraken.dev/etcd-cluster": etcd.name, "kraken.dev/etcd-member": member.name });
      const targeted = replacement?.member === address.member;
      const dataTargeted = targeted && replacement.dataVolume === "replace";

      // Replacing a member is deliberate: a new replaceMember id changes its trigger and Terraform
      // replaces that member's machine (and, if asked, its data volume), nothing else.
      const machineTrigger = replacementTrigger(this, `${member.name}-replacement`, targeted ? replacement.id : undefined);
      const dataTrigger = replacementTrigger(this, `${member.name}-data-replacement`, dataTargeted ? replacement.id : undefined);

      // The address lives on its own interface, which outlives any instance that wears it.
      const networkInterface = new NetworkInterface(this, `${member.name}-eni`, {
        subnetId: zone.privateSubnetId,
        privateIps: [address.privateIp],
        securityGroups: [props.securityGroup.id],
        description: `etcd member ${member.name} of ${clusterName}`,
        tags,
        lifecycle: { preventDestroy: true },
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
        // New settings only reach a member's data through a new volume (replaceMember with dataVolume: replace).
        lifecycle: { preventDestroy: !dataTargeted, replaceTriggeredBy: [triggerAddress(dataTrigger)], ignoreChanges: ["size", "type", "iops", "throughput", "kms_key_id"] },
      });
      const userData = renderEtcdMemberUserData({
        cluster,
        etcd,
        topology,
        memberIndex: address.member,
        provider: awsProviderShell(),
        providerEnvironment: { AWS_REGION: aws.region, ETCD_VOLUME_ID: dataVolume.id },
        secretId: props.secretName,
        ...(props.backupBucket === undefined ? {} : { backupBucket: props.backupBucket }),
        ...(logAgent === undefined ? {} : { logAgent }),
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
        // A running member never changes under Terraform: user data only runs at first boot, and
        // a new image, instance type, root volume or SSH key (key_name forces a new instance)
        // would stop or rebuild every member at once. All of them reach a member when it is
        // replaced (the trigger), one member at a time.
        lifecycle: {
          preventDestroy: !targeted,
          replaceTriggeredBy: [triggerAddress(machineTrigger)],
          ignoreChanges: [...ETCD_MEMBER_IGNORED_CHANGES],
        },
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
