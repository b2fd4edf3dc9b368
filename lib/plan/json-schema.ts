/**
 * The JSON Schema of `k2 plan --format json`: the contract for machines (CI gates, bots,
 * dashboards). docs/plan-json.md embeds it; a test checks real output against it.
 */
import { Type } from "@sinclair/typebox";
import { IMPACTS, PLAN_FORMAT_VERSION } from "./types";

const count = (description: string) => Type.Integer({ minimum: 0, description });

const Summary = Type.Object(
  {
    create: count("Changes that create something."),
    inPlace: count("Changes made in place."),
    rolling: count("Components whose machines are replaced a batch at a time."),
    rollingNodes: count("Machines those rolling replacements replace (a pool counts its size at creation)."),
    replace: count("Changes that destroy and rebuild something."),
    destroy: count("Changes that destroy something."),
    destroyedNodes: count("Machines destroyed for good."),
    blocked: count("Changes refused by a guardrail."),
  },
  { additionalProperties: false, description: "Counts of the changes by impact." },
);

const Warning = Type.Object(
  {
    component: Type.String({ description: "The component the warning is about." }),
    message: Type.String(),
    address: Type.Optional(Type.String({ description: "The Terraform resource address (warnings from --terraform)." })),
  },
  { additionalProperties: false },
);

const Change = Type.Object(
  {
    component: Type.String({ description: "network, state, certificates, cluster, etcd/<name>, controlPlane, nodePool/<name>, addon/<name>." }),
    path: Type.String({ description: "The spec field, e.g. spec.nodePools[0].maxSize (indexes of the new spec; of the previous one for what is removed)." }),
    before: Type.Optional(Type.Unknown({ description: "The previous value (absent when created)." })),
    after: Type.Optional(Type.Unknown({ description: "The new value (absent when removed)." })),
    impact: Type.Union(
      IMPACTS.map((impact) => Type.Literal(impact)),
      { description: "What the change does to machines and resources." },
    ),
    reason: Type.String({ description: "What happens and why; for blocked, why it is refused." }),
    override: Type.Optional(Type.String({ description: "Blocked changes only: the documented way to do it, or what to do instead." })),
    nodes: Type.Optional(Type.Integer({ minimum: 0, description: "Machines created, replaced or destroyed." })),
    order: Type.Optional(Type.String({ description: "Rolling replacements: how and in what order machines are replaced." })),
    rule: Type.String({ description: "Id of the plan rule that classified the change (docs/plan.md)." }),
  },
  { additionalProperties: false },
);

const TerraformStack = Type.Object(
  {
    stack: Type.String({ description: "The cdktf stack (directory under --out/stacks)." }),
    resourceChanges: Type.Array(
      Type.Object(
        {
          component: Type.String(),
          address: Type.String({ description: "Terraform resource address." }),
          actions: Type.Array(Type.String(), { description: "Terraform's actions: create, update, delete (delete and create together: a replacement)." }),
          replacePaths: Type.Optional(Type.Array(Type.String(), { description: "Attributes that force the replacement." })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const Cluster = Type.Object(
  {
    name: Type.String({ description: "metadata.name of the cluster." }),
    previous: Type.Object(
      {
        source: Type.Union([Type.Literal("file"), Type.Literal("state"), Type.Literal("none")], { description: "Where the previous spec came from; none: a new cluster." }),
        location: Type.Optional(Type.String({ description: "The --against file(s), or the state backend and serial." })),
      },
      { additionalProperties: false },
    ),
    changes: Type.Array(Change, { description: "Every change, grouped by component." }),
    summary: Summary,
    warnings: Type.Array(Warning),
    terraform: Type.Optional(Type.Array(TerraformStack, { description: "With --terraform: the real terraform plan's resource changes, attributed." })),
  },
  { additionalProperties: false },
);

export const PlanJsonSchema = Type.Object(
  {
    formatVersion: Type.Literal(PLAN_FORMAT_VERSION, { description: "Bumped when a field changes meaning; new optional fields do not bump it." }),
    clusters: Type.Array(Cluster),
    summary: Summary,
    warnings: Type.Array(Warning, { description: "Warnings about the fleet, e.g. a cluster in --against that is not planned." }),
  },
  { additionalProperties: false, title: "k2 plan --format json" },
);

/** The schema as plain JSON Schema (draft 2020-12). */
export function planJsonSchema(): Record<string, unknown> {
  return { $schema: "https://json-schema.org/draft/2020-12/schema", $id: "https://kraken.dev/schemas/plan.v1.json", ...(JSON.parse(JSON.stringify(PlanJsonSchema)) as Record<string, unknown>) };
}
