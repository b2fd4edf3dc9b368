/** IAM policy documents for the machines of a cluster: plain JSON, least privilege. */
import { awsPartition } from "./names";

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly {
    readonly Sid?: string;
    readonly Effect: "Allow" | "Deny";
    readonly Action: string | readonly string[];
    readonly Resource?: string | readonly string[];
    readonly Principal?: Readonly<Record<string, string>>;
    readonly Condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  }[];
}

/** Lets EC2 instances take the role. */
export function ec2AssumeRolePolicy(region: string): PolicyDocument {
  const service = awsPartition(region) === "aws-cn" ? "ec2.amazonaws.com.cn" : "ec2.amazonaws.com";
  return { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] };
}

/**
 * Reading one secret and nothing else. Secrets Manager appends six random characters to a
 * secret's ARN, hence the "-??????"; the account is left open because the role lives in it.
 */
export function readSecretPolicy(region: string, secretName: string): PolicyDocument {
  const arn = `arn:${awsPartition(region)}:secretsmanager:${region}:*:secret:${secretName}-??????`;
  return {
    Version: "2012-10-17",
    Statement: [{ Sid: "ReadOwnBootstrapSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: arn }],
  };
}

/** AWS's managed policy for Systems Manager (Session Manager instead of SSH). */
export function ssmManagedPolicyArn(region: string): string {
  return `arn:${awsPartition(region)}:iam::aws:policy/AmazonSSMManagedInstanceCore`;
}

/** Refuses any request to the bucket that does not use TLS. */
export function tlsOnlyBucketPolicy(bucketArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: { AWS: "*" }, Action: "s3:*", Resource: [bucketArn, `${bucketArn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } },
    ],
  };
}

/** Uploading snapshots under one prefix of the backup bucket, and nothing else: no reading, no deleting. */
export function writeSnapshotsPolicy(bucketArn: string, prefix: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Sid: "UploadSnapshots", Effect: "Allow", Action: ["s3:PutObject"], Resource: `${bucketArn}/${prefix}/*` }],
  };
}
