/**
 * Vault as the secret store of MAAS clusters, where machines have no cloud identity to read
 * secrets with. `k2 secrets init` writes each secret document to KV version 2 (create only), a
 * read-only policy and an AppRole role per machine role, and a policy for CI's Terraform that
 * mints secret IDs and reads nothing. Terraform hands each machine its secret ID response-wrapped
 * (single use); the machine's bootstrap unwraps it, logs in once and reads its one secret
 * (`vaultProviderShell` in lib/bootstrap). docs/vault.md.
 *
 * Talks to Vault's HTTP API with Node's fetch; with a private CA (provider.maas.vault.caCertPath)
 * through node:https, since fetch takes no CA of its own without the undici package.
 * @see https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2
 * @see https://developer.hashicorp.com/vault/api-docs/auth/approle
 * @see https://developer.hashicorp.com/vault/docs/concepts/response-wrapping
 */
import { readFile } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import type { Cluster, MaasProviderSettings } from "../spec";
import { clusterSecretNames } from "./names";
import type { SecretStore } from "./store";

/** provider.maas.vault, with its defaults filled in. */
export type VaultSettings = MaasProviderSettings["vault"];

/** How long a machine's Vault token lives: long enough to read one secret, short if it leaks. */
export const MACHINE_TOKEN_TTL_SECONDS = 600;
export const MACHINE_TOKEN_MAX_TTL_SECONDS = 900;

// ---------------------------------------------------------------------------------------------
// Names, policies and role settings: pure, for the CLI and the MAAS constructs alike
// ---------------------------------------------------------------------------------------------

/** A kind of machine and what it may read: one AppRole role, one policy, one secret. */
export interface VaultMachineRole {
  /** "control-plane", "workers", "etcd-<name>". */
  readonly role: string;
  /** AppRole role name: kraken-<cluster>-<role>. */
  readonly roleName: string;
  /**
   * The role's RoleID, set by `k2 secrets init` to the role name so that user data can name it
   * at synth time (VAULT_ROLE_ID). Not a secret: logging in also takes a secret ID.
   */
  readonly roleId: string;
  /** The ACL policy the role's tokens get: read on its one secret. */
  readonly policyName: string;
  /** The secret the role's machines read (SECRET_ID in cluster.env). */
  readonly secretName: string;
}

function maasSettings(cluster: Cluster): MaasProviderSettings {
  const maas = cluster.spec.provider.maas;
  if (!maas) throw new Error(`cluster ${cluster.metadata.name} is not a MAAS cluster: only spec.provider.maas keeps its secrets in Vault`);
  return maas;
}

/** Every machine role of a cluster, in the order `k2 secrets init` creates them. The authority has none: no machine reads it. */
export function vaultMachineRoles(cluster: Cluster): VaultMachineRole[] {
  const clusterName = cluster.metadata.name;
  const names = clusterSecretNames(clusterName, cluster.spec.etcd.map((etcd) => etcd.name));
  const roles: [string, string][] = [
    ["control-plane", names.controlPlane],
    ["workers", names.workers],
    ...Object.entries(names.etcd).map(([etcd, secretName]): [string, string] => [`etcd-${etcd}`, secretName]),
  ];
  return roles.map(([role, secretName]) => {
    const roleName = `kraken-${clusterName}-${role}`;
    return { role, roleName, roleId: roleName, policyName: roleName, secretName };
  });
}

/** The machine role that reads `secretName`; throws for a secret no machine reads (the authority). */
export function vaultRoleForSecret(cluster: Cluster, secretName: string): VaultMachineRole {
  const roles = vaultMachineRoles(cluster);
  const role = roles.find((candidate) => candidate.secretName === secretName);
  if (!role) throw new Error(`no machine of cluster ${cluster.metadata.name} reads secret ${secretName}; machines read ${roles.map((r) => r.secretName).join(", ")}`);
  return role;
}

/** The policy of CI's Terraform token: mints the machines' secret IDs, reads no secret. */
export function vaultTerraformPolicyName(cluster: Cluster): string {
  return `kraken-${cluster.metadata.name}-terraform`;
}

/** Vault's address without a trailing slash, as scripts append /v1/... to it. */
export function vaultAddress(settings: VaultSettings): string {
  return settings.address.replace(/\/+$/, "");
}

/** cluster.env entries the bootstrap's fetch_secret reads, for a machine of the role with `roleId`. */
export function vaultBootstrapEnvironment(settings: VaultSettings, roleId: string): Record<string, string> {
  return {
    VAULT_ADDR: vaultAddress(settings),
    VAULT_KV_MOUNT: settings.kvMount,
    VAULT_APPROLE_MOUNT: settings.approleMount,
    VAULT_ROLE_ID: roleId,
  };
}

/** The KV v2 API path of a secret's data: <kvMount>/data/<name>. Policies name this path, not the secret's. */
export function vaultKvDataPath(settings: VaultSettings, secretName: string): string {
  return `${settings.kvMount}/data/${secretName}`;
}

/** Seconds of a spec duration ("90m", "2h", "45s"). */
export function durationSeconds(duration: string): number {
  const match = /^([1-9][0-9]*)([smh])$/.exec(duration);
  if (!match) throw new Error(`"${duration}" is not a duration such as 90m or 2h`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as "s" | "m" | "h"];
}

/** The parameters of a machine role's AppRole role, as Vault's API takes them (TTLs in seconds). */
export interface VaultAppRoleSettings {
  readonly bind_secret_id: true;
  readonly token_policies: readonly string[];
  readonly token_ttl: number;
  readonly token_max_ttl: number;
  readonly token_bound_cidrs: readonly string[];
  /**
   * 0 and 0: a secret ID lives exactly as long as its machine in Terraform, which destroys it
   * (by accessor) with the machine. The Vault provider reads a secret ID back on every refresh and
   * drops it from the state when Vault no longer has it: a used-up or expired one would be minted
   * again on every apply, and with it the machine's user data would change. What is single-use is
   * the wrapping token in the user data; the secret ID itself is only ever seen by the machine
   * that unwrapped it, which forgets it once it has logged in, and works only from the subnet.
   */
  readonly secret_id_num_uses: 0;
  readonly secret_id_ttl: 0;
  readonly secret_id_bound_cidrs: readonly string[];
}

export function vaultAppRoleSettings(cluster: Cluster, role: VaultMachineRole): VaultAppRoleSettings {
  const maas = maasSettings(cluster);
  const cidrs = [maas.network.subnetCidr];
  return {
    bind_secret_id: true,
    token_policies: [role.policyName],
    token_ttl: MACHINE_TOKEN_TTL_SECONDS,
    token_max_ttl: MACHINE_TOKEN_MAX_TTL_SECONDS,
    token_bound_cidrs: cidrs,
    secret_id_num_uses: 0,
    secret_id_ttl: 0,
    secret_id_bound_cidrs: cidrs,
  };
}

function policyBlock(path: string, capabilities: readonly string[], constraints: Readonly<Record<string, string>> = {}): string {
  const lines = [`  capabilities = [${capabilities.map((capability) => `"${capability}"`).join(", ")}]`, ...Object.entries(constraints).map(([name, value]) => `  ${name} = "${value}"`)];
  return `path "${path}" {\n${lines.join("\n")}\n}\n`;
}

/** A machine role's policy: read on its one secret, nothing else. */
export function vaultMachinePolicy(settings: VaultSettings, role: VaultMachineRole): string {
  return `# kraken-lib: machines of role ${role.roleName} read their bootstrap secret, and nothing else.\n${policyBlock(vaultKvDataPath(settings, role.secretName), ["read"])}`;
}

/**
 * CI's Terraform: mints each machine role's secret IDs, response-wrapped only (min_wrapping_ttl:
 * Vault refuses to hand it a bare secret ID, so any use of one before its machine shows), and
 * looks them up and destroys them by accessor as the Vault provider's
 * vault_approle_auth_backend_role_secret_id does on refresh and replacement (with
 * with_wrapped_accessor = true). One path per role: Vault's `*` glob only ends a path, so
 * `role/kraken-<cluster>-*` would also allow rewriting the roles themselves. Reads no secret.
 * @see https://developer.hashicorp.com/vault/docs/concepts/policies#required-response-wrapping-ttls
 */
export function vaultTerraformPolicy(cluster: Cluster): string {
  const vault = maasSettings(cluster).vault;
  const blocks = vaultMachineRoles(cluster).flatMap((role) => {
    const base = `auth/${vault.approleMount}/role/${role.roleName}`;
    return [
      policyBlock(`${base}/secret-id`, ["update"], { min_wrapping_ttl: "1s", max_wrapping_ttl: vault.wrappingTtl }),
      policyBlock(`${base}/secret-id-accessor/lookup`, ["update"]),
      policyBlock(`${base}/secret-id-accessor/destroy`, ["update"]),
    ];
  });
  return [
    `# kraken-lib: CI's Terraform for cluster ${cluster.metadata.name} mints machines' secret IDs; it reads no secret.`,
    "# The Vault provider works through a short-lived child token of this one (child tokens get no more policies than their parent).",
    policyBlock("auth/token/create", ["update"]),
    ...blocks,
  ].join("\n");
}

export interface VaultPolicyPlan {
  readonly name: string;
  /** What it allows, in a few words, for reports. */
  readonly allows: string;
  /** The policy in Vault's HCL. */
  readonly document: string;
}

export interface VaultRolePlan extends VaultMachineRole {
  /** auth/<approleMount>/role/<roleName> */
  readonly path: string;
  readonly settings: VaultAppRoleSettings;
}

/** Everything `k2 secrets init` writes to Vault besides the secrets. */
export interface VaultAccessPlan {
  readonly policies: readonly VaultPolicyPlan[];
  readonly roles: readonly VaultRolePlan[];
  /** The policy to give CI's Terraform token. */
  readonly terraformPolicyName: string;
}

export function vaultAccessPlan(cluster: Cluster): VaultAccessPlan {
  const settings = maasSettings(cluster).vault;
  const roles = vaultMachineRoles(cluster);
  const terraformPolicyName = vaultTerraformPolicyName(cluster);
  return {
    policies: [
      ...roles.map((role) => ({ name: role.policyName, allows: `read ${vaultKvDataPath(settings, role.secretName)}`, document: vaultMachinePolicy(settings, role) })),
      { name: terraformPolicyName, allows: "mint the machine roles' secret IDs (for CI's Terraform); no secret", document: vaultTerraformPolicy(cluster) },
    ],
    roles: roles.map((role) => ({ ...role, path: `auth/${settings.approleMount}/role/${role.roleName}`, settings: vaultAppRoleSettings(cluster, role) })),
    terraformPolicyName,
  };
}

// ---------------------------------------------------------------------------------------------
// Vault's HTTP API
// ---------------------------------------------------------------------------------------------

/** A Vault call that failed, in one line: what was asked, the HTTP status and Vault's errors. */
export class VaultError extends Error {
  constructor(
    message: string,
    /** Absent when Vault did not answer. */
    readonly status?: number,
    readonly errors: readonly string[] = [],
  ) {
    super(message);
    this.name = "VaultError";
  }
}

export interface VaultConnection {
  readonly address: string;
  /** Absent: requests fail with a VaultError naming `tokenEnv`. */
  readonly token?: string;
  /** The environment variable the token comes from, for messages. */
  readonly tokenEnv: string;
  /** PEM file of the CA that signs Vault's certificate; absent: the system's trusted CAs. */
  readonly caCertPath?: string;
}

interface HttpAnswer {
  readonly status: number;
  readonly text: string;
}

const REQUEST_TIMEOUT_MS = 30_000;
type Method = "GET" | "POST" | "PUT" | "DELETE";

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function vaultErrors(text: string): string[] {
  try {
    const body = JSON.parse(text) as { errors?: unknown };
    return Array.isArray(body.errors) ? body.errors.map((error) => oneLine(String(error))) : [];
  } catch {
    return text.trim() === "" ? [] : [oneLine(text).slice(0, 200)];
  }
}

/** Why a connection failed, from fetch's "fetch failed" (the reason is its cause) or node:https. */
function connectionProblem(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const message = cause instanceof Error ? cause.message : String(cause);
  const code = (cause as NodeJS.ErrnoException).code ?? "";
  const tls = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code) || /certificate/i.test(message);
  return tls ? `${message} (set provider.maas.vault.caCertPath to the CA that signs Vault's certificate)` : message;
}

/** A small client of Vault's HTTP API: JSON in, JSON out, every failure a one-line VaultError. */
export class VaultClient {
  private caCertificate?: Promise<string>;

  constructor(readonly connection: VaultConnection) {}

  get address(): string {
    return this.connection.address.replace(/\/+$/, "");
  }

  get hasToken(): boolean {
    return this.connection.token !== undefined && this.connection.token !== "";
  }

  /**
   * Calls /v1/<path>; answers with the status and parsed body for 2xx and for the statuses in
   * `accept` (such as 404 for "does not exist"), throws a VaultError for any other.
   */
  async call(method: Method, path: string, body?: unknown, accept: readonly number[] = []): Promise<{ status: number; body?: unknown }> {
    if (!this.hasToken) {
      throw new VaultError(`the environment variable ${this.connection.tokenEnv} holds no Vault token (provider.maas.vault.tokenEnv names it)`);
    }
    const answer = await this.send(method, path, body === undefined ? undefined : JSON.stringify(body));
    if ((answer.status >= 200 && answer.status < 300) || accept.includes(answer.status)) {
      if (answer.text.trim() === "") return { status: answer.status };
      try {
        return { status: answer.status, body: JSON.parse(answer.text) as unknown };
      } catch {
        throw new VaultError(`${this.address} answered ${method} ${path} with HTTP ${answer.status} and no JSON: is it Vault?`, answer.status);
      }
    }
    const errors = vaultErrors(answer.text);
    throw new VaultError(`Vault at ${this.address} refused ${method} ${path}: HTTP ${answer.status}: ${errors.length > 0 ? errors.join("; ") : "no error message"}`, answer.status, errors);
  }

  private async send(method: Method, path: string, body: string | undefined): Promise<HttpAnswer> {
    const url = new URL(`${this.address}/v1/${path}`);
    const headers: Record<string, string> = { "X-Vault-Token": this.connection.token ?? "", "X-Vault-Request": "true" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const ca = url.protocol === "https:" && this.connection.caCertPath !== undefined ? await this.readCaCertificate(this.connection.caCertPath) : undefined;
    try {
      if (ca !== undefined) return await httpsCall(url, method, headers, body, ca);
      const response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      return { status: response.status, text: await response.text() };
    } catch (error) {
      throw new VaultError(`cannot reach Vault at ${this.address}: ${connectionProblem(error)}`);
    }
  }

  private readCaCertificate(path: string): Promise<string> {
    this.caCertificate ??= readFile(path, "utf8").catch((error: unknown) => {
      throw new VaultError(`cannot read provider.maas.vault.caCertPath ${path}: ${(error as Error).message}`);
    });
    return this.caCertificate;
  }
}

function httpsCall(url: URL, method: Method, headers: Record<string, string>, body: string | undefined, ca: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(url, { method, headers, ca, timeout: REQUEST_TIMEOUT_MS }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => {
        resolve({ status: response.statusCode ?? 0, text });
      });
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS / 1000}s`)));
    request.on("error", reject);
    request.end(body);
  });
}

// ---------------------------------------------------------------------------------------------
// The store and the access around it
// ---------------------------------------------------------------------------------------------

/** KV version 2 as a SecretStore: one secret per name, created only (check-and-set 0), never replaced. */
export class VaultStore implements SecretStore {
  readonly description: string;
  readonly client: VaultClient;

  constructor(
    readonly settings: VaultSettings,
    token: string | undefined,
  ) {
    this.client = new VaultClient({
      address: settings.address,
      tokenEnv: settings.tokenEnv,
      ...(token === undefined || token === "" ? {} : { token }),
      ...(settings.caCertPath === undefined ? {} : { caCertPath: settings.caCertPath }),
    });
    this.description = `Vault at ${this.client.address}, KV v2 mount ${settings.kvMount}`;
  }

  /** The store of a MAAS cluster, with the token from the environment variable provider.maas.vault.tokenEnv names (possibly none). */
  static forCluster(cluster: Cluster, env: NodeJS.ProcessEnv = process.env): VaultStore {
    const settings = maasSettings(cluster).vault;
    return new VaultStore(settings, env[settings.tokenEnv]);
  }

  get hasToken(): boolean {
    return this.client.hasToken;
  }

  /** A secret exists while it has metadata: a deleted version still blocks check-and-set 0. */
  async exists(name: string): Promise<boolean> {
    const { status } = await this.client.call("GET", `${this.settings.kvMount}/metadata/${name}`, undefined, [404]);
    return status !== 404;
  }

  /**
   * Writes `value` as the secret's `document` field, only if the secret has no version yet; the
   * description and tags become its custom metadata (`vault kv metadata get` shows them).
   */
  async create(name: string, value: string, description: string, tags: Readonly<Record<string, string>>): Promise<void> {
    await this.client.call("POST", vaultKvDataPath(this.settings, name), { options: { cas: 0 }, data: { document: value } });
    await this.client.call("POST", `${this.settings.kvMount}/metadata/${name}`, { custom_metadata: { description, ...tags } });
  }

  /** The `document` field of the secret's current version; the version number is the token for update. */
  async read(name: string): Promise<{ value: string; version: string }> {
    const { body } = await this.client.call("GET", vaultKvDataPath(this.settings, name));
    const data = (body as { data?: { data?: { document?: unknown }; metadata?: { version?: unknown } } } | undefined)?.data;
    if (typeof data?.data?.document !== "string") throw new VaultError(`secret ${name} at ${this.settings.kvMount} holds no document: was it written by 'k2 secrets init'?`);
    const version = data.metadata?.version;
    if (typeof version !== "number") throw new VaultError(`Vault gave no version for secret ${name} at ${this.settings.kvMount}: is it a KV version 2 mount?`);
    return { value: data.data.document, version: String(version) };
  }

  /** A new version, by check-and-set on the version read: refused if someone wrote one since. */
  async update(name: string, value: string, version: string): Promise<void> {
    await this.client.call("POST", vaultKvDataPath(this.settings, name), { options: { cas: Number(version) }, data: { document: value } });
  }

  async writePolicy(name: string, document: string): Promise<void> {
    await this.client.call("PUT", `sys/policies/acl/${name}`, { policy: document });
  }

  async writeAppRole(role: VaultRolePlan): Promise<void> {
    await this.client.call("POST", role.path, role.settings);
    await this.client.call("POST", `${role.path}/role-id`, { role_id: role.roleId });
  }
}

/**
 * Writes the policies and AppRole roles of `cluster` (vaultAccessPlan): policies first, then each
 * role and its fixed RoleID. Both are overwritten if they exist, so running it again after a
 * change of subnetCidr or wrappingTtl brings them up to date.
 */
export async function prepareVaultAccess(store: VaultStore, cluster: Cluster): Promise<VaultAccessPlan> {
  const plan = vaultAccessPlan(cluster);
  for (const policy of plan.policies) await store.writePolicy(policy.name, policy.document);
  for (const role of plan.roles) await store.writeAppRole(role);
  return plan;
}
