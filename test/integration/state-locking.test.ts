/**
 * Remote state and locking for many admins, with a real PostgreSQL on loopback and real
 * terraform: the applied spec saved by `terraform apply -refresh-only` and read back by k2,
 * two admins colliding on the lock (k2 names the holder), eight concurrent writers that all
 * land, and the local backend's lock the same way.
 */
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type RunningPostgres } from "../support/postgres";
import { providerMirror, requireTerraform, writeOfflineProviderOverride } from "../support/terraform";
import { EXAMPLES, runK2Async } from "../util";

const work = mkdtempSync(join(tmpdir(), "k2-state-"));
let postgres: RunningPostgres;
let pgEnv: Record<string, string>;

interface Run {
  readonly status: number | null;
  readonly output: string;
}

/** terraform, without blocking the event loop (several run at once). */
function terraform(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return startTerraform(args, cwd, env).done;
}

function startTerraform(args: readonly string[], cwd: string, env: Record<string, string> = {}): { readonly pid: number; readonly done: Promise<Run> } {
  let pid = 0;
  const done = new Promise<Run>((resolve, reject) => {
    const child = spawn("terraform", [...args, "-no-color", "-input=false"], {
      cwd,
      env: { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1", ...pgEnv, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (status) => {
      resolve({ status, output });
    });
    pid = child.pid ?? 0;
  });
  return { pid, done };
}

async function mustRun(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  const run = await terraform(args, cwd, env);
  if (run.status !== 0) throw new Error(`terraform ${args.join(" ")} failed in ${cwd}:\n${run.output}`);
  return run.output;
}

function k2(args: string[], env: Record<string, string | undefined> = {}) {
  return runK2Async(args, { env: { ...pgEnv, ...env } });
}

/** A test stack of our own: terraform_data only (built into Terraform, no provider), in the given backend. */
function writeStack(directory: string, backend: Record<string, unknown>, resources: Record<string, unknown>, variables: Record<string, unknown> = {}): void {
  mkdirSync(directory, { recursive: true });
  const config = { terraform: { backend }, ...(Object.keys(variables).length > 0 ? { variable: variables } : {}), resource: { terraform_data: resources } };
  writeFileSync(join(directory, "main.tf.json"), JSON.stringify(config, null, 2));
}

const holdLock = (seconds: number) => ({ hold: { input: "held", provisioner: [{ "local-exec": { command: `sleep ${seconds}` } }] } });

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function specWithState(name: string, state: string): string {
  const path = join(work, name);
  writeFileSync(path, `${readFileSync(EXAMPLES.awsMinimal, "utf8")}  state:\n${state}`);
  return path;
}

function stateSerial(schema: string): number {
  const data = postgres.psql(`SELECT data FROM ${schema}.states WHERE name = 'default'`, "kraken");
  return (JSON.parse(data) as { serial: number }).serial;
}

beforeAll(async () => {
  requireTerraform();
  postgres = await startPostgres();
  pgEnv = { PG_CONN_STR: postgres.connectionString() };
}, 120_000);

afterAll(() => {
  postgres.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("the applied spec in PostgreSQL", () => {
  const specFile = () => specWithState("pg-cluster.yaml", "    backend: pg\n");

  it("is saved by terraform apply -refresh-only and read back by k2 state spec", async () => {
    // GIVEN the example with state in PostgreSQL, synthesized by k2
    const spec = specFile();
    const out = join(work, "pg-out");
    const synth = await k2(["synth", spec, "--out", out]);
    expect(synth.status, synth.stderr).toBe(0);
    const stack = join(out, "stacks", "dev");
    expect((JSON.parse(readFileSync(join(stack, "cdk.tf.json"), "utf8")) as { terraform: { backend: unknown } }).terraform.backend).toEqual({ pg: { schema_name: "kraken_dev" } });
    // WHEN terraform records the outputs, without touching any AWS resource
    writeOfflineProviderOverride(stack, "us-west-2");
    await mustRun(["init", `-plugin-dir=${providerMirror()}`], stack);
    await mustRun(["apply", "-refresh-only", "-auto-approve"], stack);
    // THEN k2 reads the applied spec back from PostgreSQL, hash and all
    const read = await k2(["state", "spec", spec, "--format", "json"]);
    expect(read.status, read.stderr).toBe(0);
    const applied = JSON.parse(read.stdout) as { serial: number; hash: string; spec: { metadata: { name: string }; spec: { state: unknown } } };
    expect(applied.spec.metadata.name).toBe("dev");
    expect(applied.spec.spec.state).toEqual({ backend: "pg", pg: { connStrEnv: "PG_CONN_STR", schemaName: "kraken_dev" } });
    expect(applied.serial).toBe(stateSerial("kraken_dev"));
    expect(applied.hash).toMatch(/^[0-9a-f]{64}$/);
  }, 120_000);

  it("is what k2 synth --against-state protects etcd against", async () => {
    const changed = join(work, "pg-changed.yaml");
    writeFileSync(changed, readFileSync(specFile(), "utf8").replace("    - name: main\n      members: 1", "    - name: main\n      members: 1\n      version: \"3.5.21\""));
    const result = await k2(["synth", changed, "--out", join(work, "pg-refused"), "--against-state"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("spec.etcd[0].version: etcd 3.5.21 is an older minor than the running 3.6.16");
  });

  it("says when a cluster was never applied", async () => {
    const fresh = join(work, "fresh.yaml");
    writeFileSync(fresh, readFileSync(specFile(), "utf8").replace("name: dev", "name: never"));
    const result = await k2(["state", "spec", fresh]);
    expect(result).toMatchObject({ status: 1, stderr: "k2 state spec: cluster never has no applied spec in its state (pg): it was never applied\n" });
  });

  it("fails in one line when the connection string is missing", async () => {
    const result = await k2(["state", "spec", specFile()], { PG_CONN_STR: undefined });
    expect(result).toMatchObject({ status: 1, stderr: "k2: $PG_CONN_STR is not set: it holds the PostgreSQL connection string of the state (spec.state.pg.connStrEnv)\n" });
  });
});

describe("two admins on a PostgreSQL state", () => {
  const spec = () => specWithState("pg-lock.yaml", "    backend: pg\n    pg: { schemaName: kraken_locks }\n");

  it("the second is refused while the first holds the lock, and k2 names the holder", async () => {
    // GIVEN alice's apply holds the lock (a provisioner that sleeps)
    const alice = join(work, "alice");
    const bob = join(work, "bob");
    writeStack(alice, { pg: { schema_name: "kraken_locks" } }, holdLock(0));
    await mustRun(["init"], alice);
    await mustRun(["apply", "-auto-approve"], alice); // the workspace exists, as for a running cluster
    writeStack(alice, { pg: { schema_name: "kraken_locks" } }, holdLock(20));
    cpSync(alice, bob, { recursive: true });
    await mustRun(["init"], bob);
    const aliceApply = terraform(["apply", "-auto-approve", "-replace=terraform_data.hold"], alice, { PGAPPNAME: "alice@laptop" });
    await waitUntil("alice's lock", async () => (await k2(["state", "lock-info", spec()])).status === 3);

    // WHEN bob plans
    const bobPlan = await terraform(["plan", "-lock-timeout=0s"], bob, { PGAPPNAME: "bob@desk" });

    // THEN bob gets Terraform's lock error, and k2 tells who holds the lock
    expect(bobPlan.status).toBe(1);
    expect(bobPlan.output).toContain("Error acquiring the state lock");
    expect(bobPlan.output).toContain("Workspace is already locked");
    const info = await k2(["state", "lock-info", spec(), "--format", "json"]);
    expect(info.status).toBe(3);
    const status = JSON.parse(info.stdout) as { locked: boolean; holder: { id: string; who: string; details: Record<string, string> }; whatToDo: string[] };
    expect(status.holder.who).toMatch(/^alice@laptop \(postgres from 127\.0\.0\.1\)$/);
    expect(status.holder.id).toMatch(/^pg:[0-9]+$/);
    expect(status.holder.details["client address"]).toBe("127.0.0.1");
    expect(status.whatToDo.join("\n")).toContain(`k2 state unlock <spec file> --lock-id ${status.holder.id}`);

    // AND unlock without the lock id changes nothing
    const refused = await k2(["state", "unlock", spec()]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("refused: give the lock id with --lock-id");
    expect((await k2(["state", "lock-info", spec()])).status).toBe(3);

    // AND once alice is done, the lock is gone
    expect((await aliceApply).status).toBe(0);
    expect((await k2(["state", "lock-info", spec()])).status).toBe(0);
  }, 120_000);

  it("releases the lock of a frozen holder with k2 state unlock --lock-id", async () => {
    // GIVEN a terraform run that froze while holding the lock (its connection stays open)
    const stuck = join(work, "stuck");
    writeStack(stuck, { pg: { schema_name: "kraken_locks" } }, holdLock(60));
    await mustRun(["init"], stuck);
    const run = startTerraform(["apply", "-auto-approve", "-replace=terraform_data.hold"], stuck);
    await waitUntil("the stuck lock", async () => (await k2(["state", "lock-info", spec()])).status === 3);
    process.kill(run.pid, "SIGSTOP");
    const status = JSON.parse((await k2(["state", "lock-info", spec(), "--format", "json"])).stdout) as { holder: { id: string }; whatToDo: string[] };
    expect(status.whatToDo.join("\n")).toContain("stop that terraform process first");

    try {
      // WHEN an admin unlocks with another id, then with the lock's id
      expect((await k2(["state", "unlock", spec(), "--lock-id", "pg:1"])).stderr).toContain(`the lock is held by session ${status.holder.id}, not pg:1`);
      const unlocked = await k2(["state", "unlock", spec(), "--lock-id", status.holder.id]);
      // THEN the lock is gone and another admin can work
      expect(unlocked.status, unlocked.stderr).toBe(0);
      expect(unlocked.stdout).toContain("its advisory lock is released");
      expect((await k2(["state", "lock-info", spec()])).status).toBe(0);
      const carol = join(work, "carol");
      writeStack(carol, { pg: { schema_name: "kraken_locks" } }, holdLock(60));
      await mustRun(["init"], carol);
      const plan = await terraform(["plan", "-lock-timeout=0s"], carol);
      expect(plan.status, plan.output).toBe(0);
    } finally {
      process.kill(run.pid, "SIGKILL");
      await run.done;
    }
  }, 180_000);
});

describe("eight admins writing at once", () => {
  it("every change lands, one after the other, nothing lost", async () => {
    const writers = Array.from({ length: 8 }, (_, index) => index);
    const backend = { pg: { schema_name: "kraken_writers" } };
    const variables = Object.fromEntries(writers.map((index) => [`w${index}`, { type: "string", default: "initial" }]));
    const resources = Object.fromEntries(writers.map((index) => [`w${index}`, { input: `\${var.w${index}}` }]));
    const base = join(work, "writers-base");
    writeStack(base, backend, resources, variables);
    await mustRun(["init"], base);
    await mustRun(["apply", "-auto-approve"], base);
    const startSerial = stateSerial("kraken_writers");

    const serialsSeen: number[] = [];
    let lockErrors = 0;
    await Promise.all(
      writers.map(async (index) => {
        const directory = join(work, `writer-${index}`);
        writeStack(directory, backend, resources, variables);
        await mustRun(["init"], directory);
        for (let attempt = 1; ; attempt += 1) {
          const run = await terraform(["apply", "-auto-approve", "-lock-timeout=0s", `-target=terraform_data.w${index}`, `-var=w${index}=changed-${index}`], directory);
          if (run.status === 0) {
            expect(run.output).toContain("Resources: 0 added, 1 changed, 0 destroyed");
            serialsSeen.push(stateSerial("kraken_writers"));
            return;
          }
          if (!run.output.includes("Error acquiring the state lock") || attempt > 100) throw new Error(`writer ${index} failed:\n${run.output}`);
          lockErrors += 1;
          await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 400));
        }
      }),
    );

    const state = JSON.parse(postgres.psql("SELECT data FROM kraken_writers.states WHERE name = 'default'", "kraken")) as {
      serial: number;
      // terraform_data keeps its input as a dynamic value: { value, type }.
      resources: { name: string; instances: { attributes: { input: { value: string } } }[] }[];
    };
    // Every writer's change is there.
    expect(Object.fromEntries(state.resources.map((resource) => [resource.name, resource.instances[0]!.attributes.input.value]))).toEqual(
      Object.fromEntries(writers.map((index) => [`w${index}`, `changed-${index}`])),
    );
    // One state version per write: nothing overwritten, nothing lost.
    expect(state.serial).toBe(startSerial + writers.length);
    expect(serialsSeen).toEqual([...serialsSeen].sort((a, b) => a - b));
    expect(serialsSeen.every((serial) => serial > startSerial)).toBe(true);
    // They did collide: the lock made them take turns.
    expect(lockErrors).toBeGreaterThan(0);
  }, 300_000);
});

describe("two admins on a local state", () => {
  it("the second is refused, and k2 shows who holds the lock, since when, for what", async () => {
    const statePath = join(work, "local-state", "dev.tfstate");
    mkdirSync(join(work, "local-state"), { recursive: true });
    const spec = specWithState("local-lock.yaml", `    backend: local\n    local: { path: ${statePath} }\n`);
    const alice = join(work, "local-alice");
    const bob = join(work, "local-bob");
    writeStack(alice, { local: { path: statePath } }, holdLock(15));
    cpSync(alice, bob, { recursive: true });
    await mustRun(["init"], alice);
    await mustRun(["init"], bob);
    const aliceApply = terraform(["apply", "-auto-approve"], alice);
    await waitUntil("alice's local lock", async () => (await k2(["state", "lock-info", spec])).status === 3);

    const bobPlan = await terraform(["plan", "-lock-timeout=0s"], bob);
    expect(bobPlan.status).toBe(1);
    expect(bobPlan.output).toContain("Error acquiring the state lock");

    const info = await k2(["state", "lock-info", spec, "--format", "json"]);
    expect(info.status).toBe(3);
    const status = JSON.parse(info.stdout) as { holder: { id: string; who: string; operation: string; since: string } };
    expect(status.holder.operation).toBe("OperationTypeApply");
    expect(status.holder.who).toMatch(/^.+@.+$/);
    expect(Date.parse(status.holder.since)).toBeGreaterThan(Date.now() - 120_000);
    // Terraform's own lock error names the same lock.
    expect(bobPlan.output).toContain(status.holder.id);

    expect((await k2(["state", "unlock", spec])).status).toBe(1);
    expect((await aliceApply).status).toBe(0);
    expect((await k2(["state", "lock-info", spec])).status).toBe(0);
  }, 120_000);
});
