/**
 * `k2 secrets init FILE...`: creates each cluster's secrets (certificate authorities, etcd and
 * API server certificates, service-account keys, bootstrap token) in the provider's secret
 * store, where machines read them at boot: AWS Secrets Manager through their instance role, or
 * Vault (MAAS) through one AppRole login each, for which it also writes the policies and roles.
 * It only ever creates secrets: secrets that exist are in use by a running cluster, and
 * replacing them would break it.
 */
import { CLUSTER_TAG } from "../aws/tags";
import { clusterEtcdTopology } from "../etcd/cluster-topology";
import {
  AwsSecretsManagerStore,
  generateClusterSecrets,
  prepareVaultAccess,
  serializeSecretDocument,
  vaultAccessPlan,
  VaultError,
  VaultStore,
  type SecretStore,
  type VaultAccessPlan,
  type VaultAppRoleSettings,
} from "../secrets";
import { describeMissingCredential, etcdLoggingCredentials, withLoggingCredentials, type MissingCredential } from "../secrets/logging";
import type { SecretDocument, SecretFile } from "../secrets/document";
import { clusterSecretNames } from "../secrets/names";
import type { Cluster } from "../spec";
import { EXIT, UserError } from "./errors";
import { loadClustersForCommand, type CommandIo } from "./spec-input";
import { styleFor, type Style } from "./style";

export interface SecretsInitOptions {
  readonly dryRun: boolean;
  readonly format: "text" | "json";
}

/** What was (or would be) written to Vault besides the secrets: MAAS clusters only. */
interface VaultAccessReport {
  readonly policies: readonly { readonly name: string; readonly allows: string; readonly document: string; readonly written: boolean }[];
  readonly roles: readonly {
    readonly roleName: string;
    readonly roleId: string;
    readonly policy: string;
    readonly secret: string;
    readonly settings: VaultAppRoleSettings;
    readonly written: boolean;
  }[];
  /** The policy to give CI's Terraform token. */
  readonly terraformPolicy: string;
}

interface ClusterReport {
  readonly cluster: string;
  readonly store: string;
  readonly secrets: readonly { readonly name: string; readonly readers: string; readonly files: readonly string[]; readonly created: boolean }[];
  readonly refused?: string;
  readonly vault?: VaultAccessReport;
}

export type StoreFactory = (cluster: Cluster) => SecretStore;

/** AWS Secrets Manager in the cluster's region, or the cluster's Vault with the token from provider.maas.vault.tokenEnv. */
const providerStore: StoreFactory = (cluster) => {
  const aws = cluster.spec.provider.aws;
  if (aws) return new AwsSecretsManagerStore(aws.region);
  if (cluster.spec.provider.maas) return VaultStore.forCluster(cluster);
  throw new UserError(`cluster ${cluster.metadata.name}: spec.provider names no provider k2 knows`, EXIT.problems);
};

function accessReport(plan: VaultAccessPlan, written: boolean): VaultAccessReport {
  return {
    policies: plan.policies.map((policy) => ({ name: policy.name, allows: policy.allows, document: policy.document, written })),
    roles: plan.roles.map((role) => ({ roleName: role.roleName, roleId: role.roleId, policy: role.policyName, secret: role.secretName, settings: role.settings, written })),
    terraformPolicy: plan.terraformPolicyName,
  };
}

/** A failed store call as one line: Vault's errors say what and why already; the AWS SDK's need context. */
function storeProblem(error: unknown, context: string): UserError {
  if (error instanceof VaultError) return new UserError(error.message, EXIT.problems);
  return new UserError(`${context}: ${(error as Error).message}`, EXIT.problems);
}

async function initCluster(cluster: Cluster, store: SecretStore, dryRun: boolean, etcdHostFiles: readonly SecretFile[]): Promise<ClusterReport> {
  const name = cluster.metadata.name;
  const topology = clusterEtcdTopology(cluster);
  const access = cluster.spec.provider.maas ? vaultAccessPlan(cluster) : undefined;
  const base = { cluster: name, store: store.description };
  if (dryRun) {
    const names = clusterSecretNames(name, topology.map((etcd) => etcd.name));
    const all = [names.authority, names.controlPlane, names.workers, ...Object.values(names.etcd)];
    return { ...base, secrets: all.map((secret) => ({ name: secret, readers: "", files: [], created: false })), ...(access ? { vault: accessReport(access, false) } : {}) };
  }
  if (store instanceof VaultStore && !store.hasToken) {
    throw new UserError(
      `cluster ${name}: the environment variable ${store.settings.tokenEnv} holds no Vault token; k2 secrets init needs one to write the cluster's secrets, policies and AppRole roles to Vault at ${store.client.address} (provider.maas.vault.tokenEnv names the variable; docs/vault.md has the policy it needs)`,
      EXIT.problems,
    );
  }
  const secrets = await generateClusterSecrets(cluster, topology, etcdHostFiles);
  let existing: string[];
  try {
    existing = (await Promise.all(secrets.map(async (secret) => ((await store.exists(secret.name)) ? secret.name : undefined)))).filter((n): n is string => n !== undefined);
  } catch (error) {
    throw storeProblem(error, `cannot reach ${store.description}`);
  }
  const report = (created: boolean) =>
    secrets.map((secret) => ({ name: secret.name, readers: secret.readers, files: secret.document.files.map((file) => file.path), created }));
  if (existing.length > 0) {
    return {
      ...base,
      secrets: report(false),
      refused: `secrets already exist (${existing.join(", ")}); k2 secrets init only creates secrets and never replaces them, since a running cluster depends on them`,
    };
  }
  for (const secret of secrets) {
    try {
      await store.create(secret.name, serializeSecretDocument(secret.document), secret.description, { [CLUSTER_TAG]: name, "kraken.dev/readers": secret.readers });
    } catch (error) {
      throw storeProblem(error, `cannot create ${secret.name} in ${store.description}`);
    }
  }
  if (!access) return { ...base, secrets: report(true) };
  if (!(store instanceof VaultStore)) throw new Error(`cluster ${name} is a MAAS cluster, but its secret store is not Vault`);
  try {
    await prepareVaultAccess(store, cluster);
  } catch (error) {
    throw new UserError(
      `cluster ${name}: the secrets are in Vault, but its policies and AppRole roles could not be written: ${(error as Error).message}. Write them as 'k2 secrets init --dry-run --format json' lists them (docs/vault.md), or delete the secrets and run k2 secrets init again`,
      EXIT.problems,
    );
  }
  return { ...base, secrets: report(true), vault: accessReport(access, true) };
}

function renderVaultAccess(vault: VaultAccessReport, dryRun: boolean, style: Style): string {
  const mark = dryRun ? "-" : style.green("✔");
  const verb = dryRun ? "would write" : "wrote";
  const lines = [
    ...vault.policies.map((policy) => `  ${mark} ${verb} policy ${policy.name}${style.dim(`  ${policy.allows}`)}`),
    ...vault.roles.map((role) => `  ${mark} ${verb} AppRole role ${role.roleName}${style.dim(`  role_id ${role.roleId}, reads ${role.secret}`)}`),
    `  CI's Terraform needs a Vault token with policy ${style.bold(vault.terraformPolicy)} (vault token create -policy=${vault.terraformPolicy}): it mints the machines' secret IDs and reads no secret.`,
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * Each cluster's credentials file for its etcd hosts' log agent, by cluster name (none when its
 * sinks need none); undefined, with every missing variable printed, when the environment lacks one.
 * A dry run needs no credential.
 */
function loggingCredentialsOf(clusters: readonly Cluster[], env: NodeJS.ProcessEnv, dryRun: boolean, io: CommandIo): Map<string, SecretFile[]> | undefined {
  const files = new Map<string, SecretFile[]>();
  const missing: MissingCredential[] = [];
  for (const cluster of clusters) {
    const credentials = etcdLoggingCredentials(cluster, env);
    if (credentials.kind === "file") files.set(cluster.metadata.name, [credentials.file]);
    if (credentials.kind === "missing" && !dryRun) missing.push(...credentials.missing);
  }
  if (missing.length === 0) return files;
  const style = styleFor(io.stderr);
  for (const entry of missing) io.stderr.write(`${style.red("error:")} ${describeMissingCredential(entry)}\n`);
  io.stderr.write(`\n${style.red(style.bold(`✖ ${missing.length} missing credential${missing.length === 1 ? "" : "s"}`))}: nothing was written (docs/logging.md, "Sinks and credentials")\n`);
  return undefined;
}

/**
 * The clusters of a secrets command and their etcd hosts' log credentials, which come from the
 * environment: all of them, or nothing is written (an exit code, the problems printed).
 */
function loadForSecrets(
  command: string,
  files: readonly string[],
  io: CommandIo,
  env: NodeJS.ProcessEnv,
  dryRun: boolean,
): { readonly clusters: readonly Cluster[]; readonly credentials: Map<string, SecretFile[]> } | { readonly exitCode: number } {
  // The AWS SDK warns on every run that its 2027 releases need Node 22; k2 pins a release that
  // runs on Node 20, so the warning would only be noise in k2's output (see the README's versions).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const loaded = loadClustersForCommand(command, files, io);
  if ("exitCode" in loaded) return loaded;
  const credentials = loggingCredentialsOf(loaded.clusters, env, dryRun, io);
  return credentials === undefined ? { exitCode: EXIT.problems } : { clusters: loaded.clusters, credentials };
}

export async function secretsInitCommand(
  files: readonly string[],
  options: SecretsInitOptions,
  io: CommandIo = process,
  storeFor: StoreFactory = providerStore,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const loaded = loadForSecrets("secrets init", files, io, env, options.dryRun);
  if ("exitCode" in loaded) return loaded.exitCode;
  const { credentials } = loaded;
  const reports: ClusterReport[] = [];
  for (const cluster of loaded.clusters) reports.push(await initCluster(cluster, storeFor(cluster), options.dryRun, credentials.get(cluster.metadata.name) ?? []));

  if (options.format === "json") {
    io.stdout.write(`${JSON.stringify({ dryRun: options.dryRun, clusters: reports }, null, 2)}\n`);
  } else {
    const style = styleFor(io.stdout);
    for (const report of reports) {
      io.stdout.write(`${style.bold(report.cluster)} (${report.store})\n`);
      if (report.refused) {
        io.stdout.write(`  ${style.red("refused:")} ${report.refused}\n`);
        continue;
      }
      for (const secret of report.secrets) {
        const verb = options.dryRun ? "would create" : "created";
        io.stdout.write(`  ${options.dryRun ? "-" : style.green("✔")} ${verb} ${secret.name}${secret.readers ? style.dim(`  read by ${secret.readers}`) : ""}\n`);
      }
      if (report.vault) io.stdout.write(renderVaultAccess(report.vault, options.dryRun, style));
    }
  }
  return reports.some((report) => report.refused) ? EXIT.problems : EXIT.ok;
}

export interface SecretsLoggingOptions {
  readonly dryRun: boolean;
  readonly format: "text" | "json";
}

interface LoggingUpdateReport {
  readonly cluster: string;
  readonly store: string;
  /** Each etcd cluster's secret: what changes in it, and whether it was written (not in a dry run). */
  readonly secrets: readonly { readonly name: string; readonly action: "write" | "remove" | "unchanged"; readonly written: boolean }[];
}

async function updateLoggingCredentials(cluster: Cluster, store: SecretStore, file: SecretFile | undefined, dryRun: boolean): Promise<LoggingUpdateReport> {
  const names = clusterSecretNames(cluster.metadata.name, cluster.spec.etcd.map((etcd) => etcd.name));
  const secrets: LoggingUpdateReport["secrets"][number][] = [];
  for (const name of Object.values(names.etcd)) {
    let current: { value: string; version: string };
    try {
      current = await store.read(name);
    } catch (error) {
      throw storeProblem(error, `cannot read ${name} from ${store.description} (k2 secrets init creates it)`);
    }
    const document = JSON.parse(current.value) as SecretDocument;
    const next = withLoggingCredentials(document, file);
    const unchanged = JSON.stringify(next) === JSON.stringify(document);
    const action = unchanged ? "unchanged" : file ? "write" : "remove";
    if (!unchanged && !dryRun) {
      try {
        await store.update(name, serializeSecretDocument(next), current.version);
      } catch (error) {
        throw storeProblem(error, `cannot write ${name} in ${store.description}`);
      }
    }
    secrets.push({ name, action, written: !unchanged && !dryRun });
  }
  return { cluster: cluster.metadata.name, store: store.description, secrets };
}

/**
 * `k2 secrets logging FILE...`: puts the log sinks' current credentials (from the environment
 * variables the specs name) into each etcd cluster's secret, or takes them out when the sinks
 * need none. Etcd hosts read them when they next boot (a replaced member) — see docs/logging.md.
 */
export async function secretsLoggingCommand(
  files: readonly string[],
  options: SecretsLoggingOptions,
  io: CommandIo = process,
  storeFor: StoreFactory = providerStore,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const loaded = loadForSecrets("secrets logging", files, io, env, false);
  if ("exitCode" in loaded) return loaded.exitCode;
  const { credentials } = loaded;
  const reports: LoggingUpdateReport[] = [];
  for (const cluster of loaded.clusters) {
    const store = storeFor(cluster);
    if (store instanceof VaultStore && !store.hasToken && !options.dryRun) {
      throw new UserError(`cluster ${cluster.metadata.name}: the environment variable ${store.settings.tokenEnv} holds no Vault token; k2 secrets logging needs one to update the etcd secrets at ${store.client.address}`, EXIT.problems);
    }
    reports.push(await updateLoggingCredentials(cluster, store, credentials.get(cluster.metadata.name)?.[0], options.dryRun));
  }
  if (options.format === "json") {
    io.stdout.write(`${JSON.stringify({ dryRun: options.dryRun, clusters: reports }, null, 2)}\n`);
    return EXIT.ok;
  }
  const style = styleFor(io.stdout);
  for (const report of reports) {
    io.stdout.write(`${style.bold(report.cluster)} (${report.store})\n`);
    for (const secret of report.secrets) {
      const what =
        secret.action === "unchanged"
          ? `${secret.name} is up to date`
          : `${options.dryRun ? "would " : ""}${secret.action === "write" ? (options.dryRun ? "write" : "wrote") : options.dryRun ? "remove" : "removed"} the log agent's credentials ${secret.action === "write" ? "into" : "from"} ${secret.name}`;
      io.stdout.write(`  ${secret.written ? style.green("✔") : "-"} ${what}\n`);
    }
  }
  if (reports.some((report) => report.secrets.some((secret) => secret.written))) {
    io.stdout.write("Running etcd hosts read their secret at boot only: replace members one at a time (docs/etcd.md), or update /etc/kraken/logging.env by hand (docs/logging.md).\n");
  }
  return EXIT.ok;
}
