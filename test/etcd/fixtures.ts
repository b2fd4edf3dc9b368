/**
 * Fixtures for the etcd protection and procedure tests: clusters built from the AWS fixture
 * document, the etcd changes between two of them, and spec files on disk for the CLI.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { awsEtcdTopology } from "../../lib/aws/etcd-topology";
import type { EtcdClusterTopology } from "../../lib/bootstrap";
import { etcdChanges, type EtcdChange } from "../../lib/etcd";
import { defineCluster, type Cluster, type ClusterDocumentInput } from "../../lib/spec";
import { awsDocument, awsWith } from "../util";

/** The AWS fixture cluster (etcd "main" and "events", 3 members each), with some fields changed. */
export function clusterWith(changes: Readonly<Record<string, unknown>> = {}): Cluster {
  return defineCluster(awsWith(changes) as ClusterDocumentInput);
}

/** A cluster with one etcd cluster "main" of `members` members. */
export function singleEtcdCluster(members: number, extra: Readonly<Record<string, unknown>> = {}): Cluster {
  const document = awsDocument();
  (document.spec as { etcd: unknown[] }).etcd = [{ name: "main", members, ...extra }];
  return defineCluster(document);
}

/** A normalized cluster with its spec edited as an older applied spec could hold it (no validation). */
export function editedCluster(cluster: Cluster, edit: (copy: Cluster) => void): Cluster {
  const copy = JSON.parse(JSON.stringify(cluster)) as Cluster;
  edit(copy);
  return copy;
}

export function changesBetween(previous: Cluster, next: Cluster): EtcdChange[] {
  return etcdChanges(previous, next, awsEtcdTopology);
}

/** The one change at `path`; fails with every change listed when there is not exactly one. */
export function changeAt(changes: readonly EtcdChange[], path: string): EtcdChange {
  const found = changes.filter((change) => change.path === path);
  if (found.length !== 1) throw new Error(`expected one change at ${path}, found ${found.length}: ${JSON.stringify(changes, null, 2)}`);
  return found[0]!;
}

/** "path kind blocked" lines, for comparing whole change lists readably. */
export function summary(changes: readonly EtcdChange[]): string[] {
  return changes.map((change) => `${change.path} ${change.kind} ${change.blocked ? "blocked" : "allowed"}`);
}

/** The topology of the etcd cluster `name`. */
export function topologyOf(cluster: Cluster, name: string): EtcdClusterTopology {
  const found = awsEtcdTopology(cluster).find((etcd) => etcd.name === name);
  if (!found) throw new Error(`no etcd cluster ${name}`);
  return found;
}

/** A temp directory for spec files and outputs; call remove() in afterAll. */
export class SpecFiles {
  readonly directory = mkdtempSync(join(tmpdir(), "kraken-etcd-"));

  path(name: string): string {
    return join(this.directory, name);
  }

  /** Writes `document` as YAML at `name` and returns its path. */
  write(name: string, document: unknown): string {
    const path = this.path(name);
    writeFileSync(path, typeof document === "string" ? document : stringify(document));
    return path;
  }

  remove(): void {
    rmSync(this.directory, { recursive: true, force: true });
  }
}
