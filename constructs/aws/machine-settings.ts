import type { EbsVolume } from "../../lib/spec";

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
