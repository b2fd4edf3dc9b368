/**
 * `npm run bench`: how long planning takes. The goal (issue 6): `k2 plan` of a 20-cluster fleet
 * well under a second, start-up included. Timed here, never in tests.
 */
import { spawnSync } from "node:child_process";
import { bench, describe } from "vitest";
import { planCluster, planFleet, renderText } from "../lib/plan";
import { loadClusterFiles } from "../lib/spec";
import { K2, writeFleet } from "./fleet";

const fleet = writeFleet(20);
const next = loadClusterFiles([fleet.next]);
const previous = new Map(loadClusterFiles([fleet.previous]).map((cluster) => [cluster.metadata.name, cluster]));

describe("plan a 20-cluster fleet", () => {
  bench("in process: diff, rules and text of 20 clusters", () => {
    const plans = next.map((cluster) => planCluster({ next: cluster, previous: { cluster: previous.get(cluster.metadata.name)!, source: "file", location: fleet.previous } }));
    renderText(planFleet(plans));
  });

  bench(
    "k2 plan fleet.yaml --against fleet-previous.yaml (a whole process: start-up, reading and validating 40 specs)",
    () => {
      const result = spawnSync(process.execPath, [K2, "plan", fleet.next, "--against", fleet.previous, "--format", "json"], { encoding: "utf8" });
      if (result.status !== 3 && result.status !== 2) throw new Error(`k2 plan failed (${String(result.status)}): ${result.stderr}`);
    },
    { iterations: 10, warmupIterations: 2 },
  );
});
