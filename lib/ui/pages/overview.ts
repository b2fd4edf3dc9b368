/** The fleet overview: one row per cluster, with where it runs, its shape, its state and its lock. */
import { html, type Html } from "../html";
import type { AppliedStatus, ClusterRow } from "../overview";
import type { LocatedProblem } from "../../spec";
import { page, type PageContext } from "./layout";

export function appliedBadge(status: AppliedStatus): Html {
  switch (status.kind) {
    case "in-sync":
      return html`<span class="badge ok">applied</span> <span class="muted">serial ${status.serial}</span>`;
    case "differs":
      return html`<span class="badge ${status.blocked > 0 ? "bad" : "warn"}">differs</span> ${status.changes} change${status.changes === 1 ? "" : "s"}${status.blocked > 0 ? html`, <strong class="bad">${status.blocked} blocked</strong>` : ""} <span class="muted">vs serial ${status.serial}</span>`;
    case "never-applied":
      return html`<span class="badge muted">never applied</span>`;
    case "unknown":
      return html`<span class="badge warn">unknown</span> <span class="muted">${status.reason}</span>`;
  }
}

export function lockCell(row: Pick<ClusterRow, "lock" | "lockError">): Html {
  if (row.lockError !== undefined) return html`<span class="badge warn">unknown</span> <span class="muted">${row.lockError}</span>`;
  if (!row.lock) return html`<span class="muted">not locked</span>`;
  const holder = row.lock;
  return html`<span class="badge bad">locked</span> by ${holder.who ?? "unknown"}${holder.operation ? html` for ${holder.operation}` : ""}${holder.since ? html` <span class="muted">since ${holder.since}</span>` : ""} <span class="muted">(id ${holder.id})</span>`;
}

function rowHtml(row: ClusterRow): Html {
  const link = html`<a href="/clusters/${encodeURIComponent(row.name)}">${row.name}</a>`;
  if (!row.valid) {
    return html`<tr data-cluster="${row.name}"><th scope="row">${link}<div class="file"><code>${row.file}</code></div></th><td colspan="5"><span class="badge bad">invalid</span> ${row.problems} problem${row.problems === 1 ? "" : "s"}: open the cluster to see them at their fields</td></tr>`;
  }
  // data-label names each cell where the table is shown as cards (narrow screens), where the column headers are not seen.
  return html`<tr data-cluster="${row.name}">
<th scope="row">${link}<div class="file"><code>${row.file}</code></div></th>
<td data-label="Provider">${row.provider === "aws" ? "AWS" : "MAAS"} ${row.where ?? ""}<div class="sub">Kubernetes ${row.kubernetesVersion ?? ""}</div></td>
<td class="control-plane" data-label="Control plane">${row.controlPlaneReplicas ?? ""} node${row.controlPlaneReplicas === 1 ? "" : "s"}<ul class="sub">${row.etcd.map((etcd) => html`<li>etcd ${etcd.name}: ${etcd.members}</li>`)}</ul></td>
<td data-label="Pools"><ul>${row.pools.map((pool) => html`<li>${pool.name} <span class="muted" title="min / desired / max">${pool.minSize} / ${pool.desiredSize} / ${pool.maxSize}</span></li>`)}</ul></td>
<td class="state" data-label="State">
<div class="applied">${appliedBadge(row.applied)}</div>
<div class="lock">${lockCell(row)}</div>
<div class="backend sub">${row.backend ?? html`<span class="muted">reading…</span>`}</div>
</td>
</tr>`;
}

export function overviewPage(rows: readonly ClusterRow[], problems: readonly LocatedProblem[], context: PageContext): Html {
  const invalidFiles = [...new Set(problems.map((problem) => problem.file))];
  const body = html`<h1>Fleet</h1>
<p class="muted">${rows.length} cluster${rows.length === 1 ? "" : "s"} in the spec files under <code>${context.directory}</code>. This page updates by itself when a spec file, an applied spec or a lock changes.</p>
${invalidFiles.length > 0 ? html`<div class="banner error" role="alert">${problems.length} problem${problems.length === 1 ? "" : "s"} in ${invalidFiles.map((file, index) => html`${index > 0 ? ", " : ""}<code>${file}</code>`)} (k2 lint shows the same).</div>` : ""}
<div class="table-wrap" role="region" aria-label="Clusters" tabindex="0">
<table id="fleet">
<caption class="sr-only">Clusters, their shape, state and lock</caption>
<thead><tr><th scope="col">Cluster <span class="muted">file</span></th><th scope="col">Provider <span class="muted">Kubernetes</span></th><th scope="col">Control plane <span class="muted">etcd members</span></th><th scope="col">Pools <span class="muted">min / desired / max</span></th><th scope="col">State <span class="muted">applied spec, lock, backend</span></th></tr></thead>
<tbody>
${rows.map(rowHtml)}
</tbody>
</table>
</div>
<p class="muted">Applying stays with CI: the UI saves spec files; your pipeline runs <code>k2 plan</code> and <code>cdktf deploy</code>.</p>`;
  return page("Fleet", context, body);
}
