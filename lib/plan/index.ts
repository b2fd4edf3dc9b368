export * from "./types";
export { diffSpecs, sameValue, type SpecDifference } from "./diff";
export { specShape, specLeafPatterns } from "./spec-shape";
export { PLAN_RULES, ruleFor, type PlanRule, type PlanOptions, type RuleContext } from "./rules";
export { planCluster, planFleet, planExitCode, summarize, addSummaries, orderChanges, type PreviousSpec, type PlanClusterInput } from "./engine";
export { renderText, renderMarkdown, renderClusterText, renderClusterMarkdown, summaryLine, describeValues, PLAIN, type PlanStyle } from "./render";
