/** Machine images: explicit AMI IDs as they are, SSM parameters through one data source each. */
import { describe, expect, it } from "vitest";
import { awsDocument, EXAMPLES } from "../util";
import {
  dataOf,
  ref,
  resourcesOf,
  synthCluster,
  synthExample,
  type InstanceResource,
  type LaunchTemplateResource,
} from "./fixtures";

const AMD64 = "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id";
const ARM64 = "/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id";
const CUSTOM = "/kraken/test/control-plane-ami";

describe("explicit AMI IDs (examples/aws-ha)", () => {
  const { json } = synthExample(EXAMPLES.awsHa);

  it("are used as they are, with no data source", () => {
    expect(json.data).toBeUndefined();
    for (const [id, instance] of Object.entries(resourcesOf<InstanceResource>(json, "aws_instance"))) expect(instance.ami, id).toBe("ami-0123456789abcdef0");
    const images = Object.values(resourcesOf<LaunchTemplateResource>(json, "aws_launch_template")).map((template) => `${template.name} ${template.image_id}`);
    expect(images.sort()).toEqual([
      "prod-usw2-control-plane-0 ami-0123456789abcdef0",
      "prod-usw2-control-plane-1 ami-0123456789abcdef0",
      "prod-usw2-control-plane-2 ami-0123456789abcdef0",
      "prod-usw2-general ami-0123456789abcdef0",
      "prod-usw2-gpu ami-0fedcba9876543210",
      "prod-usw2-spot ami-0123456789abcdef0",
    ]);
  });
});

describe("images from SSM parameters", () => {
  // GIVEN default images (Canonical's amd64 parameter), an arm64 pool, an explicit parameter equal
  // to the default, and a control plane with its own parameter
  const document = awsDocument();
  const spec = document.spec as { controlPlane: object; nodePools: object[] };
  spec.controlPlane = { replicas: 3, machine: { aws: { image: { ssmParameter: CUSTOM } } } };
  spec.nodePools.push(
    { name: "arm", minSize: 0, maxSize: 3, machine: { aws: { instanceTypes: ["m7g.large"] } } },
    { name: "pinned", minSize: 0, maxSize: 3, machine: { aws: { image: { ssmParameter: AMD64 } } } },
  );
  const { json } = synthCluster(document);
  const parameters = dataOf<{ name: string }>(json, "aws_ssm_parameter");
  const byName = new Map(Object.entries(parameters).map(([id, parameter]) => [parameter.name, ref("data.aws_ssm_parameter", id, "insecure_value")]));

  it("create exactly one data source per distinct parameter", () => {
    expect(Object.values(parameters).map((parameter) => parameter.name).sort()).toEqual([CUSTOM, AMD64, ARM64].sort());
    expect(Object.keys(json.data ?? {})).toEqual(["aws_ssm_parameter"]);
  });

  it("use each parameter's insecure_value (an AMI ID is no secret) where the image is needed", () => {
    const instances = Object.values(resourcesOf<InstanceResource>(json, "aws_instance"));
    expect(instances.length).toBeGreaterThan(0);
    for (const instance of instances) expect(instance.ami, instance.tags.Name).toBe(byName.get(AMD64));
    const templates = Object.fromEntries(Object.values(resourcesOf<LaunchTemplateResource>(json, "aws_launch_template")).map((template) => [template.name, template.image_id]));
    expect(templates).toEqual({
      "test-control-plane-0": byName.get(CUSTOM),
      "test-control-plane-1": byName.get(CUSTOM),
      "test-control-plane-2": byName.get(CUSTOM),
      "test-general": byName.get(AMD64),
      "test-gpu": byName.get(AMD64),
      "test-arm": byName.get(ARM64),
      "test-pinned": byName.get(AMD64),
    });
  });
});
