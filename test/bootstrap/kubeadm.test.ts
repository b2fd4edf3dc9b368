/** kubeadm configuration (v1beta4) as the nodes receive it: parsed back from the user data and read field by field. */
import { describe, expect, it } from "vitest";
import { etcdServersOverrides, etcdTopology, KRAKEN_DIR, KUBERNETES_PKI_FILES, PLACEHOLDERS, primaryEtcd } from "../../lib/bootstrap";
import type { Cluster } from "../../lib/spec";
import { awsDocument, setPath } from "../util";
import {
  API_HOST,
  awsEtcdTopology,
  awsHa,
  awsMinimal,
  clusterFrom,
  controlPlaneUserData,
  parseUserData,
  plannedClientUrls,
  workerUserData,
  writtenFile,
  yamlDocuments,
} from "./fixtures";

type Document = Record<string, unknown>;
interface Arg {
  readonly name: string;
  readonly value: string;
}

function configFile(userData: string, name: string): string {
  return writtenFile(parseUserData(userData), `${KRAKEN_DIR}/${name}`).content;
}

function documentOfKind(documents: readonly Document[], kind: string): Document {
  const found = documents.filter((document) => document.kind === kind);
  expect(found, `one ${kind} among ${documents.map((document) => String(document.kind)).join(", ")}`).toHaveLength(1);
  return found[0]!;
}

function initDocuments(cluster: Cluster, index = 0): Document[] {
  return yamlDocuments(configFile(controlPlaneUserData(cluster, index), "kubeadm-init.yaml"));
}

function clusterConfiguration(cluster: Cluster): Document {
  return documentOfKind(initDocuments(cluster), "ClusterConfiguration");
}

/** The value of a v1beta4 extraArgs entry; undefined when absent. */
function argument(args: unknown, name: string): string | undefined {
  const list = (args ?? []) as Arg[];
  const matching = list.filter((arg) => arg.name === name);
  expect(matching.length, `${name} appears at most once`).toBeLessThanOrEqual(1);
  return matching[0]?.value;
}

function apiServerArgs(configuration: Document): unknown {
  return (configuration.apiServer as { extraArgs?: unknown }).extraArgs;
}

/** "a=b,c=d" → { a: "b", c: "d" }. */
function nodeLabels(nodeRegistration: unknown): Record<string, string> {
  const value = argument((nodeRegistration as { kubeletExtraArgs: unknown }).kubeletExtraArgs, "node-labels");
  expect(value).toBeDefined();
  return Object.fromEntries(value!.split(",").map((pair) => pair.split("=") as [string, string]));
}

/** aws-ha's etcd clusters with other names, orders and resources. */
function withEtcd(etcd: unknown[], changes: Readonly<Record<string, unknown>> = {}): Cluster {
  const document = setPath(awsDocument(), "spec.etcd", etcd);
  for (const [path, value] of Object.entries(changes)) setPath(document, path, value);
  return clusterFrom(document);
}

describe("the control plane's kubeadm init config", () => {
  const ha = awsHa();
  const documents = initDocuments(ha);

  it("holds InitConfiguration, ClusterConfiguration and KubeletConfiguration of the current APIs", () => {
    expect(documents.map((document) => [document.apiVersion, document.kind])).toEqual([
      ["kubeadm.k8s.io/v1beta4", "InitConfiguration"],
      ["kubeadm.k8s.io/v1beta4", "ClusterConfiguration"],
      ["kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"],
    ]);
    expect(documentOfKind(documents, "KubeletConfiguration").cgroupDriver).toBe("systemd");
  });

  it("creates a bootstrap token that never expires, from a placeholder", () => {
    const init = documentOfKind(documents, "InitConfiguration");
    expect(init.bootstrapTokens).toEqual([
      { token: PLACEHOLDERS.bootstrapToken, ttl: "0s", usages: ["signing", "authentication"], groups: ["system:bootstrappers:kubeadm:default-node-token"] },
    ]);
    expect(init.localAPIEndpoint).toEqual({ advertiseAddress: PLACEHOLDERS.nodeIp, bindPort: 6443 });
  });

  it("registers the node with containerd, its address and the kraken labels, and leaves kubeadm's control-plane taint alone", () => {
    const { nodeRegistration } = documentOfKind(documents, "InitConfiguration") as { nodeRegistration: Document };
    expect(nodeRegistration.criSocket).toBe("unix:///run/containerd/containerd.sock");
    expect(argument(nodeRegistration.kubeletExtraArgs, "node-ip")).toBe(PLACEHOLDERS.nodeIp);
    expect(nodeLabels(nodeRegistration)).toEqual({ "kraken.dev/cluster": "prod-usw2", "kraken.dev/role": "control-plane" });
    expect(nodeRegistration).not.toHaveProperty("taints");
  });

  it("points the API servers at the primary etcd cluster's members, with the etcd client certificate", () => {
    const { etcd } = documentOfKind(documents, "ClusterConfiguration") as { etcd: { external: Document } };
    expect(etcd.external).toEqual({
      endpoints: ["https://10.0.0.10:2379", "https://10.0.32.10:2379", "https://10.0.64.10:2379"],
      caFile: KUBERNETES_PKI_FILES.etcdCaCert,
      certFile: KUBERNETES_PKI_FILES.etcdClientCert,
      keyFile: KUBERNETES_PKI_FILES.etcdClientKey,
    });
    expect(etcd.external.endpoints).toEqual(plannedClientUrls(ha, 0));
    expect(KUBERNETES_PKI_FILES).toMatchObject({
      etcdCaCert: "/etc/kubernetes/pki/etcd/ca.crt",
      etcdClientCert: "/etc/kubernetes/pki/apiserver-etcd-client.crt",
      etcdClientKey: "/etc/kubernetes/pki/apiserver-etcd-client.key",
    });
  });

  it("sends events to the events etcd cluster", () => {
    const configuration = documentOfKind(documents, "ClusterConfiguration");
    expect(argument(apiServerArgs(configuration), "etcd-servers-overrides")).toBe("/events#https://10.0.0.18:2379;https://10.0.32.18:2379;https://10.0.64.18:2379");
  });

  it("uses the API load balancer as the control-plane endpoint and puts it in the API certificate", () => {
    const configuration = documentOfKind(documents, "ClusterConfiguration");
    expect(configuration.controlPlaneEndpoint).toBe(`${API_HOST}:6443`);
    expect(configuration.clusterName).toBe("prod-usw2");
    expect(configuration.kubernetesVersion).toBe(PLACEHOLDERS.kubernetesVersion);
    expect((configuration.apiServer as Document).certSANs).toEqual([API_HOST]);
  });

  it("is the same ClusterConfiguration that joining nodes read from kubeadm-cluster.yaml", () => {
    const userData = controlPlaneUserData(ha, 2);
    const standalone = yamlDocuments(configFile(userData, "kubeadm-cluster.yaml"));
    expect(standalone).toHaveLength(1);
    expect(standalone[0]).toEqual(documentOfKind(yamlDocuments(configFile(userData, "kubeadm-init.yaml")), "ClusterConfiguration"));
  });
});

describe("ClusterConfiguration from the spec", () => {
  it("takes networks, the cluster domain, the node CIDR size and extra SANs from the spec", () => {
    // GIVEN a spec with its own networks and names for the API
    const cluster = withEtcd([{ name: "main", members: 3 }], {
      "spec.kubernetes": { version: "1.36", podCidr: "10.200.0.0/16", serviceCidr: "10.100.0.0/16", clusterDomain: "k8s.internal", nodeCidrMaskSize: 25 },
      "spec.controlPlane.apiServer": { extraSans: ["api.prod.example.com", "203.0.113.10"] },
      "spec.nodePools": [],
    });
    const configuration = clusterConfiguration(cluster);
    expect(configuration.networking).toEqual({ podSubnet: "10.200.0.0/16", serviceSubnet: "10.100.0.0/16", dnsDomain: "k8s.internal" });
    expect(argument((configuration.controllerManager as Document).extraArgs, "node-cidr-mask-size")).toBe("25");
    expect((configuration.apiServer as Document).certSANs).toEqual([API_HOST, "api.prod.example.com", "203.0.113.10"]);
  });

  it("has no etcd-servers-overrides when there is one etcd cluster", () => {
    const configuration = clusterConfiguration(awsMinimal());
    expect(argument(apiServerArgs(configuration), "etcd-servers-overrides")).toBeUndefined();
    expect((configuration.etcd as { external: { endpoints: unknown } }).external.endpoints).toEqual(plannedClientUrls(awsMinimal(), 0));
  });

  it("finds the primary etcd cluster wherever it is listed", () => {
    // GIVEN events listed before main
    const cluster = withEtcd([{ name: "events", members: 3 }, { name: "main", members: 5 }]);
    const configuration = clusterConfiguration(cluster);
    // THEN the API servers store everything in main, and events in events
    expect((configuration.etcd as { external: { endpoints: unknown } }).external.endpoints).toEqual(plannedClientUrls(cluster, 1));
    expect(argument(apiServerArgs(configuration), "etcd-servers-overrides")).toBe(`/events#${plannedClientUrls(cluster, 0).join(";")}`);
  });

  it("names a resource with a group without a leading slash, and joins overrides with commas", () => {
    // GIVEN leases and events in etcd clusters of their own
    const cluster = withEtcd([
      { name: "main", members: 3 },
      { name: "leases", members: 3, resources: ["coordination.k8s.io/leases"] },
      { name: "events", members: 1 },
    ]);
    const value = argument(apiServerArgs(clusterConfiguration(cluster)), "etcd-servers-overrides");
    expect(value).toBe(`coordination.k8s.io/leases#${plannedClientUrls(cluster, 1).join(";")},/events#${plannedClientUrls(cluster, 2).join(";")}`);
  });
});

describe("etcdServersOverrides", () => {
  it("writes core resources as /resource and grouped ones as group/resource", () => {
    expect(
      etcdServersOverrides([
        { resource: "events", endpoints: ["https://a:2379", "https://b:2379", "https://c:2379"] },
        { resource: "apps/replicasets", endpoints: ["https://d:2379"] },
      ]),
    ).toBe("/events#https://a:2379;https://b:2379;https://c:2379,apps/replicasets#https://d:2379");
  });
});

describe("the control plane's kubeadm join config", () => {
  const documents = yamlDocuments(configFile(controlPlaneUserData(awsHa(), 1), "kubeadm-join.yaml"));

  it("joins as a control-plane node advertising its own address, discovering the cluster through the load balancer", () => {
    expect(documents).toHaveLength(1);
    const join = documents[0]!;
    expect(join).toMatchObject({ apiVersion: "kubeadm.k8s.io/v1beta4", kind: "JoinConfiguration" });
    expect(join.controlPlane).toEqual({ localAPIEndpoint: { advertiseAddress: PLACEHOLDERS.nodeIp, bindPort: 6443 } });
    expect(join.discovery).toEqual({ bootstrapToken: { apiServerEndpoint: `${API_HOST}:6443`, token: PLACEHOLDERS.bootstrapToken, caCertHashes: [PLACEHOLDERS.caCertHash] } });
    expect(nodeLabels(join.nodeRegistration)).toEqual({ "kraken.dev/cluster": "prod-usw2", "kraken.dev/role": "control-plane" });
  });
});

describe("a worker's kubeadm join config", () => {
  const ha = awsHa();
  const joinOf = (cluster: Cluster, pool: string): Document => {
    const documents = yamlDocuments(configFile(workerUserData(cluster, pool), "kubeadm-join.yaml"));
    expect(documents).toHaveLength(1);
    return documents[0]!;
  };

  it("joins as a worker through the load balancer with the bootstrap token", () => {
    const join = joinOf(ha, "general");
    expect(join).toMatchObject({ apiVersion: "kubeadm.k8s.io/v1beta4", kind: "JoinConfiguration" });
    expect(join).not.toHaveProperty("controlPlane");
    expect(join.discovery).toEqual({ bootstrapToken: { apiServerEndpoint: `${API_HOST}:6443`, token: PLACEHOLDERS.bootstrapToken, caCertHashes: [PLACEHOLDERS.caCertHash] } });
  });

  it("registers the pool's labels and taints, and the kraken labels", () => {
    const { nodeRegistration } = joinOf(ha, "spot") as { nodeRegistration: Document };
    expect(nodeLabels(nodeRegistration)).toEqual({ "node.kubernetes.io/lifecycle": "spot", "kraken.dev/cluster": "prod-usw2", "kraken.dev/pool": "spot" });
    expect(nodeRegistration.taints).toEqual([{ key: "lifecycle", value: "spot", effect: "PreferNoSchedule" }]);
    expect(argument(nodeRegistration.kubeletExtraArgs, "max-pods")).toBe("110");
    expect(argument(nodeRegistration.kubeletExtraArgs, "node-ip")).toBe(PLACEHOLDERS.nodeIp);
  });

  it("registers a pool without taints with none (not kubeadm's default)", () => {
    const { nodeRegistration } = joinOf(ha, "general") as { nodeRegistration: Document };
    expect(nodeRegistration.taints).toEqual([]);
    expect(nodeLabels(nodeRegistration)).toEqual({ "kraken.dev/cluster": "prod-usw2", "kraken.dev/pool": "general" });
  });

  it("omits an empty taint value and passes the pool's maxPods", () => {
    // GIVEN a pool with a value-less taint and its own maxPods
    const cluster = withEtcd([{ name: "main", members: 3 }], {
      "spec.nodePools": [{ name: "batch", minSize: 0, maxSize: 3, maxPods: 64, labels: { workload: "batch" }, taints: [{ key: "dedicated", effect: "NoExecute" }, { key: "team", value: "data", effect: "NoSchedule" }] }],
    });
    const { nodeRegistration } = joinOf(cluster, "batch") as { nodeRegistration: Document };
    expect(nodeRegistration.taints).toEqual([
      { key: "dedicated", effect: "NoExecute" },
      { key: "team", value: "data", effect: "NoSchedule" },
    ]);
    expect(argument(nodeRegistration.kubeletExtraArgs, "max-pods")).toBe("64");
    expect(nodeLabels(nodeRegistration)).toEqual({ workload: "batch", "kraken.dev/cluster": "test", "kraken.dev/pool": "batch" });
  });
});

describe("kubeadm configs read by kubeadm's YAML 1.1 parser", () => {
  /** Every kubeadm config of every node of `cluster`. */
  function kubeadmConfigs(cluster: Cluster): [string, string][] {
    const controlPlane = controlPlaneUserData(cluster, 0);
    return [
      ...["kubeadm-init.yaml", "kubeadm-join.yaml", "kubeadm-cluster.yaml"].map((name): [string, string] => [`control-plane ${name}`, configFile(controlPlane, name)]),
      ...cluster.spec.nodePools.map((pool): [string, string] => [`worker of ${pool.name}`, configFile(workerUserData(cluster, pool.name), "kubeadm-join.yaml")]),
    ];
  }

  function expectSameUnderYaml11(cluster: Cluster): void {
    for (const [name, text] of kubeadmConfigs(cluster)) expect(yamlDocuments(text, "1.1"), name).toEqual(yamlDocuments(text));
  }

  it("reads aws-ha's configs as they were written", () => {
    expectSameUnderYaml11(awsHa());
  });

  it("keeps taint values such as yes and off strings", () => {
    // GIVEN taints whose values YAML 1.1 reads as booleans (valid label values all)
    const cluster = withEtcd([{ name: "main", members: 3 }], {
      "spec.nodePools": [{ name: "spot", minSize: 0, maxSize: 3, taints: [{ key: "spot", value: "yes", effect: "PreferNoSchedule" }, { key: "maintenance", value: "off", effect: "NoSchedule" }] }],
    });
    // THEN kubeadm reads them back as the strings they are (a boolean would fail to decode into Taint.value)
    const [join] = yamlDocuments(configFile(workerUserData(cluster, "spot"), "kubeadm-join.yaml"), "1.1");
    expect((join!.nodeRegistration as Document).taints).toEqual([
      { key: "spot", value: "yes", effect: "PreferNoSchedule" },
      { key: "maintenance", value: "off", effect: "NoSchedule" },
    ]);
  });

  it("keeps a cluster named no (Norway) a string", () => {
    const cluster = clusterFrom(setPath(awsDocument(), "metadata.name", "no"));
    const configuration = documentOfKind(yamlDocuments(configFile(controlPlaneUserData(cluster, 0), "kubeadm-init.yaml"), "1.1"), "ClusterConfiguration");
    expect(configuration.clusterName).toBe("no");
  });
});

describe("etcd topology", () => {
  it("names members <etcd>-<index>, gives each cluster its own token and its members' client URLs", () => {
    const topology = awsEtcdTopology(awsHa());
    expect(topology.map((etcd) => [etcd.name, etcd.index, etcd.token, etcd.resources])).toEqual([
      ["main", 0, "prod-usw2-main", []],
      ["events", 1, "prod-usw2-events", ["events"]],
    ]);
    expect(topology[1]!.members).toEqual([
      { name: "events-0", host: "10.0.0.18" },
      { name: "events-1", host: "10.0.32.18" },
      { name: "events-2", host: "10.0.64.18" },
    ]);
    expect(topology[1]!.clientUrls).toEqual(plannedClientUrls(awsHa(), 1));
    expect(primaryEtcd(topology).name).toBe("main");
  });

  it("refuses a provider that gives a different number of hosts than members", () => {
    expect(() => etcdTopology(awsHa(), () => ["10.0.0.10"])).toThrow(/etcd cluster "main" has 3 members but 1 hosts/);
  });
});
