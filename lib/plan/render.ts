/** The plan for people: text grouped by component (for a terminal), and Markdown (for a pull request). */
import { jsonEqual } from "../spec";
import type { ClusterPlan, FleetPlan, Impact, PlanChange, PlanSummary, PlanWarning } from "./types";

/** The few styles the text form uses; plain text when color is off. */
export interface PlanStyle {
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly red: (text: string) => string;
  readonly green: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly cyan: (text: string) => string;
}

export const PLAIN: PlanStyle = { bold: (t) => t, dim: (t) => t, red: (t) => t, green: (t) => t, yellow: (t) => t, cyan: (t) => t };

const SYMBOL: Record<Impact, string> = { create: "+", "in-place": "~", "rolling-replace": "↻", replace: "-/+", destroy: "-", blocked: "✖" };
const MARKDOWN_SYMBOL: Record<Impact, string> = { create: "🟢", "in-place": "🟡", "rolling-replace": "🔄", replace: "🟠", destroy: "🔴", blocked: "⛔" };

function colorOf(impact: Impact, style: PlanStyle): (text: string) => string {
  switch (impact) {
    case "create":
      return style.green;
    case "in-place":
      return style.yellow;
    case "rolling-replace":
    case "replace":
      return style.cyan;
    case "destroy":
      return style.red;
    case "blocked":
      return (text) => style.bold(style.red(text));
  }
}

function compact(value: unknown, limit = 80): string {
  const text = value === undefined ? "(none)" : typeof value === "string" ? value : JSON.stringify(value);
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

/** before → after, or for objects the fields inside that differ. */
export function describeValues(change: Pick<PlanChange, "before" | "after">): string[] {
  const { before, after } = change;
  if (before === undefined || after === undefined) return [];
  const objects = typeof before === "object" && typeof after === "object" && before !== null && after !== null && !Array.isArray(before) && !Array.isArray(after);
  if (!objects) return [`${compact(before)} → ${compact(after)}`];
  return innerDifferences(before as Record<string, unknown>, after as Record<string, unknown>, "").map(([path, was, now]) => `${path}: ${compact(was, 60)} → ${compact(now, 60)}`);
}

function innerDifferences(before: Record<string, unknown>, after: Record<string, unknown>, prefix: string): [string, unknown, unknown][] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys.flatMap((key): [string, unknown, unknown][] => {
    const was = before[key];
    const now = after[key];
    if (jsonEqual(was, now)) return [];
    const path = prefix === "" ? key : `${prefix}.${key}`;
    const nested = typeof was === "object" && typeof now === "object" && was !== null && now !== null && !Array.isArray(was) && !Array.isArray(now);
    return nested ? innerDifferences(was as Record<string, unknown>, now as Record<string, unknown>, path) : [[path, was, now]];
  });
}

/** Terraform's actions as its plan names them: delete and create together is a replacement. */
function actionLabel(actions: readonly string[]): string {
  if (actions.includes("delete") && actions.includes("create")) return "replace";
  return actions.join("+");
}

export function summaryLine(summary: PlanSummary): string {
  return (
    `${summary.create} to create, ${summary.inPlace} in-place, ${summary.rolling} rolling (${summary.rollingNodes} node${summary.rollingNodes === 1 ? "" : "s"}), ` +
    `${summary.replace} replaced, ${summary.destroy} destroyed${summary.destroyedNodes > 0 ? ` (${summary.destroyedNodes} node${summary.destroyedNodes === 1 ? "" : "s"})` : ""}, ${summary.blocked} blocked`
  );
}

function groupByComponent<T extends { readonly component: string }>(changes: readonly T[]): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const change of changes) groups.set(change.component, [...(groups.get(change.component) ?? []), change]);
  return [...groups];
}

function previousLine(plan: ClusterPlan): string {
  switch (plan.previous.source) {
    case "none":
      return "new cluster: no previous spec";
    case "file":
      return `against ${plan.previous.location ?? "a file"}`;
    case "state":
      return `against the applied spec in ${plan.previous.location ?? "its state"}`;
  }
}

function warningLines(warnings: readonly PlanWarning[], style: PlanStyle, indent: string): string[] {
  return warnings.map((warning) => `${indent}${style.yellow("⚠ warning")} ${style.dim(`[${warning.component}]`)} ${warning.message}`);
}

export function renderClusterText(plan: ClusterPlan, style: PlanStyle = PLAIN): string {
  const lines = [`${style.bold(`Cluster ${plan.name}`)} ${style.dim(`(${previousLine(plan)})`)}`];
  if (plan.changes.length === 0) lines.push("", "  No changes: the cluster matches its spec.");
  for (const [component, changes] of groupByComponent(plan.changes)) {
    lines.push("", `  ${style.bold(component)}`);
    for (const change of changes) {
      const color = colorOf(change.impact, style);
      const label = `${SYMBOL[change.impact]} ${change.impact}`.padEnd(18);
      const values = describeValues(change);
      lines.push(`    ${color(label)}${change.path}${values.length === 1 ? `: ${values[0]!}` : ""}`);
      const detail = " ".repeat(22);
      if (values.length > 1) for (const value of values) lines.push(`${detail}${style.dim(value)}`);
      lines.push(`${detail}${change.reason}`);
      if (change.nodes !== undefined) lines.push(`${detail}${style.dim(`nodes: ${change.nodes}`)}`);
      if (change.order !== undefined) lines.push(`${detail}${style.dim(`order: ${change.order}`)}`);
      if (change.override !== undefined) lines.push(`${detail}${style.yellow("override:")} ${change.override}`);
    }
  }
  for (const stack of plan.terraform ?? []) {
    lines.push("", `  ${style.bold(`terraform plan of ${stack.stack}`)}: ${stack.resourceChanges.length === 0 ? "no resource changes" : `${stack.resourceChanges.length} resource change(s)`}`);
    for (const [component, resources] of groupByComponent(stack.resourceChanges)) {
      // New resources are counted; what changes or goes is listed, since that is what surprises.
      const created = resources.filter((resource) => resource.actions.join() === "create");
      lines.push(`    ${component}${created.length > 0 ? style.dim(`  (${created.length} to create)`) : ""}`);
      for (const resource of resources) {
        if (resource.actions.join() !== "create") lines.push(`      ${actionLabel(resource.actions).padEnd(14)} ${resource.address}`);
      }
    }
  }
  if (plan.warnings.length > 0) lines.push("", ...warningLines(plan.warnings, style, "  "));
  const blocked = plan.summary.blocked > 0;
  lines.push("", `  ${blocked ? style.red("Plan:") : "Plan:"} ${summaryLine(plan.summary)}`);
  return lines.join("\n");
}

export function renderText(plan: FleetPlan, style: PlanStyle = PLAIN): string {
  const parts = plan.clusters.map((cluster) => renderClusterText(cluster, style));
  if (plan.warnings.length > 0) parts.push(warningLines(plan.warnings, style, "").join("\n"));
  if (plan.clusters.length > 1) parts.push(`${style.bold(`Fleet of ${plan.clusters.length} clusters:`)} ${summaryLine(plan.summary)}`);
  if (plan.summary.blocked > 0) parts.push(style.red(`✖ ${plan.summary.blocked} blocked change${plan.summary.blocked === 1 ? "" : "s"}: do not apply this plan (each shows its override)`));
  return `${parts.join("\n\n")}\n`;
}

function cell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

function code(text: string): string {
  const escaped = cell(text);
  return escaped.includes("`") ? `<code>${escaped.replace(/</g, "&lt;")}</code>` : `\`${escaped}\``;
}

export function renderClusterMarkdown(plan: ClusterPlan): string {
  const lines = [`### ${plan.summary.blocked > 0 ? "⛔ " : ""}Cluster \`${plan.name}\``, "", `_${previousLine(plan)}_ · **${summaryLine(plan.summary)}**`, ""];
  if (plan.changes.length === 0) lines.push("No changes: the cluster matches its spec.", "");
  else {
    lines.push("| | Component | Field | Change | Impact | What happens |", "|---|---|---|---|---|---|");
    for (const change of plan.changes) {
      const values = describeValues(change).map(code).join("<br>");
      const details = [
        cell(change.reason),
        change.nodes === undefined ? "" : `nodes: ${change.nodes}`,
        change.order === undefined ? "" : `order: ${cell(change.order)}`,
        change.override === undefined ? "" : `**override:** ${cell(change.override)}`,
      ].filter((part) => part !== "");
      lines.push(`| ${MARKDOWN_SYMBOL[change.impact]} | \`${change.component}\` | ${code(change.path)} | ${values} | **${change.impact}** | ${details.join("<br>")} |`);
    }
    lines.push("");
  }
  for (const stack of plan.terraform ?? []) {
    lines.push(`<details><summary>terraform plan of <code>${stack.stack}</code>: ${stack.resourceChanges.length} resource change(s)</summary>`, "");
    if (stack.resourceChanges.length > 0) {
      lines.push("| Component | Resource | Actions |", "|---|---|---|");
      for (const resource of stack.resourceChanges) lines.push(`| \`${resource.component}\` | ${code(resource.address)} | ${actionLabel(resource.actions)} |`);
    }
    lines.push("", "</details>", "");
  }
  for (const warning of plan.warnings) lines.push(`> ⚠️ **Warning** (\`${warning.component}\`): ${cell(warning.message)}`, "");
  return lines.join("\n");
}

export function renderMarkdown(plan: FleetPlan): string {
  const blocked = plan.summary.blocked;
  const head = [
    `## k2 plan${plan.clusters.length > 1 ? `: ${plan.clusters.length} clusters` : ""}`,
    "",
    blocked > 0 ? `> ⛔ **${blocked} blocked change${blocked === 1 ? "" : "s"}**: do not apply; each shows its override.` : `**${summaryLine(plan.summary)}**`,
    "",
  ];
  const fleetWarnings = plan.warnings.map((warning) => `> ⚠️ **Warning** (\`${warning.component}\`): ${cell(warning.message)}\n`);
  return `${[...head, ...plan.clusters.map(renderClusterMarkdown), ...fleetWarnings].join("\n").trimEnd()}\n`;
}
