/**
 * The cluster page: its spec with problems at their fields, the form and the raw YAML to edit it,
 * the plan from `k2 plan`'s engine grouped by component, and the history of applied specs. The
 * fragments that change while an admin types are rendered here too, for the draft endpoint.
 */
import { describeValues, summaryLine, type ClusterPlan, type PlanChange } from "../../plan";
import type { LocatedProblem } from "../../spec";
import type { DraftEvaluation } from "../draft";
import type { FormField, FormModel } from "../form";
import { html, type Html } from "../html";
import type { ClusterRow } from "../overview";
import type { AppliedVersion, ClusterStateView } from "../state-view";
import { page, type PageContext } from "./layout";
import { appliedBadge, lockCell } from "./overview";

const IMPACT_LABELS: Readonly<Record<PlanChange["impact"], string>> = {
  create: "create",
  "in-place": "in-place",
  "rolling-replace": "rolling replace",
  replace: "replace",
  destroy: "destroy",
  blocked: "blocked",
};

function fieldHtml(field: FormField, errors: readonly string[] | undefined): Html {
  const id = `f-${field.id}`;
  const multiline = field.kind === "labels" || field.kind === "taints";
  const describedBy = `e-${field.id}${field.hint ? ` h-${field.id}` : ""}`;
  const invalid = errors && errors.length > 0 ? "true" : "false";
  const control = multiline
    ? html`<textarea id="${id}" name="${field.id}" data-field="${field.id}" rows="${Math.max(2, field.text.split("\n").length + 1)}" aria-describedby="${describedBy}" aria-invalid="${invalid}" spellcheck="false">${field.text}</textarea>`
    : html`<input id="${id}" name="${field.id}" data-field="${field.id}" value="${field.text}" ${field.kind === "size" || field.kind === "optional-size" ? html`inputmode="numeric"` : ""} aria-describedby="${describedBy}" aria-invalid="${invalid}" autocomplete="off" spellcheck="false">`;
  return html`<div class="field${multiline || field.kind === "list" ? " wide" : ""}" data-field-box="${field.id}">
<label for="${id}">${field.label}</label>
${control}
${field.hint ? html`<span class="hint" id="h-${field.id}">${field.hint}</span>` : ""}
<p class="field-error" id="e-${field.id}" data-field-error="${field.id}">${(errors ?? []).join("; ")}</p>
</div>`;
}

export function formHtml(form: FormModel, fieldErrors: Readonly<Record<string, readonly string[]>>): Html {
  if (!form.version && form.pools.length === 0) return html`<p class="muted">Fix the YAML below: the form shows once the cluster's document can be read.</p>`;
  return html`${form.version ? html`<fieldset><legend>Kubernetes</legend><div class="fields">${fieldHtml(form.version, fieldErrors[form.version.id])}</div></fieldset>` : ""}
${form.pools.map((pool) => html`<fieldset data-pool="${pool.name}"><legend>Pool ${pool.name}</legend><div class="fields">${pool.fields.map((field) => fieldHtml(field, fieldErrors[field.id]))}</div></fieldset>`)}`;
}

export function problemsHtml(problems: readonly LocatedProblem[]): Html {
  if (problems.length === 0) return html`<p class="ok" data-valid="true">✔ Valid: the same checks as <code>k2 lint</code> pass.</p>`;
  return html`<p class="bad" data-valid="false"><strong>${problems.length} problem${problems.length === 1 ? "" : "s"}</strong>: saving is disabled until they are fixed.</p>
<ul class="problems">${problems.map((problem) => html`<li>${problem.line === null ? "" : html`<span class="muted">line ${problem.line}:${problem.column}</span> `}<code>${problem.path}</code>: ${problem.message} <span class="muted">[${problem.rule}]</span></li>`)}</ul>`;
}

function changeHtml(change: PlanChange): Html {
  const values = change.before !== undefined && change.after !== undefined ? describeValues(change) : [];
  return html`<li class="change impact-${change.impact}-row" data-impact="${change.impact}" data-path="${change.path}">
<span class="badge impact-${change.impact}">${IMPACT_LABELS[change.impact]}</span> <span class="path">${change.path}</span>${change.nodes === undefined ? "" : html` <span class="muted">(${change.nodes} node${change.nodes === 1 ? "" : "s"})</span>`}
${values.length > 0 ? html`<div class="values">${values.join("; ")}</div>` : ""}
<div>${change.impact === "blocked" ? html`<strong>Blocked:</strong> ` : ""}${change.reason}</div>
${change.override ? html`<div><strong>Instead:</strong> ${change.override}</div>` : ""}
${change.order ? html`<div class="muted">Order: ${change.order}</div>` : ""}
</li>`;
}

export function planHtml(plan: ClusterPlan | undefined, note: string | undefined): Html {
  if (!plan) return html`<p class="muted">${note ?? "no plan"}</p>`;
  const previous = plan.previous.source === "none" ? "no applied spec: planned as a new cluster" : `against the applied spec (${plan.previous.location ?? plan.previous.source})`;
  const groups = new Map<string, PlanChange[]>();
  for (const change of plan.changes) groups.set(change.component, [...(groups.get(change.component) ?? []), change]);
  return html`<p class="muted">${previous}</p>
<p data-summary><strong>${summaryLine(plan.summary)}</strong></p>
${plan.summary.blocked > 0 ? html`<div class="banner error" role="alert">This plan has blocked changes: CI refuses to apply it. Each shows what to do instead.</div>` : ""}
${plan.changes.length === 0 ? html`<p>No changes: the cluster matches its applied spec.</p>` : ""}
${[...groups].map(([component, changes]) => html`<section class="component" data-component="${component}"><h3>${component}</h3><ul class="changes">${changes.map(changeHtml)}</ul></section>`)}
${plan.warnings.length > 0 ? html`<h3>Warnings</h3><ul>${plan.warnings.map((warning) => html`<li>${warning.component}: ${warning.message}</li>`)}</ul>` : ""}`;
}

/** The file with line numbers, each problem shown under the line of its field. */
export function listingHtml(text: string, problems: readonly LocatedProblem[]): Html {
  const byLine = new Map<number, LocatedProblem[]>();
  for (const problem of problems) byLine.set(problem.line ?? 1, [...(byLine.get(problem.line ?? 1) ?? []), problem]);
  const lines = text.replace(/\n$/, "").split("\n");
  return html`<div class="listing" role="region" aria-label="Spec file with problems at their lines" tabindex="0"><ol>${lines.map((line, index) => {
    const here = byLine.get(index + 1) ?? [];
    return html`<li${here.length > 0 ? html` class="problem-line"` : ""}><span class="n">${index + 1}</span>${line}</li>${here.map((problem) => html`<li class="problem">⚠ <code>${problem.path}</code>: ${problem.message} <span class="muted">[${problem.rule}]</span></li>`)}`;
  })}</ol></div>`;
}

/** An ISO time as "2026-11-20 10:02:00 UTC", in a <time> element. */
function timeHtml(iso: string | undefined): Html {
  if (iso === undefined) return html`<span class="muted">unknown time</span>`;
  const shown = Number.isNaN(Date.parse(iso)) ? iso : new Date(iso).toISOString().replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC");
  return html`<time datetime="${iso}">${shown}</time>`;
}

function versionChangesHtml(version: AppliedVersion, oldest: boolean): Html {
  if (version.note !== undefined) return html`<span class="muted">${version.note}</span>`;
  if (!version.changes) return html`<span class="muted">${oldest ? "the oldest version listed" : "no earlier applied spec to compare with"}</span>`;
  if (version.changes.length === 0) return html`<span class="muted">the same spec as the previous version</span>`;
  return html`<ul class="changes">${version.changes.map(
    (change) => html`<li data-path="${change.path}"><span class="badge impact-${change.impact}">${IMPACT_LABELS[change.impact]}</span> <span class="path">${change.path}</span>${change.values.length > 0 ? html`<div class="values">${change.values.join("; ")}</div>` : ""}</li>`,
  )}</ul>`;
}

export function historyHtml(state: ClusterStateView | undefined): Html {
  if (!state) return html`<p class="muted">The state has not been read yet.</p>`;
  const history = state.history;
  if (!history.kept) return html`<p class="muted">No history: ${history.reason}.</p>${state.applied ? html`<p>Last applied: state serial ${state.applied.serial}, spec sha256 <code>${state.applied.hash.slice(0, 12)}</code>.</p>` : ""}`;
  if (history.versions.length === 0) return html`<p class="muted">The bucket holds no version of this state yet.</p>`;
  const last = history.versions.length - 1;
  return html`<p class="muted">${history.versions.length} version${history.versions.length === 1 ? "" : "s"} of the state, newest first; each with what its spec changed from the one before, as <code>k2 plan</code> plans it.</p>
<div class="table-wrap" role="region" aria-labelledby="history-title" tabindex="0"><table id="history-table"><caption class="sr-only">Applied specs, newest first</caption><thead><tr><th scope="col">Written <span class="muted">version</span></th><th scope="col">Serial <span class="muted">spec sha256</span></th><th scope="col">Kubernetes</th><th scope="col">Changed from the previous version</th></tr></thead><tbody>
${history.versions.map(
  (version, index) =>
    html`<tr data-version="${version.versionId}"${version.serial === undefined ? "" : html` data-serial="${version.serial}"`}><td>${timeHtml(version.lastModified)}${version.isLatest ? html` <span class="badge ok">current</span>` : ""}<div class="file"><code>${version.versionId}</code></div></td><td>${version.serial ?? ""}${version.specHash ? html`<div class="file"><code>${version.specHash.slice(0, 12)}</code></div>` : ""}</td><td>${version.kubernetesVersion ?? ""}</td><td class="history-changes">${versionChangesHtml(version, index === last)}</td></tr>`,
)}
</tbody></table></div>`;
}

export function statusHtml(row: ClusterRow, state: ClusterStateView | undefined): Html {
  return html`<dl class="kv">
<dt>File</dt><dd><code>${row.file}</code></dd>
${row.valid ? html`<dt>Provider</dt><dd>${row.provider === "aws" ? "AWS" : "MAAS"} ${row.where ?? ""}</dd>` : ""}
<dt>State backend</dt><dd>${state?.backend ?? html`<span class="muted">known once the spec is valid</span>`}</dd>
<dt>Applied spec</dt><dd>${appliedBadge(row.applied)}</dd>
<dt>Lock</dt><dd>${lockCell(row)}</dd>
</dl>`;
}

export interface ClusterPageInput {
  readonly row: ClusterRow;
  readonly state: ClusterStateView | undefined;
  readonly text: string;
  readonly draft: DraftEvaluation;
}

export function clusterPage(input: ClusterPageInput, context: PageContext): Html {
  const { row, state, text, draft } = input;
  const body = html`<p><a href="/">← Fleet</a></p>
<h1>Cluster ${row.name}</h1>
<div id="status">${statusHtml(row, state)}</div>
<div id="presence" class="banner info" role="status" aria-live="polite" hidden></div>
<div id="external" class="banner" role="alert" hidden></div>
<div class="columns">
<section aria-labelledby="edit-title" id="editor" data-cluster="${row.name}" data-file="${row.file}" data-base-hash="${draft.hash}">
<h2 id="edit-title">Edit</h2>
<p class="muted">Changes are checked as you type with the same schema and rules as <code>k2 lint</code>, and the plan follows. Saving writes <code>${row.file}</code> only when it is valid, keeping its comments and key order. Applying stays with CI.</p>
<form id="edit-form" novalidate>
<div id="form-fields">${formHtml(draft.form, draft.fieldErrors)}</div>
</form>
<h3><label for="yaml">Raw YAML of <code>${row.file}</code></label></h3>
<p class="muted" id="yaml-hint">Everything else: edit the file itself. The form and the YAML stay in step.</p>
<textarea id="yaml" class="yaml" aria-describedby="yaml-hint" spellcheck="false" autocomplete="off">${text}</textarea>
<div id="validity" role="status" aria-live="polite">${problemsHtml(draft.problems)}</div>
<div class="actions">
<button type="button" id="save" class="primary" aria-describedby="validity" disabled>Save</button>
<button type="button" id="discard" disabled>Discard changes</button>
<span id="save-status" role="status" aria-live="polite"></span>
</div>
<p class="muted">To apply: commit the file and let CI run <code>k2 plan ${row.file}</code> then <code>cdktf deploy ${row.name}</code> (see docs/ui.md). The UI never writes state.</p>
</section>
<section aria-labelledby="plan-title">
<h2 id="plan-title">Plan</h2>
<div id="plan" aria-live="polite">${planHtml(draft.plan, draft.planNote)}</div>
<h2 id="spec-title">Spec</h2>
<div id="listing">${listingHtml(text, draft.problems)}</div>
<h2 id="history-title">Applied specs</h2>
<div id="history">${historyHtml(state)}</div>
</section>
</div>`;
  return page(row.name, context, body, { cluster: row.name });
}

export function notFoundPage(name: string, context: PageContext): Html {
  return page("Not found", context, html`<h1>No cluster ${name}</h1><p>No spec file under <code>${context.directory}</code> holds a cluster named <code>${name}</code>. <a href="/">Back to the fleet</a>.</p>`);
}

export function loginPage(csrf: string, failed: boolean): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in · k2 ui</title><link rel="stylesheet" href="/assets/style.css"></head>
<body><main id="main"><h1>k2 ui</h1>
<form method="post" action="/login">
<input type="hidden" name="csrf" value="${csrf}">
<div class="field narrow"><label for="token">Access token</label><input id="token" name="token" type="password" autocomplete="current-password" required aria-describedby="token-hint${failed ? " token-error" : ""}">
<span class="hint" id="token-hint">The token in the file given to k2 ui --auth-token-file (ask whoever runs it).</span>
${failed ? html`<p class="field-error" id="token-error" role="alert">That token is not right.</p>` : ""}</div>
<div class="actions"><button class="primary" type="submit">Sign in</button></div>
</form></main></body></html>`;
}
