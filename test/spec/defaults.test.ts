/** Defaults come from one place, and every consumer sees the same normalized spec. */
import { describe, expect, it } from "vitest";
import { defineCluster, SpecValidationError, validateClusterDocument, type Cluster } from "../../lib/spec";
import { awsDocument, awsWith, maasDocument, setPath } from "../util";

function normalized(document: unknown): Cluster {
  const result = validateClusterDocument(document);
  if (!result.ok) throw new Error(result.problems.map((p) => p.message).join("\n"));
  return result.cluster;
}

describe("normalization", () => {
  it("fills fixed defaults from the schema", () => {
    const { spec } = normalized(awsDocument());
    expect(spec.kubernetes).toMatchObject({ podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12", nodeCidrMaskSize: 24, clusterDomain: "cluster.local" });
    expect(spec.provider.aws).toMatchObject({ vpcCidr: "10.0.0.0/16", natGateways: "perZone", tags: {} });
    expect(spec.controlPlane.apiServer).toEqual({ public: false, allowedCidrs: [], extraSans: [] });
    expect(spec.state).toEqual({ backend: "local", local: { path: "terraform.test.tfstate" } });
    expect(spec.addons).toEqual({
      monitoring: { enabled: true, retention: "15d", storage: { sizeGib: 50 }, scrapeInterval: "30s", grafana: { enabled: true } },
      logging: { enabled: false, sinks: {}, retentionDays: 30, labels: {} },
      alerting: { receivers: [], routes: [], groupBy: ["alertname", "cluster", "namespace"], repeatInterval: "4h" },
    });
  });

  it("computes defaults from other fields", () => {
    const { spec } = normalized(awsDocument());
    // GIVEN pools without desiredSize or version, and etcd clusters named main and events
    const [general] = spec.nodePools;
    expect(general!.desiredSize).toBe(general!.minSize);
    expect(general!.kubernetesVersion).toBe("1.36");
    expect(general!.machine.aws!.availabilityZones).toEqual(["us-west-2a", "us-west-2b", "us-west-2c"]);
    expect(spec.etcd.map((etcd) => etcd.resources)).toEqual([[], ["events"]]);
  });

  it("gives each role the provider's machine block with its own defaults", () => {
    const { spec } = normalized(awsDocument());
    expect(spec.etcd[0]!.machine).toEqual({
      aws: {
        instanceType: "m6i.large",
        rootVolume: { sizeGib: 20, type: "gp3" },
        dataVolume: { sizeGib: 20, type: "gp3" },
        image: { ssmParameter: "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id" },
      },
    });
    expect(spec.controlPlane.machine.aws!.rootVolume.sizeGib).toBe(50);
    expect(spec.nodePools[0]!.machine.aws).toMatchObject({ instanceTypes: ["m6i.large"], onDemandPercentageAboveBase: 100, rootVolume: { sizeGib: 80 } });
    expect(spec.nodePools[0]!.machine.maas).toBeUndefined();
  });

  it("picks the image for the pool's CPU architecture, unless the provider or the machine names one", () => {
    const arm = normalized(awsWith({ "spec.nodePools": [{ name: "arm", minSize: 1, maxSize: 1, machine: { aws: { instanceTypes: ["m7g.large"] } } }] }));
    expect(arm.spec.nodePools[0]!.machine.aws!.image).toEqual({ ssmParameter: expect.stringContaining("/arm64/") as unknown });

    const pinned = normalized(awsWith({ "spec.provider.aws.image": { amiId: "ami-0123456789abcdef0" } }));
    expect(pinned.spec.controlPlane.machine.aws!.image).toEqual({ amiId: "ami-0123456789abcdef0" });

    const own = normalized(
      awsWith({
        "spec.provider.aws.image": { amiId: "ami-0123456789abcdef0" },
        "spec.nodePools": [{ name: "gpu", minSize: 0, maxSize: 1, machine: { aws: { image: { amiId: "ami-0fedcba9876543210" } } } }],
      }),
    );
    expect(own.spec.nodePools[0]!.machine.aws!.image).toEqual({ amiId: "ami-0fedcba9876543210" });
  });

  it("fills backend blocks for the chosen backend only", () => {
    expect(normalized(awsWith({ "spec.state": { backend: "pg" } })).spec.state).toEqual({ backend: "pg", pg: { connStrEnv: "PG_CONN_STR", schemaName: "kraken_test" } });
    expect(normalized(awsWith({ "spec.state": { backend: "s3", s3: { bucket: "acme-state" } } })).spec.state.s3).toEqual({
      bucket: "acme-state",
      region: "us-west-2",
      keyPrefix: "kraken",
      useLockfile: true,
    });
    expect(normalized(awsWith({ "spec.state": { backend: "kubernetes" } })).spec.state.kubernetes).toEqual({ namespace: "kraken-state", secretSuffix: "test" });
  });

  it("gives MAAS roles a maas block", () => {
    const { spec } = normalized(setPath(maasDocument(), "spec.controlPlane", { replicas: 1 }));
    expect(spec.controlPlane.machine).toEqual({ maas: { tags: [] } });
    expect(spec.provider.maas).toMatchObject({ apiKeyEnv: "MAAS_API_KEY", apiVersion: "2.0", distroSeries: "noble", tlsInsecureSkipVerify: false });
  });

  it("keeps what the user set", () => {
    const { spec } = normalized(awsWith({ "spec.kubernetes.podCidr": "172.16.0.0/16", "spec.nodePools": [{ name: "p", minSize: 1, maxSize: 3, desiredSize: 2 }] }));
    expect(spec.kubernetes.podCidr).toBe("172.16.0.0/16");
    expect(spec.nodePools[0]!.desiredSize).toBe(2);
  });

  it("does not change its input, and freezes its output", () => {
    const document = awsDocument();
    const before = JSON.stringify(document);
    const cluster = normalized(document);
    expect(JSON.stringify(document)).toBe(before);
    expect(Object.isFrozen(cluster.spec.nodePools[0])).toBe(true);
  });

  it("is idempotent: a normalized spec normalizes to itself", () => {
    const once = normalized(awsDocument());
    expect(normalized(once)).toEqual(once);
  });
});

describe("defineCluster", () => {
  it("returns the normalized cluster for TypeScript users", () => {
    const cluster = defineCluster({
      apiVersion: "kraken.dev/v1alpha1",
      kind: "Cluster",
      metadata: { name: "typed" },
      spec: { kubernetes: { version: "1.37" }, provider: { aws: { region: "eu-west-1", availabilityZones: ["eu-west-1a"] } }, etcd: [{ name: "main", members: 1 }] },
    });
    expect(cluster.spec.controlPlane.replicas).toBe(3);
  });

  it("throws one error listing every problem with its path", () => {
    const document = awsWith({ "spec.etcd": [{ name: "main", members: 2 }], "spec.nodePools": [{ name: "p", minSize: 3, maxSize: 1 }] });
    let caught: unknown;
    try {
      defineCluster(document as never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SpecValidationError);
    const error = caught as SpecValidationError;
    expect(error.problems).toHaveLength(2);
    expect(error.message).toContain('cluster spec "test" is invalid (2 problems)');
    expect(error.message).toContain("spec.etcd[0].members: must be 1, 3, 5 or 7");
    expect(error.message).toContain("spec.nodePools[0].maxSize: must be >= minSize (3), got 1");
  });
});
