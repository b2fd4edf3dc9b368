import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter";
import { Construct } from "constructs";
import type { AwsImage } from "../../lib/spec";

/**
 * Resolves machine images: an explicit AMI ID as is, an SSM parameter through one data source
 * per parameter (which needs AWS at plan time; explicit IDs plan offline).
 */
export class MachineImages extends Construct {
  private readonly parameters = new Map<string, DataAwsSsmParameter>();

  imageId(image: AwsImage): string {
    if (image.amiId !== undefined) return image.amiId;
    const name = image.ssmParameter!;
    let parameter = this.parameters.get(name);
    if (!parameter) {
      parameter = new DataAwsSsmParameter(this, `ssm-${this.parameters.size}`, { name });
      this.parameters.set(name, parameter);
    }
    // The AMI ID is not a secret: insecure_value keeps it out of Terraform's sensitive handling.
    return parameter.insecureValue;
  }

  /** Whether an image is looked up (and may change under a running machine) rather than pinned. */
  static isLookedUp(image: AwsImage): boolean {
    return image.amiId === undefined;
  }
}
