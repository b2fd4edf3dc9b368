/**
 * A test double of HashiCorp Vault. These machines cannot run Vault, so this HTTP (or HTTPS)
 * server on loopback speaks the parts of Vault's API that kraken-lib and Terraform's Vault
 * provider use, with Vault's rules where they matter for security:
 *
 * - KV version 2: data read and write with check-and-set, metadata with custom_metadata;
 * - ACL policies (sys/policies/acl), enforced on every call of every non-root token: exact paths,
 *   `+` segments and a trailing `*` glob, the most specific rule of each policy, `deny` wins;
 * - AppRole: role CRUD, custom role IDs, secret IDs with num_uses, TTL and bound CIDRs, login;
 * - tokens: checked on every call (unknown, expired, revoked, outside bound CIDRs: 403), child
 *   tokens (auth/token/create), lookup-self, revoke-self;
 * - response wrapping: `X-Vault-Wrap-TTL` turns an answer into a single-use wrapping token;
 *   sys/wrapping/lookup (unauthenticated) and sys/wrapping/unwrap;
 * - errors shaped like Vault's: `{"errors": [...]}` with its status codes and messages.
 *
 * It is not Vault: no storage, leases, namespaces or audit devices. What it answers follows
 * Vault's API documentation (developer.hashicorp.com/vault/api-docs).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, request as httpsRequest, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";

export interface FakeVaultOptions {
  /** KV version 2 mounts. @default ["secret"] */
  readonly kvMounts?: readonly string[];
  /** AppRole auth mounts (without "auth/"). @default ["approle"] */
  readonly approleMounts?: readonly string[];
  /** Serve HTTPS with this certificate and key (PEM); `caPem`, which signs it, is what `call` trusts. */
  readonly tls?: { readonly certificatePem: string; readonly privateKeyPem: string; readonly caPem: string };
}

export interface FakeKvSecret {
  readonly versions: { readonly data: Record<string, unknown>; readonly createdTime: string }[];
  customMetadata: Record<string, string>;
  readonly createdTime: string;
}

export interface FakeSecretId {
  readonly secretId: string;
  readonly accessor: string;
  /** Logins left; 0: unlimited. */
  usesLeft: number;
  /** Epoch ms; Infinity: never. */
  readonly expiresAt: number;
  readonly cidrs: readonly string[];
  readonly metadata: Record<string, string>;
  readonly createdTime: string;
}

export interface FakeAppRole {
  readonly mount: string;
  readonly name: string;
  roleId: string;
  /** Vault's parameters, TTLs in seconds, lists as arrays. */
  settings: {
    bind_secret_id: boolean;
    token_policies: string[];
    token_ttl: number;
    token_max_ttl: number;
    token_bound_cidrs: string[];
    secret_id_num_uses: number;
    secret_id_ttl: number;
    secret_id_bound_cidrs: string[];
  };
  readonly secretIds: Map<string, FakeSecretId>;
}

interface Token {
  readonly id: string;
  readonly accessor: string;
  /** service: from an AppRole login; child: from auth/token/create. */
  readonly kind: "root" | "service" | "child" | "wrapping";
  readonly policies: readonly string[];
  /** Epoch ms. */
  readonly expiresAt: number;
  readonly boundCidrs: readonly string[];
  readonly wrapped?: { readonly response: unknown; readonly creationPath: string; readonly creationTime: string; readonly ttl: number };
}

export interface FakeVaultAnswer {
  readonly status: number;
  /** Vault's JSON answer; {} for none (204). */
  readonly body: Record<string, unknown>;
}

export interface FakeVaultRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

export interface FakeVault {
  /** http(s)://127.0.0.1:<port> */
  readonly address: string;
  readonly rootToken: string;
  /** By "<mount>/<path>". */
  readonly kv: Map<string, FakeKvSecret>;
  readonly policies: Map<string, string>;
  /** By "<mount>/<role name>". */
  readonly roles: Map<string, FakeAppRole>;
  readonly requests: FakeVaultRequest[];
  /** The latest data of a KV secret, or undefined. */
  kvData(mount: string, path: string): Record<string, unknown> | undefined;
  /** Tokens from AppRole logins that are still valid (not revoked, not expired). */
  liveLoginTokens(): number;
  /** An API call as Terraform or an operator makes it (trusting the double's CA over TLS). */
  call(token: string, method: string, path: string, body?: unknown, headers?: Readonly<Record<string, string>>): Promise<FakeVaultAnswer>;
  /** The next `count` requests fail with `status` (503: sealed), as a Vault restarting would. */
  failNext(count: number, status?: number): void;
  /** Moves the fake's clock forward: TTLs expire. */
  advance(seconds: number): void;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
type Reply = readonly [status: number, body?: unknown];

const PERMISSION_DENIED: Reply = [403, { errors: ["permission denied"] }];
const INVALID_WRAPPING: Reply = [400, { errors: ["wrapping token is not valid or does not exist"] }];
const INVALID_LOGIN: Reply = [400, { errors: ["invalid role or secret ID"] }];
const NOT_FOUND: Reply = [404, { errors: [] }];

/** Vault's built-in default policy, the parts that matter here. */
const DEFAULT_POLICY = `
path "auth/token/lookup-self" { capabilities = ["read"] }
path "auth/token/revoke-self" { capabilities = ["update"] }
path "sys/wrapping/unwrap" { capabilities = ["update"] }
path "sys/wrapping/lookup" { capabilities = ["update"] }
`;

// ---------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------

interface Permissions {
  readonly capabilities: readonly string[];
  /** Seconds; the answer must be response-wrapped for at least / at most this long. */
  readonly minWrappingTtl?: number;
  readonly maxWrappingTtl?: number;
}

interface PolicyRule extends Permissions {
  readonly pattern: RegExp;
  /** Longer literal text is more specific. */
  readonly specificity: number;
  readonly exact: boolean;
}

const RULE = /path\s+"([^"]+)"\s*\{([^}]*)\}/g;
const RULE_FIELD = /\s*(capabilities\s*=\s*\[[^\]]*\]|(min|max)_wrapping_ttl\s*=\s*"[^"]*")\s*/g;

/** Parses the HCL subset kraken-lib writes; undefined when anything else is in the text. */
function parsePolicy(text: string): PolicyRule[] | undefined {
  const withoutComments = text.replace(/#.*$/gm, "");
  const rules: PolicyRule[] = [];
  for (const match of withoutComments.matchAll(RULE)) {
    const path = match[1]!;
    const body = match[2]!;
    if (body.replace(RULE_FIELD, "").trim() !== "") return undefined;
    const capabilities = [.../capabilities\s*=\s*\[([^\]]*)\]/.exec(body)?.[1]?.matchAll(/"([a-z]+)"/g) ?? []].map((capability) => capability[1]!);
    const minWrappingTtl = /min_wrapping_ttl\s*=\s*"([^"]*)"/.exec(body)?.[1];
    const maxWrappingTtl = /max_wrapping_ttl\s*=\s*"([^"]*)"/.exec(body)?.[1];
    const glob = path.endsWith("*");
    const literal = glob ? path.slice(0, -1) : path;
    const source = literal
      .split("/")
      .map((segment) => (segment === "+" ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/");
    rules.push({
      pattern: new RegExp(`^${source}${glob ? ".*" : ""}$`),
      specificity: literal.replace(/\+/g, "").length,
      exact: !glob && !literal.split("/").includes("+"),
      capabilities,
      ...(minWrappingTtl === undefined ? {} : { minWrappingTtl: durationSeconds(minWrappingTtl) }),
      ...(maxWrappingTtl === undefined ? {} : { maxWrappingTtl: durationSeconds(maxWrappingTtl) }),
    });
  }
  return withoutComments.replace(RULE, "").trim() === "" ? rules : undefined;
}

/** The permissions of the most specific rule that matches `path` (an exact path first). */
function ruleFor(rules: readonly PolicyRule[], path: string): PolicyRule | undefined {
  const matching = rules.filter((rule) => rule.pattern.test(path));
  return matching.find((rule) => rule.exact) ?? [...matching].sort((a, b) => b.specificity - a.specificity)[0];
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

function durationSeconds(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value !== "string" || value === "") return 0;
  const match = /^(\d+)([smh]?)$/.exec(value);
  if (!match) throw new Error(`invalid duration "${value}"`);
  return Number(match[1]) * { "": 1, s: 1, m: 60, h: 3600 }[match[2] as "" | "s" | "m" | "h"];
}

function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String).filter((item) => item !== "");
  if (typeof value === "string") return value.split(",").map((item) => item.trim()).filter((item) => item !== "");
  return [];
}

function ipv4Number(address: string): number | undefined {
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255)) return undefined;
  return parts.reduce((sum, part) => sum * 256 + part, 0);
}

function inCidr(address: string, cidr: string): boolean {
  const [network, prefixText] = cidr.split("/");
  const value = ipv4Number(address);
  const base = ipv4Number(network ?? "");
  const prefix = Number(prefixText ?? "32");
  if (value === undefined || base === undefined) return false;
  const size = 2 ** (32 - prefix);
  return Math.floor(value / size) === Math.floor(base / size);
}

function inAnyCidr(address: string, cidrs: readonly string[]): boolean {
  return cidrs.length === 0 || cidrs.some((cidr) => inCidr(address, cidr));
}

/** A string field of a request body; anything else reads as "". */
function field(body: Json, name: string): string {
  const value = body[name];
  return typeof value === "string" ? value : "";
}

function newToken(prefix: "hvs" | "hvb"): string {
  return `${prefix}.${randomBytes(18).toString("base64url")}`;
}

/** One JSON call to the double, over node:http(s) (fetch takes no CA of its own). */
function clientCall(url: string, ca: string | undefined, method: string, headers: Record<string, string>, body: unknown): Promise<FakeVaultAnswer> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith("https:") ? httpsRequest : httpRequest;
    const request = send(url, { method, headers, ...(ca === undefined ? {} : { ca }) }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => {
        resolve({ status: response.statusCode ?? 0, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) });
      });
    });
    request.on("error", reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

export async function startFakeVault(options: FakeVaultOptions = {}): Promise<FakeVault> {
  const kvMounts = options.kvMounts ?? ["secret"];
  const approleMounts = options.approleMounts ?? ["approle"];
  const kv = new Map<string, FakeKvSecret>();
  const policies = new Map<string, string>();
  const roles = new Map<string, FakeAppRole>();
  const tokens = new Map<string, Token>();
  const requests: FakeVaultRequest[] = [];
  let clockOffsetMs = 0;
  let failures: { count: number; status: number } = { count: 0, status: 503 };
  const now = (): number => Date.now() + clockOffsetMs;
  const timestamp = (): string => new Date(now()).toISOString();

  const rootToken = newToken("hvs");
  tokens.set(rootToken, { id: rootToken, accessor: randomUUID(), kind: "root", policies: ["root"], expiresAt: Infinity, boundCidrs: [] });

  function liveToken(id: string | undefined, client: string): Token | undefined {
    if (!id) return undefined;
    const token = tokens.get(id);
    if (!token) return undefined;
    if (token.expiresAt <= now()) {
      tokens.delete(id);
      return undefined;
    }
    return inAnyCidr(client, token.boundCidrs) ? token : undefined;
  }

  /** What the token's policies allow on `path`: their capabilities together, the strictest wrapping bounds. */
  function permissionsOf(token: Token, path: string): Permissions {
    const granted = new Set<string>();
    let minWrappingTtl: number | undefined;
    let maxWrappingTtl: number | undefined;
    for (const name of [...token.policies, "default"]) {
      const text = name === "default" ? DEFAULT_POLICY : policies.get(name);
      const rule = text === undefined ? undefined : ruleFor(parsePolicy(text) ?? [], path);
      if (!rule) continue;
      for (const capability of rule.capabilities) granted.add(capability);
      if (rule.minWrappingTtl !== undefined) minWrappingTtl = Math.max(minWrappingTtl ?? 0, rule.minWrappingTtl);
      if (rule.maxWrappingTtl !== undefined) maxWrappingTtl = Math.min(maxWrappingTtl ?? Infinity, rule.maxWrappingTtl);
    }
    return {
      capabilities: granted.has("deny") ? [] : [...granted],
      ...(minWrappingTtl === undefined ? {} : { minWrappingTtl }),
      ...(maxWrappingTtl === undefined ? {} : { maxWrappingTtl }),
    };
  }

  /** The capability a request needs: POST and PUT create what does not exist yet and update what does. */
  function neededCapability(method: string, path: string): string {
    if (method === "GET") return "read";
    if (method === "DELETE") return "delete";
    const kvData = kvLocation(path);
    if (kvData) return kv.get(`${kvData.mount}/${kvData.path}`)?.versions.length ? "update" : "create";
    const policy = /^sys\/policies\/acl\/(.+)$/.exec(path);
    if (policy) return policies.has(policy[1]!) ? "update" : "create";
    const role = roleLocation(path);
    if (role && role.rest === "") return roles.has(`${role.mount}/${role.name}`) ? "update" : "create";
    return "update";
  }

  function kvLocation(path: string): { mount: string; kind: "data" | "metadata"; path: string } | undefined {
    for (const mount of kvMounts) {
      for (const kind of ["data", "metadata"] as const) {
        const prefix = `${mount}/${kind}/`;
        if (path.startsWith(prefix) && path.length > prefix.length) return { mount, kind, path: path.slice(prefix.length) };
      }
    }
    return undefined;
  }

  function roleLocation(path: string): { mount: string; name: string; rest: string } | undefined {
    for (const mount of approleMounts) {
      const match = new RegExp(`^auth/${mount.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/role/([^/]+)(/.*)?$`).exec(path);
      if (match) return { mount, name: match[1]!, rest: match[2] ?? "" };
    }
    return undefined;
  }

  function issueToken(kind: "service" | "child", policiesOf: readonly string[], ttlSeconds: number, boundCidrs: readonly string[]): Token {
    const token: Token = { id: newToken("hvs"), accessor: randomUUID(), kind, policies: policiesOf, expiresAt: now() + ttlSeconds * 1000, boundCidrs };
    tokens.set(token.id, token);
    return token;
  }

  function authReply(token: Token, ttlSeconds: number, metadata: Json = {}): Reply {
    return [200, { request_id: randomUUID(), data: null, auth: { client_token: token.id, accessor: token.accessor, policies: [...token.policies, "default"], token_policies: [...token.policies, "default"], metadata, lease_duration: ttlSeconds, renewable: true } }];
  }

  // --- unauthenticated -------------------------------------------------------------------------

  function wrappingLookup(body: Json): Reply {
    const token = tokens.get(field(body, "token"));
    if (!token || token.kind !== "wrapping" || token.expiresAt <= now() || !token.wrapped) return INVALID_WRAPPING;
    return [200, { data: { creation_path: token.wrapped.creationPath, creation_time: token.wrapped.creationTime, creation_ttl: token.wrapped.ttl } }];
  }

  function unwrap(headerToken: string | undefined, body: Json): Reply {
    const id = typeof body.token === "string" && body.token !== "" ? body.token : headerToken;
    const token = id === undefined ? undefined : tokens.get(id);
    if (!token || token.kind !== "wrapping" || !token.wrapped) return INVALID_WRAPPING;
    tokens.delete(token.id);
    if (token.expiresAt <= now()) return INVALID_WRAPPING;
    return [200, token.wrapped.response];
  }

  function login(mount: string, body: Json, client: string): Reply {
    const role = [...roles.values()].find((candidate) => candidate.mount === mount && candidate.roleId === body.role_id);
    if (!role) return INVALID_LOGIN;
    if (!inAnyCidr(client, role.settings.secret_id_bound_cidrs)) return [400, { errors: [`source address "${client}" unauthorized by CIDR restrictions on the role`] }];
    const entry = [...role.secretIds.values()].find((candidate) => candidate.secretId === body.secret_id);
    if (!entry) return INVALID_LOGIN;
    role.secretIds.delete(entry.accessor);
    if (entry.expiresAt <= now()) return INVALID_LOGIN;
    if (!inAnyCidr(client, entry.cidrs)) return [400, { errors: [`source address "${client}" unauthorized through CIDR restrictions on the secret ID`] }];
    if (entry.usesLeft !== 1) role.secretIds.set(entry.accessor, { ...entry, usesLeft: entry.usesLeft === 0 ? 0 : entry.usesLeft - 1 });
    const ttl = Math.min(role.settings.token_ttl || 2_764_800, role.settings.token_max_ttl || Infinity);
    return authReply(issueToken("service", role.settings.token_policies, ttl, role.settings.token_bound_cidrs), ttl, { role_name: role.name });
  }

  // --- authenticated ---------------------------------------------------------------------------

  function tokenCalls(method: string, path: string, token: Token, body: Json): Reply | undefined {
    if (path === "auth/token/revoke-self" && method !== "GET") {
      tokens.delete(token.id);
      return [204];
    }
    if (path === "auth/token/lookup-self" && method === "GET") {
      return [200, { data: { accessor: token.accessor, policies: [...token.policies, "default"], ttl: Number.isFinite(token.expiresAt) ? Math.round((token.expiresAt - now()) / 1000) : 0 } }];
    }
    if (path === "auth/token/create" && method !== "GET") {
      const requested = stringList(body.policies);
      const granted = requested.length > 0 ? requested : token.policies;
      if (token.kind !== "root" && granted.some((policy) => !token.policies.includes(policy))) return [400, { errors: ["child policies must be subset of parent"] }];
      const ttl = durationSeconds(body.ttl) || 3600;
      return authReply(issueToken("child", granted, ttl, []), ttl);
    }
    return undefined;
  }

  function policyCalls(method: string, path: string, body: Json): Reply | undefined {
    const match = /^sys\/policies\/acl\/([^/]+)$/.exec(path);
    if (!match) return undefined;
    const name = match[1]!;
    if (method === "GET") {
      const text = policies.get(name);
      return text === undefined ? NOT_FOUND : [200, { data: { name, policy: text } }];
    }
    if (method === "DELETE") {
      policies.delete(name);
      return [204];
    }
    const text = typeof body.policy === "string" ? body.policy : "";
    if (parsePolicy(text) === undefined) return [400, { errors: [`failed to parse policy: not a list of path blocks: ${text.slice(0, 40)}`] }];
    policies.set(name, text);
    return [204];
  }

  function roleCalls(method: string, path: string, body: Json, wrapInfo: (creationPath: string) => void): Reply | undefined {
    const location = roleLocation(path);
    if (!location) return undefined;
    const key = `${location.mount}/${location.name}`;
    const role = roles.get(key);
    if (location.rest === "") {
      if (method === "GET") {
        return role ? [200, { data: { ...role.settings } }] : NOT_FOUND;
      }
      if (method === "DELETE") {
        roles.delete(key);
        return [204];
      }
      const current = role?.settings;
      const settings: FakeAppRole["settings"] = {
        bind_secret_id: body.bind_secret_id === undefined ? (current?.bind_secret_id ?? true) : Boolean(body.bind_secret_id),
        token_policies: body.token_policies === undefined ? (current?.token_policies ?? []) : stringList(body.token_policies),
        token_ttl: body.token_ttl === undefined ? (current?.token_ttl ?? 0) : durationSeconds(body.token_ttl),
        token_max_ttl: body.token_max_ttl === undefined ? (current?.token_max_ttl ?? 0) : durationSeconds(body.token_max_ttl),
        token_bound_cidrs: body.token_bound_cidrs === undefined ? (current?.token_bound_cidrs ?? []) : stringList(body.token_bound_cidrs),
        secret_id_num_uses: body.secret_id_num_uses === undefined ? (current?.secret_id_num_uses ?? 0) : Number(body.secret_id_num_uses),
        secret_id_ttl: body.secret_id_ttl === undefined ? (current?.secret_id_ttl ?? 0) : durationSeconds(body.secret_id_ttl),
        secret_id_bound_cidrs: body.secret_id_bound_cidrs === undefined ? (current?.secret_id_bound_cidrs ?? []) : stringList(body.secret_id_bound_cidrs),
      };
      if (role) role.settings = settings;
      else roles.set(key, { mount: location.mount, name: location.name, roleId: randomUUID(), settings, secretIds: new Map() });
      return [204];
    }
    if (!role) return [400, { errors: [`role "${location.name}" does not exist`] }];
    switch (`${method} ${location.rest}`) {
      case "GET /role-id":
        return [200, { data: { role_id: role.roleId } }];
      case "POST /role-id":
      case "PUT /role-id": {
        const roleId = field(body, "role_id");
        if (roleId === "") return [400, { errors: ["missing role_id"] }];
        const other = [...roles.values()].find((candidate) => candidate !== role && candidate.mount === role.mount && candidate.roleId === roleId);
        if (other) return [400, { errors: ["role_id already in use"] }];
        role.roleId = roleId;
        return [204];
      }
      case "POST /secret-id":
      case "PUT /secret-id": {
        const cidrs = stringList(body.cidr_list);
        if (role.settings.secret_id_bound_cidrs.length > 0 && cidrs.some((cidr) => !role.settings.secret_id_bound_cidrs.some((bound) => inCidr(cidr.split("/")[0]!, bound)))) {
          return [400, { errors: ["failed to validate CIDR blocks: CIDR blocks on the secret ID must be a subset of the role's"] }];
        }
        const requestedUses = body.num_uses === undefined ? role.settings.secret_id_num_uses : Number(body.num_uses);
        if (role.settings.secret_id_num_uses > 0 && (requestedUses === 0 || requestedUses > role.settings.secret_id_num_uses)) {
          return [400, { errors: ["num_uses cannot be higher than the role's secret_id_num_uses"] }];
        }
        const ttl = body.ttl === undefined ? role.settings.secret_id_ttl : durationSeconds(body.ttl);
        const entry: FakeSecretId = {
          secretId: randomUUID(),
          accessor: randomUUID(),
          usesLeft: requestedUses,
          expiresAt: ttl === 0 ? Infinity : now() + ttl * 1000,
          cidrs: cidrs.length > 0 ? cidrs : role.settings.secret_id_bound_cidrs,
          metadata: typeof body.metadata === "string" && body.metadata !== "" ? (JSON.parse(body.metadata) as Record<string, string>) : {},
          createdTime: timestamp(),
        };
        role.secretIds.set(entry.accessor, entry);
        wrapInfo(path);
        return [200, { data: { secret_id: entry.secretId, secret_id_accessor: entry.accessor, secret_id_ttl: ttl, secret_id_num_uses: requestedUses } }];
      }
      case "POST /secret-id-accessor/lookup":
      case "POST /secret-id-accessor/destroy": {
        const entry = role.secretIds.get(field(body, "secret_id_accessor"));
        if (!entry || entry.expiresAt <= now()) return [400, { errors: [`failed to find accessor entry for secret_id_accessor: "${field(body, "secret_id_accessor")}"`] }];
        if (location.rest.endsWith("destroy")) {
          role.secretIds.delete(entry.accessor);
          return [204];
        }
        return [200, { data: { secret_id_accessor: entry.accessor, secret_id_num_uses: entry.usesLeft, cidr_list: entry.cidrs, metadata: entry.metadata, creation_time: entry.createdTime } }];
      }
      default:
        return undefined;
    }
  }

  function kvCalls(method: string, path: string, body: Json): Reply | undefined {
    const location = kvLocation(path);
    if (!location) return undefined;
    const key = `${location.mount}/${location.path}`;
    const secret = kv.get(key);
    const metadataOf = (entry: FakeKvSecret) => ({
      created_time: entry.createdTime,
      current_version: entry.versions.length,
      custom_metadata: entry.customMetadata,
      max_versions: 0,
      oldest_version: entry.versions.length === 0 ? 0 : 1,
      versions: Object.fromEntries(entry.versions.map((version, index) => [String(index + 1), { created_time: version.createdTime, deletion_time: "", destroyed: false }])),
    });
    if (location.kind === "metadata") {
      if (method === "GET") return secret ? [200, { data: metadataOf(secret) }] : NOT_FOUND;
      const custom = (body.custom_metadata ?? {}) as Record<string, unknown>;
      const entry = secret ?? { versions: [], customMetadata: {}, createdTime: timestamp() };
      entry.customMetadata = Object.fromEntries(Object.entries(custom).map(([name, value]) => [name, String(value)]));
      kv.set(key, entry);
      return [204];
    }
    if (method === "GET") {
      const latest = secret?.versions.at(-1);
      if (!secret || !latest) return NOT_FOUND;
      return [200, { data: { data: latest.data, metadata: { created_time: latest.createdTime, custom_metadata: secret.customMetadata, deletion_time: "", destroyed: false, version: secret.versions.length } } }];
    }
    const data = body.data;
    if (data === null || typeof data !== "object" || Array.isArray(data)) return [400, { errors: ["no data provided"] }];
    const cas = (body.options as Json | undefined)?.cas;
    const current = secret?.versions.length ?? 0;
    if (cas !== undefined && Number(cas) !== current) return [400, { errors: ["check-and-set parameter did not match the current version"] }];
    const entry = secret ?? { versions: [], customMetadata: {}, createdTime: timestamp() };
    entry.versions.push({ data: data as Record<string, unknown>, createdTime: timestamp() });
    kv.set(key, entry);
    return [200, { data: { created_time: timestamp(), custom_metadata: entry.customMetadata, deletion_time: "", destroyed: false, version: entry.versions.length } }];
  }

  function handle(method: string, path: string, headers: IncomingMessage["headers"], body: Json, client: string): Reply {
    const headerToken = typeof headers["x-vault-token"] === "string" && headers["x-vault-token"] !== "" ? headers["x-vault-token"] : undefined;
    if (path === "sys/wrapping/lookup" && method !== "GET") return wrappingLookup(body);
    if (path === "sys/wrapping/unwrap" && method !== "GET") return unwrap(headerToken, body);
    for (const mount of approleMounts) if (path === `auth/${mount}/login` && method !== "GET") return login(mount, body, client);

    const token = liveToken(headerToken, client);
    if (!token || token.kind === "wrapping") return PERMISSION_DENIED;
    const wrapTtlHeader = headers["x-vault-wrap-ttl"];
    const wrapTtl = typeof wrapTtlHeader === "string" && wrapTtlHeader !== "" ? durationSeconds(wrapTtlHeader) : 0;
    if (token.kind !== "root") {
      const permissions = permissionsOf(token, path);
      if (!permissions.capabilities.includes(neededCapability(method, path))) return PERMISSION_DENIED;
      // Required response wrapping: unwrapped or wrapped for too long is refused.
      if (permissions.minWrappingTtl !== undefined && wrapTtl < permissions.minWrappingTtl) return PERMISSION_DENIED;
      if (permissions.maxWrappingTtl !== undefined && wrapTtl > permissions.maxWrappingTtl) return PERMISSION_DENIED;
    }

    let wrapPath: string | undefined;
    const reply =
      tokenCalls(method, path, token, body) ??
      policyCalls(method, path, body) ??
      roleCalls(method, path, body, (creationPath) => (wrapPath = creationPath)) ??
      kvCalls(method, path, body) ?? [404, { errors: [`no handler for route "${path}". route entry not found.`] }];
    if (wrapTtl > 0 && reply[0] === 200) {
      const ttl = wrapTtl;
      const creationTime = timestamp();
      const creationPath = wrapPath ?? path;
      const wrapping: Token = { id: newToken("hvs"), accessor: randomUUID(), kind: "wrapping", policies: ["response-wrapping"], expiresAt: now() + ttl * 1000, boundCidrs: [], wrapped: { response: reply[1], creationPath, creationTime, ttl } };
      tokens.set(wrapping.id, wrapping);
      const wrappedAccessor = ((reply[1] as { data?: { secret_id_accessor?: string } }).data?.secret_id_accessor) ?? "";
      return [200, { request_id: randomUUID(), data: null, wrap_info: { token: wrapping.id, accessor: wrapping.accessor, ttl, creation_time: creationTime, creation_path: creationPath, wrapped_accessor: wrappedAccessor } }];
    }
    return reply;
  }

  function respond(request: IncomingMessage, response: ServerResponse, text: string): void {
    const url = new URL(request.url ?? "/", "http://vault");
    const method = request.method ?? "GET";
    const path = url.pathname.replace(/^\/v1\//, "");
    const reply = ((): Reply => {
      if (failures.count > 0) {
        failures = { ...failures, count: failures.count - 1 };
        return [failures.status, { errors: ["Vault is sealed"] }];
      }
      if (!url.pathname.startsWith("/v1/")) return [404, { errors: [] }];
      let body: Json;
      try {
        body = text.trim() === "" ? {} : (JSON.parse(text) as Json);
      } catch (error) {
        return [400, { errors: [`failed to parse JSON input: ${(error as Error).message}`] }];
      }
      const client = (request.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
      return handle(method, path, request.headers, body, client);
    })();
    requests.push({ method, path, status: reply[0] });
    response.writeHead(reply[0], reply[1] === undefined ? {} : { "content-type": "application/json" });
    response.end(reply[1] === undefined ? undefined : JSON.stringify(reply[1]));
  }

  const listener = (request: IncomingMessage, response: ServerResponse): void => {
    let text = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (text += chunk));
    request.on("end", () => {
      respond(request, response, text);
    });
  };
  const server: Server | HttpsServer = options.tls ? createHttpsServer({ cert: options.tls.certificatePem, key: options.tls.privateKeyPem }, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    address: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
    rootToken,
    kv,
    policies,
    roles,
    requests,
    kvData: (mount, path) => kv.get(`${mount}/${path}`)?.versions.at(-1)?.data,
    liveLoginTokens: () => [...tokens.values()].filter((token) => token.kind === "service" && token.expiresAt > now()).length,
    call: (token, method, path, body, headers = {}) => clientCall(`${options.tls ? "https" : "http"}://127.0.0.1:${port}/v1/${path}`, options.tls?.caPem, method, { "X-Vault-Token": token, ...headers }, body),
    failNext: (count, status = 503) => {
      failures = { count, status };
    },
    advance: (seconds) => {
      clockOffsetMs += seconds * 1000;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}
