/**
 * `k2 secrets init FILE...`: creates each cluster's secrets (certificate authorities, etcd and
 * API server certificates, service-account keys, bootstrap token) in the provider's secret
 * store, where machines read them at boot through their role. It only ever creates: secrets
 * that exist are in use by a running cluster, and replacing them would break it.
 */
import { awsEtcdTopology } from "../aws/etcd-topology";
import { CLUSTER_TAG } from "../aws/tags";
import { AwsSecretsManagerStore, generateClusterSecrets, serializeSecretDocument, type SecretStore } from "../secrets";
import { clusterSecretNames } from "../secrets/names";
import type { Cluster } from "../spec";
import { EXIT, UserError } from "./errors";
import { loadClustersForCommand, type CommandIo } from "./spec-input";
import { styleFor } from "./style";

export interface SecretsInitOptions {
  readonly dryRun: boolean;
  readonly format: "text" | "json";
}

interface ClusterReport {
  readonly cluster: string;
  readonly store: string;
  readonly secrets: readonly { readonly name: string; readonly readers: string; readonly files: readonly string[]; readonly created: boolean }[];
  readonly refused?: string;
}

export type StoreFactory = (cluster: Cluster) => SecretStore;

const awsStore: StoreFactory = (cluster) => {
  const aws = cluster.spec.provider.aws;
  if (!aws) throw new UserError(`cluster ${cluster.metadata.name}: only AWS clusters keep their secrets in a store k2 can write to yet (spec.provider.maas is not supported)`, EXIT.problems);
  return new AwsSecretsManagerStore(aws.region);
};

async function initCluster(cluster: Cluster, store: SecretStore, dryRun: boolean): Promise<ClusterReport> {
  const name = cluster.metadata.name;
  const topology = awsEtcdTopology(cluster);
  if (dryRun) {
    const names = clusterSecretNames(name, topology.map((etcd) => etcd.name));
    const all = [names.authority, names.controlPlane, names.workers, ...Object.values(names.etcd)];
    return { cluster: name, store: store.description, secrets: all.map((secret) => ({ name: secret, readers: "", files: [], created: false })) };
  }
  const secrets = await generateClusterSecrets(cluster, topology);
  let existing: string[];
  try {
    existing = (await Promise.all(secrets.map(async (secret) => ((await store.exists(secret.name)) ? secret.name : undefined)))).filter((n): n is string => n !== undefined);
  } catch (error) {
    throw new UserError(`cannot reach ${store.description}: ${(error as Error).message}`, EXIT.problems);
  }
  const report = (created: boolean) =>
    secrets.map((secret) => ({ name: secret.name, readers: secret.readers, files: secret.document.files.map((file) => file.path), created }));
  if (existing.length > 0) {
    return {
      cluster: name,
      store: store.description,
      secrets: report(false),
      refused: `secrets already exist (${existing.join(", ")}); k2 secrets init only creates secrets and never replaces them, since a running cluster depends on them`,
    };
  }
  for (const secret of secrets) {
    try {
      await store.create(secret.name, serializeSecretDocument(secret.document), secret.description, { [CLUSTER_TAG]: name, "kraken.dev/readers": secret.readers });
    } catch (error) {
      throw new UserError(`cannot create ${secret.name} in ${store.description}: ${(error as Error).message}`, EXIT.problems);
    }
  }
  return { cluster: name, store: store.description, secrets: report(true) };
}

export async function secretsInitCommand(files: readonly string[], options: SecretsInitOptions, io: CommandIo = process, storeFor: StoreFactory = awsStore): Promise<number> {
  // The AWS SDK warns on every run that its 2027 releases need Node 22; k2 pins a release that
  // runs on Node 20, so the warning would only be noise in k2's output (see the README's versions).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const loaded = loadClustersForCommand("secrets init", files, io);
  if ("exitCode" in loaded) return loaded.exitCode;
  const reports: ClusterReport[] = [];
  for (const cluster of loaded.clusters) reports.push(await initCluster(cluster, storeFor(cluster), options.dryRun));

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
    }
  }
  return reports.some((report) => report.refused) ? EXIT.problems : EXIT.ok;
}
