/** IAM least privilege: one role per kind of machine, each reading only its own bootstrap secret. */
import { describe, expect, it } from "vitest";
import { awsWith, EXAMPLES } from "../util";
import {
  controlPlaneNodes,
  parsePolicy,
  ref,
  resourcesOf,
  synthCluster,
  synthExample,
  type IamInstanceProfileResource,
  type IamRolePolicyAttachmentResource,
  type IamRolePolicyResource,
  type IamRoleResource,
  type InstanceResource,
  type LaunchTemplateResource,
  type SynthesizedStack,
} from "./fixtures";

interface RoleView {
  readonly logicalId: string;
  readonly role: IamRoleResource;
  readonly policies: IamRolePolicyResource[];
  readonly attachments: IamRolePolicyAttachmentResource[];
  readonly profiles: [string, IamInstanceProfileResource][];
}

/** Each role with its inline policies, managed policy attachments and instance profiles, by role name. */
function rolesByName(json: SynthesizedStack): Map<string, RoleView> {
  const policies = Object.values(resourcesOf<IamRolePolicyResource>(json, "aws_iam_role_policy"));
  const attachments = Object.values(resourcesOf<IamRolePolicyAttachmentResource>(json, "aws_iam_role_policy_attachment"));
  const profiles = Object.entries(resourcesOf<IamInstanceProfileResource>(json, "aws_iam_instance_profile"));
  return new Map(
    Object.entries(resourcesOf<IamRoleResource>(json, "aws_iam_role")).map(([logicalId, role]) => [
      role.name,
      {
        logicalId,
        role,
        // Inline policies name the role by ID; attachments and profiles by name.
        policies: policies.filter((policy) => policy.role === ref("aws_iam_role", logicalId)),
        attachments: attachments.filter((attachment) => attachment.role === ref("aws_iam_role", logicalId, "name")),
        profiles: profiles.filter(([, profile]) => profile.role === ref("aws_iam_role", logicalId, "name")),
      },
    ]),
  );
}

function expectLeastPrivilege(
  json: SynthesizedStack,
  options: { cluster: string; region: string; partition: string; roles: readonly string[]; shipLogs?: readonly (readonly [string, readonly string[], string | readonly string[]])[] },
): void {
  const roles = rolesByName(json);
  expect([...roles.keys()].sort()).toEqual(options.roles.map((role) => `${options.cluster}-${role}`).sort());
  for (const role of options.roles) {
    const view = roles.get(`${options.cluster}-${role}`)!;

    // EC2 alone may take the role.
    expect(parsePolicy(view.role.assume_role_policy).Statement, role).toEqual([{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }]);

    // One inline policy to read this role's secret and nothing else; etcd members also upload
    // snapshots; with CloudWatch Logs or S3 log sinks, every machine ships its logs there.
    const isEtcd = role.startsWith("etcd-");
    const expected = [...(isEtcd ? ["read-bootstrap-secret", "upload-snapshots"] : ["read-bootstrap-secret"]), ...(options.shipLogs ? ["ship-logs"] : [])];
    expect(view.policies.map((policy) => policy.name).sort(), role).toEqual(expected.sort());
    if (options.shipLogs) {
      const ship = parsePolicy(view.policies.find((policy) => policy.name === "ship-logs")!.policy).Statement;
      expect(ship.map((statement) => [statement.Effect, statement.Action, statement.Resource]), role).toEqual(options.shipLogs.map(([effect, actions, resource]) => [effect, actions, resource]));
    }
    if (isEtcd) {
      const upload = parsePolicy(view.policies.find((policy) => policy.name === "upload-snapshots")!.policy).Statement;
      expect(upload.map((statement) => [statement.Effect, statement.Action, statement.Resource]), role).toEqual([
        ["Allow", ["s3:PutObject"], expect.stringMatching(new RegExp(`^\\$\\{aws_s3_bucket\\.cluster_etcd-backups_bucket_[0-9A-F]+\\.arn\\}/${role.slice("etcd-".length)}/\\*$`))],
      ]);
    }
    const statements = parsePolicy(view.policies.find((policy) => policy.name === "read-bootstrap-secret")!.policy).Statement;
    expect(statements, role).toHaveLength(1);
    const statement = statements[0]!;
    expect(statement.Effect).toBe("Allow");
    expect([statement.Action].flat().sort(), role).toEqual(["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]);
    expect(statement.Resource, role).toBe(`arn:${options.partition}:secretsmanager:${options.region}:*:secret:kraken/${options.cluster}/${role}-??????`);

    // Session Manager instead of SSH, and nothing else managed.
    expect(view.attachments.map((attachment) => attachment.policy_arn), role).toEqual([`arn:${options.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`]);
    expect(view.profiles, role).toHaveLength(1);
  }
  expect(json.resource.aws_iam_policy).toBeUndefined();
  expect(json.resource.aws_iam_user).toBeUndefined();
}

describe("node roles of examples/aws-ha", () => {
  const { json } = synthExample(EXAMPLES.awsHa);
  const roles = rolesByName(json);
  const profileOf = (roleName: string): string => ref("aws_iam_instance_profile", roles.get(roleName)!.profiles[0]![0], "name");

  it("has one role and instance profile per kind of machine, each reading only its own secret", () => {
    expectLeastPrivilege(json, {
      cluster: "prod-usw2",
      region: "us-west-2",
      partition: "aws",
      roles: ["control-plane", "workers", "etcd-main", "etcd-events"],
      // The example archives logs in S3: under logs/prod-usw2/ of the bucket, and nowhere else.
      shipLogs: [["Allow", ["s3:PutObject"], "arn:aws:s3:::acme-log-archive/logs/prod-usw2/*"]],
    });
  });

  it("never lets a machine read the authority secret (the CA keys)", () => {
    for (const policy of Object.values(resourcesOf<IamRolePolicyResource>(json, "aws_iam_role_policy"))) {
      expect(policy.policy).not.toContain("authority");
      expect(policy.policy).not.toMatch(/"Resource":"\*"|secret:\*|kraken\/\*/);
    }
  });

  it("gives each machine the profile of its kind", () => {
    const instances = Object.values(resourcesOf<InstanceResource>(json, "aws_instance"));
    const byRole = (predicate: (instance: InstanceResource) => boolean): string[] => [...new Set(instances.filter(predicate).map((instance) => instance.iam_instance_profile))];
    expect(byRole((instance) => instance.tags["kraken.dev/etcd-cluster"] === "main")).toEqual([profileOf("prod-usw2-etcd-main")]);
    expect(byRole((instance) => instance.tags["kraken.dev/etcd-cluster"] === "events")).toEqual([profileOf("prod-usw2-etcd-events")]);
    const controlPlaneTemplates = new Set(controlPlaneNodes(json).map((node) => node.templateId));
    expect(controlPlaneTemplates.size).toBe(3);
    for (const [id, template] of Object.entries(resourcesOf<LaunchTemplateResource>(json, "aws_launch_template"))) {
      const expected = controlPlaneTemplates.has(id) ? "prod-usw2-control-plane" : "prod-usw2-workers";
      expect(template.iam_instance_profile?.name, template.name).toBe(profileOf(expected));
    }
  });
});

describe("node roles in AWS GovCloud", () => {
  it("use the aws-us-gov partition in secret and managed policy ARNs", () => {
    // GIVEN a cluster in us-gov-west-1
    const { json } = synthCluster(
      awsWith({
        "spec.provider.aws.region": "us-gov-west-1",
        "spec.provider.aws.availabilityZones": ["us-gov-west-1a", "us-gov-west-1b", "us-gov-west-1c"],
      }),
    );
    // THEN the same least-privilege roles, in the GovCloud partition
    expectLeastPrivilege(json, { cluster: "test", region: "us-gov-west-1", partition: "aws-us-gov", roles: ["control-plane", "workers", "etcd-main", "etcd-events"] });
  });
});

describe("node roles with CloudWatch Logs and S3 log sinks", () => {
  it("let every machine create its log group, write its streams and archive under the cluster's prefix, and nothing more", () => {
    // GIVEN logging to CloudWatch Logs in another region and to S3 under a custom prefix
    const { json } = synthCluster(
      awsWith({
        "spec.addons.logging": {
          enabled: true,
          sinks: { cloudwatch: { region: "eu-west-1", logGroup: "/kraken/test" }, s3: { bucket: "acme-logs", region: "us-west-2", prefix: "/archive/k8s/" } },
        },
      }),
    );
    // THEN each role has one more inline policy with exactly these grants
    const group = "arn:aws:logs:eu-west-1:*:log-group:/kraken/test";
    expectLeastPrivilege(json, {
      cluster: "test",
      region: "us-west-2",
      partition: "aws",
      roles: ["control-plane", "workers", "etcd-main", "etcd-events"],
      shipLogs: [
        ["Allow", ["logs:CreateLogGroup", "logs:PutRetentionPolicy"], [group, `${group}:*`]],
        ["Allow", ["logs:CreateLogStream", "logs:PutLogEvents"], `${group}:log-stream:*`],
        ["Allow", ["s3:PutObject"], "arn:aws:s3:::acme-logs/archive/k8s/test/*"],
      ],
    });
  });
});
