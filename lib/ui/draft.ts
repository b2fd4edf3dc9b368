/**
 * An admin's unsaved version of a spec file: checked with the same schema and rules as
 * `k2 lint` (together with the other files, so that names stay unique), its problems tied to the
 * form's fields, and its plan from `k2 plan`'s engine against the applied spec.
 */
import { parseAllDocuments } from "yaml";
import type { ClusterPlan } from "../plan";
import type { LocatedProblem } from "../spec";
import { fieldOwnsProblem, fieldValue, formFields, formModel, type FormModel } from "./form";
import { planAgainstState } from "./overview";
import type { ClusterStateView } from "./state-view";
import { checkFleet, readSpecText, textHash, type ClusterEntry, type Fleet } from "./workspace";
import { applyFieldEdit, documentIndexOf, SpecEditError } from "./yaml-edit";

export interface DraftEvaluation {
  readonly hash: string;
  /** The draft can be saved: it parses, and every document of the file is valid. */
  readonly valid: boolean;
  /** Problems of the file, as `k2 lint` reports them. */
  readonly problems: readonly LocatedProblem[];
  /** The problems each form field owns, by field id. */
  readonly fieldErrors: Readonly<Record<string, readonly string[]>>;
  /** The cluster's document in the draft, when the draft still has it. */
  readonly entry?: ClusterEntry;
  readonly form: FormModel;
  readonly plan?: ClusterPlan;
  /** Why there is no plan. */
  readonly planNote?: string;
}

/** Checks `text` as the new content of `file`, with the rest of the fleet as it is on disk. */
export function evaluateDraft(fleet: Fleet, file: string, clusterName: string, text: string, state: ClusterStateView | undefined): DraftEvaluation {
  const hash = textHash(text);
  const draftFile = readSpecText(file, text) ?? { path: file, text, hash, documents: [], error: `${file}: holds no kraken.dev document` };
  const checked = checkFleet(fleet.files.map((other) => (other.path === file ? draftFile : other)).concat(fleet.files.some((other) => other.path === file) ? [] : [draftFile]));
  const problems = checked.problems.filter((problem) => problem.file === file);
  const entry = checked.clusters.find((candidate) => candidate.file === file && candidate.name === clusterName);
  const form = formModel(entry?.value);
  const fieldErrors: Record<string, string[]> = {};
  for (const field of formFields(form)) {
    const owned = problems.filter((problem) => fieldOwnsProblem(field, problem.path));
    if (owned.length > 0) fieldErrors[field.id] = owned.map((problem) => `${problem.path}: ${problem.message}`);
  }
  const valid = problems.length === 0 && draftFile.error === undefined && draftFile.documents.length > 0;
  let plan: ClusterPlan | undefined;
  let planNote: string | undefined;
  if (!entry) planNote = `the file no longer holds a cluster named ${clusterName}`;
  else if (!entry.cluster) planNote = "the plan shows once the spec is valid";
  else plan = planAgainstState(entry.cluster, state);
  return { hash, valid, problems, fieldErrors, ...(entry ? { entry } : {}), form, ...(plan ? { plan } : {}), ...(planNote === undefined ? {} : { planNote }) };
}

export type FormEditResult = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly fieldId: string; readonly message: string };

/** Writes what was typed into a form field into the draft's text, keeping the rest of it as it is. */
export function applyFormEdit(text: string, clusterName: string, fieldId: string, input: string): FormEditResult {
  let documentIndex: number | undefined;
  try {
    documentIndex = documentIndexOf(text, clusterName);
  } catch (error) {
    if (error instanceof SpecEditError) return { ok: false, fieldId, message: `${error.message}: fix the YAML first` };
    throw error;
  }
  if (documentIndex === undefined) return { ok: false, fieldId, message: `the YAML holds no cluster named ${clusterName}` };
  const documents = parseAllDocuments(text);
  const value: unknown = (Array.isArray(documents) ? documents : [])[documentIndex]?.toJS();
  const field = formFields(formModel(value)).find((candidate) => candidate.id === fieldId);
  if (!field) return { ok: false, fieldId, message: `no field ${fieldId} in this cluster` };
  const parsed = fieldValue(field, input);
  if (!parsed.ok) return { ok: false, fieldId, message: parsed.message };
  try {
    return { ok: true, text: applyFieldEdit(text, documentIndex, field.path, parsed.value, field.insertAfter) };
  } catch (error) {
    if (error instanceof SpecEditError) return { ok: false, fieldId, message: error.message };
    throw error;
  }
}
