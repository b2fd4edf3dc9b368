import type { LaunchTemplateConfig } from "@cdktf/provider-aws/lib/launch-template";
import { resourceTags } from "../../lib/aws/tags";
import type { Cluster, EbsVolume } from "../../lib/spec";
import { terraformGzipBase64Text } from "../terraform-text";

/** Instance metadata: IMDSv2 only, one hop (containers cannot reach the node's credentials), no tags in metadata. */
export const IMDS_V2_ONLY = {
  httpEndpoint: "enabled",
  httpTokens: "required",
  httpPutResponseHopLimit: 1,
  instanceMetadataTags: "disabled",
} as const;

/** EBS settings of a volume from the spec: always encrypted, with the cluster's KMS key when it has one. */
export function encryptedVolume(volume: EbsVolume, kmsKeyArn: string | undefined): {
  volumeSize: number;
  volumeType: string;
  iops?: number;
  throughput?: number;
  encrypted: true;
  kmsKeyId?: string;
} {
  return {
    volumeSize: volume.sizeGib,
    volumeType: volume.type,
    ...(volume.iops === undefined ? {} : { iops: volume.iops }),
    ...(volume.throughputMibps === undefined ? {} : { throughput: volume.throughputMibps }),
    encrypted: true,
    ...(kmsKeyArn === undefined ? {} : { kmsKeyId: kmsKeyArn }),
  };
}

/** What a launch template of Kubernetes nodes is made of (control-plane nodes and pool nodes alike). */
export interface NodeLaunchTemplateOptions {
  readonly cluster: Cluster;
  /** Name of the launch template, unique in the account and region. */
  readonly name: string;
  readonly description: string;
  readonly imageId: string;
  /** @default - none: the auto scaling group chooses (a pool's mixed instances policy) */
  readonly instanceType?: string;
  readonly instanceProfileName: string;
  readonly securityGroupId: string;
  /** Root device name of the image, where the encrypted root volume goes. */
  readonly rootDeviceName: string;
  readonly rootVolume: EbsVolume;
  /** The node's user data as text; it travels gzipped and base64-encoded. */
  readonly userData: string;
  /** Tags of the instances launched from the template. */
  readonly instanceTags: Readonly<Record<string, string>>;
  /** @default - the instance tags */
  readonly volumeTags?: Readonly<Record<string, string>>;
}

/**
 * A launch template of Kubernetes nodes with the cluster's secure defaults: IMDSv2 only, an
 * encrypted root volume, the cluster's SSH key when it has one, the node's user data, and tags
 * on instances and volumes. Every change makes a new version, the default one.
 */
export function nodeLaunchTemplateConfig(options: NodeLaunchTemplateOptions): LaunchTemplateConfig {
  const aws = options.cluster.spec.provider.aws!;
  return {
    name: options.name,
    description: options.description,
    imageId: options.imageId,
    ...(options.instanceType === undefined ? {} : { instanceType: options.instanceType }),
    iamInstanceProfile: { name: options.instanceProfileName },
    vpcSecurityGroupIds: [options.securityGroupId],
    metadataOptions: IMDS_V2_ONLY,
    blockDeviceMappings: [
      { deviceName: options.rootDeviceName, ebs: { ...encryptedVolume(options.rootVolume, aws.ebsKmsKeyArn), deleteOnTermination: "true", encrypted: "true" } },
    ],
    ...(aws.sshKeyName === undefined ? {} : { keyName: aws.sshKeyName }),
    userData: terraformGzipBase64Text(options.userData),
    updateDefaultVersion: true,
    tagSpecifications: [
      { resourceType: "instance", tags: { ...options.instanceTags } },
      { resourceType: "volume", tags: { ...(options.volumeTags ?? options.instanceTags) } },
    ],
    tags: resourceTags(options.cluster, options.name),
  };
}
