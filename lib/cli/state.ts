/**
 * `k2 state spec | lock-info | unlock | store`: the spec a cluster was applied with, read back
 * from its state backend; who holds its state lock; releasing a lock whose holder is gone; and
 * the bootstrap stack of the s3 backend's bucket.
 */
import { join } from "node:path";
import { stringify } from "yaml";
import { stateBackendConfig, type StateBackendConfig } from "../state/backend";
import { stateClient, StateAccessError, type StateClient } from "../state/clients";
import { unlockProcedure, type LockStatus } from "../state/lock";
import { appliedSpecFromState, parseTerraformState, type AppliedSpec } from "../state/terraform-state";
import type { Cluster } from "../spec";
import { EXIT, UserError } from "./errors";
import { loadClustersForCommand, loadOneClusterForCommand, plural, type CommandIo } from "./spec-input";
import { styleFor } from "./style";
import { checkedOutputDirectory, synthesizeInto } from "./synth-output";

/** Exit code of `k2 state lock-info` when the state is locked (0: not locked). */
export const EXIT_LOCKED = 3;

async function withClient<T>(backend: StateBackendConfig, use: (client: StateClient) => Promise<T>): Promise<T> {
  const client = stateClient(backend);
  try {
    return await use(client);
  } catch (error) {
    if (error instanceof StateAccessError) throw new UserError(error.message, EXIT.problems);
    throw error;
  } finally {
    await client.close();
  }
}

/** The applied spec of a cluster from its backend; undefined when it has no state or was never applied. */
export async function readAppliedSpec(cluster: Cluster): Promise<AppliedSpec | undefined> {
  const backend = stateBackendConfig(cluster);
  return withClient(backend, async (client) => {
    const text = await client.readState();
    if (text === undefined) return undefined;
    try {
      return appliedSpecFromState(parseTerraformState(text, client.description), client.description);
    } catch (error) {
      throw new UserError((error as Error).message, EXIT.problems);
    }
  });
}

export interface StateSpecOptions {
  readonly name?: string;
  readonly format: "yaml" | "json";
}

export async function stateSpecCommand(files: readonly string[], options: StateSpecOptions, io: CommandIo = process): Promise<number> {
  const cluster = loadOneClusterForCommand("state spec", files, io, options.name);
  if (typeof cluster === "number") return cluster;
  const applied = await readAppliedSpec(cluster);
  const where = stateBackendConfig(cluster);
  if (!applied) {
    io.stderr.write(`k2 state spec: cluster ${cluster.metadata.name} has no applied spec in its state (${where.type}): it was never applied\n`);
    return EXIT.problems;
  }
  if (options.format === "json") io.stdout.write(`${JSON.stringify({ serial: applied.serial, lineage: applied.lineage, hash: applied.hash, spec: applied.cluster }, null, 2)}\n`);
  else io.stdout.write(`# applied spec of ${cluster.metadata.name}: state serial ${applied.serial}, sha256 ${applied.hash}\n${stringify(applied.cluster, { lineWidth: 0 })}`);
  return EXIT.ok;
}

function renderLock(status: LockStatus, io: CommandIo): string {
  const style = styleFor(io.stdout);
  if (!status.locked || !status.holder) return `${style.green("✔ not locked")}: ${status.backend}\n`;
  const holder = status.holder;
  const lines = [
    `${style.yellow("locked")}: ${status.backend}`,
    `  lock id    ${holder.id}`,
    ...(holder.who ? [`  held by    ${holder.who}`] : []),
    ...(holder.operation ? [`  operation  ${holder.operation}`] : []),
    ...(holder.since ? [`  since      ${holder.since}`] : []),
    ...(holder.terraformVersion ? [`  terraform  ${holder.terraformVersion}`] : []),
    ...Object.entries(holder.details).map(([key, value]) => `  ${key}: ${value}`),
  ];
  return `${lines.join("\n")}\n`;
}

export interface LockInfoOptions {
  readonly name?: string;
  readonly format: "text" | "json";
}

export async function lockInfoCommand(files: readonly string[], options: LockInfoOptions, io: CommandIo = process): Promise<number> {
  const cluster = loadOneClusterForCommand("state lock-info", files, io, options.name);
  if (typeof cluster === "number") return cluster;
  const backend = stateBackendConfig(cluster);
  const status = await withClient(backend, (client) => client.lockStatus());
  if (options.format === "json") {
    io.stdout.write(`${JSON.stringify({ cluster: cluster.metadata.name, ...status, ...(status.locked ? { whatToDo: unlockProcedure(backend, status) } : {}) }, null, 2)}\n`);
  } else {
    io.stdout.write(renderLock(status, io));
    if (status.locked) io.stdout.write(`\n${unlockProcedure(backend, status).join("\n")}\n`);
  }
  return status.locked ? EXIT_LOCKED : EXIT.ok;
}

export interface UnlockOptions {
  readonly name?: string;
  readonly lockId?: string;
}

export async function unlockCommand(files: readonly string[], options: UnlockOptions, io: CommandIo = process): Promise<number> {
  const cluster = loadOneClusterForCommand("state unlock", files, io, options.name);
  if (typeof cluster === "number") return cluster;
  const backend = stateBackendConfig(cluster);
  return withClient(backend, async (client) => {
    const status = await client.lockStatus();
    if (options.lockId === undefined) {
      io.stdout.write(renderLock(status, io));
      if (status.locked) io.stdout.write(`\n${unlockProcedure(backend, status).join("\n")}\n`);
      io.stderr.write(`${styleFor(io.stderr).red("k2 state unlock:")} refused: give the lock id with --lock-id, after checking its holder is gone (nothing was changed)\n`);
      return EXIT.problems;
    }
    const done = await client.unlock(options.lockId);
    io.stdout.write(`${styleFor(io.stdout).green("✔ unlocked")}: ${done}\n`);
    return EXIT.ok;
  });
}

export interface StateStoreOptions {
  readonly out: string;
}

/** The bootstrap stack of every distinct s3 state bucket the specs use. */
export async function stateStoreCommand(files: readonly string[], options: StateStoreOptions, io: CommandIo = process): Promise<number> {
  const loaded = loadClustersForCommand("state store", files, io);
  if ("exitCode" in loaded) return loaded.exitCode;
  const stores = new Map<string, { bucket: string; region: string; dynamodbTable?: string; kmsKeyArn?: string; clusters: string[] }>();
  const conflicts: string[] = [];
  for (const cluster of loaded.clusters) {
    const s3 = cluster.spec.state.s3;
    if (cluster.spec.state.backend !== "s3" || !s3) continue;
    const name = cluster.metadata.name;
    const store = stores.get(s3.bucket);
    if (!store) {
      stores.set(s3.bucket, {
        bucket: s3.bucket,
        region: s3.region,
        ...(s3.dynamodbTable === undefined ? {} : { dynamodbTable: s3.dynamodbTable }),
        ...(s3.kmsKeyArn === undefined ? {} : { kmsKeyArn: s3.kmsKeyArn }),
        clusters: [name],
      });
      continue;
    }
    // One bucket is one store: clusters sharing it must agree on what the store is. A setting
    // only some of them give (a lock table, a KMS key) is taken; two different values are refused.
    for (const field of ["region", "dynamodbTable", "kmsKeyArn"] as const) {
      const mine = s3[field];
      if (mine === undefined) continue;
      const theirs = store[field];
      if (theirs === undefined) store[field] = mine;
      else if (theirs !== mine) conflicts.push(`spec.state.s3.${field}: cluster ${name} gives ${JSON.stringify(mine)} but ${store.clusters.join(", ")} gave ${JSON.stringify(theirs)} for the same bucket ${s3.bucket}`);
    }
    store.clusters.push(name);
  }
  if (conflicts.length > 0) {
    throw new UserError(`the clusters disagree about their shared state store (nothing was written); make them give the same values:\n  ${conflicts.join("\n  ")}`, EXIT.problems);
  }
  if (stores.size === 0) throw new UserError("no cluster in the files keeps its state in s3 (spec.state.backend: s3): there is no state store to build", EXIT.problems);
  const out = checkedOutputDirectory(options.out);
  const { StateStoreStack } = await import("../../constructs/aws/state-store.js");
  const stacks = await synthesizeInto(out, (app) => [...stores.values()].map(({ clusters: _clusters, ...props }) => new StateStoreStack(app, `state-store-${props.bucket}`, props)));
  const style = styleFor(io.stdout);
  io.stdout.write(
    `${style.green(`✔ synthesized ${plural(stacks.length, "state store")}`)} into ${out}\n` +
      [...stores.values()].map((store) => `  s3://${store.bucket} (${store.region}) for ${store.clusters.join(", ")}  ${join(out, "stacks", `state-store-${store.bucket}`)}`).join("\n") +
      "\n\nApply each first, with its local state; then move that state into the bucket (docs/state.md).\n",
  );
  return EXIT.ok;
}
