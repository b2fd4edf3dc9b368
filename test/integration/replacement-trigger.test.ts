/**
 * The replacement mechanism behind spec.etcd[].replaceMember, proven with real terraform and no
 * cloud: a terraform_data "member" lists replacementTrigger's terraform_data in
 * replace_triggered_by. A new id replaces the member; the same id again, or no id, does not.
 * terraform_data is built into terraform, so `terraform init` downloads nothing.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, DataResource, LocalBackend, TerraformStack } from "cdktf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replacementTrigger, triggerAddress } from "../../constructs/replacement-trigger";
import { requireTerraform, terraform } from "../support/terraform";

const work = mkdtempSync(join(tmpdir(), "k2-replacement-"));
const STATE = join(work, "terraform.tfstate");
const OUT = join(work, "cdktf.out");
const STACK = "replacement";
const stackDirectory = join(OUT, "stacks", STACK);

interface ResourceChange {
  readonly address: string;
  readonly action_reason?: string;
  readonly change: { readonly actions: readonly string[] };
}

interface ShownState {
  readonly values?: { readonly root_module: { readonly resources?: readonly { readonly address: string; readonly values: { readonly id: string } }[] } };
}

/** Synthesizes the stack with the trigger's id (undefined: no replacement asked) and inits it. */
function synth(activeId: string | undefined): void {
  const app = new App({ outdir: OUT });
  const stack = new TerraformStack(app, STACK);
  new LocalBackend(stack, { path: STATE });
  const trigger = replacementTrigger(stack, "trigger", activeId);
  new DataResource(stack, "member", { input: { role: "etcd member" }, lifecycle: { replaceTriggeredBy: [triggerAddress(trigger)] } });
  app.synth();
  terraform(["init", "-input=false"], stackDirectory);
}

/** What the plan would do to each resource, by address. */
function plan(): Map<string, ResourceChange> {
  terraform(["plan", "-input=false", "-out=plan.bin"], stackDirectory);
  const shown = JSON.parse(terraform(["show", "-json", "plan.bin"], stackDirectory)) as { resource_changes?: readonly ResourceChange[] };
  return new Map((shown.resource_changes ?? []).map((change) => [change.address, change]));
}

function apply(): void {
  terraform(["apply", "-input=false", "-auto-approve", "plan.bin"], stackDirectory);
}

/** The id terraform gave the member when it created it: a replacement gives a new one. */
function memberId(): string {
  const shown = JSON.parse(terraform(["show", "-json"], stackDirectory)) as ShownState;
  const member = shown.values?.root_module.resources?.find((resource) => resource.address === "terraform_data.member");
  if (!member) throw new Error(`no terraform_data.member in the state: ${JSON.stringify(shown)}`);
  return member.values.id;
}

function actionsOf(changes: Map<string, ResourceChange>, address: string): string {
  const change = changes.get(address);
  if (!change) throw new Error(`the plan has no ${address}; it has ${[...changes.keys()].join(", ")}`);
  return [...change.change.actions].sort().join(",");
}

const REPLACE = "create,delete";

beforeAll(() => {
  requireTerraform();
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe("replacementTrigger with real terraform", () => {
  // One sequence of applies against one state: each step starts from the state the one before left.
  let created = "";
  let replacedByA = "";

  it("GIVEN no id WHEN first applied THEN the member and its trigger are created", () => {
    synth(undefined);
    const changes = plan();
    expect(actionsOf(changes, "terraform_data.member")).toBe("create");
    expect(actionsOf(changes, "terraform_data.trigger")).toBe("create");
    apply();
    created = memberId();
    expect(created).not.toBe("");
  });

  it("GIVEN id a WHEN planned THEN terraform replaces the member because of the trigger; applying gives it a new identity", () => {
    synth("a");
    const changes = plan();
    expect(actionsOf(changes, "terraform_data.member")).toBe(REPLACE);
    expect(changes.get("terraform_data.member")!.action_reason).toBe("replace_by_triggers");
    apply();
    replacedByA = memberId();
    expect(replacedByA).not.toBe(created);
  });

  it("GIVEN id a again WHEN planned THEN nothing changes", () => {
    synth("a");
    const changes = plan();
    expect(actionsOf(changes, "terraform_data.member")).toBe("no-op");
    expect(actionsOf(changes, "terraform_data.trigger")).toBe("no-op");
    apply();
    expect(memberId()).toBe(replacedByA);
  });

  it("GIVEN the id dropped WHEN planned THEN nothing changes (the idle trigger ignores its old id)", () => {
    synth(undefined);
    const changes = plan();
    expect(actionsOf(changes, "terraform_data.member")).toBe("no-op");
    expect(actionsOf(changes, "terraform_data.trigger")).toBe("no-op");
    apply();
    expect(memberId()).toBe(replacedByA);
  });

  it("GIVEN id b WHEN planned THEN the member is replaced again", () => {
    synth("b");
    const changes = plan();
    expect(actionsOf(changes, "terraform_data.member")).toBe(REPLACE);
    expect(changes.get("terraform_data.member")!.action_reason).toBe("replace_by_triggers");
    apply();
    expect(memberId()).not.toBe(replacedByA);
  });
});

describe("why triggerAddress", () => {
  /** `terraform init` (which reads the configuration) then `validate`, of a stack whose member names its trigger with `reference`. */
  function validate(name: string, reference: (trigger: DataResource) => string | DataResource): { status: number | null; output: string } {
    const outdir = join(work, name);
    const app = new App({ outdir });
    const stack = new TerraformStack(app, name);
    new LocalBackend(stack, { path: join(work, `${name}.tfstate`) });
    const trigger = replacementTrigger(stack, "trigger", "a");
    new DataResource(stack, "member", { lifecycle: { replaceTriggeredBy: [reference(trigger)] } });
    app.synth();
    const directory = join(outdir, "stacks", name);
    const run = (args: readonly string[]) => spawnSync("terraform", [...args, "-no-color"], { cwd: directory, encoding: "utf8", env: { ...process.env, TF_IN_AUTOMATION: "1" } });
    const init = run(["init", "-input=false"]);
    const result = init.status === 0 ? run(["validate"]) : init;
    return { status: result.status, output: result.stdout + result.stderr };
  }

  it("GIVEN the trigger named by triggerAddress WHEN terraform validates THEN it is valid", () => {
    const result = validate("bare", triggerAddress);
    expect(result.status, result.output).toBe(0);
  });

  it("GIVEN the trigger given to cdktf as a resource WHEN terraform validates THEN terraform refuses cdktf's \"${...}\" rendering", () => {
    const result = validate("interpolated", (trigger) => trigger);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("in resource.terraform_data.member.lifecycle.replace_triggered_by");
    expect(result.output).toContain('"${terraform_data.trigger}"');
  });
});
