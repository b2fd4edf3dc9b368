/**
 * Every rule of the plan, in one table: each spec field pattern is classified by the rule with
 * the longest pattern that covers it. A test checks every field of the schema has a rule.
 */
import { ADDONS_RULES } from "./addons";
import { CLUSTER_RULES } from "./cluster";
import { ETCD_RULES } from "./etcd";
import { CONTROL_PLANE_RULES, NODE_POOL_RULES } from "./machines";
import { PROVIDER_RULES } from "./provider";
import type { PlanRule } from "./rule";
import { STATE_RULES } from "./state";

export const PLAN_RULES: readonly PlanRule[] = [...CLUSTER_RULES, ...PROVIDER_RULES, ...ETCD_RULES, ...CONTROL_PLANE_RULES, ...NODE_POOL_RULES, ...STATE_RULES, ...ADDONS_RULES];

function under(pattern: string, ancestor: string): boolean {
  return pattern === ancestor || pattern.startsWith(`${ancestor}.`) || pattern.startsWith(`${ancestor}[`);
}

/** The rule that classifies a difference at `pattern`, or undefined when none does (a bug: the rules test catches it). */
export function ruleFor(pattern: string, rules: readonly PlanRule[] = PLAN_RULES): PlanRule | undefined {
  const exact = rules.find((rule) => rule.patterns.includes(`=${pattern}`));
  if (exact) return exact;
  let best: { rule: PlanRule; length: number } | undefined;
  for (const rule of rules) {
    for (const candidate of rule.patterns) {
      if (candidate.startsWith("=") || !under(pattern, candidate)) continue;
      if (!best || candidate.length > best.length) best = { rule, length: candidate.length };
    }
  }
  if (best) return best.rule;
  // A whole object added or removed whose fields have rules: the first of them speaks for it.
  return rules.find((rule) => rule.patterns.some((candidate) => !candidate.startsWith("=") && under(candidate, pattern)));
}

export type { PlanRule, PlanOptions, RuleContext } from "./rule";
