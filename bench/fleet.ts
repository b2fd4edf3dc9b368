/** A fleet of clusters for benchmarks: the aws-ha example under N names, and the same fleet a week earlier. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ROOT = join(__dirname, "..");
export const K2 = join(ROOT, "bin/k2.js");
export const AWS_HA_SPEC = join(ROOT, "examples/aws-ha/cluster.yaml");

export interface FleetFiles {
  readonly next: string;
  readonly previous: string;
}

/** Writes both fleets (one multi-document file each) into `directory` and returns their paths. */
export function writeFleet(clusters = 20, directory = mkdtempSync(join(tmpdir(), "k2-bench-"))): FleetFiles {
  const example = readFileSync(AWS_HA_SPEC, "utf8");
  const named = (index: number) => example.replace("name: prod-usw2", `name: fleet-${String(index).padStart(2, "0")}`);
  const next = join(directory, "fleet.yaml");
  const previous = join(directory, "fleet-previous.yaml");
  const documents = Array.from({ length: clusters }, (_, index) => named(index));
  writeFileSync(next, documents.join("\n---\n"));
  // A week earlier, so that every cluster has changes: every pool smaller, one etcd type
  // different, an older patch of the control plane.
  writeFileSync(
    previous,
    documents
      .map((document) => document.replace("maxSize: 10", "maxSize: 8").replace('version: "1.36"', 'version: "1.36.1"').replace("instanceType: m6i.xlarge\n  nodePools", "instanceType: m6i.large\n  nodePools"))
      .join("\n---\n"),
  );
  return { next, previous };
}
