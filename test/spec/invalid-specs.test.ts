/**
 * A table of invalid specs: each changes one thing in a valid document and must be refused
 * with a problem at exactly the field that is wrong, saying what is expected.
 */
import { describe, it } from "vitest";
import { awsWith, expectProblem, maasDocument, setPath } from "../util";

interface Case {
  readonly name: string;
  readonly changes: Readonly<Record<string, unknown>>;
  readonly path: string;
  readonly message: RegExp;
}

const pools = (...extra: object[]) => [{ name: "general", minSize: 2, maxSize: 5 }, ...extra];

const CASES: readonly Case[] = [
  { name: "wrong apiVersion", changes: { apiVersion: "kraken.dev/v1" }, path: "apiVersion", message: /must be "kraken\.dev\/v1alpha1", got "kraken\.dev\/v1"/ },
  { name: "wrong kind", changes: { kind: "Clusters" }, path: "kind", message: /must be "Cluster"/ },
  { name: "missing metadata.name", changes: { "metadata.name": undefined }, path: "metadata.name", message: /is required/ },
  { name: "upper-case cluster name", changes: { "metadata.name": "Prod" }, path: "metadata.name", message: /DNS-1123 label.*got "Prod"/ },
  { name: "cluster name too long", changes: { "metadata.name": "a".repeat(64) }, path: "metadata.name", message: /at most 63 characters/ },
  { name: "unknown top-level field", changes: { specs: {} }, path: "specs", message: /did you mean "spec"/ },
  { name: "unknown field with a case typo", changes: { "spec.kubernetes.podCIDR": "10.244.0.0/16" }, path: "spec.kubernetes.podCIDR", message: /did you mean "podCidr"/ },
  { name: "unknown field far from any", changes: { "spec.controlPlane.colour": "blue" }, path: "spec.controlPlane.colour", message: /expected one of replicas, apiServer, machine/ },
  { name: "version as a YAML number", changes: { "spec.kubernetes.version": 1.3 }, path: "spec.kubernetes.version", message: /must be a string, got a number 1\.3.*quote it/ },
  { name: "unsupported Kubernetes minor", changes: { "spec.kubernetes.version": "1.34" }, path: "spec.kubernetes.version", message: /1\.34 is not supported.*1\.35, 1\.36, 1\.37/ },
  { name: "malformed Kubernetes version", changes: { "spec.kubernetes.version": "v1.36" }, path: "spec.kubernetes.version", message: /Kubernetes minor/ },
  { name: "pod CIDR with host bits", changes: { "spec.kubernetes.podCidr": "10.244.1.0/16" }, path: "spec.kubernetes.podCidr", message: /host bits set.*10\.244\.0\.0\/16/ },
  { name: "pod CIDR with a bad octet", changes: { "spec.kubernetes.podCidr": "10.300.0.0/16" }, path: "spec.kubernetes.podCidr", message: /invalid IPv4 address/ },
  { name: "not a CIDR at all", changes: { "spec.kubernetes.serviceCidr": "services" }, path: "spec.kubernetes.serviceCidr", message: /IPv4 CIDR/ },
  { name: "service CIDR overlapping the VPC", changes: { "spec.kubernetes.serviceCidr": "10.0.128.0/20" }, path: "spec.kubernetes.serviceCidr", message: /overlaps spec\.provider\.aws\.vpcCidr/ },
  { name: "pod CIDR overlapping the service CIDR", changes: { "spec.kubernetes.podCidr": "10.96.0.0/16" }, path: "spec.kubernetes.podCidr", message: /overlaps spec\.kubernetes\.serviceCidr/ },
  { name: "service CIDR too large", changes: { "spec.kubernetes.serviceCidr": "100.64.0.0/10" }, path: "spec.kubernetes.serviceCidr", message: /\/12 to \/28/ },
  { name: "VPC CIDR too small", changes: { "spec.provider.aws.vpcCidr": "10.0.0.0/26" }, path: "spec.provider.aws.vpcCidr", message: /\/16 to \/22/ },
  { name: "pod CIDR too small for the nodes", changes: { "spec.kubernetes.podCidr": "10.244.0.0/22" }, path: "spec.kubernetes.podCidr", message: /holds 4 node ranges.*10 nodes/ },
  { name: "both providers", changes: { "spec.provider.maas": { apiUrl: "https://m/MAAS", controlPlaneEndpoint: { vip: "10.1.1.1" } } }, path: "spec.provider", message: /exactly one of aws, maas, got aws and maas/ },
  { name: "no provider", changes: { "spec.provider": {} }, path: "spec.provider", message: /exactly one of aws, maas, got none/ },
  { name: "zone of another region", changes: { "spec.provider.aws.availabilityZones": ["us-west-2a", "us-east-1b"] }, path: "spec.provider.aws.availabilityZones[1]", message: /not a zone of region us-west-2/ },
  { name: "repeated zone", changes: { "spec.provider.aws.availabilityZones": ["us-west-2a", "us-west-2a"] }, path: "spec.provider.aws.availabilityZones", message: /must not repeat items: "us-west-2a" appears at \[0\] and \[1\]/ },
  { name: "even etcd member count", changes: { "spec.etcd": [{ name: "main", members: 4 }] }, path: "spec.etcd[0].members", message: /1, 3, 5 or 7.*got 4/ },
  { name: "duplicate etcd names", changes: { "spec.etcd": [{ name: "main" }, { name: "main", resources: ["events"] }] }, path: "spec.etcd[1].name", message: /duplicate etcd cluster name "main"/ },
  { name: "two primary etcd clusters", changes: { "spec.etcd": [{ name: "main" }, { name: "extra" }] }, path: "spec.etcd[1].resources", message: /only one etcd cluster can be the primary/ },
  { name: "resource stored twice", changes: { "spec.etcd": [{ name: "main" }, { name: "events" }, { name: "more", resources: ["events"] }] }, path: "spec.etcd[2].resources[0]", message: /already stored by etcd cluster "events"/ },
  { name: "no etcd at all", changes: { "spec.etcd": [] }, path: "spec.etcd", message: /at least 1 item/ },
  { name: "unsupported etcd version", changes: { "spec.etcd": [{ name: "main", version: "3.4.23" }] }, path: "spec.etcd[0].version", message: /3\.4\.23 is not supported/ },
  { name: "maxSize below minSize", changes: { "spec.nodePools": pools({ name: "batch", minSize: 3, maxSize: 2 }) }, path: "spec.nodePools[1].maxSize", message: /must be >= minSize \(3\), got 2/ },
  { name: "desiredSize above maxSize", changes: { "spec.nodePools": pools({ name: "batch", minSize: 1, maxSize: 3, desiredSize: 5 }) }, path: "spec.nodePools[1].desiredSize", message: /must be <= maxSize \(3\), got 5/ },
  { name: "desiredSize below minSize", changes: { "spec.nodePools": pools({ name: "batch", minSize: 2, maxSize: 3, desiredSize: 1 }) }, path: "spec.nodePools[1].desiredSize", message: /must be >= minSize \(2\), got 1/ },
  { name: "negative minSize", changes: { "spec.nodePools": pools({ name: "batch", minSize: -1, maxSize: 3 }) }, path: "spec.nodePools[1].minSize", message: /must be >= 0, got -1/ },
  { name: "quoted size", changes: { "spec.nodePools": pools({ name: "batch", minSize: "1", maxSize: 3 }) }, path: "spec.nodePools[1].minSize", message: /must be an integer.*remove the quotes/ },
  { name: "duplicate pool names", changes: { "spec.nodePools": pools({ name: "general", minSize: 1, maxSize: 1 }) }, path: "spec.nodePools[1].name", message: /duplicate node pool name "general"/ },
  { name: "pool name with underscore", changes: { "spec.nodePools": pools({ name: "gpu_pool", minSize: 1, maxSize: 1 }) }, path: "spec.nodePools[1].name", message: /DNS-1123 label/ },
  { name: "pool newer than the control plane", changes: { "spec.nodePools": pools({ name: "new", minSize: 1, maxSize: 1, kubernetesVersion: "1.37" }) }, path: "spec.nodePools[1].kubernetesVersion", message: /must not be newer than the control plane/ },
  { name: "invalid label key", changes: { "spec.nodePools": pools({ name: "b", minSize: 1, maxSize: 1, labels: { "-bad": "x" } }) }, path: 'spec.nodePools[1].labels["-bad"]', message: /label key "-bad"/ },
  { name: "label value too long", changes: { "spec.nodePools": pools({ name: "b", minSize: 1, maxSize: 1, labels: { team: "x".repeat(64) } }) }, path: "spec.nodePools[1].labels.team", message: /at most 63 characters/ },
  { name: "label the kubelet may not set", changes: { "spec.nodePools": pools({ name: "b", minSize: 1, maxSize: 1, labels: { "node-role.kubernetes.io/worker": "" } }) }, path: 'spec.nodePools[1].labels["node-role.kubernetes.io/worker"]', message: /NodeRestriction/ },
  { name: "reserved kraken.dev label", changes: { "spec.nodePools": pools({ name: "b", minSize: 1, maxSize: 1, labels: { "kraken.dev/pool": "b" } }) }, path: 'spec.nodePools[1].labels["kraken.dev/pool"]', message: /reserves/ },
  { name: "misspelled taint effect", changes: { "spec.nodePools": pools({ name: "b", minSize: 1, maxSize: 1, taints: [{ key: "k", effect: "NoSchedul" }] }) }, path: "spec.nodePools[1].taints[0].effect", message: /did you mean "NoSchedule"/ },
  { name: "invalid taint key", changes: { "spec.nodePools": pools({ name: "b", minSize: 1, maxSize: 1, taints: [{ key: "a/b/c", effect: "NoSchedule" }] }) }, path: "spec.nodePools[1].taints[0].key", message: /at most one '\/'/ },
  { name: "duplicate taint", changes: { "spec.nodePools": pools({ name: "b", minSize: 1, maxSize: 1, taints: [{ key: "k", effect: "NoSchedule" }, { key: "k", value: "v", effect: "NoSchedule" }] }) }, path: "spec.nodePools[1].taints[1]", message: /duplicate taint k:NoSchedule/ },
  { name: "mixed CPU architectures", changes: { "spec.nodePools": pools({ name: "b", minSize: 1, maxSize: 1, machine: { aws: { instanceTypes: ["m6i.large", "m7g.large"] } } }) }, path: "spec.nodePools[1].machine.aws.instanceTypes[1]", message: /arm64.*x86_64/ },
  { name: "pool zone outside the cluster", changes: { "spec.nodePools": pools({ name: "b", minSize: 1, maxSize: 1, machine: { aws: { availabilityZones: ["us-west-2d"] } } }) }, path: "spec.nodePools[1].machine.aws.availabilityZones[0]", message: /not among provider\.aws\.availabilityZones/ },
  { name: "machine of the other provider", changes: { "spec.controlPlane.machine": { maas: { tags: ["cp"] } } }, path: "spec.controlPlane.machine.maas", message: /provider is aws/ },
  { name: "io2 volume without IOPS", changes: { "spec.controlPlane.machine": { aws: { rootVolume: { type: "io2" } } } }, path: "spec.controlPlane.machine.aws.rootVolume.iops", message: /required for io2/ },
  { name: "throughput on gp2", changes: { "spec.controlPlane.machine": { aws: { rootVolume: { type: "gp2", throughputMibps: 250 } } } }, path: "spec.controlPlane.machine.aws.rootVolume.throughputMibps", message: /only to gp3/ },
  { name: "image with both ami and ssm", changes: { "spec.provider.aws.image": { amiId: "ami-0123456789abcdef0", ssmParameter: "/a/b" } }, path: "spec.provider.aws.image", message: /exactly one of amiId, ssmParameter/ },
  { name: "malformed AMI ID", changes: { "spec.provider.aws.image": { amiId: "ami-xyz" } }, path: "spec.provider.aws.image.amiId", message: /an AMI ID/ },
  { name: "public API without an allowlist", changes: { "spec.controlPlane.apiServer": { public: true } }, path: "spec.controlPlane.apiServer.allowedCidrs", message: /must list the networks/ },
  { name: "allowlist entry with host bits", changes: { "spec.controlPlane.apiServer": { allowedCidrs: ["203.0.113.7/24"] } }, path: "spec.controlPlane.apiServer.allowedCidrs[0]", message: /host bits/ },
  { name: "existing VPC with too few subnets", changes: { "spec.provider.aws.existingVpc": { vpcId: "vpc-0123456789abcdef0", privateSubnets: [{ id: "subnet-0123456789abcdef0", cidr: "10.0.0.0/19" }] } }, path: "spec.provider.aws.existingVpc.privateSubnets", message: /one subnet per availability zone \(3/ },
  { name: "reserved AWS tag", changes: { "spec.provider.aws.tags": { "aws:owner": "me" } }, path: 'spec.provider.aws.tags["aws:owner"]', message: /must not start with "aws:"/ },
  { name: "settings of another backend", changes: { "spec.state": { backend: "local", pg: {} } }, path: "spec.state.pg", message: /spec\.state\.backend is local/ },
  { name: "s3 backend without settings", changes: { "spec.state": { backend: "s3" } }, path: "spec.state.s3", message: /required when spec\.state\.backend is s3/ },
  { name: "unknown backend", changes: { "spec.state": { backend: "consul" } }, path: "spec.state.backend", message: /"local", "s3", "pg" or "kubernetes"/ },
  { name: "a secret in a tag", changes: { "spec.provider.aws.tags": { key: "AKIAIOSFODNN7EXAMPLE" } }, path: "spec.provider.aws.tags.key", message: /AWS access key ID.*never put secrets/ },
  { name: "monitoring retention without a unit", changes: { "spec.addons": { monitoring: { retention: "30" } } }, path: "spec.addons.monitoring.retention", message: /a duration such as 15d/ },
  { name: "an alert receiver's secret written in the spec", changes: { "spec.addons": { alerting: { receivers: [{ name: "ops", slack: { webhookUrl: "https://hooks.slack.com/x" } }] } } }, path: "spec.addons.alerting.receivers[0].slack.webhookUrl", message: /unknown field/ },
  { name: "maxPods too many for the node range", changes: { "spec.nodePools": pools({ name: "dense", minSize: 1, maxSize: 1, maxPods: 300 }) }, path: "spec.nodePools[1].maxPods", message: /254 usable addresses/ },
];

describe("invalid specs are refused at the field that is wrong", () => {
  it("has a table of at least 30 cases", ({ expect }) => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  it.each(CASES)("$name → $path", ({ changes, path, message }) => {
    // GIVEN a valid document with one thing changed / WHEN it is validated
    // THEN a problem names exactly that field and what is expected
    expectProblem(awsWith(changes), path, message);
  });
});

describe("invalid MAAS specs", () => {
  it("refuses a hostname count that differs from the replicas", () => {
    const document = setPath(maasDocument(), "spec.controlPlane.machine", { maas: { hostnames: ["cp-1", "cp-2"] } });
    expectProblem(document, "spec.controlPlane.machine.maas.hostnames", /exactly one machine per member \(replicas is 3\), got 2/, "maas-machines");
  });

  it("refuses hostnames and system IDs together", () => {
    const document = setPath(maasDocument(), "spec.etcd", [{ name: "main", members: 1, machine: { maas: { hostnames: ["a"], systemIds: ["b"] } } }]);
    expectProblem(document, "spec.etcd[0].machine.maas.systemIds", /not both/);
  });

  it("refuses an s3 backend without a region on MAAS", () => {
    const document = setPath(maasDocument(), "spec.state.s3", { bucket: "acme-state" });
    expectProblem(document, "spec.state.s3.region", /required on a MAAS cluster/);
  });

  it("refuses a machine chosen for two roles", () => {
    const document = setPath(maasDocument(), "spec.etcd", [{ name: "main", members: 1, machine: { maas: { hostnames: ["cp-1"] } } }]);
    expectProblem(document, "spec.controlPlane.machine.maas.hostnames[0]", /already chosen by spec\.etcd\.0/);
  });

  it("refuses a control-plane endpoint with both vip and dnsName", () => {
    const document = setPath(maasDocument(), "spec.provider.maas.controlPlaneEndpoint", { vip: "192.168.10.5", dnsName: "api.example.com" });
    expectProblem(document, "spec.provider.maas.controlPlaneEndpoint", /exactly one of vip, dnsName/);
  });

  it("refuses a vip that is not an address", () => {
    const document = setPath(maasDocument(), "spec.provider.maas.controlPlaneEndpoint", { vip: "192.168.10.300" });
    expectProblem(document, "spec.provider.maas.controlPlaneEndpoint.vip", /IPv4 address/);
  });
});
