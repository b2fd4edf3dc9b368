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

/** The log sinks that machines reach with their instance role (spec.addons.logging.sinks). */
export interface AwsLogSinks {
  readonly cloudwatch?: { readonly region: string; readonly logGroup: string };
  readonly s3?: { readonly bucket: string; readonly region: string; readonly prefix: string };
}

/**
 * What the log agent needs to ship to CloudWatch Logs and S3 (lib/addons/logging): create its
 * log group, set its retention, and write streams in that group only; put objects under the
 * cluster's own prefix of the archive bucket only (no reading, listing or deleting). Undefined
 * when neither sink is in use. Accounts are left open: the group and bucket are the spec's.
 */
export function shipLogsPolicy(clusterName: string, sinks: AwsLogSinks): PolicyDocument | undefined {
  const statements: PolicyDocument["Statement"][number][] = [];
  if (sinks.cloudwatch) {
    const group = `arn:${awsPartition(sinks.cloudwatch.region)}:logs:${sinks.cloudwatch.region}:*:log-group:${sinks.cloudwatch.logGroup}`;
    statements.push(
      { Sid: "CreateLogGroup", Effect: "Allow", Action: ["logs:CreateLogGroup", "logs:PutRetentionPolicy"], Resource: [group, `${group}:*`] },
      { Sid: "WriteLogStreams", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${group}:log-stream:*` },
    );
  }
  if (sinks.s3) {
    const prefix = sinks.s3.prefix.replace(/^\/+|\/+$/g, "");
    const key = `${prefix === "" ? "" : `${prefix}/`}${clusterName}/*`;
    statements.push({ Sid: "ArchiveLogs", Effect: "Allow", Action: ["s3:PutObject"], Resource: `arn:${awsPartition(sinks.s3.region)}:s3:::${sinks.s3.bucket}/${key}` });
  }
  return statements.length === 0 ? undefined : { Version: "2012-10-17", Statement: statements };
}
