/** Facts about EC2 instance types that the spec needs without calling AWS. */

export type CpuArchitecture = "x86_64" | "arm64";

/**
 * CPU architecture of an instance type from its family name: Graviton families carry a "g"
 * right after the generation number (m7g, c7gn, r8gd, t4g, im4gn, g5g), and a1 is the first
 * Graviton.
 */
export function instanceArchitecture(instanceType: string): CpuArchitecture {
  const family = instanceType.split(".")[0] ?? "";
  return family === "a1" || /^[a-z]+[0-9]+g/.test(family) ? "arm64" : "x86_64";
}

/** Canonical's public SSM parameter for the current Ubuntu 24.04 LTS AMI of an architecture. */
export function ubuntuImageParameter(architecture: CpuArchitecture): string {
  const arch = architecture === "arm64" ? "arm64" : "amd64";
  return `/aws/service/canonical/ubuntu/server/24.04/stable/current/${arch}/hvm/ebs-gp3/ami-id`;
}
