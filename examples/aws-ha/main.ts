/**
 * The cluster of examples/aws-ha/cluster.yaml, written as a cdktf app in TypeScript: the spec is
 * a typed object (checked by the compiler, then validated like a spec file), and the GPU pool is
 * added in code with addNodePool. Synthesizes exactly what `k2 synth examples/aws-ha/cluster.yaml`
 * writes (a test compares them).
 *
 * In your own repository: `import { ClusterStack, defineCluster } from "kraken-lib"`.
 */
import { App } from "cdktf";
import { ClusterStack, defineCluster } from "../../index";

export function addAwsHaStack(app: App): ClusterStack {
  const spec = defineCluster({
    apiVersion: "kraken.dev/v1alpha1",
    kind: "Cluster",
    metadata: { name: "prod-usw2", labels: { env: "prod" } },
    spec: {
      kubernetes: { version: "1.36", podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12" },
      provider: {
        aws: {
          region: "us-west-2",
          availabilityZones: ["us-west-2a", "us-west-2b", "us-west-2c"],
          vpcCidr: "10.0.0.0/16",
          natGateways: "perZone",
          image: { amiId: "ami-0123456789abcdef0" },
          tags: { "cost-center": "platform" },
        },
      },
      etcd: [
        { name: "main", members: 3, machine: { aws: { instanceType: "m6i.large", dataVolume: { sizeGib: 50, type: "gp3", iops: 6000 } } } },
        { name: "events", members: 3, machine: { aws: { instanceType: "m6i.large", dataVolume: { sizeGib: 20 } } } },
      ],
      controlPlane: {
        replicas: 3,
        apiServer: { public: true, allowedCidrs: ["203.0.113.0/24"] },
        machine: { aws: { instanceType: "m6i.xlarge" } },
      },
      nodePools: [
        { name: "general", minSize: 3, maxSize: 10, machine: { aws: { instanceTypes: ["m6i.xlarge"] } } },
        {
          name: "spot",
          minSize: 0,
          desiredSize: 2,
          maxSize: 20,
          labels: { "node.kubernetes.io/lifecycle": "spot" },
          taints: [{ key: "lifecycle", value: "spot", effect: "PreferNoSchedule" }],
          machine: {
            aws: {
              instanceTypes: ["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m5a.xlarge"],
              onDemandBaseCapacity: 0,
              onDemandPercentageAboveBase: 0,
              spotAllocationStrategy: "price-capacity-optimized",
            },
          },
        },
      ],
      state: { backend: "local" },
      addons: {
        logging: {
          enabled: true,
          sinks: {
            loki: { url: "https://loki.example.com", tenantId: "platform", usernameEnv: "LOKI_USERNAME", passwordEnv: "LOKI_PASSWORD" },
            s3: { bucket: "acme-log-archive", region: "us-west-2" },
          },
          labels: { env: "prod" },
        },
      },
    },
  });

  const stack = new ClusterStack(app, spec);
  // Pools added in code are validated with the cluster and recorded in the applied spec.
  stack.cluster.addNodePool("pool-gpu", {
    name: "gpu",
    minSize: 0,
    maxSize: 4,
    labels: { accelerator: "nvidia" },
    taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }],
    machine: { aws: { instanceTypes: ["g5.xlarge", "g6.xlarge"], image: { amiId: "ami-0fedcba9876543210" }, rootVolume: { sizeGib: 200 } } },
  });
  return stack;
}

if (require.main === module) {
  const app = new App();
  addAwsHaStack(app);
  app.synth();
}
