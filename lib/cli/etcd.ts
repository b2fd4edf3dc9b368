/**
 * `k2 etcd config | replace-member | restore-plan`: an etcd member's configuration and the
 * procedures to replace a member or restore from a snapshot, with the cluster's values filled in.
 */
import { clusterEtcdTopology } from "../etcd/cluster-topology";
import { renderEtcdMemberConfig } from "../bootstrap/etcd-member";
import { etcdMemberConfig, memberInitialState, type EtcdClusterTopology } from "../bootstrap/topology";
import { renderProcedure, replaceMemberProcedure, restoreProcedure, type Procedure } from "../etcd/procedures";
import type { Cluster } from "../spec";
import { EXIT, UserError } from "./errors";
import { loadOneClusterForCommand, type CommandIo } from "./spec-input";

interface Target {
  readonly cluster: Cluster;
  readonly topology: readonly EtcdClusterTopology[];
}

/** The one cluster of the files (or the one named --name), with its etcd topology. */
function target(files: readonly string[], command: string, io: CommandIo, clusterName?: string): Target | number {
  const cluster = loadOneClusterForCommand(command, files, io, clusterName);
  if (typeof cluster === "number") return cluster;
  return { cluster, topology: clusterEtcdTopology(cluster) };
}

function etcdNamed(cluster: Cluster, name: string): void {
  if (!cluster.spec.etcd.some((etcd) => etcd.name === name)) {
    throw new UserError(`cluster ${cluster.metadata.name} has no etcd cluster "${name}"; it has ${cluster.spec.etcd.map((etcd) => etcd.name).join(", ")}`);
  }
}

function memberIndex(text: string, cluster: Cluster, etcdName: string): number {
  const members = cluster.spec.etcd.find((etcd) => etcd.name === etcdName)!.members;
  const index = Number(text);
  if (!/^[0-9]+$/.test(text) || index >= members) throw new UserError(`--member must be a member index from 0 to ${members - 1} of etcd cluster "${etcdName}", got ${JSON.stringify(text)}`);
  return index;
}

export interface EtcdConfigOptions {
  readonly cluster: string;
  readonly member: string;
  readonly name?: string;
  readonly initialClusterState?: "new" | "existing";
}

/** The member's ETCD_* environment file, exactly as the member's machine gets it. */
export function etcdConfigCommand(files: readonly string[], options: EtcdConfigOptions, io: CommandIo = process): number {
  const found = target(files, "etcd config", io, options.name);
  if (typeof found === "number") return found;
  etcdNamed(found.cluster, options.cluster);
  const index = memberIndex(options.member, found.cluster, options.cluster);
  const etcd = found.cluster.spec.etcd.find((candidate) => candidate.name === options.cluster)!;
  const topology = found.topology.find((candidate) => candidate.name === options.cluster)!;
  const state = options.initialClusterState ?? memberInitialState(etcd, index);
  io.stdout.write(renderEtcdMemberConfig(etcdMemberConfig(topology, index, state)));
  return EXIT.ok;
}

function print(procedure: Procedure, format: "text" | "json", io: CommandIo): number {
  io.stdout.write(format === "json" ? `${JSON.stringify(procedure, null, 2)}\n` : renderProcedure(procedure));
  return EXIT.ok;
}

export interface ReplaceMemberCommandOptions {
  readonly cluster: string;
  readonly member: string;
  readonly name?: string;
  readonly keepData: boolean;
  readonly id?: string;
  readonly format: "text" | "json";
}

export function replaceMemberCommand(files: readonly string[], options: ReplaceMemberCommandOptions, io: CommandIo = process): number {
  const found = target(files, "etcd replace-member", io, options.name);
  if (typeof found === "number") return found;
  etcdNamed(found.cluster, options.cluster);
  const index = memberIndex(options.member, found.cluster, options.cluster);
  const id = options.id ?? `${new Date().toISOString().slice(0, 10)}-${options.cluster}-${index}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(id)) throw new UserError(`--id must be 1 to 63 letters, digits, '.', '_' or '-', got ${JSON.stringify(id)}`);
  if (options.keepData && found.cluster.spec.provider.maas) {
    throw new UserError(
      `cluster ${found.cluster.metadata.name} is on MAAS, where --keep-data cannot work: a released machine's disks are erased and MAAS may deploy the member elsewhere; replace the member with a new, empty data directory (without --keep-data)`,
      EXIT.problems,
    );
  }
  try {
    return print(replaceMemberProcedure(found.cluster, found.topology, options.cluster, { memberIndex: index, keepData: options.keepData, id }), options.format, io);
  } catch (error) {
    throw new UserError((error as Error).message, EXIT.problems);
  }
}

export interface RestorePlanOptions {
  readonly cluster: string;
  readonly snapshot: string;
  readonly name?: string;
  readonly format: "text" | "json";
}

export function restorePlanCommand(files: readonly string[], options: RestorePlanOptions, io: CommandIo = process): number {
  const found = target(files, "etcd restore-plan", io, options.name);
  if (typeof found === "number") return found;
  etcdNamed(found.cluster, options.cluster);
  return print(restoreProcedure(found.cluster, found.topology, options.cluster, { snapshot: options.snapshot }), options.format, io);
}
