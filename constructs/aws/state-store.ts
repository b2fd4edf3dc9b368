import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
// The provider names these resource classes with an "A": their plain names are taken by nested types.
import { S3BucketServerSideEncryptionConfigurationA as S3BucketServerSideEncryptionConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA as S3BucketVersioning } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { resolve } from "node:path";
import { tlsOnlyBucketPolicy } from "../../lib/aws/iam-policies";

export interface StateStoreProps {
  /** The bucket's name (spec.state.s3.bucket). */
  readonly bucket: string;
  readonly region: string;
  /** A DynamoDB lock table, for Terraform older than 1.11's S3 lock files. */
  readonly dynamodbTable?: string;
  /** KMS key for the state objects. @default - SSE-KMS with the AWS-managed key */
  readonly kmsKeyArn?: string;
}

/**
 * What the s3 state backend needs: a bucket with versioning (every earlier state can be
 * restored), encryption, public access blocked, TLS-only access and protection from deletion,
 * and optionally a DynamoDB lock table. It holds every cluster's state, so it is built first,
 * on its own, with local state (docs/state.md).
 */
export class StateStore extends Construct {
  readonly bucket: S3Bucket;
  readonly lockTable?: DynamodbTable;

  constructor(scope: Construct, id: string, props: StateStoreProps) {
    super(scope, id);
    const tags = { "kraken.dev/role": "terraform-state" };
    this.bucket = new S3Bucket(this, "bucket", { bucket: props.bucket, forceDestroy: false, tags, lifecycle: { preventDestroy: true } });
    new S3BucketVersioning(this, "versioning", { bucket: this.bucket.id, versioningConfiguration: { status: "Enabled" } });
    new S3BucketServerSideEncryptionConfiguration(this, "encryption", {
      bucket: this.bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", ...(props.kmsKeyArn === undefined ? {} : { kmsMasterKeyId: props.kmsKeyArn }) }, bucketKeyEnabled: true }],
    });
    new S3BucketPublicAccessBlock(this, "public-access", { bucket: this.bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    new S3BucketOwnershipControls(this, "ownership", { bucket: this.bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } });
    new S3BucketPolicy(this, "tls-only", { bucket: this.bucket.id, policy: JSON.stringify(tlsOnlyBucketPolicy(this.bucket.arn)) });
    if (props.dynamodbTable !== undefined) {
      this.lockTable = new DynamodbTable(this, "locks", {
        name: props.dynamodbTable,
        billingMode: "PAY_PER_REQUEST",
        hashKey: "LockID",
        attribute: [{ name: "LockID", type: "S" }],
        serverSideEncryption: { enabled: true, ...(props.kmsKeyArn === undefined ? {} : { kmsKeyArn: props.kmsKeyArn }) },
        pointInTimeRecovery: { enabled: true },
        deletionProtectionEnabled: true,
        tags,
        lifecycle: { preventDestroy: true },
      });
    }
  }
}

/** The state store's own stack: local state, to be migrated into the bucket once it exists. */
export class StateStoreStack extends TerraformStack {
  readonly store: StateStore;

  constructor(scope: Construct, id: string, props: StateStoreProps & { readonly baseDir?: string }) {
    super(scope, id);
    new LocalBackend(this, { path: resolve(props.baseDir ?? process.cwd(), `terraform.${id}.tfstate`) });
    new AwsProvider(this, "aws", { region: props.region });
    this.store = new StateStore(this, "store", props);
    new TerraformOutput(this, "bucket", { value: this.store.bucket.bucket }).overrideLogicalId("state_bucket");
  }
}
