/**
 * Every semantic rule, both ways: what it refuses (with the rule's id at the right path) and
 * the nearby valid cases it must accept.
 */
import { describe, expect, it } from "vitest";
import { SPEC_RULES } from "../../lib/spec";
import { awsWith, expectProblem, expectValid, maasDocument, setPath } from "../util";

type Changes = Readonly<Record<string, unknown>>;

interface RuleCases {
  readonly refuses: readonly { readonly changes: Changes; readonly path: string; readonly message: RegExp }[];
  readonly accepts: readonly Changes[];
}

const general = { name: "general", minSize: 2, maxSize: 5 };
const subnets = (...cidrs: string[]) => cidrs.map((cidr, index) => ({ id: `subnet-0000000${index + 1}`, cidr }));
const threeSubnets = subnets("10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19");
const pool = (extra: object) => ({ "spec.nodePools": [general, { name: "extra", minSize: 1, maxSize: 2, ...extra }] });

const RULE_CASES: Readonly<Record<string, RuleCases>> = {
  "kubernetes-version": {
    refuses: [
      { changes: { "spec.kubernetes.version": "1.38" }, path: "spec.kubernetes.version", message: /1\.38 is not supported/ },
      { changes: pool({ kubernetesVersion: "1.34" }), path: "spec.nodePools[1].kubernetesVersion", message: /1\.34 is not supported/ },
      { changes: { "spec.kubernetes.version": "1.35", ...pool({ kubernetesVersion: "1.36" }) }, path: "spec.nodePools[1].kubernetesVersion", message: /newer than the control plane/ },
      { changes: { "spec.kubernetes.version": "1.36.2", ...pool({ kubernetesVersion: "1.36.3" }) }, path: "spec.nodePools[1].kubernetesVersion", message: /newer than the control plane/ },
    ],
    accepts: [
      { "spec.kubernetes.version": "1.35" },
      { "spec.kubernetes.version": "1.37.1" },
      { "spec.kubernetes.version": "1.37", ...pool({ kubernetesVersion: "1.35" }) },
      { "spec.kubernetes.version": "1.36.4", ...pool({ kubernetesVersion: "1.36.2" }) },
    ],
  },
  "cluster-domain": {
    refuses: [{ changes: { "spec.kubernetes.clusterDomain": "Cluster_Local" }, path: "spec.kubernetes.clusterDomain", message: /DNS-1123 subdomain/ }],
    accepts: [{ "spec.kubernetes.clusterDomain": "k8s.internal.example.com" }],
  },
  "cidr-syntax": {
    refuses: [
      { changes: { "spec.provider.aws.vpcCidr": "10.0.0.0/33" }, path: "spec.provider.aws.vpcCidr", message: /invalid prefix length "\/33"/ },
      { changes: { "spec.kubernetes.podCidr": "10.244.0.1/16" }, path: "spec.kubernetes.podCidr", message: /host bits set.*10\.244\.0\.0\/16/ },
    ],
    accepts: [{ "spec.kubernetes.podCidr": "172.16.0.0/14", "spec.kubernetes.serviceCidr": "172.20.0.0/16" }],
  },
  "cidr-size": {
    refuses: [
      { changes: { "spec.provider.aws.vpcCidr": "10.0.0.0/8" }, path: "spec.provider.aws.vpcCidr", message: /\/16 to \/22/ },
      { changes: { "spec.provider.aws.vpcCidr": "10.0.0.0/23" }, path: "spec.provider.aws.vpcCidr", message: /\/16 to \/22 \(a new VPC is carved/ },
      { changes: { "spec.kubernetes.serviceCidr": "10.96.0.0/29" }, path: "spec.kubernetes.serviceCidr", message: /\/12 to \/28/ },
      { changes: { "spec.kubernetes.nodeCidrMaskSize": 16 }, path: "spec.kubernetes.nodeCidrMaskSize", message: /longer than the pod network's prefix \(\/16\)/ },
      { changes: { "spec.kubernetes.podCidr": "10.244.0.0/20", "spec.nodePools": [{ name: "big", minSize: 1, maxSize: 20 }] }, path: "spec.kubernetes.podCidr", message: /holds 16 node ranges.*23 nodes/ },
    ],
    accepts: [
      // 13 nodes at most, 16 ranges of /24 in a /20.
      { "spec.kubernetes.podCidr": "10.244.0.0/20", "spec.nodePools": [{ name: "big", minSize: 1, maxSize: 10 }] },
      { "spec.kubernetes.nodeCidrMaskSize": 23, ...pool({ maxPods: 250 }) },
    ],
  },
  "cidr-overlap": {
    refuses: [
      { changes: { "spec.provider.aws.vpcCidr": "10.244.0.0/16" }, path: "spec.provider.aws.vpcCidr", message: /overlaps spec\.kubernetes\.podCidr/ },
      { changes: { "spec.provider.aws.vpcCidr": "10.244.0.0/16" }, path: "spec.kubernetes.podCidr", message: /overlaps spec\.provider\.aws\.vpcCidr/ },
    ],
    accepts: [{ "spec.provider.aws.vpcCidr": "10.243.0.0/16" }],
  },
  "availability-zones": {
    refuses: [{ changes: { "spec.provider.aws.availabilityZones": ["us-west-2a", "us-west-22b"] }, path: "spec.provider.aws.availabilityZones[1]", message: /not a zone of region us-west-2/ }],
    accepts: [
      { "spec.provider.aws.availabilityZones": ["us-west-2a", "us-west-2-lax-1a"] },
      pool({ machine: { aws: { availabilityZones: ["us-west-2b"] } } }),
    ],
  },
  "existing-vpc": {
    refuses: [
      {
        changes: {
          "spec.provider.aws.existingVpc": { vpcId: "vpc-0123456789abcdef0", privateSubnets: threeSubnets },
          "spec.controlPlane.apiServer": { public: true, allowedCidrs: ["198.51.100.0/24"] },
        },
        path: "spec.provider.aws.existingVpc.publicSubnetIds",
        message: /required when spec\.controlPlane\.apiServer\.public is true/,
      },
      {
        changes: {
          "spec.provider.aws.existingVpc": {
            vpcId: "vpc-0123456789abcdef0",
            privateSubnets: threeSubnets,
            publicSubnetIds: ["subnet-00000001", "subnet-00000005", "subnet-00000006"],
          },
        },
        path: "spec.provider.aws.existingVpc.publicSubnetIds[0]",
        message: /also listed in privateSubnets/,
      },
      {
        changes: { "spec.provider.aws.existingVpc": { vpcId: "vpc-01234567", privateSubnets: subnets("10.0.0.0/19", "10.1.0.0/19", "10.0.64.0/19") } },
        path: "spec.provider.aws.existingVpc.privateSubnets[1].cidr",
        message: /not inside provider\.aws\.vpcCidr/,
      },
      {
        changes: { "spec.provider.aws.existingVpc": { vpcId: "vpc-01234567", privateSubnets: subnets("10.0.0.0/19", "10.0.16.0/20", "10.0.64.0/19") } },
        path: "spec.provider.aws.existingVpc.privateSubnets[1].cidr",
        message: /overlaps privateSubnets\[0\]/,
      },
    ],
    accepts: [
      { "spec.provider.aws.existingVpc": { vpcId: "vpc-01234567", privateSubnets: threeSubnets } },
      { "spec.provider.aws.vpcCidr": "10.0.0.0/24", "spec.provider.aws.existingVpc": { vpcId: "vpc-01234567", privateSubnets: subnets("10.0.0.0/26", "10.0.0.64/26", "10.0.0.128/26") } },
    ],
  },
  "etcd-addresses": {
    refuses: [
      {
        // Members of the second etcd cluster take offsets 18 and up: a /28 holds 16 addresses.
        changes: { "spec.provider.aws.vpcCidr": "10.0.0.0/24", "spec.provider.aws.existingVpc": { vpcId: "vpc-01234567", privateSubnets: subnets("10.0.0.0/28", "10.0.0.64/26", "10.0.0.128/26") } },
        path: "spec.provider.aws.existingVpc.privateSubnets[0].cidr",
        message: /too small: etcd cluster "events" member 0 takes host offset 18/,
      },
    ],
    accepts: [{ "spec.provider.aws.vpcCidr": "10.0.0.0/24", "spec.provider.aws.existingVpc": { vpcId: "vpc-01234567", privateSubnets: subnets("10.0.0.0/26", "10.0.0.64/26", "10.0.0.128/26") } }],
  },
  "aws-tags": {
    refuses: [{ changes: { "spec.provider.aws.tags": { ["k".repeat(129)]: "v" } }, path: `spec.provider.aws.tags.${"k".repeat(129)}`, message: /1 to 128 characters/ }],
    accepts: [{ "spec.provider.aws.tags": { "cost-center": "platform", Owner: "team@example.com" } }],
  },
  "etcd-topology": {
    refuses: [
      { changes: { "spec.etcd": [{ name: "a", resources: ["events"] }, { name: "b", resources: ["leases"] }] }, path: "spec.etcd", message: /needs one primary etcd cluster/ },
      { changes: { "spec.etcd": [{ name: "main", version: "3.7.0" }] }, path: "spec.etcd[0].version", message: /3\.7\.0 is not supported/ },
      { changes: { "spec.etcd": [{ name: "main", members: 3, replaceMember: { member: 3, id: "r1" } }] }, path: "spec.etcd[0].replaceMember.member", message: /one of the 3 members \(0 to 2\), got 3/ },
    ],
    accepts: [
      { "spec.etcd": [{ name: "main", members: 5, version: "3.5.21" }] },
      { "spec.etcd": [{ name: "main", members: 3, replaceMember: { member: 2, id: "2026-11-26.disk_a", dataVolume: "keep" }, backup: { enabled: false } }] },
      { "spec.etcd": [{ name: "main" }, { name: "events" }, { name: "leases", members: 1, resources: ["coordination.k8s.io/leases"] }] },
    ],
  },
  certificates: {
    refuses: [{ changes: { "spec.certificates": { caValidityDays: 1000, etcdValidityDays: 1095 } }, path: "spec.certificates.etcdValidityDays", message: /at most caValidityDays \(1000\), got 1095/ }],
    accepts: [{ "spec.certificates": { caValidityDays: 7300, etcdValidityDays: 365 } }],
  },
  "node-pool-sizes": {
    refuses: [
      { changes: pool({ minSize: 4, maxSize: 2 }), path: "spec.nodePools[1].maxSize", message: /must be >= minSize \(4\), got 2/ },
      { changes: pool({ name: "control-plane-1" }), path: "spec.nodePools[1].name", message: /"control-plane-1" is reserved/ },
    ],
    accepts: [pool({ minSize: 0, maxSize: 0 }), pool({ minSize: 1, maxSize: 9, desiredSize: 9 }), pool({ name: "control-plane" }), pool({ name: "control-plane-big" })],
  },
  labels: {
    refuses: [
      { changes: { "metadata.labels": { "example.com/": "x" } }, path: 'metadata.labels["example.com/"]', message: /empty name/ },
      { changes: pool({ labels: { "kubernetes.io/role": "worker" } }), path: 'spec.nodePools[1].labels["kubernetes.io/role"]', message: /NodeRestriction/ },
      { changes: pool({ labels: { "topology.kubernetes.io/zone": "a" } }), path: 'spec.nodePools[1].labels["topology.kubernetes.io/zone"]', message: /kubelet sets itself/ },
      { changes: pool({ labels: { tier: "-front" } }), path: "spec.nodePools[1].labels.tier", message: /label value "-front"/ },
    ],
    accepts: [
      pool({ labels: { "node.kubernetes.io/lifecycle": "spot", "kubelet.kubernetes.io/x": "y", "example.com/team": "", tier: "front_end.v2" } }),
      { "metadata.labels": { "kraken.dev/fleet": "prod" } },
    ],
  },
  taints: {
    refuses: [{ changes: pool({ taints: [{ key: "k", value: "bad value", effect: "NoExecute" }] }), path: "spec.nodePools[1].taints[0].value", message: /taint value "bad value"/ }],
    accepts: [pool({ taints: [{ key: "k", effect: "NoSchedule" }, { key: "k", effect: "NoExecute" }] })],
  },
  "machine-provider": {
    refuses: [{ changes: pool({ machine: { maas: { tags: ["x"] } } }), path: "spec.nodePools[1].machine.maas", message: /provider is aws/ }],
    accepts: [pool({ machine: { aws: { instanceTypes: ["c7i.2xlarge"] } } })],
  },
  "maas-machines": {
    // Covered on MAAS documents below; on AWS there is nothing to check.
    refuses: [],
    accepts: [{}],
  },
  "maas-network": {
    // Covered on MAAS documents below; on AWS there is nothing to check.
    refuses: [],
    accepts: [{}],
  },
  "instance-architecture": {
    refuses: [{ changes: pool({ machine: { aws: { instanceTypes: ["c7g.large", "c7i.large"] } } }), path: "spec.nodePools[1].machine.aws.instanceTypes[1]", message: /x86_64 but "c7g\.large" is arm64/ }],
    accepts: [pool({ machine: { aws: { instanceTypes: ["m7g.large", "c7gn.large", "r8gd.large", "t4g.large"] } } })],
  },
  "ebs-volumes": {
    refuses: [
      { changes: { "spec.controlPlane.machine": { aws: { rootVolume: { sizeGib: 10, iops: 6000 } } } }, path: "spec.controlPlane.machine.aws.rootVolume.iops", message: /at most 500 per GiB for gp3 \(5000 for 10 GiB\), got 6000/ },
      { changes: { "spec.controlPlane.machine": { aws: { rootVolume: { throughputMibps: 1000 } } } }, path: "spec.controlPlane.machine.aws.rootVolume.throughputMibps", message: /0\.25 MiB\/s per provisioned IOPS/ },
      { changes: { "spec.etcd": [{ name: "main", machine: { aws: { dataVolume: { type: "gp2", iops: 3000 } } } }] }, path: "spec.etcd[0].machine.aws.dataVolume.iops", message: /gp2 performance follows its size/ },
    ],
    accepts: [
      { "spec.etcd": [{ name: "main", machine: { aws: { dataVolume: { sizeGib: 100, type: "io2", iops: 20000 } } } }] },
      { "spec.controlPlane.machine": { aws: { rootVolume: { sizeGib: 100, iops: 8000, throughputMibps: 500 } } } },
    ],
  },
  "api-access": {
    refuses: [{ changes: { "spec.controlPlane.apiServer": { extraSans: ["api..example.com"] } }, path: "spec.controlPlane.apiServer.extraSans[0]", message: /DNS name or an IPv4 address/ }],
    accepts: [{ "spec.controlPlane.apiServer": { public: true, allowedCidrs: ["0.0.0.0/0"], extraSans: ["api.example.com", "*.api.example.com", "203.0.113.10"] } }],
  },
  "state-backend": {
    refuses: [{ changes: { "spec.state": { backend: "s3", s3: { bucket: "acme-state" }, kubernetes: {} } }, path: "spec.state.kubernetes", message: /backend is s3/ }],
    accepts: [{ "spec.state": { backend: "pg" } }, { "spec.state": { backend: "kubernetes", kubernetes: { namespace: "infra" } } }, { "spec.state": { backend: "s3", s3: { bucket: "acme-state" } } }],
  },
  alerting: {
    refuses: [
      { changes: { "spec.addons.alerting": { receivers: [{ name: "ops" }] } }, path: "spec.addons.alerting.receivers[0]", message: /receiver "ops" sends nowhere/ },
      {
        changes: { "spec.addons.alerting": { receivers: [{ name: "ops", webhook: { url: "https://hooks.example.com/a" } }], routes: [{ receiver: "opps", severity: "critical" }] } },
        path: "spec.addons.alerting.routes[0].receiver",
        message: /must name one of "ops", got "opps"/,
      },
      { changes: { "spec.addons.alerting": { defaultReceiver: "ops" } }, path: "spec.addons.alerting.defaultReceiver", message: /spec\.addons\.alerting\.receivers has none/ },
      {
        changes: { "spec.addons.alerting": { receivers: [{ name: "ops", webhook: { url: "https://a.example.com" } }, { name: "ops", webhook: { url: "https://b.example.com" } }] } },
        path: "spec.addons.alerting.receivers[1].name",
        message: /duplicate receiver name "ops"/,
      },
      {
        changes: { "spec.addons.alerting": { receivers: [{ name: "mail", email: { to: ["a@example.com"], from: "b@example.com", smarthost: "smtp.example.com:587", authPasswordEnv: "SMTP_PASSWORD" } }] } },
        path: "spec.addons.alerting.receivers[0].email.authUsername",
        message: /required with authPasswordEnv/,
      },
    ],
    accepts: [
      { "spec.addons.alerting": { receivers: [{ name: "ops", slack: { webhookUrlEnv: "SLACK_URL" }, pagerduty: { routingKeyEnv: "PD_KEY" } }], routes: [{ receiver: "ops", severity: "critical" }], defaultReceiver: "ops" } },
    ],
  },
  logging: {
    refuses: [{ changes: { "spec.addons.logging": { enabled: true } }, path: "spec.addons.logging.sinks", message: /ships nowhere/ }],
    accepts: [{ "spec.addons.logging": { enabled: true, sinks: { loki: { url: "https://loki.example.com" }, s3: { bucket: "acme-logs", region: "us-west-2" } } } }],
  },
  "no-secrets": {
    refuses: [
      { changes: { "metadata.labels": { key: "-----BEGIN RSA PRIVATE KEY-----" } }, path: "metadata.labels.key", message: /private key/ },
      { changes: { "spec.provider.aws.tags": { db: "postgres://admin:hunter2@db.example.com/state" } }, path: "spec.provider.aws.tags.db", message: /connection string with a password/ },
    ],
    accepts: [{ "spec.provider.aws.tags": { db: "postgres://db.example.com/state" } }],
  },
};

describe("semantic rules", () => {
  it("has cases for every rule in the table", () => {
    expect(Object.keys(RULE_CASES).sort()).toEqual(SPEC_RULES.map((rule) => rule.id).sort());
  });

  for (const rule of SPEC_RULES) {
    describe(rule.id, () => {
      const cases = RULE_CASES[rule.id]!;
      it.each(cases.refuses.map((c) => [c.path, c] as const))("refuses a bad value at %s", (_path, { changes, path, message }) => {
        // GIVEN a valid document with the rule broken / THEN this rule names the field
        expectProblem(awsWith(changes), path, message, rule.id);
      });
      it.each(cases.accepts.map((changes) => [JSON.stringify(changes).slice(0, 80), changes] as const))("accepts %s", (_label, changes) => {
        expectValid(awsWith(changes));
      });
    });
  }
});

describe("maas-machines", () => {
  it("accepts explicit machines in the right numbers, and pools with more machines than maxSize", () => {
    const document = maasDocument();
    setPath(document, "spec.etcd", [{ name: "main", members: 3, machine: { maas: { systemIds: ["abc1", "abc2", "abc3"], addresses: ["192.168.10.11", "192.168.10.12", "192.168.10.13"] } } }]);
    setPath(document, "spec.nodePools", [{ name: "workers", minSize: 1, maxSize: 2, machine: { maas: { hostnames: ["w1", "w2", "w3"] } } }]);
    expectValid(document);
  });

  it("refuses a pool with fewer explicit machines than maxSize", () => {
    const document = setPath(maasDocument(), "spec.nodePools", [{ name: "workers", minSize: 1, maxSize: 3, machine: { maas: { hostnames: ["w1"] } } }]);
    expectProblem(document, "spec.nodePools[0].machine.maas.hostnames", /at least maxSize \(3\) machines, got 1/, "maas-machines");
  });

  it("refuses a public API flag on MAAS, where the endpoint is a VIP or DNS name", () => {
    const document = setPath(maasDocument(), "spec.controlPlane.apiServer", { public: true, allowedCidrs: ["10.0.0.0/8"] });
    expectProblem(document, "spec.controlPlane.apiServer.public", /AWS only/, "api-access");
  });
});

describe("maas-network", () => {
  const addresses = (etcd: number, list: readonly string[]) => (document: ReturnType<typeof maasDocument>) => setPath(document, `spec.etcd.${etcd}.machine.maas.addresses`, list);

  it("accepts static addresses and a VIP inside the subnet, each used once", () => {
    const document = maasDocument();
    setPath(document, "spec.controlPlane.machine.maas.addresses", ["192.168.10.31", "192.168.10.32", "192.168.10.33"]);
    expectValid(document);
  });

  it("requires one static address per etcd member, and says why", () => {
    expectProblem(setPath(maasDocument(), "spec.etcd.0.machine", { maas: { tags: ["etcd"] } }), "spec.etcd[0].machine.maas.addresses", /is required on MAAS: list 3 static IPv4 address\(es\).*certified at these addresses/, "maas-network");
    expectProblem(addresses(0, ["192.168.10.11", "192.168.10.12"])(maasDocument()), "spec.etcd[0].machine.maas.addresses", /exactly one address per member \(members is 3\), got 2/, "maas-network");
  });

  it("refuses addresses outside the subnet, the network and broadcast addresses, and an address used twice", () => {
    expectProblem(addresses(0, ["192.168.10.11", "192.168.10.12", "10.0.0.13"])(maasDocument()), "spec.etcd[0].machine.maas.addresses[2]", /inside provider\.maas\.network\.subnetCidr \(192\.168\.10\.0\/24\), got "10\.0\.0\.13"/, "maas-network");
    expectProblem(addresses(0, ["192.168.10.0", "192.168.10.12", "192.168.10.13"])(maasDocument()), "spec.etcd[0].machine.maas.addresses[0]", /network address of 192\.168\.10\.0\/24/, "maas-network");
    expectProblem(addresses(0, ["192.168.10.5", "192.168.10.12", "192.168.10.13"])(maasDocument()), "spec.etcd[0].machine.maas.addresses[0]", /"192\.168\.10\.5" is already the control-plane VIP/, "maas-network");
    const twoClusters = setPath(maasDocument(), "spec.etcd", [
      { name: "main", members: 1, machine: { maas: { addresses: ["192.168.10.11"] } } },
      { name: "events", members: 1, machine: { maas: { addresses: ["192.168.10.11"] } } },
    ]);
    expectProblem(twoClusters, "spec.etcd[1].machine.maas.addresses[0]", /already etcd cluster main's member 0's address/, "maas-network");
  });

  it("refuses a VIP outside the subnet, and a control plane with the wrong number of addresses", () => {
    expectProblem(setPath(maasDocument(), "spec.provider.maas.controlPlaneEndpoint", { vip: "10.1.1.1" }), "spec.provider.maas.controlPlaneEndpoint.vip", /inside provider\.maas\.network\.subnetCidr/, "maas-network");
    expectProblem(setPath(maasDocument(), "spec.controlPlane.machine.maas.addresses", ["192.168.10.31"]), "spec.controlPlane.machine.maas.addresses", /exactly one address per node \(replicas is 3\), got 1/, "maas-network");
  });

  it("refuses a subnet with host bits, and a replaced member that would keep its data", () => {
    expectProblem(setPath(maasDocument(), "spec.provider.maas.network.subnetCidr", "192.168.10.1/24"), "spec.provider.maas.network.subnetCidr", /host bits set/, "maas-network");
    expectProblem(setPath(maasDocument(), "spec.etcd.0.replaceMember", { member: 0, id: "x1", dataVolume: "keep" }), "spec.etcd[0].replaceMember.dataVolume", /must be "replace" on MAAS/, "maas-network");
  });
});

describe("logging on MAAS", () => {
  it("refuses the AWS sinks, which need instance roles", () => {
    const document = setPath(maasDocument(), "spec.addons.logging", { enabled: true, sinks: { cloudwatch: { region: "us-west-2", logGroup: "/kraken/metal" } } });
    expectProblem(document, "spec.addons.logging.sinks.cloudwatch", /MAAS machines do not have/, "logging");
  });
});
