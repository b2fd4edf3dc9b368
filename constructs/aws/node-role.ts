import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Construct } from "constructs";
import { ec2AssumeRolePolicy, readSecretPolicy, ssmManagedPolicyArn, type PolicyDocument } from "../../lib/aws/iam-policies";
import { awsName, IAM_ROLE_NAME_MAX } from "../../lib/aws/names";
import { resourceTags } from "../../lib/aws/tags";
import type { Cluster } from "../../lib/spec";

export interface NodeRoleProps {
  readonly cluster: Cluster;
  /** What the machines are: "control-plane", "workers", "etcd-main". */
  readonly role: string;
  /** The one secret these machines read at boot. */
  readonly secretName: string;
  /** Further inline policies, by name (etcd members upload snapshots). */
  readonly extraPolicies?: Readonly<Record<string, PolicyDocument>>;
}

/**
 * The IAM role and instance profile of one kind of machine, least privilege: read its own
 * bootstrap secret, and be reachable through Session Manager (no SSH keys needed).
 */
export class NodeRole extends Construct {
  readonly role: IamRole;
  readonly instanceProfile: IamInstanceProfile;

  constructor(scope: Construct, id: string, props: NodeRoleProps) {
    super(scope, id);
    const region = props.cluster.spec.provider.aws!.region;
    const name = awsName([props.cluster.metadata.name, props.role], IAM_ROLE_NAME_MAX);
    const tags = resourceTags(props.cluster, name);
    this.role = new IamRole(this, "role", {
      name,
      description: `${props.role} machines of kraken cluster ${props.cluster.metadata.name}`,
      assumeRolePolicy: JSON.stringify(ec2AssumeRolePolicy(region)),
      tags,
    });
    new IamRolePolicy(this, "read-secret", { name: "read-bootstrap-secret", role: this.role.id, policy: JSON.stringify(readSecretPolicy(region, props.secretName)) });
    for (const [policyName, document] of Object.entries(props.extraPolicies ?? {})) {
      new IamRolePolicy(this, policyName, { name: policyName, role: this.role.id, policy: JSON.stringify(document) });
    }
    new IamRolePolicyAttachment(this, "ssm", { role: this.role.name, policyArn: ssmManagedPolicyArn(region) });
    this.instanceProfile = new IamInstanceProfile(this, "profile", { name, role: this.role.name, tags });
  }
}
