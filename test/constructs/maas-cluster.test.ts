/**
 * MaasCluster: the bare-metal cluster synthesized from a MAAS spec. No MAAS server or provider
 * binary runs here, so every synthesized maas_* and vault_* block is checked against JSON Schemas
 * of the providers written from their documentation (test/fixtures/provider-schemas), the user
 * data against the real cloud-init, and what the machines run against what the spec asks.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Testing, TerraformStack } from "cdktf";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ClusterStack } from "../../constructs/cluster-stack";
import { MaasCluster } from "../../constructs/maas/maas-cluster";
import { EtcdProtectionError } from "../../lib/etcd/protection";
import { defineCluster, loadClusterFiles, type Cluster, type ClusterDocumentInput } from "../../lib/spec";
import { runTool } from "../bootstrap/fixtures";
import { validateProviderBlocks } from "../support/provider-schema";
import { EXAMPLES, maasDocument, setPath } from "../util";
import { cloudConfigFiles, decodeTerraformText, parseCloudConfig, parseEnvironmentFile, resourcesOf, type SynthesizedStack } from "./fixtures";

interface Block {
  readonly [key: string]: unknown;
  readonly lifecycle?: { readonly prevent_destroy?: boolean; readonly create_before_destroy?: boolean; readonly ignore_changes?: unknown; readonly replace_triggered_by?: readonly string[] };
}
interface InstanceBlock extends Block {
  readonly allocate_params: readonly Record<string, unknown>[];
  readonly deploy_params: readonly { readonly distro_series?: string; readonly hwe_kernel?: string; readonly user_data: string }[];
  readonly network_interfaces?: readonly { readonly name: string; readonly subnet_cidr?: string; readonly ip_address?: string }[];
  readonly release_params?: readonly Record<string, unknown>[];
}

const work = mkdtempSync(join(tmpdir(), "k2-maas-"));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function synthMaas(spec: ClusterDocumentInput | Cluster, appliedSpec?: ClusterDocumentInput | Cluster): { cluster: MaasCluster; json: SynthesizedStack } {
  const stack = new TerraformStack(Testing.app(), "test");
  const cluster = new MaasCluster(stack, "cluster", { spec, ...(appliedSpec === undefined ? {} : { appliedSpec }) });
  return { cluster, json: JSON.parse(Testing.synth(stack)) as SynthesizedStack };
}

const example = loadClusterFiles([EXAMPLES.maasBareMetal])[0]!;
const { json } = synthMaas(example);
const instances = resourcesOf<InstanceBlock>(json, "maas_instance");

/** The instance built by the construct at `path` (cluster/<path>/machine). */
function instanceAt(path: string, stack: SynthesizedStack = json): InstanceBlock {
  const found = Object.entries(resourcesOf<InstanceBlock>(stack, "maas_instance")).find(([id]) => id.startsWith(logicalPrefix(`${path}/machine`)));
  if (!found) throw new Error(`no maas_instance at ${path}`);
  return found[1];
}

/** The logical ID prefix cdktf gives the resource at cluster/<path>. */
function logicalPrefix(path: string): string {
  return `cluster_${path.replace(/\//g, "_")}_`;
}

function userDataOf(instance: InstanceBlock): string {
  return decodeTerraformText(instance.deploy_params[0]!.user_data);
}

function clusterEnv(instance: InstanceBlock): Record<string, string> {
  return parseEnvironmentFile(cloudConfigFiles(userDataOf(instance)).get("/etc/kraken/cluster.env")!);
}

describe("MaasCluster from examples/maas-bare-metal", () => {
  it("has one maas_instance per etcd member, control-plane node and pool machine", () => {
    // 2 etcd clusters × 3 members, 3 control-plane nodes, pools of 3 and 2 machines (desiredSize = minSize)
    expect(Object.keys(instances)).toHaveLength(6 + 3 + 3 + 2);
    expect(Object.keys(resourcesOf(json, "vault_approle_auth_backend_role_secret_id"))).toHaveLength(14);
  });

  it("passes the provider schemas: every maas_* and vault_* block, the provider blocks and the pinned versions", () => {
    expect(validateProviderBlocks(json, ["maas", "vault"])).toEqual([]);
  });

  it("fails the provider schemas when a block goes wrong (the check can fail)", () => {
    const broken = structuredClone(json) as SynthesizedStack & { resource: Record<string, Record<string, Record<string, unknown>>> };
    const [first] = Object.values(broken.resource.maas_instance!);
    first!.allocate_params = [{ tag: ["etcd"] }];
    expect(validateProviderBlocks(broken, ["maas", "vault"]).join("\n")).toMatch(/maas_instance.*tag/);
  });

  it("allocates etcd members by the spec's selection and pins their static addresses on the spec's interface", () => {
    const member = instanceAt("etcd-main/main-1");
    expect(member.allocate_params).toEqual([{ pool: "infrastructure", tags: ["etcd"], min_cpu_count: 4, min_memory: 16384 }]);
    expect(member.network_interfaces).toEqual([{ name: "eno1", subnet_cidr: "192.168.10.0/24", ip_address: "192.168.10.12" }]);
    expect(member.deploy_params[0]!.distro_series).toBe("noble");
    expect(instanceAt("etcd-events/events-2").network_interfaces).toEqual([{ name: "eno1", subnet_cidr: "192.168.10.0/24", ip_address: "192.168.10.23" }]);
  });

  it("never lets Terraform change or destroy a running etcd member", () => {
    const member = instanceAt("etcd-main/main-0");
    expect(member.lifecycle?.prevent_destroy).toBe(true);
    expect(member.lifecycle?.ignore_changes).toEqual(["allocate_params", "deploy_params", "network_interfaces"]);
    expect(member.lifecycle?.replace_triggered_by?.[0]).toMatch(/^terraform_data\./);
  });

  it("boots etcd members with the shared etcd configuration at their static address, data on the spec's device, snapshots kept locally", () => {
    const userData = userDataOf(instanceAt("etcd-main/main-1"));
    const etcdEnv = parseEnvironmentFile(cloudConfigFiles(userData).get("/etc/etcd/etcd.env")!);
    expect(etcdEnv.ETCD_NAME).toBe("main-1");
    expect(etcdEnv.ETCD_INITIAL_ADVERTISE_PEER_URLS).toBe("https://192.168.10.12:2380");
    expect(etcdEnv.ETCD_INITIAL_CLUSTER).toBe("main-0=https://192.168.10.11:2380,main-1=https://192.168.10.12:2380,main-2=https://192.168.10.13:2380");
    expect(etcdEnv.ETCD_CLIENT_CERT_AUTH).toBe("true");
    const env = clusterEnv(instanceAt("etcd-main/main-1"));
    expect(env).toMatchObject({ ETCD_DATA_DEVICE: "/dev/nvme1n1", BACKUP_BUCKET: "", BACKUP_RETENTION_DAYS: "14", SECRET_ID: "kraken/metal-dc1/etcd-main" });
    expect(clusterEnv(instanceAt("etcd-events/events-0")).ETCD_DATA_DEVICE).toBe("");
  });

  it("gives every machine its own single-use, wrapped secret ID for its role, bound to the machines' subnet", () => {
    const secretIds = resourcesOf<Block & { role_name: string; cidr_list: string[]; wrapping_ttl: string }>(json, "vault_approle_auth_backend_role_secret_id");
    const roles = Object.values(secretIds).map((block) => block.role_name);
    expect(roles.filter((role) => role === "kraken-metal-dc1-etcd-main")).toHaveLength(3);
    expect(roles.filter((role) => role === "kraken-metal-dc1-control-plane")).toHaveLength(3);
    expect(roles.filter((role) => role === "kraken-metal-dc1-workers")).toHaveLength(5);
    for (const block of Object.values(secretIds)) expect(block).toMatchObject({ cidr_list: ["192.168.10.0/24"], wrapping_ttl: "2h", backend: "approle" });
    // The wrapped token reaches the machine as a 0600 file of its user data, and only there.
    const secretIdKey = Object.keys(secretIds).find((id) => id.startsWith(logicalPrefix("etcd-main/main-0/secret-id")))!;
    const files = parseCloudConfig(userDataOf(instanceAt("etcd-main/main-0"))).write_files;
    const wrapped = files.find((file) => file.path === "/etc/kraken/vault-secret-id.wrapped")!;
    expect(wrapped.permissions).toBe("0600");
    expect(wrapped.content.trim()).toBe(`\${vault_approle_auth_backend_role_secret_id.${secretIdKey}.wrapping_token}`);
    expect(clusterEnv(instanceAt("etcd-main/main-0"))).toMatchObject({ VAULT_ADDR: "https://vault.dc1.example.com:8200", VAULT_KV_MOUNT: "secret", VAULT_APPROLE_MOUNT: "approle", VAULT_ROLE_ID: "kraken-metal-dc1-etcd-main" });
  });

  it("keeps every secret out of the synthesized stack", () => {
    const text = JSON.stringify(json);
    expect(text).not.toMatch(/PRIVATE KEY|BOOTSTRAP_TOKEN=|api_key|"token"/);
  });

  it("runs the control plane behind the VIP: kube-vip on the spec's interface, new machines before old ones are released, Terraform waiting for each API server", () => {
    const node = instanceAt("control-plane/node-1");
    expect(node.allocate_params).toEqual([{ pool: "infrastructure", tags: ["control-plane"], min_cpu_count: 8, min_memory: 32768 }]);
    expect(node.lifecycle?.create_before_destroy).toBe(true);
    expect(node.network_interfaces).toBeUndefined();
    expect(node.release_params).toEqual([expect.objectContaining({ erase: true, quick_erase: true })]);
    const files = cloudConfigFiles(userDataOf(node));
    const kubeVip = parse(files.get("/etc/kraken/kube-vip.yaml")!) as { spec: { containers: { image: string; env: { name: string; value: string }[] }[] } };
    const env = Object.fromEntries(kubeVip.spec.containers[0]!.env.map((entry) => [entry.name, entry.value]));
    expect(env).toMatchObject({ address: "192.168.10.5", vip_interface: "eno1", cp_enable: "true", vip_arp: "true" });
    expect(kubeVip.spec.containers[0]!.image).toMatch(/^ghcr\.io\/kube-vip\/kube-vip:v\d+\.\d+\.\d+$/);
    expect(clusterEnv(node).API_ENDPOINT).toBe("192.168.10.5:6443");
    expect(files.get("/etc/kraken/kubeadm-cluster.yaml")).toContain("controlPlaneEndpoint: 192.168.10.5:6443");
    const ready = Object.entries(resourcesOf<Block & { provisioner: { "local-exec": { command: string } }[] }>(json, "terraform_data"))
      .filter(([id]) => /^cluster_control-plane_node-\d_api-ready_/.test(id))
      .map(([, block]) => block);
    expect(ready).toHaveLength(3);
    const command = ready[0]!.provisioner[0]!["local-exec"].command;
    expect(command).toMatch(/for address in \$\{join\(" ", sort\((tolist\()?maas_instance\.cluster_control-plane_node-\d_machine_[^.]+\.ip_addresses\)?\)\)\}; do curl -fsk --max-time 5 "https:\/\/\$address:6443\/readyz"/);
    // With Terraform's interpolation done, it is a valid POSIX shell script.
    const script = command.replace(/\$\{join\([^}]*\}/g, "192.168.10.31 10.0.0.31");
    const syntax = runTool("sh", ["-n", "-c", script]);
    expect(syntax.status, syntax.stderr).toBe(0);
  });

  it("builds each pool from desiredSize machines of its selection, registering the pool's labels and taints", () => {
    const storage = instanceAt("pool-storage/node-1");
    expect(storage.allocate_params).toEqual([{ pool: "kubernetes", zone: "rack-b", tags: ["worker", "nvme"] }]);
    expect(storage.lifecycle?.create_before_destroy).toBe(true);
    const join = cloudConfigFiles(userDataOf(storage)).get("/etc/kraken/kubeadm-join.yaml")!;
    expect(join).toContain("node.kraken.example/storage=nvme");
    expect(join).toMatch(/storage=nvme:NoSchedule|key: storage/);
    expect(clusterEnv(storage)).toMatchObject({ POOL_NAME: "storage", VAULT_ROLE_ID: "kraken-metal-dc1-workers", SECRET_ID: "kraken/metal-dc1/workers" });
  });

  it("writes user data the real cloud-init accepts, for every role", () => {
    const roles = ["etcd-main/main-0", "etcd-events/events-1", "control-plane/node-0", "pool-general/node-2"];
    for (const role of roles) {
      const path = join(work, `${role.replace(/\W+/g, "_")}.yaml`);
      writeFileSync(path, userDataOf(instanceAt(role)));
      const result = runTool("cloud-init", ["schema", "-c", path], { timeoutMs: 60_000 });
      expect(result.status, `${role}: ${result.stdout}${result.stderr}`).toBe(0);
      expect(result.stdout + result.stderr).toContain("Valid cloud-config");
    }
  });
});

describe("MaasCluster choices", () => {
  it("allocates explicitly named machines by hostname or system ID, and cannot deploy them before releasing the old ones", () => {
    const spec = maasDocument();
    setPath(spec, "spec.nodePools.0.machine", { maas: { systemIds: ["abc123", "abc124", "abc125", "abc126"] } });
    const { json: named } = synthMaas(spec);
    expect(instanceAt("control-plane/node-2", named).allocate_params).toEqual([{ hostname: "cp-3" }]);
    expect(instanceAt("control-plane/node-2", named).lifecycle?.create_before_destroy).toBe(false);
    expect(instanceAt("pool-workers/node-1", named).allocate_params).toEqual([{ system_id: "abc124" }]);
    expect(validateProviderBlocks(named, ["maas", "vault"])).toEqual([]);
  });

  it("uses a DNS name endpoint without kube-vip", () => {
    const spec = setPath(maasDocument(), "spec.provider.maas.controlPlaneEndpoint", { dnsName: "api.dc1.example.com" });
    const { json: dns } = synthMaas(spec);
    const files = cloudConfigFiles(userDataOf(instanceAt("control-plane/node-0", dns)));
    expect(files.has("/etc/kraken/kube-vip.yaml")).toBe(false);
    expect(files.get("/etc/kraken/kubeadm-cluster.yaml")).toContain("controlPlaneEndpoint: api.dc1.example.com:6443");
    expect(clusterEnv(instanceAt("pool-workers/node-0", dns)).API_ENDPOINT).toBe("api.dc1.example.com:6443");
  });

  it("leaves the MAAS key to MAAS_API_KEY, or takes it from a sensitive variable when the spec names another", () => {
    const providerOf = (stack: SynthesizedStack) => (stack as unknown as { provider: { maas: Record<string, unknown>[] } }).provider.maas[0]!;
    expect(providerOf(json)).not.toHaveProperty("api_key");
    const { json: custom } = synthMaas(setPath(maasDocument(), "spec.provider.maas.apiKeyEnv", "DC1_MAAS_KEY"));
    expect(providerOf(custom).api_key).toBe("${var.maas_api_key}");
    const variable = (custom as unknown as { variable: Record<string, { sensitive: boolean; description: string }> }).variable.maas_api_key!;
    expect(variable.sensitive).toBe(true);
    expect(variable.description).toContain('export TF_VAR_maas_api_key="$DC1_MAAS_KEY"');
    expect(validateProviderBlocks(custom, ["maas", "vault"])).toEqual([]);
  });

  it("takes per-role OS images over the provider's", () => {
    const spec = setPath(maasDocument(), "spec.nodePools.0.machine.maas.distroSeries", "jammy");
    setPath(spec, "spec.nodePools.0.machine.maas.hweKernel", "hwe-22.04");
    const { json: images } = synthMaas(spec);
    expect(instanceAt("pool-workers/node-0", images).deploy_params[0]).toMatchObject({ distro_series: "jammy", hwe_kernel: "hwe-22.04" });
    expect(instanceAt("control-plane/node-0", images).deploy_params[0]!.distro_series).toBe("noble");
  });

  it("installs Vault's CA on every machine when the spec names one, and says so when the file is missing", () => {
    const ca = join(work, "vault-ca.pem");
    writeFileSync(ca, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    const { json: withCa } = synthMaas(setPath(maasDocument(), "spec.provider.maas.vault.caCertPath", ca));
    expect(cloudConfigFiles(userDataOf(instanceAt("etcd-main/main-0", withCa))).get("/etc/kraken/vault-ca.pem")).toContain("BEGIN CERTIFICATE");
    expect(() => synthMaas(setPath(maasDocument(), "spec.provider.maas.vault.caCertPath", join(work, "missing.pem")))).toThrow(/vault\.caCertPath .*missing\.pem.*ENOENT/);
  });

  it("replaces only the member replaceMember names, which may then be destroyed", () => {
    const before = maasDocument();
    const after = setPath(maasDocument(), "spec.etcd.0.replaceMember", { member: 1, id: "2026-11-26-disk" });
    const { json: replaced } = synthMaas(after, before);
    const triggers = resourcesOf<Block & { triggers_replace?: { id?: string } }>(replaced, "terraform_data");
    const active = Object.entries(triggers).filter(([, block]) => block.triggers_replace?.id === "2026-11-26-disk");
    expect(active).toHaveLength(1);
    expect(instanceAt("etcd-main/main-1", replaced).lifecycle).toMatchObject({ prevent_destroy: false, replace_triggered_by: [`terraform_data.${active[0]![0]}`] });
    expect(instanceAt("etcd-main/main-0", replaced).lifecycle?.prevent_destroy).toBe(true);
  });

  it("refuses an unsafe etcd change against the applied spec, as on AWS", () => {
    const applied = maasDocument();
    const next = setPath(maasDocument(), "spec.etcd.0.machine.maas.minCpuCount", 16);
    expect(() => synthMaas(next, applied)).toThrow(EtcdProtectionError);
  });

  it("refuses an AWS spec and a second cluster in the stack", () => {
    const stack = new TerraformStack(Testing.app(), "two");
    new MaasCluster(stack, "one", { spec: maasDocument() });
    expect(() => new MaasCluster(stack, "other", { spec: maasDocument() })).toThrow(/already holds cluster/);
    const aws = defineCluster(parse(`apiVersion: kraken.dev/v1alpha1\nkind: Cluster\nmetadata: { name: a }\nspec:\n  kubernetes: { version: "1.36" }\n  provider: { aws: { region: us-west-2, availabilityZones: [us-west-2a] } }\n  etcd: [{ name: main, members: 1 }]\n  controlPlane: { replicas: 1 }\n`) as ClusterDocumentInput);
    expect(() => new MaasCluster(new TerraformStack(Testing.app(), "aws"), "cluster", { spec: aws })).toThrow(/use KrakenCluster/);
  });

  it("adds pools in code, validated like the spec's", () => {
    const stack = new TerraformStack(Testing.app(), "code");
    const cluster = new MaasCluster(stack, "cluster", { spec: maasDocument() });
    cluster.addNodePool("pool-gpu", { name: "gpu", minSize: 1, maxSize: 2, machine: { maas: { tags: ["gpu"] } } });
    expect(cluster.spec.spec.nodePools.map((pool) => pool.name)).toEqual(["workers", "gpu"]);
    expect(() => cluster.addNodePool("pool-bad", { name: "gpu", minSize: 1, maxSize: 2 })).toThrow(/duplicate/);
    const synthesized = JSON.parse(Testing.synth(stack)) as SynthesizedStack;
    expect(instanceAt("pool-gpu/node-0", synthesized).allocate_params).toEqual([{ tags: ["gpu"] }]);
  });
});

describe("a mixed fleet", () => {
  it("synthesizes an AWS and a MAAS cluster side by side, each with its own providers", () => {
    const app = new App({ outdir: join(work, "fleet") });
    const stacks = loadClusterFiles([EXAMPLES.awsMinimal, EXAMPLES.maasBareMetal]).map((cluster) => new ClusterStack(app, cluster));
    const [aws, maas] = stacks.map((stack) => JSON.parse(Testing.synth(stack)) as SynthesizedStack & { terraform: { required_providers: Record<string, unknown> } });
    expect(Object.keys(aws!.terraform.required_providers)).toEqual(["aws"]);
    expect(Object.keys(maas!.terraform.required_providers).sort()).toEqual(["maas", "vault"]);
    expect(stacks[1]!.cluster).toBeInstanceOf(MaasCluster);
  });
});
