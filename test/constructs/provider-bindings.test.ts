/**
 * The hand-written MAAS (canonical/maas 2.6.0) and Vault (hashicorp/vault 5.12.0) bindings: what
 * they synthesize, checked against JSON Schemas written from the providers' documentation
 * (neither provider can be downloaded here for `terraform validate`), and the checker itself.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Fn, TerraformIterator, TerraformOutput, TerraformStack, TerraformVariable, Testing, Token } from "cdktf";
import { describe, expect, it } from "vitest";
import { DataMaasResourcePool, DataMaasSubnet, DataMaasZone, MaasInstance, MaasMachine, MaasProvider, MaasTag } from "../../constructs/maas/provider";
import { VaultApproleAuthBackendRoleSecretId, VaultProvider } from "../../constructs/vault";
import { validateProviderBlocks } from "../support/provider-schema";

type Block = Record<string, unknown>;

interface StackJson {
  terraform?: { required_providers?: Record<string, { source: string; version: string }> };
  provider?: Record<string, Block[]>;
  resource?: Record<string, Record<string, Block>>;
  data?: Record<string, Record<string, Block>>;
  output?: Record<string, { value: unknown }>;
}

function synth(build: (stack: TerraformStack) => void): StackJson {
  const stack = new TerraformStack(Testing.app(), "bindings");
  build(stack);
  return JSON.parse(Testing.synth(stack)) as StackJson;
}

function resourceOf(json: StackJson, type: string, name: string): Block {
  const block = json.resource?.[type]?.[name];
  if (block === undefined) throw new Error(`resource.${type}.${name} was not synthesized`);
  return block;
}

function dataOf(json: StackJson, type: string, name: string): Block {
  const block = json.data?.[type]?.[name];
  if (block === undefined) throw new Error(`data.${type}.${name} was not synthesized`);
  return block;
}

const POWER_PARAMETERS = JSON.stringify({ power_address: "10.0.0.11", power_user: "maas", power_pass: "secret" });

/** Every MAAS binding with every argument set. */
function everyMaasArgument(stack: TerraformStack): void {
  new MaasProvider(stack, "maas", {
    apiUrl: "https://maas.example.com:5240/MAAS",
    apiKey: "consumer:token:secret",
    apiVersion: "2.0",
    tlsCaCertPath: "/etc/ssl/maas-ca.pem",
    tlsInsecureSkipVerify: false,
    installationMethod: "snap",
  });
  new MaasInstance(stack, "etcd-main-0", {
    allocateParams: { hostname: "etcd-1", minCpuCount: 4, minMemory: 8192, pool: "kraken", systemId: "abc123", tags: ["etcd", "nvme"], zone: "az1" },
    deployParams: { distroSeries: "noble", enableHwSync: true, ephemeral: false, hweKernel: "ga-24.04", userData: "#cloud-config\nruncmd: []\n" },
    networkInterfaces: [
      { name: "eth0", subnetCidr: "10.0.0.0/24", ipAddress: "10.0.0.21" },
      { name: "eth1", subnetCidr: "10.1.0.0/24" },
      { name: "eth2" },
    ],
    releaseParams: { comment: "released by kraken", erase: true, force: false, quickErase: true, secureErase: false },
    timeouts: { create: "45m", delete: "20m" },
  });
  new MaasTag(stack, "etcd", { name: "etcd", comment: "etcd members", definition: "//node[@class='disk']", kernelOpts: "console=ttyS0", machines: ["abc123", "etcd-2.maas"] });
  new MaasMachine(stack, "node", {
    powerType: "ipmi",
    powerParameters: POWER_PARAMETERS,
    pxeMacAddress: "52:54:00:12:34:56",
    architecture: "amd64/generic",
    domain: "maas",
    hostname: "node-1",
    minHweKernel: "ga-24.04",
    pool: "kraken",
    zone: "az1",
    timeouts: { create: "1h" },
  });
  new DataMaasSubnet(stack, "nodes", { cidr: "10.0.0.0/24" });
  new DataMaasZone(stack, "az1", { name: "az1" });
  new DataMaasResourcePool(stack, "kraken", { name: "kraken" });
}

describe("MAAS bindings", () => {
  it("synthesize every argument in snake_case, with max-one blocks as one-item lists and NICs as a list", () => {
    // GIVEN every binding with every argument / WHEN synthesized
    const json = synth(everyMaasArgument);

    // THEN the provider is pinned exactly and its arguments are snake_case
    expect(json.terraform?.required_providers?.maas).toEqual({ source: "canonical/maas", version: "2.6.0" });
    expect(json.provider?.maas).toEqual([
      {
        api_url: "https://maas.example.com:5240/MAAS",
        api_key: "consumer:token:secret",
        api_version: "2.0",
        tls_ca_cert_path: "/etc/ssl/maas-ca.pem",
        tls_insecure_skip_verify: false,
        installation_method: "snap",
      },
    ]);
    // AND nested blocks are JSON arrays of objects, timeouts a single object
    expect(resourceOf(json, "maas_instance", "etcd-main-0")).toEqual({
      allocate_params: [{ hostname: "etcd-1", min_cpu_count: 4, min_memory: 8192, pool: "kraken", system_id: "abc123", tags: ["etcd", "nvme"], zone: "az1" }],
      deploy_params: [{ distro_series: "noble", enable_hw_sync: true, ephemeral: false, hwe_kernel: "ga-24.04", user_data: "#cloud-config\nruncmd: []\n" }],
      network_interfaces: [{ name: "eth0", subnet_cidr: "10.0.0.0/24", ip_address: "10.0.0.21" }, { name: "eth1", subnet_cidr: "10.1.0.0/24" }, { name: "eth2" }],
      release_params: [{ comment: "released by kraken", erase: true, force: false, quick_erase: true, secure_erase: false }],
      timeouts: { create: "45m", delete: "20m" },
    });
    expect(resourceOf(json, "maas_tag", "etcd")).toEqual({ name: "etcd", comment: "etcd members", definition: "//node[@class='disk']", kernel_opts: "console=ttyS0", machines: ["abc123", "etcd-2.maas"] });
    // AND power_parameters stays a JSON string, as provider 2.x wants
    expect(resourceOf(json, "maas_machine", "node")).toEqual({
      power_type: "ipmi",
      power_parameters: POWER_PARAMETERS,
      pxe_mac_address: "52:54:00:12:34:56",
      architecture: "amd64/generic",
      domain: "maas",
      hostname: "node-1",
      min_hwe_kernel: "ga-24.04",
      pool: "kraken",
      zone: "az1",
      timeouts: { create: "1h" },
    });
    expect(dataOf(json, "maas_subnet", "nodes")).toEqual({ cidr: "10.0.0.0/24" });
    expect(dataOf(json, "maas_zone", "az1")).toEqual({ name: "az1" });
    expect(dataOf(json, "maas_resource_pool", "kraken")).toEqual({ name: "kraken" });
    // AND every block matches the provider's documented schema
    expect(validateProviderBlocks(json, ["maas"])).toEqual([]);
  });

  it("leave unset arguments out rather than writing null", () => {
    // GIVEN only the required arguments
    const json = synth((stack) => {
      new MaasProvider(stack, "maas");
      new MaasInstance(stack, "any");
      new MaasTag(stack, "tag", { name: "worker" });
      new MaasMachine(stack, "node", { powerType: "manual", powerParameters: "{}", pxeMacAddress: "52:54:00:00:00:01" });
      new DataMaasSubnet(stack, "nodes", { cidr: "10.0.0.0/24" });
      new DataMaasZone(stack, "az1", { name: "az1" });
      new DataMaasResourcePool(stack, "pool", { name: "default" });
    });

    // THEN nothing but what was given is written
    expect(json.provider?.maas).toEqual([{}]);
    expect(resourceOf(json, "maas_instance", "any")).toEqual({});
    expect(resourceOf(json, "maas_tag", "tag")).toEqual({ name: "worker" });
    expect(resourceOf(json, "maas_machine", "node")).toEqual({ power_type: "manual", power_parameters: "{}", pxe_mac_address: "52:54:00:00:00:01" });
    expect(JSON.stringify(json)).not.toContain("null");
    expect(validateProviderBlocks(json, ["maas"])).toEqual([]);
  });

  it("take tokens for strings, numbers and lists, and meta-arguments (provider alias, count, depends_on, lifecycle)", () => {
    // GIVEN an aliased provider, a tag and a subnet whose attributes feed an instance
    const json = synth((stack) => {
      new MaasProvider(stack, "maas", { apiUrl: "https://maas.example.com:5240/MAAS" });
      const secondRegion = new MaasProvider(stack, "maas-dc2", { alias: "dc2", apiUrl: "https://maas-dc2.example.com:5240/MAAS" });
      const cpus = new TerraformVariable(stack, "cpus", { type: "number" });
      const extraTags = new TerraformVariable(stack, "extra_tags", { type: "list(string)" });
      const tag = new MaasTag(stack, "etcd", { name: "etcd", provider: secondRegion });
      const subnet = new DataMaasSubnet(stack, "nodes", { cidr: "10.0.0.0/24", provider: secondRegion });
      new MaasTag(stack, "extra", { name: "extra", machines: extraTags.listValue, provider: secondRegion });
      new MaasInstance(stack, "etcd-main-0", {
        provider: secondRegion,
        count: 3,
        dependsOn: [tag],
        lifecycle: { ignoreChanges: ["deploy_params"], createBeforeDestroy: true, preventDestroy: true, replaceTriggeredBy: [tag] },
        allocateParams: { tags: [tag.name], minCpuCount: cpus.numberValue },
        deployParams: { userData: `#cloud-config\nbootcmd: [echo ${subnet.gatewayIp}]\n`, enableHwSync: Token.asAny("${var.hw_sync}") },
        networkInterfaces: [{ name: "eth0", subnetCidr: subnet.cidr }],
      });
    });

    // THEN references synthesize as ${...} expressions and meta-arguments as Terraform writes them
    const instance = resourceOf(json, "maas_instance", "etcd-main-0");
    expect(instance).toMatchObject({
      provider: "maas.dc2",
      count: 3,
      depends_on: ["maas_tag.etcd"],
      lifecycle: { ignore_changes: ["deploy_params"], create_before_destroy: true, prevent_destroy: true, replace_triggered_by: ["${maas_tag.etcd}"] },
      allocate_params: [{ tags: ["${maas_tag.etcd.name}"], min_cpu_count: "${var.cpus}" }],
      deploy_params: [{ user_data: "#cloud-config\nbootcmd: [echo ${data.maas_subnet.nodes.gateway_ip}]\n", enable_hw_sync: "${var.hw_sync}" }],
      network_interfaces: [{ name: "eth0", subnet_cidr: "${data.maas_subnet.nodes.cidr}" }],
    });
    expect(resourceOf(json, "maas_tag", "extra").machines).toBe("${var.extra_tags}");
    expect(dataOf(json, "maas_subnet", "nodes").provider).toBe("maas.dc2");
    expect(json.provider?.maas).toEqual([{ api_url: "https://maas.example.com:5240/MAAS" }, { alias: "dc2", api_url: "https://maas-dc2.example.com:5240/MAAS" }]);
    expect(validateProviderBlocks(json, ["maas"])).toEqual([]);
  });

  it("take an iterator for for_each and for dynamic network_interfaces blocks", () => {
    // GIVEN machines from a map and NICs from a list
    const json = synth((stack) => {
      new MaasProvider(stack, "maas");
      const machines = TerraformIterator.fromMap(new TerraformVariable(stack, "machines", { type: "map(string)" }).value as Record<string, string>);
      const systemId: string = Token.asString(machines.value);
      const nics = TerraformIterator.fromList(new TerraformVariable(stack, "nics", { type: "list(string)" }).listValue);
      new MaasInstance(stack, "worker", {
        forEach: machines,
        allocateParams: { systemId },
        networkInterfaces: nics.dynamic({ name: Token.asString(nics.value), subnet_cidr: "10.0.0.0/24" }),
      });
    });

    // THEN Terraform gets for_each and a dynamic block with the NIC's schema as content
    const worker = resourceOf(json, "maas_instance", "worker");
    expect(worker.for_each).toBe("${var.machines}");
    expect(worker.dynamic).toEqual({ network_interfaces: { for_each: "${toset(var.nics)}", iterator: "each", content: { name: "${each.value}", subnet_cidr: "10.0.0.0/24" } } });
    expect(validateProviderBlocks(json, ["maas"])).toEqual([]);
  });

  it("expose computed attributes as references", () => {
    // GIVEN outputs of an instance's and a subnet's computed attributes
    const json = synth((stack) => {
      new MaasProvider(stack, "maas");
      const instance = new MaasInstance(stack, "cp", {});
      const subnet = new DataMaasSubnet(stack, "nodes", { cidr: "10.0.0.0/24" });
      const outputs: Record<string, unknown> = {
        id: instance.id,
        fqdn: instance.fqdn,
        ips: instance.ipAddresses,
        cpus: instance.cpuCount,
        memory: instance.memory,
        tags: instance.tags,
        vid: subnet.vid,
        dns: subnet.dnsServers,
        first_ip: Fn.element(instance.ipAddresses, 0),
      };
      for (const [name, value] of Object.entries(outputs)) new TerraformOutput(stack, name, { value });
    });
    // THEN each is a reference Terraform resolves after apply (sets through tolist, for indexing)
    expect(Object.fromEntries(Object.entries(json.output ?? {}).map(([name, output]) => [name, output.value]))).toEqual({
      id: "${maas_instance.cp.id}",
      fqdn: "${maas_instance.cp.fqdn}",
      ips: "${tolist(maas_instance.cp.ip_addresses)}",
      cpus: "${maas_instance.cp.cpu_count}",
      memory: "${maas_instance.cp.memory}",
      tags: "${tolist(maas_instance.cp.tags)}",
      vid: "${data.maas_subnet.nodes.vid}",
      dns: "${data.maas_subnet.nodes.dns_servers}",
      first_ip: "${element(tolist(maas_instance.cp.ip_addresses), 0)}",
    });
  });

  it("refuse a static NIC address without a subnet, naming the NIC", () => {
    // GIVEN eth1 with an address but no subnet / THEN construction fails (MAAS would only say so at apply)
    const stack = new TerraformStack(Testing.app(), "bindings");
    expect(() => new MaasInstance(stack, "bad", { networkInterfaces: [{ name: "eth0", subnetCidr: "10.0.0.0/24" }, { name: "eth1", ipAddress: "10.0.1.5" }] })).toThrow(
      /networkInterfaces\[1\]\.ipAddress \(10\.0\.1\.5\) needs subnetCidr/,
    );
  });

  it("keep blocks as blocks and JSON strings as strings in HCL output", () => {
    // GIVEN every argument / WHEN synthesized as HCL (cdktf synth --hcl)
    const stack = new TerraformStack(Testing.app(), "bindings");
    everyMaasArgument(stack);
    const hcl = String(Testing.synthHcl(stack));
    // THEN nested blocks are blocks and power_parameters is a quoted string, not an HCL object
    expect(hcl).toContain("allocate_params {");
    expect(hcl).toMatch(/network_interfaces \{\s*name = "eth2"/);
    expect(hcl).toContain(`power_parameters = ${JSON.stringify(POWER_PARAMETERS)}`);
    expect(hcl).toContain('machines = [\n"abc123",\n"etcd-2.maas"\n]');
  });

  it("pass the checker in the files `cdktf synth` writes, construct metadata included", () => {
    // GIVEN a full synth (which adds "//" metadata to every block)
    const stack = new TerraformStack(Testing.app(), "bindings");
    everyMaasArgument(stack);
    const outdir = Testing.fullSynth(stack);
    const json = JSON.parse(readFileSync(join(outdir, "stacks/bindings/cdk.tf.json"), "utf8")) as StackJson;
    expect(resourceOf(json, "maas_instance", "etcd-main-0")["//"]).toBeDefined();
    expect(validateProviderBlocks(json, ["maas"])).toEqual([]);
  });
});

describe("Vault bindings", () => {
  it("synthesize every argument of the provider and of the AppRole SecretID", () => {
    // GIVEN every argument
    const json = synth((stack) => {
      new VaultProvider(stack, "vault", {
        address: "https://vault.example.com:8200",
        addAddressToEnv: "true",
        token: "hvs.placeholder",
        tokenName: "kraken-ci",
        skipChildToken: false,
        caCertFile: "/etc/ssl/vault-ca.pem",
        caCertDir: "/etc/ssl/vault",
        skipTlsVerify: false,
        tlsServerName: "vault.example.com",
        maxLeaseTtlSeconds: 1200,
        maxRetries: 2,
        maxRetriesCcc: 10,
        namespace: "admin",
        setNamespaceFromToken: true,
        skipGetVaultVersion: false,
        vaultVersionOverride: "1.18.3",
        authLogin: { path: "auth/approle/login", parameters: { role_id: "ci", secret_id: "from-env" }, namespace: "admin" },
        clientAuth: { certFile: "/etc/ssl/client.pem", keyFile: "/etc/ssl/client-key.pem" },
        headers: [{ name: "X-Team", value: "platform" }],
        alias: "admin",
      });
      new VaultApproleAuthBackendRoleSecretId(stack, "etcd-main-0", {
        roleName: "kraken-node",
        backend: "approle",
        cidrList: ["10.0.0.21/32"],
        tokenBoundCidrs: ["10.0.0.21/32"],
        metadata: JSON.stringify({ machine: "etcd-main-0" }),
        wrappingTtl: "30m",
        withWrappedAccessor: true,
        numUses: 1,
        ttl: 3600,
        namespace: "nodes",
      });
    });

    // THEN
    expect(json.terraform?.required_providers?.vault).toEqual({ source: "hashicorp/vault", version: "5.12.0" });
    expect(json.provider?.vault).toEqual([
      {
        address: "https://vault.example.com:8200",
        add_address_to_env: "true",
        token: "hvs.placeholder",
        token_name: "kraken-ci",
        skip_child_token: false,
        ca_cert_file: "/etc/ssl/vault-ca.pem",
        ca_cert_dir: "/etc/ssl/vault",
        skip_tls_verify: false,
        tls_server_name: "vault.example.com",
        max_lease_ttl_seconds: 1200,
        max_retries: 2,
        max_retries_ccc: 10,
        namespace: "admin",
        set_namespace_from_token: true,
        skip_get_vault_version: false,
        vault_version_override: "1.18.3",
        auth_login: [{ path: "auth/approle/login", parameters: { role_id: "ci", secret_id: "from-env" }, namespace: "admin" }],
        client_auth: [{ cert_file: "/etc/ssl/client.pem", key_file: "/etc/ssl/client-key.pem" }],
        headers: [{ name: "X-Team", value: "platform" }],
        alias: "admin",
      },
    ]);
    expect(resourceOf(json, "vault_approle_auth_backend_role_secret_id", "etcd-main-0")).toEqual({
      role_name: "kraken-node",
      backend: "approle",
      cidr_list: ["10.0.0.21/32"],
      token_bound_cidrs: ["10.0.0.21/32"],
      metadata: '{"machine":"etcd-main-0"}',
      wrapping_ttl: "30m",
      with_wrapped_accessor: true,
      num_uses: 1,
      ttl: 3600,
      namespace: "nodes",
    });
    expect(validateProviderBlocks(json, ["vault"])).toEqual([]);
  });

  it("write only role_name when that is all there is (address and token come from VAULT_ADDR / VAULT_TOKEN)", () => {
    const json = synth((stack) => {
      new VaultProvider(stack, "vault");
      new VaultApproleAuthBackendRoleSecretId(stack, "id", { roleName: "kraken-node" });
    });
    expect(json.provider?.vault).toEqual([{}]);
    expect(resourceOf(json, "vault_approle_auth_backend_role_secret_id", "id")).toEqual({ role_name: "kraken-node" });
    expect(validateProviderBlocks(json, ["vault"])).toEqual([]);
  });

  it("hand a machine's user data the single-use wrapping token, never the SecretID (secure introduction)", () => {
    // GIVEN a wrapped SecretID per machine, bound to the machine's address
    const json = synth((stack) => {
      new MaasProvider(stack, "maas");
      new VaultProvider(stack, "vault");
      const secretId = new VaultApproleAuthBackendRoleSecretId(stack, "etcd-main-0-secret-id", {
        roleName: "kraken-node",
        cidrList: ["10.0.0.21/32"],
        wrappingTtl: "2h",
        lifecycle: { ignoreChanges: ["wrapping_ttl"] },
      });
      new MaasInstance(stack, "etcd-main-0", {
        deployParams: { userData: `#cloud-config\nwrite_files:\n- path: /etc/kraken/vault-wrapped-secret-id\n  content: ${secretId.wrappingToken}\n` },
        networkInterfaces: [{ name: "eth0", subnetCidr: "10.0.0.0/24", ipAddress: "10.0.0.21" }],
        dependsOn: [secretId],
        lifecycle: { replaceTriggeredBy: [secretId] },
      });
    });

    // THEN the user data references the wrapping token only
    const userData = (resourceOf(json, "maas_instance", "etcd-main-0").deploy_params as Block[])[0]!.user_data as string;
    expect(userData).toContain("${vault_approle_auth_backend_role_secret_id.etcd-main-0-secret-id.wrapping_token}");
    expect(userData).not.toContain("secret_id}");
    // AND both providers' blocks are valid together
    expect(validateProviderBlocks(json, ["maas", "vault"])).toEqual([]);
  });
});

describe("validateProviderBlocks", () => {
  /** A valid stack with both providers: every check below breaks one thing in a copy of it. */
  const baseline = synth((stack) => {
    everyMaasArgument(stack);
    new VaultProvider(stack, "vault");
    new VaultApproleAuthBackendRoleSecretId(stack, "etcd-main-0-secret-id", { roleName: "kraken-node", wrappingTtl: "30m" });
  });

  function broken(change: (json: StackJson & { resource: Record<string, Record<string, Block>> }) => void): string[] {
    const json = structuredClone(baseline) as StackJson & { resource: Record<string, Record<string, Block>> };
    change(json);
    return validateProviderBlocks(json, ["maas", "vault"]);
  }

  const instance = (json: StackJson): Block => resourceOf(json, "maas_instance", "etcd-main-0");

  it("accepts the untouched baseline, and ignores other providers' blocks", () => {
    expect(validateProviderBlocks(baseline, ["maas", "vault"])).toEqual([]);
    expect(broken((json) => (json.resource.aws_instance = { web: { anything: true } }))).toEqual([]);
  });

  it("fails on an unknown attribute, top-level or nested, naming the block and the path", () => {
    expect(broken((json) => (instance(json).bogus = "x"))).toEqual(["resource.maas_instance.etcd-main-0: /bogus: must NOT have additional properties"]);
    // allocate_params.architecture exists only after 2.6.0
    expect(broken((json) => ((instance(json).allocate_params as Block[])[0]!.architecture = "amd64/generic"))).toEqual([
      "resource.maas_instance.etcd-main-0: /allocate_params/0/architecture: must NOT have additional properties",
    ]);
    // a computed attribute cannot be set
    expect(broken((json) => (instance(json).fqdn = "etcd-1.maas"))).toEqual(["resource.maas_instance.etcd-main-0: /fqdn: must NOT have additional properties"]);
    expect(broken((json) => (json.provider!.maas![0]!.api_token = "x"))).toEqual(["provider.maas: /api_token: must NOT have additional properties"]);
  });

  it("fails on a missing required attribute", () => {
    expect(broken((json) => delete (instance(json).network_interfaces as Block[])[1]!.name)).toEqual([
      "resource.maas_instance.etcd-main-0: /network_interfaces/1: must have required property 'name'",
    ]);
    expect(broken((json) => delete resourceOf(json, "maas_machine", "node").power_type)).toEqual(["resource.maas_machine.node: /: must have required property 'power_type'"]);
    expect(broken((json) => delete resourceOf(json, "vault_approle_auth_backend_role_secret_id", "etcd-main-0-secret-id").role_name)).toEqual([
      "resource.vault_approle_auth_backend_role_secret_id.etcd-main-0-secret-id: /: must have required property 'role_name'",
    ]);
    expect(broken((json) => delete dataOf(json, "maas_subnet", "nodes").cidr)).toEqual(["data.maas_subnet.nodes: /: must have required property 'cidr'"]);
  });

  it("fails on wrong nesting: a block as a string, a set as a string, two blocks where one is allowed", () => {
    expect(broken((json) => (instance(json).allocate_params = "etcd"))).toContain("resource.maas_instance.etcd-main-0: /allocate_params: must be object,array");
    expect(broken((json) => ((instance(json).allocate_params as Block[])[0]!.tags = "etcd"))).toEqual([
      'resource.maas_instance.etcd-main-0: /allocate_params/0/tags: must match pattern "^\\$\\{[\\s\\S]*\\}$"',
    ]);
    expect(broken((json) => (instance(json).allocate_params = [{ zone: "az1" }, { zone: "az2" }]))).toEqual([
      "resource.maas_instance.etcd-main-0: /allocate_params: must NOT have more than 1 items",
    ]);
    expect(broken((json) => (instance(json).timeouts = [{ create: "1h" }, { delete: "1h" }]))).toEqual(["resource.maas_instance.etcd-main-0: /timeouts: must NOT have more than 1 items"]);
  });

  it("fails on wrong types, but takes whole ${...} expressions for numbers and bools", () => {
    expect(broken((json) => ((instance(json).allocate_params as Block[])[0]!.min_cpu_count = "4"))).toEqual([
      'resource.maas_instance.etcd-main-0: /allocate_params/0/min_cpu_count: must match pattern "^\\$\\{[\\s\\S]*\\}$"',
    ]);
    expect(broken((json) => ((instance(json).allocate_params as Block[])[0]!.min_cpu_count = 1.5))).toEqual([
      "resource.maas_instance.etcd-main-0: /allocate_params/0/min_cpu_count: must be integer,string",
    ]);
    expect(broken((json) => ((instance(json).deploy_params as Block[])[0]!.ephemeral = "${var.ephemeral}"))).toEqual([]);
    expect(broken((json) => (resourceOf(json, "vault_approle_auth_backend_role_secret_id", "etcd-main-0-secret-id").with_wrapped_accessor = "yes"))).toEqual([
      'resource.vault_approle_auth_backend_role_secret_id.etcd-main-0-secret-id: /with_wrapped_accessor: must match pattern "^\\$\\{[\\s\\S]*\\}$"',
    ]);
    expect(broken((json) => (resourceOf(json, "maas_machine", "node").power_type = "ilo"))).toHaveLength(1);
  });

  it("fails on a resource or data source type the schema does not describe", () => {
    expect(broken((json) => (json.resource.maas_bogus = { x: { name: "x" } }))).toEqual([
      expect.stringMatching(/^resource\.maas_bogus: unknown resource type for maas 2\.6\.0 \(.*maas\.schema\.json describes maas_instance, maas_tag, maas_machine\)$/),
    ]);
    expect(broken((json) => (json.data!.maas_fabric = { main: { name: "fabric-0" } }))).toEqual([expect.stringMatching(/^data\.maas_fabric: unknown data source type for maas 2\.6\.0/)]);
  });

  it("fails when required_providers does not pin the schema's source and version", () => {
    expect(broken((json) => (json.terraform!.required_providers!.maas!.version = "2.5.0"))).toEqual([
      'terraform.required_providers.maas: /version: must be equal to constant "2.6.0", got "2.5.0"',
    ]);
    expect(broken((json) => (json.terraform!.required_providers!.maas!.version = "~> 2.6"))).toHaveLength(1);
    expect(broken((json) => (json.terraform!.required_providers!.vault!.source = "openbao/vault"))).toEqual([
      'terraform.required_providers.vault: /source: must be equal to one of the allowed values ["hashicorp/vault","registry.terraform.io/hashicorp/vault"]',
    ]);
    expect(broken((json) => delete json.terraform!.required_providers!.maas)).toEqual(["terraform.required_providers.maas: missing; the stack must pin maas 2.6.0"]);
  });

  it("fails on meta-arguments that point nowhere or are malformed", () => {
    expect(broken((json) => (instance(json).provider = "maas.dc9"))).toEqual(['resource.maas_instance.etcd-main-0: /provider: no provider "maas" block has alias "dc9"']);
    expect(broken((json) => (instance(json).provider = "vault"))).toEqual([expect.stringMatching(/^resource\.maas_instance\.etcd-main-0: \/provider: must match pattern/)]);
    expect(broken((json) => (instance(json).lifecycle = { ignore_changes: "everything" }))).toEqual([
      'resource.maas_instance.etcd-main-0: /lifecycle/ignore_changes: must match pattern "^all$"',
    ]);
    expect(broken((json) => (dataOf(json, "maas_zone", "az1").lifecycle = { prevent_destroy: true }))).toEqual(["data.maas_zone.az1: /lifecycle/prevent_destroy: must NOT have additional properties"]);
    expect(broken((json) => (resourceOf(json, "maas_tag", "etcd").timeouts = { create: "1m" }))).toEqual(["resource.maas_tag.etcd: /timeouts: must NOT have additional properties"]);
  });

  it("fails on something that is not a stack", () => {
    expect(validateProviderBlocks("cdk.tf.json", ["maas"])).toEqual(["stack: expected the synthesized stack JSON (an object), got string"]);
    expect(validateProviderBlocks({}, ["vault"])).toEqual(["terraform.required_providers.vault: missing; the stack must pin vault 5.12.0"]);
  });
});
