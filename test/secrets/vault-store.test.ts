/**
 * The Vault secret store of MAAS clusters: its naming and policies (pure), and VaultStore and
 * prepareVaultAccess against a test double of Vault on loopback (test/support/fake-vault.ts),
 * since these machines cannot run Vault. The double enforces policies, so what a token may do is
 * checked by asking it, not by reading the policy text.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createCertificateAuthority, issueCertificate } from "../../lib/pki";
import {
  durationSeconds,
  prepareVaultAccess,
  vaultAccessPlan,
  vaultAppRoleSettings,
  vaultBootstrapEnvironment,
  VaultError,
  vaultMachineRoles,
  vaultRoleForSecret,
  VaultStore,
  vaultTerraformPolicyName,
} from "../../lib/secrets";
import type { Cluster } from "../../lib/spec";
import { clusterFrom } from "../bootstrap/fixtures";
import { startFakeVault, type FakeVault } from "../support/fake-vault";
import { maasDocument, setPath } from "../util";

/** examples' MAAS fixture (cluster "metal", etcd "main"), with Vault at `address`. */
function metal(address = "https://vault.example.com:8200/", changes: Readonly<Record<string, unknown>> = {}): Cluster {
  const document = maasDocument();
  setPath(document, "spec.provider.maas.vault.address", address);
  for (const [path, value] of Object.entries(changes)) setPath(document, path, value);
  return clusterFrom(document);
}

/** A call to the double as Terraform or an operator would make it. */

async function tokenWithPolicy(fake: FakeVault, policy: string): Promise<string> {
  const created = await fake.call(fake.rootToken, "POST", "auth/token/create", { policies: [policy] });
  return (created.body.auth as { client_token: string }).client_token;
}

describe("names, policies and role settings", () => {
  const cluster = metal();

  it("gives each machine role one AppRole role, one policy and one secret, named after the cluster", () => {
    expect(vaultMachineRoles(cluster)).toEqual([
      { role: "control-plane", roleName: "kraken-metal-control-plane", roleId: "kraken-metal-control-plane", policyName: "kraken-metal-control-plane", secretName: "kraken/metal/control-plane" },
      { role: "workers", roleName: "kraken-metal-workers", roleId: "kraken-metal-workers", policyName: "kraken-metal-workers", secretName: "kraken/metal/workers" },
      { role: "etcd-main", roleName: "kraken-metal-etcd-main", roleId: "kraken-metal-etcd-main", policyName: "kraken-metal-etcd-main", secretName: "kraken/metal/etcd-main" },
    ]);
    expect(vaultTerraformPolicyName(cluster)).toBe("kraken-metal-terraform");
  });

  it("finds the role of a machine's secret, and refuses the authority, which no machine reads", () => {
    expect(vaultRoleForSecret(cluster, "kraken/metal/etcd-main").roleName).toBe("kraken-metal-etcd-main");
    expect(() => vaultRoleForSecret(cluster, "kraken/metal/authority")).toThrow(/no machine of cluster metal reads secret kraken\/metal\/authority/);
  });

  it("gives the bootstrap Vault's address (without a trailing slash), the mounts and the role ID", () => {
    expect(vaultBootstrapEnvironment(cluster.spec.provider.maas!.vault, "kraken-metal-workers")).toEqual({
      VAULT_ADDR: "https://vault.example.com:8200",
      VAULT_KV_MOUNT: "secret",
      VAULT_APPROLE_MOUNT: "approle",
      VAULT_ROLE_ID: "kraken-metal-workers",
    });
  });

  it("binds secret IDs to the machines' subnet and lets them live as long as their machine (Terraform destroys them with it)", () => {
    const role = vaultRoleForSecret(cluster, "kraken/metal/workers");
    expect(vaultAppRoleSettings(cluster, role)).toEqual({
      bind_secret_id: true,
      token_policies: ["kraken-metal-workers"],
      token_ttl: 600,
      token_max_ttl: 900,
      token_bound_cidrs: ["192.168.10.0/24"],
      secret_id_num_uses: 0,
      secret_id_ttl: 0,
      secret_id_bound_cidrs: ["192.168.10.0/24"],
    });
  });

  it("reads spec durations in seconds", () => {
    expect([durationSeconds("45s"), durationSeconds("90m"), durationSeconds("2h")]).toEqual([45, 5400, 7200]);
    expect(() => durationSeconds("2d")).toThrow(/"2d" is not a duration/);
  });

  it("plans a read-only policy per role on the secret's KV v2 data path, and the Terraform policy", () => {
    const plan = vaultAccessPlan(cluster);
    expect(plan.policies.map((policy) => [policy.name, policy.allows])).toEqual([
      ["kraken-metal-control-plane", "read secret/data/kraken/metal/control-plane"],
      ["kraken-metal-workers", "read secret/data/kraken/metal/workers"],
      ["kraken-metal-etcd-main", "read secret/data/kraken/metal/etcd-main"],
      ["kraken-metal-terraform", "mint the machine roles' secret IDs (for CI's Terraform); no secret"],
    ]);
    expect(plan.roles.map((role) => role.path)).toEqual(["auth/approle/role/kraken-metal-control-plane", "auth/approle/role/kraken-metal-workers", "auth/approle/role/kraken-metal-etcd-main"]);
    expect(plan.terraformPolicyName).toBe("kraken-metal-terraform");
  });
});

describe("VaultStore", () => {
  let fake: FakeVault;
  beforeAll(async () => {
    fake = await startFakeVault();
  });
  afterAll(async () => {
    await fake.close();
  });

  it("GIVEN no secret WHEN created THEN Vault holds the document in KV v2, with the description and tags as custom metadata", async () => {
    const store = new VaultStore(metal(fake.address).spec.provider.maas!.vault, fake.rootToken);
    expect(store.description).toBe(`Vault at ${fake.address}, KV v2 mount secret`);
    expect(await store.exists("kraken/metal/workers")).toBe(false);

    await store.create("kraken/metal/workers", '{"files":[],"values":{}}', "workers' join token", { "kraken.dev/cluster": "metal" });

    expect(await store.exists("kraken/metal/workers")).toBe(true);
    expect(fake.kvData("secret", "kraken/metal/workers")).toEqual({ document: '{"files":[],"values":{}}' });
    expect(fake.kv.get("secret/kraken/metal/workers")?.customMetadata).toEqual({ description: "workers' join token", "kraken.dev/cluster": "metal" });
  });

  it("GIVEN a secret WHEN created again THEN Vault refuses (check-and-set 0) and nothing changes, in a one-line error with the status", async () => {
    const store = new VaultStore(metal(fake.address).spec.provider.maas!.vault, fake.rootToken);
    await store.create("kraken/metal/once", '"first"', "", {});
    const error = await store.create("kraken/metal/once", '"second"', "", {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VaultError);
    expect((error as VaultError).message).toBe(`Vault at ${fake.address} refused POST secret/data/kraken/metal/once: HTTP 400: check-and-set parameter did not match the current version`);
    expect((error as VaultError).status).toBe(400);
    expect(fake.kvData("secret", "kraken/metal/once")).toEqual({ document: '"first"' });
  });

  it("GIVEN a secret WHEN read and updated THEN Vault holds a new version, and an update from a stale read is refused (check-and-set)", async () => {
    const store = new VaultStore(metal(fake.address).spec.provider.maas!.vault, fake.rootToken);
    await store.create("kraken/metal/etcd-rotate", '{"files":[],"values":{}}', "", {});
    const first = await store.read("kraken/metal/etcd-rotate");
    expect(first).toEqual({ value: '{"files":[],"values":{}}', version: "1" });

    await store.update("kraken/metal/etcd-rotate", '{"files":[],"values":{"A":"1"}}', first.version);
    expect(await store.read("kraken/metal/etcd-rotate")).toEqual({ value: '{"files":[],"values":{"A":"1"}}', version: "2" });

    // A second admin who read version 1 too does not overwrite the first one's change.
    await expect(store.update("kraken/metal/etcd-rotate", '{"files":[],"values":{"B":"2"}}', first.version)).rejects.toThrow(/check-and-set parameter did not match the current version/);
    expect(fake.kvData("secret", "kraken/metal/etcd-rotate")).toEqual({ document: '{"files":[],"values":{"A":"1"}}' });
  });

  it("GIVEN a token Vault does not know WHEN used THEN the error says 403 and permission denied", async () => {
    const store = new VaultStore(metal(fake.address).spec.provider.maas!.vault, "hvs.not-a-token");
    await expect(store.exists("kraken/metal/workers")).rejects.toThrow(`Vault at ${fake.address} refused GET secret/metadata/kraken/metal/workers: HTTP 403: permission denied`);
  });

  it("GIVEN no token WHEN used THEN the error names the environment variable", async () => {
    const store = VaultStore.forCluster(metal(fake.address, { "spec.provider.maas.vault.tokenEnv": "KRAKEN_VAULT_TOKEN" }), {});
    expect(store.hasToken).toBe(false);
    await expect(store.exists("kraken/metal/workers")).rejects.toThrow(/environment variable KRAKEN_VAULT_TOKEN holds no Vault token/);
  });

  it("GIVEN nothing listens WHEN used THEN the error says Vault cannot be reached, and why", async () => {
    // A port that was free a moment ago (fetch refuses well-known ports such as 9 outright).
    const closed = await startFakeVault();
    await closed.close();
    const store = new VaultStore(metal(closed.address).spec.provider.maas!.vault, "hvs.any");
    await expect(store.exists("kraken/metal/workers")).rejects.toThrow(new RegExp(`^cannot reach Vault at ${closed.address}: .*ECONNREFUSED`));
  });
});

describe("VaultStore over TLS with a private CA (provider.maas.vault.caCertPath)", () => {
  let fake: FakeVault;
  const work = mkdtempSync(join(tmpdir(), "k2-vault-tls-"));
  const caPath = join(work, "vault-ca.pem");
  beforeAll(async () => {
    const ca = await createCertificateAuthority({ commonName: "vault-ca", organization: "kraken tests", validityDays: 1 });
    const server = await issueCertificate(ca, { commonName: "vault", ipAddresses: ["127.0.0.1"], usages: ["server"], validityDays: 1 });
    writeFileSync(caPath, ca.certificatePem);
    fake = await startFakeVault({ tls: { ...server, caPem: ca.certificatePem } });
  });
  afterAll(async () => {
    await fake.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("GIVEN the CA WHEN used THEN it trusts Vault's certificate", async () => {
    const store = new VaultStore(metal(fake.address, { "spec.provider.maas.vault.caCertPath": caPath }).spec.provider.maas!.vault, fake.rootToken);
    expect(await store.exists("kraken/metal/workers")).toBe(false);
  });

  it("GIVEN no CA WHEN used THEN the error says to set caCertPath", async () => {
    const store = new VaultStore(metal(fake.address).spec.provider.maas!.vault, fake.rootToken);
    await expect(store.exists("kraken/metal/workers")).rejects.toThrow(/^cannot reach Vault at https:\/\/127\.0\.0\.1:\d+: .*certificate.*set provider\.maas\.vault\.caCertPath/);
  });

  it("GIVEN a CA file that is missing WHEN used THEN the error names the file", async () => {
    const store = new VaultStore(metal(fake.address, { "spec.provider.maas.vault.caCertPath": join(work, "missing.pem") }).spec.provider.maas!.vault, fake.rootToken);
    await expect(store.exists("kraken/metal/workers")).rejects.toThrow(/cannot read provider\.maas\.vault\.caCertPath .*missing\.pem/);
  });
});

describe("prepareVaultAccess", () => {
  let fake: FakeVault;
  let cluster: Cluster;
  beforeEach(async () => {
    fake = await startFakeVault();
    cluster = metal(fake.address);
    await prepareVaultAccess(new VaultStore(cluster.spec.provider.maas!.vault, fake.rootToken), cluster);
  });
  afterEach(async () => {
    await fake.close();
  });

  it("writes one AppRole role per machine role, as Vault reads it back", async () => {
    const role = await fake.call(fake.rootToken, "GET", "auth/approle/role/kraken-metal-etcd-main");
    expect(role.status).toBe(200);
    expect(role.body.data).toEqual({
      bind_secret_id: true,
      token_policies: ["kraken-metal-etcd-main"],
      token_ttl: 600,
      token_max_ttl: 900,
      token_bound_cidrs: ["192.168.10.0/24"],
      secret_id_num_uses: 0,
      secret_id_ttl: 0,
      secret_id_bound_cidrs: ["192.168.10.0/24"],
    });
    const roleId = await fake.call(fake.rootToken, "GET", "auth/approle/role/kraken-metal-etcd-main/role-id");
    expect(roleId.body.data).toEqual({ role_id: "kraken-metal-etcd-main" });
    expect([...fake.roles.keys()].sort()).toEqual(["approle/kraken-metal-control-plane", "approle/kraken-metal-etcd-main", "approle/kraken-metal-workers"]);
  });

  it("writes the policies; running again updates them in place", async () => {
    expect([...fake.policies.keys()].sort()).toEqual(["kraken-metal-control-plane", "kraken-metal-etcd-main", "kraken-metal-terraform", "kraken-metal-workers"]);
    const policy = await fake.call(fake.rootToken, "GET", "sys/policies/acl/kraken-metal-workers");
    expect((policy.body.data as { policy: string }).policy).toContain('path "secret/data/kraken/metal/workers" {\n  capabilities = ["read"]\n}');
    expect(fake.policies.get("kraken-metal-terraform")).toContain('path "auth/approle/role/kraken-metal-workers/secret-id" {\n  capabilities = ["update"]\n  min_wrapping_ttl = "1s"\n  max_wrapping_ttl = "2h"\n}');
    await prepareVaultAccess(new VaultStore(cluster.spec.provider.maas!.vault, fake.rootToken), cluster);
    expect(fake.policies.size).toBe(4);
  });

  it("gives CI's Terraform a policy that mints and manages each role's secret IDs, wrapped, and nothing more", async () => {
    // GIVEN a token with the Terraform policy, as an operator would create it for CI
    const terraform = await tokenWithPolicy(fake, "kraken-metal-terraform");
    // WHEN Terraform mints a wrapped secret ID for each role, as vault_approle_auth_backend_role_secret_id does
    for (const role of vaultMachineRoles(cluster)) {
      const minted = await fake.call(terraform, "POST", `auth/approle/role/${role.roleName}/secret-id`, { cidr_list: "192.168.10.0/24" }, { "X-Vault-Wrap-TTL": "2h" });
      expect(minted.status, role.roleName).toBe(200);
      const wrapInfo = minted.body.wrap_info as { token: string; creation_path: string; wrapped_accessor: string };
      expect(wrapInfo.creation_path).toBe(`auth/approle/role/${role.roleName}/secret-id`);
      expect(minted.body.data).toBeNull();
      // AND refreshes and destroys it by accessor (with_wrapped_accessor = true)
      expect((await fake.call(terraform, "POST", `auth/approle/role/${role.roleName}/secret-id-accessor/lookup`, { secret_id_accessor: wrapInfo.wrapped_accessor })).status).toBe(200);
      expect((await fake.call(terraform, "POST", `auth/approle/role/${role.roleName}/secret-id-accessor/destroy`, { secret_id_accessor: wrapInfo.wrapped_accessor })).status).toBe(204);
    }
    // AND the Vault provider's child token works
    expect((await fake.call(terraform, "POST", "auth/token/create", { policies: ["kraken-metal-terraform"], ttl: "20m" })).status).toBe(200);
    // THEN it cannot read a secret, change a role or a policy, mint for another cluster, or get a
    // bare secret ID (or one wrapped for longer than wrappingTtl) that a machine would not miss
    await new VaultStore(cluster.spec.provider.maas!.vault, fake.rootToken).create("kraken/metal/etcd-main", "{}", "", {});
    const denied = [
      await fake.call(terraform, "GET", "secret/data/kraken/metal/etcd-main"),
      await fake.call(terraform, "POST", "auth/approle/role/kraken-metal-etcd-main", { token_policies: ["root"] }),
      await fake.call(terraform, "POST", "auth/approle/role/kraken-metal-etcd-main/role-id", { role_id: "mine" }),
      await fake.call(terraform, "PUT", "sys/policies/acl/kraken-metal-etcd-main", { policy: 'path "secret/*" { capabilities = ["read"] }' }),
      await fake.call(terraform, "POST", "auth/approle/role/kraken-other-workers/secret-id"),
      await fake.call(terraform, "POST", "auth/token/create", { policies: ["kraken-metal-etcd-main"] }),
      await fake.call(terraform, "POST", "auth/approle/role/kraken-metal-etcd-main/secret-id"),
      await fake.call(terraform, "POST", "auth/approle/role/kraken-metal-etcd-main/secret-id", {}, { "X-Vault-Wrap-TTL": "3h" }),
    ];
    expect(denied.map((answer) => answer.status)).toEqual([403, 403, 403, 403, 403, 400, 403, 403]);
    expect(denied[0]!.body).toEqual({ errors: ["permission denied"] });
  });
});
