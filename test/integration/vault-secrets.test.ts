/**
 * Secrets of a MAAS cluster in Vault, end to end: the real `k2 secrets init` writes them, with
 * their policies and AppRole roles, then Terraform's part is played over HTTP (a wrapped secret
 * ID minted with the Terraform policy's token) and a machine's first boot runs the real
 * fetch_secret with bash, curl and python3. Vault itself cannot run on these machines: the
 * other side is a test double on loopback (test/support/fake-vault.ts) that enforces policies,
 * single use and CIDR bounds as Vault does. The machines' subnet is loopback here, so that
 * the secret IDs' and tokens' bound CIDRs admit the test.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KRAKEN_RUN_DIR, VAULT_CA_FILE, VAULT_WRAPPED_SECRET_ID_FILE, vaultProviderShell } from "../../lib/bootstrap";
import { COMMON_SH } from "../../lib/bootstrap/scripts";
import { createCertificateAuthority, issueCertificate } from "../../lib/pki";
import { prepareVaultAccess, vaultBootstrapEnvironment, vaultRoleForSecret, VaultStore, type SecretDocument } from "../../lib/secrets";
import type { Cluster } from "../../lib/spec";
import { clusterFrom, parseShellScript } from "../bootstrap/fixtures";
import { startFakeVault, type FakeVault } from "../support/fake-vault";
import { maasDocument, REPO_ROOT, runK2Async, setPath, type CliResult } from "../util";

const work = mkdtempSync(join(tmpdir(), "k2-vault-"));
let fake: FakeVault;
let first: CliResult;
let specPath: string;
let cluster: Cluster;

/** The MAAS fixture with Vault at `address` and the machines' subnet on loopback. */
function loopbackSpec(address: string): Record<string, unknown> {
  const document = maasDocument();
  setPath(document, "spec.provider.maas.vault.address", address);
  setPath(document, "spec.provider.maas.network.subnetCidr", "127.0.0.0/24");
  setPath(document, "spec.provider.maas.controlPlaneEndpoint.vip", "127.0.0.5");
  setPath(document, "spec.etcd.0.machine.maas.addresses", ["127.0.0.11", "127.0.0.12", "127.0.0.13"]);
  return document;
}


/** CI's Terraform token, as an operator creates it with the policy k2 named. */
async function terraformToken(vault: FakeVault): Promise<string> {
  const created = await vault.call(vault.rootToken, "POST", "auth/token/create", { policies: ["kraken-metal-terraform"] });
  expect(created.status).toBe(200);
  return (created.body.auth as { client_token: string }).client_token;
}

/** What vault_approle_auth_backend_role_secret_id does with wrapping_ttl: the wrapping token only. */
async function mintWrappedSecretId(vault: FakeVault, roleName: string, wrapTtl = "2h"): Promise<string> {
  const minted = await vault.call(await terraformToken(vault), "POST", `auth/approle/role/${roleName}/secret-id`, { cidr_list: "127.0.0.0/24", metadata: "" }, { "X-Vault-Wrap-TTL": wrapTtl });
  expect(minted.status, JSON.stringify(minted.body)).toBe(200);
  return (minted.body.wrap_info as { token: string }).token;
}

interface Boot {
  readonly status: number | null;
  /** The bootstrap log (common.sh's log and fail write to stdout). */
  readonly log: string;
  readonly root: string;
  readonly wrappedFile: string;
  readonly outputs: readonly string[];
}

let machines = 0;

/**
 * One machine's bootstrap against `vault` (or `address`, to reach nothing): common.sh's shell options, log, fail and ERR trap, the Vault provider's
 * functions with their fixed paths moved into a folder of this machine, and `calls` (fetch_secret
 * lines, with $1, $2 the output files). sleep is stubbed: retries do not wait.
 */
function bootMachine(options: { vault: FakeVault; roleId: string; wrappingToken?: string; calls: readonly string[]; caPem?: string; address?: string }): Promise<Boot> {
  machines += 1;
  const root = join(work, `machine-${machines}`);
  const wrappedFile = join(root, VAULT_WRAPPED_SECRET_ID_FILE);
  mkdirSync(join(root, "etc/kraken"), { recursive: true });
  mkdirSync(join(root, KRAKEN_RUN_DIR), { recursive: true, mode: 0o700 });
  if (options.wrappingToken !== undefined) writeFileSync(wrappedFile, `${options.wrappingToken}\n`, { mode: 0o600 });
  if (options.caPem !== undefined) writeFileSync(join(root, VAULT_CA_FILE), options.caPem);

  const provider = vaultProviderShell().fetchSecret;
  for (const path of [VAULT_WRAPPED_SECRET_ID_FILE, VAULT_CA_FILE, `-p ${KRAKEN_RUN_DIR} `]) expect(provider, `fetch_secret uses ${path}`).toContain(path);
  const landed = provider
    .replaceAll(VAULT_WRAPPED_SECRET_ID_FILE, wrappedFile)
    .replaceAll(VAULT_CA_FILE, join(root, VAULT_CA_FILE))
    .replace(`-p ${KRAKEN_RUN_DIR} `, `-p ${join(root, KRAKEN_RUN_DIR)} `);
  const common = parseShellScript(COMMON_SH);
  const topLevel = common.topLevel.split("\n");
  const program = [
    ...topLevel.filter((line) => line.startsWith("set -")),
    "umask 077",
    common.functions.get("log")!.definition,
    common.functions.get("fail")!.definition,
    ...topLevel.filter((line) => line.startsWith("trap ")),
    "sleep() { :; }",
    landed,
    ...options.calls,
  ].join("\n");
  const outputs = [join(root, KRAKEN_RUN_DIR, "secret.json"), join(root, KRAKEN_RUN_DIR, "again.json")];
  const environment = { PATH: process.env.PATH, NODE_ROLE: "etcd", ...vaultBootstrapEnvironment(cluster.spec.provider.maas!.vault, options.roleId), VAULT_ADDR: options.address ?? options.vault.address };
  return new Promise((resolve, reject) => {
    // Asynchronous: the double answers from this process, so a blocking spawnSync would hang.
    const child = spawn("bash", ["-c", program, "boot", ...outputs], { env: environment, stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    child.stdout.on("data", (chunk: Buffer) => (log += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (log += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (status) => {
      resolve({ status, log, root, wrappedFile, outputs });
    });
  });
}

const modeOf = (path: string): string => (statSync(path).mode & 0o777).toString(8).padStart(4, "0");

function storedDocument(name: string): string {
  const data = fake.kvData("secret", name);
  if (!data) throw new Error(`no secret ${name}; have ${[...fake.kv.keys()].join(", ")}`);
  return data.document as string;
}

beforeAll(async () => {
  fake = await startFakeVault();
  const document = loopbackSpec(fake.address);
  cluster = clusterFrom(document);
  specPath = join(work, "cluster.json");
  writeFileSync(specPath, JSON.stringify(document));
  first = await runK2Async(["secrets", "init", specPath], { env: { VAULT_TOKEN: fake.rootToken } });
}, 60_000);

afterAll(async () => {
  await fake.close();
  rmSync(work, { recursive: true, force: true });
});

describe("k2 secrets init on a MAAS cluster", () => {
  it("creates the secrets in KV v2, one per machine role and the authority", () => {
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    expect([...fake.kv.keys()].sort()).toEqual(["secret/kraken/metal/authority", "secret/kraken/metal/control-plane", "secret/kraken/metal/etcd-main", "secret/kraken/metal/workers"]);
    const etcd = JSON.parse(storedDocument("kraken/metal/etcd-main")) as SecretDocument;
    expect(etcd.files.filter((file) => file.path === "/etc/etcd/pki/member.key").map((file) => file.member)).toEqual(["main-0", "main-1", "main-2"]);
    expect(fake.kv.get("secret/kraken/metal/workers")?.customMetadata).toMatchObject({ "kraken.dev/cluster": "metal", "kraken.dev/readers": "workers" });
    expect(first.stdout).toContain(`metal (Vault at ${fake.address}, KV v2 mount secret)`);
    expect(first.stdout).toContain("✔ created kraken/metal/etcd-main  read by etcd cluster main");
  });

  it("writes a read-only policy and an AppRole role per machine role, and names the policy for CI's Terraform token", () => {
    expect([...fake.policies.keys()].sort()).toEqual(["kraken-metal-control-plane", "kraken-metal-etcd-main", "kraken-metal-terraform", "kraken-metal-workers"]);
    expect(fake.roles.get("approle/kraken-metal-etcd-main")).toMatchObject({
      roleId: "kraken-metal-etcd-main",
      settings: { token_policies: ["kraken-metal-etcd-main"], secret_id_num_uses: 0, secret_id_ttl: 0, secret_id_bound_cidrs: ["127.0.0.0/24"], token_bound_cidrs: ["127.0.0.0/24"] },
    });
    expect(first.stdout).toContain("✔ wrote policy kraken-metal-workers  read secret/data/kraken/metal/workers");
    expect(first.stdout).toContain("✔ wrote AppRole role kraken-metal-etcd-main  role_id kraken-metal-etcd-main, reads kraken/metal/etcd-main");
    expect(first.stdout).toContain("CI's Terraform needs a Vault token with policy kraken-metal-terraform");
  });

  it("lists what it would write with --dry-run --format json, without a token and without calling Vault", async () => {
    const calls = fake.requests.length;
    const dry = await runK2Async(["secrets", "init", "--dry-run", "--format", "json", specPath], { env: { VAULT_TOKEN: undefined } });
    expect(dry.stderr).toBe("");
    expect(dry.status).toBe(0);
    const report = JSON.parse(dry.stdout) as { clusters: { secrets: { name: string }[]; vault: { policies: { name: string; document: string }[]; roles: { roleName: string; settings: object }[]; terraformPolicy: string } }[] };
    const [metal] = report.clusters;
    expect(metal?.secrets.map((secret) => secret.name)).toEqual(["kraken/metal/authority", "kraken/metal/control-plane", "kraken/metal/workers", "kraken/metal/etcd-main"]);
    expect(metal?.vault.roles.map((role) => role.roleName)).toEqual(["kraken-metal-control-plane", "kraken-metal-workers", "kraken-metal-etcd-main"]);
    expect(metal?.vault.terraformPolicy).toBe("kraken-metal-terraform");
    // The policies as written, so that an operator can apply them by hand.
    expect(metal?.vault.policies.find((policy) => policy.name === "kraken-metal-etcd-main")?.document).toBe(fake.policies.get("kraken-metal-etcd-main"));
    expect(fake.requests.length).toBe(calls);
  });

  it("refuses when the secrets exist, and writes nothing", async () => {
    const before = fake.requests.length;
    const again = await runK2Async(["secrets", "init", specPath], { env: { VAULT_TOKEN: fake.rootToken } });
    expect(again.status).toBe(1);
    expect(again.stdout).toContain("refused: secrets already exist (kraken/metal/authority, kraken/metal/control-plane, kraken/metal/workers, kraken/metal/etcd-main)");
    expect(fake.requests.slice(before).filter((request) => request.method !== "GET")).toEqual([]);
    for (const secret of fake.kv.values()) expect(secret.versions).toHaveLength(1);
  });

  it("says which environment variable should hold the Vault token when it is empty, before calling Vault", async () => {
    const before = fake.requests.length;
    const result = await runK2Async(["secrets", "init", specPath], { env: { VAULT_TOKEN: "" } });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^k2: cluster metal: the environment variable VAULT_TOKEN holds no Vault token; .*provider\.maas\.vault\.tokenEnv.*\n$/);
    expect(fake.requests.length).toBe(before);
  });
});

describe("a machine's first boot", () => {
  it("GIVEN the wrapped secret ID Terraform minted for etcd-main WHEN fetch_secret runs twice THEN the document arrives both times with mode 0600, the wrapping token is gone and the Vault token revoked", async () => {
    const role = vaultRoleForSecret(cluster, "kraken/metal/etcd-main");
    const wrappingToken = await mintWrappedSecretId(fake, role.roleName);
    const boot = await bootMachine({ vault: fake, roleId: role.roleId, wrappingToken, calls: ['fetch_secret kraken/metal/etcd-main "$1"', 'fetch_secret kraken/metal/etcd-main "$2"'] });
    expect(boot.status, boot.log).toBe(0);
    expect(boot.log).not.toContain("FAILED");
    for (const output of boot.outputs) {
      expect(readFileSync(output, "utf8")).toBe(`${storedDocument("kraken/metal/etcd-main")}\n`);
      expect(modeOf(output)).toBe("0600");
    }
    expect(existsSync(boot.wrappedFile)).toBe(false);
    // Nothing of Vault's answers stays behind and the login token is revoked; the secret ID stays
    // in Vault until Terraform destroys it with the machine (it does not expire: docs/vault.md).
    expect(readdirSync(join(boot.root, KRAKEN_RUN_DIR)).sort()).toEqual(["again.json", "secret.json"]);
    expect(fake.liveLoginTokens()).toBe(0);
    expect(fake.roles.get("approle/kraken-metal-etcd-main")?.secretIds.size).toBe(1);
    expect(boot.log).toContain("read secret kraken/metal/etcd-main from Vault");
    expect(boot.log).toContain("wrote secret kraken/metal/etcd-main again");
  });

  it("GIVEN a wrapping token another machine unwrapped already WHEN fetch_secret runs THEN it fails at once, saying it was used or expired and to redeploy", async () => {
    const role = vaultRoleForSecret(cluster, "kraken/metal/etcd-main");
    const wrappingToken = await mintWrappedSecretId(fake, role.roleName);
    const firstMachine = await bootMachine({ vault: fake, roleId: role.roleId, wrappingToken, calls: ['fetch_secret kraken/metal/etcd-main "$1"'] });
    expect(firstMachine.status, firstMachine.log).toBe(0);
    const calls = fake.requests.length;

    const second = await bootMachine({ vault: fake, roleId: role.roleId, wrappingToken, calls: ['fetch_secret kraken/metal/etcd-main "$1"'] });

    expect(second.status).toBe(1);
    expect(second.log).toContain("FAILED: Vault refused this machine's wrapping token (HTTP 400: wrapping token is not valid or does not exist)");
    expect(second.log).toContain("check Vault's audit log");
    expect(second.log).toContain("terraform apply -replace=");
    expect(existsSync(second.outputs[0]!)).toBe(false);
    // No retry: one lookup, and nothing after it.
    expect(fake.requests.slice(calls).map((request) => `${request.path} ${request.status}`)).toEqual(["sys/wrapping/lookup 400"]);
  });

  it("GIVEN a workers machine WHEN it asks for the control plane's secret THEN Vault denies it and nothing is written", async () => {
    const role = vaultRoleForSecret(cluster, "kraken/metal/workers");
    const boot = await bootMachine({ vault: fake, roleId: role.roleId, wrappingToken: await mintWrappedSecretId(fake, role.roleName), calls: ['fetch_secret kraken/metal/control-plane "$1"'] });
    expect(boot.status).toBe(1);
    expect(boot.log).toContain("FAILED: Vault denied role kraken-metal-workers reading secret kraken/metal/control-plane (HTTP 403: permission denied)");
    expect(existsSync(boot.outputs[0]!)).toBe(false);
  });

  it("GIVEN a machine that read its secret WHEN the same run asks for another THEN it refuses", async () => {
    const role = vaultRoleForSecret(cluster, "kraken/metal/workers");
    const boot = await bootMachine({ vault: fake, roleId: role.roleId, wrappingToken: await mintWrappedSecretId(fake, role.roleName), calls: ['fetch_secret kraken/metal/workers "$1"', 'fetch_secret kraken/metal/etcd-main "$2"'] });
    expect(boot.status).toBe(1);
    expect(boot.log).toContain("FAILED: this machine read secret kraken/metal/workers from Vault and may read no other (asked for kraken/metal/etcd-main)");
    expect(existsSync(boot.outputs[1]!)).toBe(false);
  });

  it("GIVEN a bootstrap that runs again after the token was used WHEN fetch_secret runs THEN it says so and how to start over", async () => {
    const boot = await bootMachine({ vault: fake, roleId: "kraken-metal-workers", calls: ['fetch_secret kraken/metal/workers "$1"'] });
    expect(boot.status).toBe(1);
    expect(boot.log).toMatch(/FAILED: no wrapping token at \S+vault-secret-id\.wrapped: an earlier run of the bootstrap used it/);
  });

  it("GIVEN Vault answering 503 for a while (sealed, restarting) WHEN fetch_secret runs THEN it tries again and succeeds", async () => {
    const role = vaultRoleForSecret(cluster, "kraken/metal/control-plane");
    const wrappingToken = await mintWrappedSecretId(fake, role.roleName);
    fake.failNext(3);
    const boot = await bootMachine({ vault: fake, roleId: role.roleId, wrappingToken, calls: ['fetch_secret kraken/metal/control-plane "$1"'] });
    expect(boot.status, boot.log).toBe(0);
    expect(boot.log).toContain("did not answer POST sys/wrapping/lookup (HTTP 503), again in 10s (1/60)");
    expect(boot.log).toContain("(3/60)");
    expect(readFileSync(boot.outputs[0]!, "utf8")).toBe(`${storedDocument("kraken/metal/control-plane")}\n`);
  });

  it("GIVEN Vault never answers WHEN fetch_secret gives up THEN the unused wrapping token is back in its file, for a later run", async () => {
    const role = vaultRoleForSecret(cluster, "kraken/metal/workers");
    const wrappingToken = await mintWrappedSecretId(fake, role.roleName);
    const closed = await startFakeVault();
    await closed.close();
    const boot = await bootMachine({ vault: fake, roleId: role.roleId, wrappingToken, address: closed.address, calls: ['fetch_secret kraken/metal/workers "$1"'] });
    expect(boot.status).toBe(1);
    expect(boot.log).toContain("(59/60)");
    expect(boot.log).toContain(`FAILED: Vault at ${closed.address} did not answer for ten minutes. The wrapping token is back in ${boot.wrappedFile}`);
    expect(readFileSync(boot.wrappedFile, "utf8")).toBe(`${wrappingToken}\n`);
    expect(modeOf(boot.wrappedFile)).toBe("0600");
  }, 120_000);

  it("GIVEN CI's Terraform token WHEN it reads a secret THEN Vault denies it", async () => {
    const read = await fake.call(await terraformToken(fake), "GET", "secret/data/kraken/metal/etcd-main");
    expect(read).toEqual({ status: 403, body: { errors: ["permission denied"] } });
  });

  it("GIVEN a machine that boots after wrappingTtl WHEN fetch_secret runs THEN it fails at once, saying the token expired or was used", async () => {
    const role = vaultRoleForSecret(cluster, "kraken/metal/workers");
    const wrappingToken = await mintWrappedSecretId(fake, role.roleName, "2h");
    fake.advance(3 * 3600);
    const boot = await bootMachine({ vault: fake, roleId: role.roleId, wrappingToken, calls: ['fetch_secret kraken/metal/workers "$1"'] });
    expect(boot.status).toBe(1);
    expect(boot.log).toContain("FAILED: Vault refused this machine's wrapping token (HTTP 400: wrapping token is not valid or does not exist)");
    expect(boot.log).toContain("booted more than provider.maas.vault.wrappingTtl after terraform apply");
  });
});

describe("a machine's first boot with Vault behind a private CA", () => {
  let tlsVault: FakeVault;
  let caPem: string;
  beforeAll(async () => {
    const ca = await createCertificateAuthority({ commonName: "vault-ca", organization: "kraken tests", validityDays: 1 });
    caPem = ca.certificatePem;
    tlsVault = await startFakeVault({ tls: { ...(await issueCertificate(ca, { commonName: "vault", ipAddresses: ["127.0.0.1"], usages: ["server"], validityDays: 1 })), caPem } });
    const caPath = join(work, "vault-ca.pem");
    writeFileSync(caPath, caPem);
    const tlsCluster = clusterFrom(setPath(loopbackSpec(tlsVault.address), "spec.provider.maas.vault.caCertPath", caPath));
    const store = new VaultStore(tlsCluster.spec.provider.maas!.vault, tlsVault.rootToken);
    await store.create("kraken/metal/workers", '{"files":[],"values":{"BOOTSTRAP_TOKEN":"abcdef.0123456789abcdef"}}', "", {});
    await prepareVaultAccess(store, tlsCluster);
  });
  afterAll(async () => {
    await tlsVault.close();
  });

  it("GIVEN the CA file from user data WHEN fetch_secret runs THEN curl trusts Vault and the document arrives", async () => {
    const wrappingToken = await mintWrappedSecretId(tlsVault, "kraken-metal-workers");
    const boot = await bootMachine({ vault: tlsVault, roleId: "kraken-metal-workers", wrappingToken, caPem, calls: ['fetch_secret kraken/metal/workers "$1"'] });
    expect(boot.status, boot.log).toBe(0);
    expect(JSON.parse(readFileSync(boot.outputs[0]!, "utf8"))).toEqual({ files: [], values: { BOOTSTRAP_TOKEN: "abcdef.0123456789abcdef" } });
  });

  it("GIVEN no CA file WHEN fetch_secret runs THEN it fails at once, says to set caCertPath and keeps the wrapping token", async () => {
    const wrappingToken = await mintWrappedSecretId(tlsVault, "kraken-metal-workers");
    const boot = await bootMachine({ vault: tlsVault, roleId: "kraken-metal-workers", wrappingToken, calls: ['fetch_secret kraken/metal/workers "$1"'] });
    expect(boot.status).toBe(1);
    expect(boot.log).toContain(`FAILED: Vault's TLS certificate at ${tlsVault.address} is not trusted`);
    expect(boot.log).toContain("set provider.maas.vault.caCertPath");
    expect(boot.log).not.toContain("again in 10s");
    expect(readFileSync(boot.wrappedFile, "utf8")).toBe(`${wrappingToken}\n`);
  });
});

describe("the admin policy docs/vault.md gives", () => {
  let adminVault: FakeVault;
  beforeAll(async () => {
    adminVault = await startFakeVault();
  });
  afterAll(async () => {
    await adminVault.close();
  });

  it("GIVEN a token with only that policy WHEN k2 secrets init runs THEN it writes everything", async () => {
    // GIVEN the policy as the docs print it
    const docs = readFileSync(join(REPO_ROOT, "docs/vault.md"), "utf8");
    const policy = /```hcl\n(# kraken-admin[\s\S]*?)```/.exec(docs)?.[1];
    expect(policy, "docs/vault.md has the kraken-admin policy in an hcl block").toBeDefined();
    expect((await adminVault.call(adminVault.rootToken, "PUT", "sys/policies/acl/kraken-admin", { policy })).status).toBe(204);
    const admin = await adminVault.call(adminVault.rootToken, "POST", "auth/token/create", { policies: ["kraken-admin"], ttl: "30m" });
    const spec = join(work, "admin-cluster.json");
    writeFileSync(spec, JSON.stringify(loopbackSpec(adminVault.address)));
    // WHEN an admin runs k2 secrets init with a token of that policy alone
    const result = await runK2Async(["secrets", "init", spec], { env: { VAULT_TOKEN: (admin.body.auth as { client_token: string }).client_token } });
    // THEN Vault let it write the secrets, the policies and the roles
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(adminVault.kv.size).toBe(4);
    expect(adminVault.policies.size).toBe(5);
    expect(adminVault.roles.get("approle/kraken-metal-workers")?.roleId).toBe("kraken-metal-workers");
  });
});
