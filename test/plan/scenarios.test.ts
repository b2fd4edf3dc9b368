/**
 * The plan's rules, scenario by scenario: a spec the cluster runs with, a new spec, and the
 * components, impacts and exit code the plan must give. Each scenario is a pair of real,
 * valid specs; assertions are on every change, so an extra or missing change fails.
 */
import { describe, expect, it } from "vitest";
import { PLAN_RULES, planCluster, planExitCode, planFleet, type ClusterPlan } from "../../lib/plan";
import { defineCluster, type Cluster } from "../../lib/spec";
import { awsDocument, maasDocument, setPath } from "../util";

type Json = Record<string, unknown>;
type Edit = (document: Json) => void;

const set =
  (changes: Readonly<Record<string, unknown>>): Edit =>
  (document) => {
    for (const [path, value] of Object.entries(changes)) setPath(document, path, value);
  };

function cluster(base: () => Json, ...edits: Edit[]): Cluster {
  const document = base();
  for (const edit of edits) edit(document);
  return defineCluster(document as never);
}

interface Scenario {
  readonly name: string;
  /** The running cluster's spec; undefined: a new cluster. */
  readonly previous?: Cluster;
  readonly next: Cluster;
  readonly migrateState?: boolean;
  /** Every change as "component impact", in any order. */
  readonly changes: readonly string[];
  readonly exit: 0 | 2 | 3;
  /** Further checks on the plan. */
  readonly check?: (plan: ClusterPlan) => void;
}

const aws = (...edits: Edit[]) => cluster(awsDocument, ...edits);
const maas = (...edits: Edit[]) => cluster(maasDocument, ...edits);
const pinPools = (version: string): Edit => set({ "spec.nodePools.0.kubernetesVersion": version, "spec.nodePools.1.kubernetesVersion": version });
const pinPoolsMaas = (version: string): Edit => set({ "spec.nodePools.0.kubernetesVersion": version });
const onlyMainEtcd: Edit = (document) => {
  ((document.spec as Json).etcd as unknown[]).splice(1, 1);
};
const addPool: Edit = (document) => {
  ((document.spec as Json).nodePools as unknown[]).push({ name: "batch", minSize: 1, desiredSize: 3, maxSize: 6 });
};
const removeGpuPool: Edit = (document) => {
  ((document.spec as Json).nodePools as unknown[]).splice(1, 1);
};
const byName = (plan: ClusterPlan, component: string) => plan.changes.filter((change) => change.component === component);

const SCENARIOS: readonly Scenario[] = [
  { name: "the same spec", previous: aws(), next: aws(), changes: [], exit: 0 },
  {
    name: "a new cluster: every component is created",
    next: aws(),
    changes: ["network create", "etcd/main create", "etcd/events create", "controlPlane create", "nodePool/general create", "nodePool/gpu create", "addon/monitoring create"],
    exit: 2,
    check: (plan) => {
      expect(plan.previous.source).toBe("none");
      expect(plan.summary).toMatchObject({ create: 7 });
      expect(byName(plan, "controlPlane")[0]!.nodes).toBe(3);
    },
  },
  {
    name: "a pool scaled up (maxSize)",
    previous: aws(),
    next: aws(set({ "spec.nodePools.0.maxSize": 8 })),
    changes: ["nodePool/general in-place"],
    exit: 2,
    check: (plan) => { expect(plan.changes[0]).toMatchObject({ path: "spec.nodePools[0].maxSize", before: 5, after: 8, rule: "pool-scaling" }); },
  },
  {
    name: "a pool's minSize raised, desiredSize following it",
    previous: aws(),
    next: aws(set({ "spec.nodePools.0.minSize": 3 })),
    changes: ["nodePool/general in-place"],
    exit: 2,
    check: (plan) => { expect(plan.warnings).toEqual([]); },
  },
  {
    name: "only desiredSize of a running pool: nothing changes, with a warning",
    previous: aws(),
    next: aws(set({ "spec.nodePools.0.desiredSize": 4 })),
    changes: [],
    exit: 0,
    check: (plan) => { expect(plan.warnings.map((warning) => warning.message).join()).toMatch(/desiredSize only sizes it at creation/); },
  },
  {
    name: "a pool's instance types roll the pool",
    previous: aws(),
    next: aws(set({ "spec.nodePools.0.machine": { aws: { instanceTypes: ["m6i.xlarge"] } } })),
    changes: ["nodePool/general rolling-replace"],
    exit: 2,
    check: (plan) => {
      expect(plan.changes[0]).toMatchObject({ nodes: 2, rule: "pool-machine" });
      expect(plan.changes[0]!.order).toMatch(/one node at a time \(keeping 90% of the pool in service\)/);
      expect(plan.summary).toMatchObject({ rolling: 1, rollingNodes: 2 });
    },
  },
  { name: "a pool's labels roll the pool", previous: aws(), next: aws(set({ "spec.nodePools.0.labels": { tier: "web" } })), changes: ["nodePool/general rolling-replace"], exit: 2 },
  {
    name: "a pool's taints roll the pool",
    previous: aws(),
    next: aws(set({ "spec.nodePools.1.taints": [{ key: "nvidia.com/gpu", value: "present", effect: "NoExecute" }] })),
    changes: ["nodePool/gpu rolling-replace"],
    exit: 2,
  },
  {
    name: "a pool's image and instance types together roll it once",
    previous: aws(),
    next: aws(set({ "spec.nodePools.0.machine": { aws: { instanceTypes: ["m6i.xlarge"], image: { amiId: "ami-0123456789abcdef0" } } } })),
    changes: ["nodePool/general rolling-replace", "nodePool/general rolling-replace"],
    exit: 2,
    check: (plan) => {
      expect(plan.summary).toMatchObject({ rolling: 1, rollingNodes: 2 });
      // An image by AMI ID instead of by SSM parameter is one change of the image.
      expect(plan.changes.map((change) => change.path)).toContain("spec.nodePools[0].machine.aws.image");
    },
  },
  { name: "a pool's purchase options roll the pool", previous: aws(), next: aws(set({ "spec.nodePools.0.machine": { aws: { onDemandPercentageAboveBase: 50 } } })), changes: ["nodePool/general rolling-replace"], exit: 2 },
  { name: "a pool's minHealthyPercent", previous: aws(), next: aws(set({ "spec.nodePools.0.minHealthyPercent": 50 })), changes: ["nodePool/general in-place"], exit: 2 },
  {
    name: "a control-plane upgrade with the pools following it: the pools are blocked",
    previous: aws(),
    next: aws(set({ "spec.kubernetes.version": "1.37" })),
    changes: ["controlPlane rolling-replace", "nodePool/general blocked", "nodePool/gpu blocked"],
    exit: 3,
    check: (plan) => {
      const pool = byName(plan, "nodePool/general")[0]!;
      expect(pool.reason).toMatch(/kubelet 1.37 while the control plane still runs 1.36/);
      expect(pool.override).toMatch(/spec.nodePools\[0\].kubernetesVersion: "1.36"/);
    },
  },
  {
    name: "a control-plane upgrade with the pools pinned",
    previous: aws(),
    next: aws(set({ "spec.kubernetes.version": "1.37" }), pinPools("1.36")),
    changes: ["controlPlane rolling-replace"],
    exit: 2,
    check: (plan) => { expect(plan.changes[0]).toMatchObject({ nodes: 3, rule: "kubernetes-version" }); },
  },
  {
    name: "the pools follow the upgraded control plane",
    previous: aws(set({ "spec.kubernetes.version": "1.37" }), pinPools("1.36")),
    next: aws(set({ "spec.kubernetes.version": "1.37" })),
    changes: ["nodePool/general rolling-replace", "nodePool/gpu rolling-replace"],
    exit: 2,
  },
  {
    name: "a control-plane upgrade that skips a minor",
    previous: aws(set({ "spec.kubernetes.version": "1.35" })),
    next: aws(set({ "spec.kubernetes.version": "1.37" }), pinPools("1.35")),
    changes: ["controlPlane blocked"],
    exit: 3,
    check: (plan) => { expect(plan.changes[0]!.override).toMatch(/upgrade to 1.36 first/); },
  },
  { name: "a control-plane downgrade", previous: aws(set({ "spec.kubernetes.version": "1.37" }), pinPools("1.36")), next: aws(pinPools("1.36")), changes: ["controlPlane blocked"], exit: 3 },
  { name: "a patch release of the control plane", previous: aws(pinPools("1.36")), next: aws(set({ "spec.kubernetes.version": "1.36.2" }), pinPools("1.36")), changes: ["controlPlane rolling-replace"], exit: 2 },
  {
    name: "an etcd member's instance type on a running cluster",
    previous: aws(),
    next: aws(set({ "spec.etcd.0.machine": { aws: { instanceType: "m6i.xlarge" } } })),
    changes: ["etcd/main blocked"],
    exit: 3,
    check: (plan) => { expect(plan.changes[0]!.override).toMatch(/replaceMember/); },
  },
  {
    name: "an etcd member replaced with a new instance type",
    previous: aws(),
    next: aws(set({ "spec.etcd.0.machine": { aws: { instanceType: "m6i.xlarge" } }, "spec.etcd.0.replaceMember": { member: 1, id: "r1", dataVolume: "keep" } })),
    changes: ["etcd/main replace"],
    exit: 2,
    check: (plan) => {
      expect(plan.changes[0]).toMatchObject({ nodes: 1, rule: "etcd-protection" });
      expect(plan.changes[0]!.reason).toMatch(/member 1 .* replaced.*m6i.xlarge/);
      expect(plan.summary).toMatchObject({ replace: 1 });
    },
  },
  { name: "an etcd cluster grown from 3 to 5 members", previous: aws(), next: aws(set({ "spec.etcd.0.members": 5 })), changes: ["etcd/main blocked"], exit: 3 },
  { name: "an etcd cluster removed", previous: aws(), next: aws(onlyMainEtcd), changes: ["etcd/events blocked"], exit: 3 },
  { name: "an etcd cluster for events added", previous: aws(onlyMainEtcd), next: aws(), changes: ["etcd/events create"], exit: 2 },
  { name: "an etcd cluster's snapshot schedule", previous: aws(), next: aws(set({ "spec.etcd.0.backup": { intervalMinutes: 15 } })), changes: ["etcd/main in-place"], exit: 2 },
  { name: "a replaceMember taken out once done", previous: aws(set({ "spec.etcd.0.replaceMember": { member: 1, id: "r1" } })), next: aws(), changes: ["etcd/main in-place"], exit: 2 },
  {
    name: "a pool added",
    previous: aws(),
    next: aws(addPool),
    changes: ["nodePool/batch create"],
    exit: 2,
    check: (plan) => { expect(plan.changes[0]).toMatchObject({ nodes: 3, path: "spec.nodePools[2]" }); },
  },
  {
    name: "a pool removed",
    previous: aws(set({ "spec.nodePools.1.desiredSize": 2 })),
    next: aws(removeGpuPool),
    changes: ["nodePool/gpu destroy"],
    exit: 2,
    check: (plan) => { expect(plan.summary).toMatchObject({ destroy: 1, destroyedNodes: 2 }); },
  },
  { name: "a pool renamed: one destroyed, one created", previous: aws(), next: aws(set({ "spec.nodePools.1.name": "accelerated" })), changes: ["nodePool/gpu destroy", "nodePool/accelerated create"], exit: 2 },
  { name: "the pod network", previous: aws(), next: aws(set({ "spec.kubernetes.podCidr": "10.200.0.0/16" })), changes: ["network blocked"], exit: 3 },
  { name: "the service network", previous: aws(), next: aws(set({ "spec.kubernetes.serviceCidr": "10.112.0.0/12" })), changes: ["network blocked"], exit: 3 },
  {
    name: "the VPC's CIDR (which moves every etcd member's address too)",
    previous: aws(),
    next: aws(set({ "spec.provider.aws.vpcCidr": "10.1.0.0/16" })),
    changes: ["network blocked", "etcd/main blocked", "etcd/events blocked"],
    exit: 3,
  },
  { name: "the pod network plugin", previous: aws(), next: aws(set({ "spec.kubernetes.cni": "none" })), changes: ["network blocked"], exit: 3 },
  {
    name: "a zone added at the end",
    previous: aws(),
    next: aws(set({ "spec.provider.aws.availabilityZones": ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"] })),
    changes: ["network create", "nodePool/general rolling-replace", "nodePool/gpu rolling-replace"],
    exit: 2,
  },
  {
    name: "a zone removed",
    previous: aws(),
    next: aws(set({ "spec.provider.aws.availabilityZones": ["us-west-2a", "us-west-2b"] })),
    changes: ["network blocked", "etcd/main blocked", "etcd/events blocked", "nodePool/general rolling-replace", "nodePool/gpu rolling-replace"],
    exit: 3,
  },
  { name: "NAT gateways from one per zone to a single one", previous: aws(), next: aws(set({ "spec.provider.aws.natGateways": "single" })), changes: ["network replace"], exit: 2 },
  {
    name: "more control-plane nodes",
    previous: aws(),
    next: aws(set({ "spec.controlPlane.replicas": 5 })),
    changes: ["controlPlane create"],
    exit: 2,
    check: (plan) => { expect(plan.changes[0]!.nodes).toBe(2); },
  },
  { name: "fewer control-plane nodes", previous: aws(), next: aws(set({ "spec.controlPlane.replicas": 1 })), changes: ["controlPlane destroy"], exit: 2 },
  { name: "the control plane's instance type", previous: aws(), next: aws(set({ "spec.controlPlane.machine": { aws: { instanceType: "m6i.xlarge" } } })), changes: ["controlPlane rolling-replace"], exit: 2 },
  {
    name: "a public API endpoint",
    previous: aws(),
    next: aws(set({ "spec.controlPlane.apiServer": { public: true, allowedCidrs: ["203.0.113.0/24"] } })),
    changes: ["controlPlane blocked", "controlPlane in-place"],
    exit: 3,
  },
  { name: "who may reach the API", previous: aws(), next: aws(set({ "spec.controlPlane.apiServer": { allowedCidrs: ["203.0.113.0/24"] } })), changes: ["controlPlane in-place"], exit: 2 },
  { name: "extra names on the API certificate", previous: aws(), next: aws(set({ "spec.controlPlane.apiServer": { extraSans: ["api.example.com"] } })), changes: ["controlPlane rolling-replace"], exit: 2 },
  {
    name: "an SSH key pair for every machine",
    previous: aws(),
    next: aws(set({ "spec.provider.aws.sshKeyName": "admins" })),
    changes: ["controlPlane rolling-replace", "nodePool/general rolling-replace", "nodePool/gpu rolling-replace", "etcd/main in-place", "etcd/events in-place"],
    exit: 2,
  },
  {
    name: "tags on every resource",
    previous: aws(),
    next: aws(set({ "spec.provider.aws.tags": { team: "platform" } })),
    changes: ["cluster in-place", "controlPlane rolling-replace", "nodePool/general rolling-replace", "nodePool/gpu rolling-replace"],
    exit: 2,
  },
  {
    name: "the default image, which every machine without its own takes",
    previous: aws(),
    next: aws(set({ "spec.provider.aws.image": { amiId: "ami-0123456789abcdef0" } })),
    changes: ["controlPlane rolling-replace", "nodePool/general rolling-replace", "nodePool/gpu rolling-replace", "etcd/main blocked", "etcd/events blocked"],
    exit: 3,
  },
  {
    name: "the state moved to s3 without --migrate-state",
    previous: aws(),
    next: aws(set({ "spec.state": { backend: "s3", s3: { bucket: "acme-state" } } })),
    changes: ["state blocked"],
    exit: 3,
    check: (plan) => { expect(plan.changes[0]).toMatchObject({ path: "spec.state", before: expect.stringMatching(/^local/) as unknown, override: expect.stringMatching(/--migrate-state/) as unknown }); },
  },
  { name: "the state moved to s3 with --migrate-state", previous: aws(), next: aws(set({ "spec.state": { backend: "s3", s3: { bucket: "acme-state" } } })), migrateState: true, changes: ["state in-place"], exit: 2 },
  {
    name: "s3 state locking with a DynamoDB table as well",
    previous: aws(set({ "spec.state": { backend: "s3", s3: { bucket: "acme-state" } } })),
    next: aws(set({ "spec.state": { backend: "s3", s3: { bucket: "acme-state", dynamodbTable: "locks" } } })),
    changes: ["state in-place"],
    exit: 2,
  },
  { name: "certificate validity", previous: aws(), next: aws(set({ "spec.certificates": { etcdValidityDays: 365 } })), changes: ["certificates in-place"], exit: 2 },
  { name: "cluster labels", previous: aws(), next: aws(set({ "metadata.labels": { env: "prod" } })), changes: ["cluster in-place"], exit: 2 },
  { name: "MAAS: a pool's machine tags", previous: maas(), next: maas(set({ "spec.nodePools.0.machine": { maas: { tags: ["worker", "ssd"] } } })), changes: ["nodePool/workers rolling-replace"], exit: 2 },
  { name: "MAAS: the API endpoint", previous: maas(), next: maas(set({ "spec.provider.maas.controlPlaneEndpoint": { vip: "192.168.10.6" } })), changes: ["controlPlane blocked"], exit: 3 },
  {
    name: "MAAS: the Ubuntu series every machine is deployed with",
    previous: maas(),
    next: maas(set({ "spec.provider.maas.distroSeries": "resolute" })),
    // The example's control-plane machines are named (hostnames): they are redeployed, not rolled.
    changes: ["controlPlane replace", "nodePool/workers rolling-replace", "etcd/main in-place"],
    exit: 2,
  },
  {
    name: "a cluster moved from AWS to MAAS",
    previous: aws(set({ "spec.state": { backend: "s3", s3: { bucket: "acme-state", region: "us-east-1" } } })),
    next: maas(
      set({
        "metadata.name": "test",
        "spec.etcd": [
          { name: "main", members: 3, machine: { maas: { addresses: ["192.168.10.11", "192.168.10.12", "192.168.10.13"] } } },
          { name: "events", members: 3, machine: { maas: { addresses: ["192.168.10.21", "192.168.10.22", "192.168.10.23"] } } },
        ],
        "spec.nodePools": [{ name: "general", minSize: 2, maxSize: 5 }],
      }),
    ),
    // Every etcd member's address, machine and data volume would go with it.
    changes: [
      "network blocked",
      ...["main", "events"].flatMap((etcd) => [`etcd/${etcd} blocked`, `etcd/${etcd} blocked`, `etcd/${etcd} blocked`]),
      "controlPlane replace",
      "nodePool/general rolling-replace",
      "nodePool/gpu destroy",
    ],
    exit: 3,
    check: (plan) => { expect(plan.changes.find((change) => change.component === "network")).toMatchObject({ path: "spec.provider", rule: "provider-kind" }); },
  },
  { name: "MAAS: the API URL", previous: maas(), next: maas(set({ "spec.provider.maas.apiUrl": "https://maas2.example.com:5240/MAAS" })), changes: ["cluster in-place"], exit: 2 },
  {
    name: "MAAS: an etcd member's machine selection, refused exactly as on AWS",
    previous: maas(),
    next: maas(set({ "spec.etcd.0.machine.maas.minCpuCount": 16 })),
    changes: ["etcd/main blocked"],
    exit: 3,
    check: (plan) => {
      const [change] = plan.changes;
      expect(change).toMatchObject({ rule: "etcd-protection", path: "spec.etcd[0].machine" });
      expect(change!.reason).toMatch(/would restart or rebuild all its members at once and lose quorum/);
      // On MAAS a replaced member always starts empty: the override says dataVolume: replace.
      expect(change!.override).toMatch(/replaceMember: \{ member: 0, id: <new id>, dataVolume: replace \}/);
    },
  },
  {
    name: "MAAS: an etcd member's static address, refused",
    previous: maas(),
    next: maas(set({ "spec.etcd.0.machine.maas.addresses": ["192.168.10.11", "192.168.10.12", "192.168.10.14"] })),
    changes: ["etcd/main blocked"],
    exit: 3,
    check: (plan) => { expect(plan.changes[0]).toMatchObject({ path: "spec.etcd[0].machine.maas.addresses", rule: "etcd-protection" }); },
  },
  {
    name: "MAAS: the machines' network interface",
    previous: maas(),
    next: maas(set({ "spec.provider.maas.network.interface": "enp1s0" })),
    changes: ["controlPlane replace", "nodePool/workers rolling-replace", "etcd/main in-place"],
    exit: 2,
  },
  {
    name: "MAAS: a pool grows by desiredSize: machines are deployed",
    previous: maas(),
    next: maas(set({ "spec.nodePools.0.desiredSize": 4 })),
    changes: ["nodePool/workers create"],
    exit: 2,
    check: (plan) => {
      expect(plan.changes[0]).toMatchObject({ nodes: 2, before: 2, after: 4, rule: "pool-scaling" });
      expect(plan.changes[0]!.reason).toMatch(/machines 2 to 3 of pool workers are deployed from MAAS/);
      expect(plan.warnings).toEqual([]);
    },
  },
  {
    name: "MAAS: a pool's minSize lowered, desiredSize following it: machines are released",
    previous: maas(set({ "spec.nodePools.0.minSize": 3 })),
    next: maas(),
    changes: ["nodePool/workers destroy"],
    exit: 2,
    check: (plan) => { expect(plan.changes[0]).toMatchObject({ nodes: 1, impact: "destroy" }); },
  },
  {
    name: "MAAS: a pool's maxSize alone changes no machine",
    previous: maas(),
    next: maas(set({ "spec.nodePools.0.maxSize": 6 })),
    changes: ["nodePool/workers in-place"],
    exit: 2,
    check: (plan) => { expect(plan.changes[0]!.reason).toMatch(/no machine changes/); },
  },
  {
    name: "MAAS: pool labels redeploy the pool, new machines beside the old",
    previous: maas(),
    next: maas(set({ "spec.nodePools.0.labels": { tier: "batch" } })),
    changes: ["nodePool/workers rolling-replace"],
    exit: 2,
    check: (plan) => { expect(plan.changes[0]!.order).toMatch(/deployed beside its old one \(MAAS needs 2 spare machines/); },
  },
  {
    name: "MAAS: a Kubernetes upgrade of explicitly named control-plane machines is a replacement, not a roll",
    previous: maas(),
    next: maas(set({ "spec.kubernetes.version": "1.37" }), pinPoolsMaas("1.36")),
    changes: ["controlPlane replace"],
    exit: 2,
    check: (plan) => {
      expect(plan.changes[0]!.reason).toMatch(/the API is down until they rejoin/);
      expect(plan.changes[0]!.order).toMatch(/-target/);
    },
  },
  {
    name: "MAAS: the Vault address reaches every machine that is redeployed",
    previous: maas(),
    next: maas(set({ "spec.provider.maas.vault.address": "https://vault2.example.com:8200" })),
    changes: ["controlPlane replace", "nodePool/workers rolling-replace", "etcd/main in-place"],
    exit: 2,
  },
  { name: "monitoring retention", previous: aws(), next: aws(set({ "spec.addons.monitoring.retention": "30d" })), changes: ["addon/monitoring in-place"], exit: 2 },
  { name: "monitoring turned off", previous: aws(), next: aws(set({ "spec.addons.monitoring.enabled": false })), changes: ["addon/monitoring destroy"], exit: 2 },
  {
    name: "Prometheus's volume shrunk: refused",
    previous: aws(set({ "spec.addons.monitoring.storage": { sizeGib: 100 } })),
    next: aws(set({ "spec.addons.monitoring.storage": { sizeGib: 50 } })),
    changes: ["addon/monitoring blocked"],
    exit: 3,
  },
  { name: "Prometheus's volume grown", previous: aws(), next: aws(set({ "spec.addons.monitoring.storage.sizeGib": 100 })), changes: ["addon/monitoring in-place"], exit: 2 },
  { name: "Prometheus's storage class", previous: aws(), next: aws(set({ "spec.addons.monitoring.storage.storageClass": "io2" })), changes: ["addon/monitoring replace"], exit: 2 },
  {
    name: "an alert receiver and route added",
    previous: aws(),
    next: aws(set({ "spec.addons.alerting": { receivers: [{ name: "ops", webhook: { url: "https://hooks.example.com/a" } }], routes: [{ receiver: "ops", severity: "critical" }] } })),
    changes: ["addon/alerting in-place", "addon/alerting in-place"],
    exit: 2,
  },
  {
    name: "logging turned on",
    previous: aws(),
    next: aws(set({ "spec.addons.logging": { enabled: true, sinks: { loki: { url: "https://loki.example.com" } } } })),
    changes: ["addon/logging create", "addon/logging in-place"],
    exit: 2,
  },
  {
    name: "logging: a CloudWatch sink and a Loki password added",
    previous: aws(set({ "spec.addons.logging": { enabled: true, sinks: { loki: { url: "https://loki.example.com" } } } })),
    next: aws(set({ "spec.addons.logging": { enabled: true, sinks: { loki: { url: "https://loki.example.com", passwordEnv: "LOKI_PASSWORD" }, cloudwatch: { region: "us-west-2", logGroup: "/kraken/test" } } } })),
    changes: ["addon/logging in-place", "addon/logging in-place"],
    exit: 2,
    check: (plan) => {
      const reasons = byName(plan, "addon/logging").map((change) => change.reason);
      expect(reasons.find((reason) => reason.startsWith("sinks.cloudwatch"))).toContain("IAM policy ship-logs follows in place");
      expect(reasons.find((reason) => reason.startsWith("sinks.loki.passwordEnv"))).toContain("run k2 secrets logging");
    },
  },
  { name: "MAAS: the machines' subnet", previous: maas(), next: maas(set({ "spec.provider.maas.network.subnetCidr": "192.168.0.0/16" })), changes: ["network blocked"], exit: 3 },
  { name: "MAAS: the wrapping TTL of later secret IDs", previous: maas(), next: maas(set({ "spec.provider.maas.vault.wrappingTtl": "4h" })), changes: ["cluster in-place"], exit: 2 },
];

const rulesSeen = new Set<string>();

describe("k2 plan rules, scenario by scenario", () => {
  it("has at least 25 scenarios", () => {
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(25);
  });

  it.each(SCENARIOS.map((scenario) => [scenario.name, scenario] as const))("%s", (_name, scenario) => {
    // WHEN the new spec is planned against the running one
    const plan = planCluster({
      next: scenario.next,
      ...(scenario.previous ? { previous: { cluster: scenario.previous, source: "file" as const, location: "previous.yaml" } } : {}),
      options: { migrateState: scenario.migrateState ?? false },
    });
    // THEN every change has the expected component and impact, and the exit code follows
    expect(plan.changes.map((change) => `${change.component} ${change.impact}`).sort(), JSON.stringify(plan.changes, null, 2)).toEqual([...scenario.changes].sort());
    expect(planExitCode(planFleet([plan]))).toBe(scenario.exit);
    for (const change of plan.changes) {
      expect(change.reason.length, "every change says why").toBeGreaterThan(10);
      if (change.impact === "blocked") expect(change.override, "every blocked change gives its override").toBeTruthy();
      if (change.impact === "rolling-replace") expect(change.order, "every rolling replacement says how").toBeTruthy();
    }
    scenario.check?.(plan);
    for (const change of plan.changes) rulesSeen.add(change.rule);
  });

  it("exercises every rule that reports changes (the silent ones are tested in rules.test.ts)", () => {
    const silent = ["document", "default-image", "pool-desired-size", "addons"];
    const untested = PLAN_RULES.map((rule) => rule.id).filter((id) => !silent.includes(id) && !rulesSeen.has(id));
    expect(untested).toEqual([]);
  });
});
