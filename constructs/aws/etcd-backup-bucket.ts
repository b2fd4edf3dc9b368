import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
// The provider names these resource classes with an "A": their plain names are taken by nested types.
import { S3BucketServerSideEncryptionConfigurationA as S3BucketServerSideEncryptionConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA as S3BucketVersioning } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Construct } from "constructs";
import { tlsOnlyBucketPolicy } from "../../lib/aws/iam-policies";
import { resourceTags } from "../../lib/aws/tags";
import type { Cluster } from "../../lib/spec";

export interface EtcdBackupBucketProps {
  readonly cluster: Cluster;
}

/**
 * The bucket that keeps the etcd clusters' snapshots: versioned, encrypted, private, TLS only,
 * protected from deletion, with one lifecycle rule per etcd cluster that expires snapshots
 * (and their old versions) after the cluster's retentionDays. Each etcd cluster writes under
 * its own prefix: <etcd name>/<timestamp>.db.
 */
export class EtcdBackupBucket extends Construct {
  readonly bucket: S3Bucket;

  constructor(scope: Construct, id: string, props: EtcdBackupBucketProps) {
    super(scope, id);
    const { cluster } = props;
    const name = cluster.metadata.name;
    // Bucket names are global: a prefix, and S3 adds a unique suffix.
    this.bucket = new S3Bucket(this, "bucket", {
      bucketPrefix: `${name.slice(0, 28)}-etcd-`,
      forceDestroy: false,
      tags: resourceTags(cluster, `${name}-etcd-backups`),
      lifecycle: { preventDestroy: true },
    });
    new S3BucketVersioning(this, "versioning", { bucket: this.bucket.id, versioningConfiguration: { status: "Enabled" } });
    new S3BucketServerSideEncryptionConfiguration(this, "encryption", {
      bucket: this.bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }],
    });
    new S3BucketPublicAccessBlock(this, "public-access", {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "ownership", { bucket: this.bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } });
    new S3BucketPolicy(this, "tls-only", { bucket: this.bucket.id, policy: JSON.stringify(tlsOnlyBucketPolicy(this.bucket.arn)) });
    new S3BucketLifecycleConfiguration(this, "retention", {
      bucket: this.bucket.id,
      rule: cluster.spec.etcd
        .filter((etcd) => etcd.backup.enabled)
        .map((etcd) => ({
          id: `expire-${etcd.name}`,
          status: "Enabled",
          filter: [{ prefix: `${etcd.name}/` }],
          expiration: [{ days: etcd.backup.retentionDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: etcd.backup.retentionDays }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        })),
    });
  }
}
