/** Every role's user data passes the real cloud-init's schema check (cloud-init must be installed; CI installs it). */
import { afterAll, describe, expect, it } from "vitest";
import { controlPlaneUserData, etcdMemberUserData, exampleRoles, largeCluster, runTool, TempDir, workerUserData } from "./fixtures";

const files = new TempDir();
afterAll(() => {
  files.remove();
});

function cloudInitSchema(name: string, userData: string): { status: number | null; output: string } {
  const path = files.write(`${name.replace(/[^a-z0-9-]+/gi, "_")}.yaml`, userData);
  const result = runTool("cloud-init", ["schema", "-c", path], { timeoutMs: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const large = largeCluster();
const cases: [string, string][] = [
  ...exampleRoles().map((role): [string, string] => [role.name, role.userData]),
  ["large etcd workloads-6", etcdMemberUserData(large, "workloads", 6)],
  ["large control-plane 4", controlPlaneUserData(large, 4)],
  ["large worker of big", workerUserData(large, "big")],
];

describe("cloud-init schema", () => {
  it.each(cases)("accepts the user data of %s", (name, userData) => {
    // WHEN cloud-init checks the rendered user data
    const { status, output } = cloudInitSchema(name, userData);
    // THEN it calls it valid
    expect(status, output).toBe(0);
    expect(output).toContain("Valid cloud-config");
  });

  it("rejects user data with a broken write_files entry (the check can fail)", () => {
    // GIVEN real user data whose first file has lost its path
    const [, userData] = cases[0]!;
    const broken = userData.replace("  - path: ", "  - where: ");
    expect(broken).not.toBe(userData);
    // THEN cloud-init refuses it and says why
    const { status, output } = cloudInitSchema("broken", broken);
    expect(status).not.toBe(0);
    expect(output).toMatch(/'path' is a required property/);
  });
});
