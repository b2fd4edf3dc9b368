/** The rule for spec.state: moving a cluster's Terraform state is refused unless the admin migrates it. */
import { jsonEqual } from "../../spec";
import { describeBackend, stateBackendConfig, type StateBackendConfig } from "../../state/backend";
import type { SpecDifference } from "../diff";
import type { PlanChange } from "../types";
import { changeOf, inPlace, type PlanRule } from "./rule";

/** Where the state is: what a migration moves. The other settings change how it is reached or locked. */
function location(backend: StateBackendConfig): unknown {
  switch (backend.type) {
    case "local":
      return { type: "local", path: backend.path };
    case "s3":
      return { type: "s3", bucket: backend.bucket, key: backend.key, region: backend.region };
    case "pg":
      return { type: "pg", schemaName: backend.schemaName };
    case "kubernetes":
      return { type: "kubernetes", namespace: backend.namespace, secretSuffix: backend.secretSuffix };
  }
}

export const STATE_RULES: readonly PlanRule[] = [
  {
    id: "state-backend",
    patterns: ["spec.state"],
    description:
      "Moving the state (another backend, bucket, key, schema, Secret or file) is blocked unless planned with --migrate-state; lock and access settings need terraform init -reconfigure.",
    classify: (differences: readonly SpecDifference[], { previous, next, options }): PlanChange[] => {
      const first = differences[0];
      if (!first) return [];
      const before = stateBackendConfig(previous);
      const after = stateBackendConfig(next);
      if (!jsonEqual(location(before), location(after))) {
        const move = { path: "spec.state", before: describeBackend(before), after: describeBackend(after), component: "state", rule: "state-backend" };
        return [
          options.migrateState
            ? { ...move, impact: "in-place", reason: "the state moves: in the stack's directory run terraform init -migrate-state before applying (docs/state.md); check no one else holds the lock" }
            : {
                ...move,
                impact: "blocked",
                reason: "the cluster's state would move; applying without moving it first would start from an empty state and try to build the cluster again",
                override: "plan with k2 plan --migrate-state, then run terraform init -migrate-state in the stack's directory before applying (docs/state.md)",
              },
        ];
      }
      return differences.map((difference) =>
        changeOf("state-backend", difference, inPlace("state", `${difference.path} changes how the state is reached or locked, not where it is: run terraform init -reconfigure in the stack's directory before the next apply`)),
      );
    },
  },
];
