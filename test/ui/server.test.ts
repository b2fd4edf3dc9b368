/** The k2 ui server without a browser: sessions, CSRF, the token, the Host check, secrets, state views, and `k2 ui`'s refusals. */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadClusterFiles } from "../../lib/spec";
import { EventHub } from "../../lib/ui/events";
import { clusterRow } from "../../lib/ui/overview";
import { cookieValue, hostAllowed, redactSecrets } from "../../lib/ui/security";
import { createUiApp } from "../../lib/ui/server";
import type { StateClient } from "../../lib/state";
import { readClusterState, StateCache } from "../../lib/ui/state-view";
import { textHash } from "../../lib/ui/workspace";
import { appliedStateDocument } from "../support/applied-state";
import { EXAMPLES, runK2 } from "../util";

const TOKEN = "a-long-enough-token-for-tests-0123";

function examplesDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), "k2-ui-server-"));
  mkdirSync(join(directory, "aws-ha"));
  copyFileSync(EXAMPLES.awsHa, join(directory, "aws-ha/cluster.yaml"));
  return directory;
}

const HOST = { host: "127.0.0.1:8080" };

async function session(app: ReturnType<typeof createUiApp>["app"], headers: Record<string, string> = {}): Promise<{ cookie: string; csrf: string; status: number }> {
  const response = await app.request("/clusters/prod-usw2", { headers: { ...HOST, ...headers } });
  const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0]!;
  const csrf = /name="k2-csrf" content="([^"]+)"/.exec(await response.text())?.[1] ?? "";
  return { cookie, csrf, status: response.status };
}

describe("k2 ui server", () => {
  it("GIVEN a page WHEN it is served THEN it carries a strict CSP, an HttpOnly SameSite cookie, and no credential from the environment", async () => {
    const { app } = createUiApp({ root: examplesDirectory(), host: "127.0.0.1", port: 8080, env: { PG_CONN_STR: "postgres://u:hunter2-secret@db/x" } });
    const response = await app.request("/clusters/prod-usw2", { headers: HOST });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(response.headers.get("set-cookie")).toMatch(/HttpOnly; SameSite=Strict/);
    const body = await response.text();
    expect(body).not.toContain("hunter2");
    expect(body).not.toContain("<script>");
  });

  it("GIVEN a write WHEN it has no CSRF token or a foreign Origin THEN it is refused; with them it is served", async () => {
    const { app } = createUiApp({ root: examplesDirectory(), host: "127.0.0.1", port: 8080 });
    const { cookie, csrf } = await session(app);
    const text = readFileSync(EXAMPLES.awsHa, "utf8");
    const post = (headers: Record<string, string>) =>
      app.request("/api/clusters/prod-usw2/draft", { method: "POST", headers: { ...HOST, cookie, "content-type": "application/json", ...headers }, body: JSON.stringify({ text, field: "pool.0.maxSize", input: "11" }) });
    expect((await post({})).status).toBe(403);
    expect((await post({ "x-csrf-token": "wrong" })).status).toBe(403);
    expect((await post({ "x-csrf-token": csrf, origin: "http://evil.example" })).status).toBe(403);
    const ok = await post({ "x-csrf-token": csrf, origin: "http://127.0.0.1:8080" });
    expect(ok.status).toBe(200);
    const draft = (await ok.json()) as { valid: boolean; dirty: boolean; text: string };
    expect(draft).toMatchObject({ valid: true, dirty: true });
    expect(draft.text).toBe(text.replace("maxSize: 10", "maxSize: 11"));
  });

  it("GIVEN a save of a file changed since it was loaded THEN 409 with a clear message, and the file is kept", async () => {
    const directory = examplesDirectory();
    const { app } = createUiApp({ root: directory, host: "127.0.0.1", port: 8080 });
    const { cookie, csrf } = await session(app);
    const path = join(directory, "aws-ha/cluster.yaml");
    const loaded = readFileSync(path, "utf8");
    const save = (text: string) => app.request("/api/clusters/prod-usw2/save", { method: "POST", headers: { ...HOST, cookie, "x-csrf-token": csrf, "content-type": "application/json" }, body: JSON.stringify({ text, baseHash: textHash(loaded) }) });
    expect((await save(loaded.replace("maxSize: 10", "maxSize: 11"))).status).toBe(200);
    const refused = await save(loaded.replace("maxSize: 10", "maxSize: 12"));
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: string }).error).toMatch(/^Not saved: aws-ha\/cluster\.yaml was changed by admin-[0-9a-f]{4} at /);
    expect(readFileSync(path, "utf8")).toContain("maxSize: 11");
    const invalid = await app.request("/api/clusters/prod-usw2/save", { method: "POST", headers: { ...HOST, cookie, "x-csrf-token": csrf, "content-type": "application/json" }, body: JSON.stringify({ text: readFileSync(path, "utf8").replace("maxSize: 11", "maxSize: -1"), baseHash: textHash(readFileSync(path, "utf8")) }) });
    expect(invalid.status).toBe(422);
  });

  it("GIVEN an access token WHEN a browser has not signed in THEN pages send it to sign in and the API answers 401; the token opens both", async () => {
    const { app } = createUiApp({ root: examplesDirectory(), host: "0.0.0.0", port: 8080, authToken: TOKEN });
    expect((await app.request("/", { headers: HOST })).headers.get("location")).toBe("/login");
    expect((await app.request("/api/fleet", { headers: HOST })).status).toBe(401);
    expect((await app.request("/api/fleet", { headers: { ...HOST, authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await app.request("/api/fleet", { headers: { ...HOST, authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    // Signing in through the form: the session's CSRF token and the right token.
    const login = await app.request("/login", { headers: HOST });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await login.text())![1]!;
    const form = (token: string) => app.request("/login", { method: "POST", headers: { ...HOST, cookie, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ csrf, token }).toString() });
    expect((await form("nope")).headers.get("location")).toBe("/login?failed");
    expect((await form(TOKEN)).headers.get("location")).toBe("/");
    expect((await app.request("/api/fleet", { headers: { ...HOST, cookie } })).status).toBe(200);
  });

  it("GIVEN loopback WHEN the Host header names another site (DNS rebinding) THEN it is refused", async () => {
    const { app } = createUiApp({ root: examplesDirectory(), host: "127.0.0.1", port: 8080 });
    expect((await app.request("/", { headers: { host: "attacker.example:8080" } })).status).toBe(403);
    expect(hostAllowed("localhost:8080", "127.0.0.1", 8080)).toBe(true);
    expect(hostAllowed("k2.example.com", "0.0.0.0", 8080)).toBe(true);
  });
});

describe("security helpers", () => {
  it("GIVEN messages with credentials THEN they are redacted", () => {
    expect(redactSecrets("cannot connect to postgres://kraken:s3cret-pass@db:5432/k", {})).toBe("cannot connect to postgres://kraken:[redacted]@db:5432/k");
    expect(redactSecrets("key abcdef123456 refused", { MAAS_API_KEY: "abcdef123456", HOME: "/root" })).toBe("key [redacted] refused");
    expect(redactSecrets("home is /root", { HOME: "/root" })).toBe("home is /root");
    expect(cookieValue("a=1; k2ui_session=xyz; b=2", "k2ui_session")).toBe("xyz");
  });

  it("GIVEN tabs with unsaved edits THEN the others on that cluster are told, and a closed tab's edits go", () => {
    const hub = new EventHub();
    const seen: unknown[] = [];
    hub.subscribe({ clientId: "b", cluster: "prod-usw2", send: (event) => seen.push(event) });
    const closeA = hub.subscribe({ clientId: "a", cluster: "prod-usw2", send: () => undefined });
    hub.setEditing("prod-usw2", { clientId: "a", name: "admin-aaaa" }, true);
    expect(hub.editors("prod-usw2").map((editor) => editor.name)).toEqual(["admin-aaaa"]);
    closeA();
    expect(hub.editors("prod-usw2")).toEqual([]);
    expect(seen.filter((event) => (event as { event: string }).event === "presence")).toHaveLength(3);
  });
});

describe("state views", () => {
  it("GIVEN a local state with an applied spec and a lock THEN the view has both, and says the backend keeps no history", async () => {
    const directory = examplesDirectory();
    const cluster = loadClusterFiles([join(directory, "aws-ha/cluster.yaml")])[0]!;
    writeFileSync(join(directory, "terraform.prod-usw2.tfstate"), appliedStateDocument(cluster, 9));
    writeFileSync(join(directory, ".terraform.prod-usw2.tfstate.lock.info"), JSON.stringify({ ID: "lock-1", Who: "ci@runner", Operation: "OperationTypeApply" }));
    const view = await readClusterState(cluster, directory);
    expect(view.backend).toBe("local file terraform.prod-usw2.tfstate");
    expect(view.applied?.serial).toBe(9);
    expect(view.lock?.holder).toMatchObject({ id: "lock-1", who: "ci@runner" });
    expect(view.history).toMatchObject({ kept: false });
    const row = clusterRow({ name: "prod-usw2", file: "aws-ha/cluster.yaml", documentIndex: 0, value: {}, cluster, problems: [] }, view);
    expect(row).toMatchObject({ applied: { kind: "in-sync", serial: 9 }, lock: { who: "ci@runner" }, pools: [{ name: "general", minSize: 3, desiredSize: 3, maxSize: 10 }, { name: "spot" }, { name: "gpu" }] });
  });
});

describe("the state cache", () => {
  it("GIVEN a backend that keeps versions WHEN it is read again with the same applied state THEN the versions are not listed again; after a new apply they are", async () => {
    // A stand-in for the S3 client (versions are tested against the S3 double in test/state):
    // what is counted here is how often the UI asks, not what the backend answers.
    const cluster = loadClusterFiles([join(examplesDirectory(), "aws-ha/cluster.yaml")])[0]!;
    let state = appliedStateDocument(cluster, 4);
    let listings = 0;
    const client: StateClient = {
      description: "versioned test backend",
      readState: () => Promise.resolve(state),
      lockStatus: () => Promise.resolve({ backend: "versioned test backend", locked: false }),
      unlock: () => Promise.reject(new Error("not held")),
      listVersions: () => {
        listings += 1;
        return Promise.resolve([{ versionId: `v${listings}`, isLatest: true, text: state }]);
      },
      close: () => Promise.resolve(),
    };
    const cache = new StateCache(examplesDirectory(), () => client);
    await cache.refresh(cluster);
    await cache.refresh(cluster);
    expect(listings).toBe(1);
    state = appliedStateDocument(cluster, 5, (spec) => spec.replace("maxSize: 10", "maxSize: 12"));
    const view = await cache.refresh(cluster);
    expect(listings).toBe(2);
    expect(view.history).toMatchObject({ kept: true, versions: [{ versionId: "v2", serial: 5 }] });
  });
});

describe("k2 ui refuses what cannot run", () => {
  it("GIVEN --host 0.0.0.0 without a token THEN exit 2 and a clear message", () => {
    const result = runK2(["ui", examplesDirectory(), "--host", "0.0.0.0"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--host 0\.0\.0\.0 makes the UI reachable from other machines.*--auth-token-file/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("GIVEN a short token, a bad port or a missing directory THEN exit 2; no spec files THEN exit 1", () => {
    const directory = examplesDirectory();
    const short = join(directory, "token");
    writeFileSync(short, "short\n");
    expect(runK2(["ui", directory, "--host", "0.0.0.0", "--auth-token-file", short])).toMatchObject({ status: 2, stderr: expect.stringMatching(/at least 16 characters/) as unknown });
    expect(runK2(["ui", directory, "--port", "70000"])).toMatchObject({ status: 2, stderr: expect.stringMatching(/--port must be a whole number from 0 to 65535, got "70000"/) as unknown });
    expect(runK2(["ui", join(directory, "nope")])).toMatchObject({ status: 2, stderr: expect.stringMatching(/no such directory/) as unknown });
    const empty = mkdtempSync(join(tmpdir(), "k2-ui-empty-"));
    expect(runK2(["ui", empty])).toMatchObject({ status: 1, stderr: expect.stringMatching(/no spec files under/) as unknown });
    expect(runK2(["ui", "--help"]).stdout).toContain("Exit codes:");
  });
});
