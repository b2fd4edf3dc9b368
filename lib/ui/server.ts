/**
 * The `k2 ui` web server (Hono on Node's HTTP server): pages rendered on the server, a small
 * script for live validation, the plan preview and live updates (server-sent events), and the
 * only write it ever makes: saving a valid spec file that nobody changed meanwhile.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { Cluster } from "../spec";
import { applyFormEdit, evaluateDraft } from "./draft";
import { formFields } from "./form";
import { EventHub } from "./events";
import { clusterRow } from "./overview";
import { clusterPage, formHtml, historyHtml, listingHtml, loginPage, notFoundPage, planHtml, problemsHtml, statusHtml } from "./pages/cluster";
import type { PageContext } from "./pages/layout";
import { overviewPage } from "./pages/overview";
import { STYLESHEET } from "./pages/style";
import { saveSpecFile, type LastSave } from "./save";
import { cookieValue, csrfValid, CSRF_HEADER, hostAllowed, originAllowed, redactSecrets, sameSecret, SESSION_COOKIE, Sessions, type Session } from "./security";
import { StateCache, type ClusterStateView, type StateClientFactory } from "./state-view";
import { Workspace } from "./workspace";

export interface UiServerOptions {
  /** The directory whose spec files the UI serves. */
  readonly root: string;
  /** As the user named it, for pages. */
  readonly displayRoot?: string;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** When set, every request needs it (a sign-in page, or Authorization: Bearer). */
  readonly authToken?: string;
  /** How often spec files are checked for changes. @default 1000 */
  readonly fileIntervalMs?: number;
  /** How often each cluster's state (applied spec, lock) is read again. @default 5000 */
  readonly stateIntervalMs?: number;
  readonly stateClientFactory?: StateClientFactory;
  readonly env?: NodeJS.ProcessEnv;
}

interface Variables {
  session: Session | undefined;
  bearer: boolean;
}

type AppContext = Context<{ Variables: Variables }>;

/** The browser script, built by `npm run build` next to this module (or in dist/ when run from source). */
function clientScript(): string {
  const candidates = [join(__dirname, "client", "app.js"), join(__dirname, "..", "..", "dist", "lib", "ui", "client", "app.js")];
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`the UI's browser script is not built (looked for ${candidates.join(", ")}): run npm run build`);
  return readFileSync(found, "utf8");
}

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cache-Control": "no-store",
};

export interface UiApp {
  readonly app: Hono<{ Variables: Variables }>;
  readonly hub: EventHub;
  readonly workspace: Workspace;
  readonly states: StateCache;
  /** Re-reads files and states now, publishing what changed. */
  poll(): Promise<void>;
  /** Starts the background polling. */
  startWatching(): void;
  stopWatching(): void;
}

export function createUiApp(options: UiServerOptions & { readonly boundPort?: () => number }): UiApp {
  const env = options.env ?? process.env;
  const workspace = new Workspace(options.root);
  workspace.refresh();
  const states = new StateCache(options.root, options.stateClientFactory);
  const hub = new EventHub();
  const sessions = new Sessions(options.authToken !== undefined);
  const lastSaves = new Map<string, LastSave>();
  const script = clientScript();
  const redact = (text: string): string => redactSecrets(text, env, options.authToken ? [options.authToken] : []);
  const fingerprints = new Map<string, { applied: string; lock: string }>();

  const redactView = (view: ClusterStateView | undefined): ClusterStateView | undefined => {
    if (!view) return view;
    return {
      ...view,
      ...(view.appliedError === undefined ? {} : { appliedError: redact(view.appliedError) }),
      ...(view.lockError === undefined ? {} : { lockError: redact(view.lockError) }),
      history: view.history.kept ? { kept: true, versions: view.history.versions.map((version) => (version.note === undefined ? version : { ...version, note: redact(version.note) })) } : { kept: false, reason: redact(view.history.reason) },
    };
  };
  const stateOf = async (cluster: Cluster | undefined): Promise<ClusterStateView | undefined> => (cluster ? redactView(await states.get(cluster)) : undefined);

  const remember = (cluster: Cluster, view: ClusterStateView): { applied: boolean; lock: boolean } => {
    const applied = JSON.stringify([view.applied?.hash, view.applied?.serial, view.appliedError]);
    const lock = JSON.stringify([view.lock?.holder?.id, view.lockError]);
    const before = fingerprints.get(cluster.metadata.name);
    fingerprints.set(cluster.metadata.name, { applied, lock });
    return { applied: before !== undefined && before.applied !== applied, lock: before !== undefined && before.lock !== lock };
  };

  const pollFiles = (): void => {
    const before = workspace.fleet().clusters;
    const changed = workspace.refresh();
    if (changed.length === 0) return;
    const after = workspace.fleet().clusters;
    const names = [...new Set([...before, ...after].filter((entry) => changed.includes(entry.file)).map((entry) => entry.name))];
    hub.changed({ what: "spec", clusters: names, files: changed });
  };

  const pollStates = async (): Promise<void> => {
    const clusters = workspace.fleet().clusters.flatMap((entry) => (entry.cluster ? [entry.cluster] : []));
    await Promise.all(
      clusters.map(async (cluster) => {
        const view = await states.refresh(cluster);
        const changed = remember(cluster, view);
        if (changed.applied) hub.changed({ what: "applied", clusters: [cluster.metadata.name] });
        if (changed.lock) hub.changed({ what: "lock", clusters: [cluster.metadata.name] });
      }),
    );
  };

  let fileTimer: NodeJS.Timeout | undefined;
  let stateTimer: NodeJS.Timeout | undefined;
  let statePolling = false;

  const app = new Hono<{ Variables: Variables }>();

  app.use("*", async (c, next) => {
    if (!hostAllowed(c.req.header("host"), options.host, options.boundPort?.() ?? options.port)) {
      return c.text("k2 ui answers only to its own address (Host header refused)", 403);
    }
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
  });

  app.get("/healthz", (c) => c.text("ok"));
  app.get("/assets/style.css", (c) => c.body(STYLESHEET, 200, { "Content-Type": "text/css; charset=utf-8" }));
  app.get("/assets/app.js", (c) => c.body(script, 200, { "Content-Type": "text/javascript; charset=utf-8" }));

  // Sessions: every browser gets one; with a token, it must sign in first.
  app.use("*", async (c, next) => {
    let session = sessions.get(cookieValue(c.req.header("cookie"), SESSION_COOKIE));
    if (!session) {
      session = sessions.create();
      const secure = c.req.header("x-forwarded-proto") === "https" ? "; Secure" : "";
      c.header("Set-Cookie", `${SESSION_COOKIE}=${session.id}; Path=/; HttpOnly; SameSite=Strict${secure}`);
    }
    const authorization = c.req.header("authorization");
    const bearer = options.authToken !== undefined && authorization?.startsWith("Bearer ") === true && sameSecret(authorization.slice(7), options.authToken);
    c.set("session", session);
    c.set("bearer", bearer);
    await next();
  });

  app.get("/login", (c) => c.html(loginPage(c.get("session")!.csrf, c.req.query("failed") !== undefined).text));
  app.post("/login", async (c) => {
    const form = await c.req.parseBody();
    const session = c.get("session")!;
    const csrf = typeof form.csrf === "string" ? form.csrf : undefined;
    if (!csrfValid(session, csrf) || !originAllowed(c.req.header("origin"), c.req.header("host"))) return c.text("refused: the sign-in form is stale (reload it)", 403);
    const token = typeof form.token === "string" ? form.token : "";
    if (options.authToken !== undefined && sameSecret(token, options.authToken)) {
      session.authenticated = true;
      return c.redirect("/", 303);
    }
    return c.redirect("/login?failed", 303);
  });

  app.use("*", async (c, next) => {
    const session = c.get("session");
    if (!c.get("bearer") && !session?.authenticated) {
      if (c.req.method === "GET" && !c.req.path.startsWith("/api/") && c.req.path !== "/events") return c.redirect("/login", 303);
      return c.json({ error: "sign in first: this k2 ui needs its access token" }, 401);
    }
    if (c.req.method !== "GET" && c.req.method !== "HEAD" && !c.get("bearer")) {
      if (!csrfValid(session, c.req.header(CSRF_HEADER)) || !originAllowed(c.req.header("origin"), c.req.header("host"))) {
        return c.json({ error: "refused: missing or wrong CSRF token (reload the page)" }, 403);
      }
    }
    await next();
  });

  const pageContext = (c: AppContext): PageContext => ({ csrf: c.get("session")?.csrf ?? "", sessionName: c.get("session")?.name ?? "api", directory: options.displayRoot ?? options.root });

  const rows = async () =>
    Promise.all(
      workspace.fleet().clusters.map(async (entry) => clusterRow(entry, await stateOf(entry.cluster))),
    );

  app.get("/", async (c) => c.html(overviewPage(await rows(), workspace.fleet().problems, pageContext(c)).text));
  app.get("/api/fleet", async (c) => c.json({ directory: options.displayRoot ?? options.root, clusters: await rows(), problems: workspace.fleet().problems }));

  app.get("/clusters/:name", async (c) => {
    const name = c.req.param("name");
    const entry = workspace.cluster(name);
    if (!entry) return c.html(notFoundPage(name, pageContext(c)).text, 404);
    const file = workspace.file(entry.file)!;
    const state = await stateOf(entry.cluster);
    const draft = evaluateDraft(workspace.fleet(), entry.file, name, file.text, state);
    return c.html(clusterPage({ row: clusterRow(entry, state), state, text: file.text, draft }, pageContext(c)).text);
  });

  app.post("/api/clusters/:name/draft", async (c) => {
    const name = c.req.param("name");
    const entry = workspace.cluster(name);
    if (!entry) return c.json({ error: `no cluster ${name}` }, 404);
    const body = await c.req.json<{ text?: unknown; field?: unknown; input?: unknown; baseHash?: unknown }>();
    if (typeof body.text !== "string") return c.json({ error: "text is required" }, 400);
    let text = body.text;
    let fieldError: { fieldId: string; message: string } | undefined;
    if (typeof body.field === "string" && typeof body.input === "string") {
      const edited = applyFormEdit(text, name, body.field, body.input);
      if (edited.ok) text = edited.text;
      else fieldError = { fieldId: edited.fieldId, message: edited.message };
    }
    const state = await stateOf(entry.cluster);
    const draft = evaluateDraft(workspace.fleet(), entry.file, name, text, state);
    const onDisk = workspace.file(entry.file);
    return c.json({
      text,
      hash: draft.hash,
      valid: draft.valid && fieldError === undefined,
      dirty: onDisk === undefined || draft.hash !== (typeof body.baseHash === "string" ? body.baseHash : onDisk.hash),
      fieldErrors: draft.fieldErrors,
      ...(fieldError ? { fieldError } : {}),
      fieldValues: Object.fromEntries(formFields(draft.form).map((field) => [field.id, field.text])),
      problemCount: draft.problems.length,
      formHtml: formHtml(draft.form, draft.fieldErrors).text,
      problemsHtml: problemsHtml(draft.problems).text,
      planHtml: planHtml(draft.plan, draft.planNote).text,
      listingHtml: listingHtml(text, draft.problems).text,
      ...(draft.plan ? { summary: draft.plan.summary } : {}),
    });
  });

  app.post("/api/clusters/:name/save", async (c) => {
    const name = c.req.param("name");
    const entry = workspace.cluster(name);
    if (!entry) return c.json({ error: `no cluster ${name}` }, 404);
    const body = await c.req.json<{ text?: unknown; baseHash?: unknown }>();
    if (typeof body.text !== "string" || typeof body.baseHash !== "string") return c.json({ error: "text and baseHash are required" }, 400);
    const state = await stateOf(entry.cluster);
    const draft = evaluateDraft(workspace.fleet(), entry.file, name, body.text, state);
    const by = c.get("session")?.name ?? "an API client";
    const result = saveSpecFile({
      absolutePath: workspace.absolutePath(entry.file),
      displayPath: entry.file,
      text: body.text,
      baseHash: body.baseHash,
      valid: draft.valid,
      by,
      ...(lastSaves.has(entry.file) ? { lastSave: lastSaves.get(entry.file)! } : {}),
    });
    if (!result.ok) return c.json({ error: result.message, reason: result.reason }, result.reason === "conflict" ? 409 : 422);
    lastSaves.set(entry.file, { hash: result.hash, by, at: new Date().toISOString().replace(/\.\d+Z$/, "Z") });
    pollFiles();
    const renamed = draft.entry?.name ?? name;
    return c.json({ saved: entry.file, hash: result.hash, cluster: renamed });
  });

  app.post("/api/clusters/:name/presence", async (c) => {
    const name = c.req.param("name");
    const body = await c.req.json<{ clientId?: unknown; editing?: unknown }>();
    if (typeof body.clientId !== "string" || body.clientId.length > 64 || typeof body.editing !== "boolean") return c.json({ error: "clientId and editing are required" }, 400);
    hub.setEditing(name, { clientId: body.clientId, name: c.get("session")?.name ?? "an API client" }, body.editing);
    return c.json({ editors: hub.editors(name) });
  });

  app.get("/api/clusters/:name/fragments", async (c) => {
    const name = c.req.param("name");
    const entry = workspace.cluster(name);
    if (!entry) return c.json({ error: `no cluster ${name}` }, 404);
    const state = await stateOf(entry.cluster);
    const file = workspace.file(entry.file)!;
    return c.json({ statusHtml: statusHtml(clusterRow(entry, state), state).text, historyHtml: historyHtml(state).text, hash: file.hash, text: file.text });
  });

  app.get("/events", (c) => {
    const cluster = c.req.query("cluster");
    const clientId = (c.req.query("client") ?? "").slice(0, 64);
    return streamSSE(c, async (stream) => {
      let unsubscribe = (): void => undefined;
      const closed = new Promise<void>((resolve) => {
        stream.onAbort(() => {
          unsubscribe();
          resolve();
        });
      });
      unsubscribe = hub.subscribe({
        clientId,
        ...(cluster ? { cluster } : {}),
        send: (event) => {
          void stream.writeSSE({ event: event.event, data: JSON.stringify(event.data) });
        },
      });
      await stream.writeSSE({ event: "hello", data: JSON.stringify({ clientId }) });
      const open = (): boolean => !stream.aborted;
      while (open()) {
        await Promise.race([stream.sleep(15_000), closed]);
        if (open()) await stream.writeSSE({ event: "ping", data: "" });
      }
    });
  });

  return {
    app,
    hub,
    workspace,
    states,
    async poll() {
      pollFiles();
      await pollStates();
    },
    startWatching() {
      fileTimer = setInterval(pollFiles, options.fileIntervalMs ?? 1000);
      const stateTick = (): void => {
        if (statePolling) return;
        statePolling = true;
        void pollStates().finally(() => {
          statePolling = false;
        });
      };
      stateTick();
      stateTimer = setInterval(stateTick, options.stateIntervalMs ?? 5000);
    },
    stopWatching() {
      if (fileTimer) clearInterval(fileTimer);
      if (stateTimer) clearInterval(stateTimer);
    },
  };
}

export interface RunningUi {
  readonly url: string;
  readonly port: number;
  readonly ui: UiApp;
  close(): Promise<void>;
}

/** Starts the server; resolves once it listens. */
export function startUiServer(options: UiServerOptions): Promise<RunningUi> {
  let boundPort = options.port;
  const ui = createUiApp({ ...options, boundPort: () => boundPort });
  return new Promise((resolve, reject) => {
    let server: ServerType | undefined = undefined;
    const onError = (error: Error): void => {
      reject(error);
    };
    server = serve({ fetch: ui.app.fetch, hostname: options.host, port: options.port }, (info) => {
      boundPort = info.port;
      server!.off("error", onError);
      ui.startWatching();
      const host = options.host.includes(":") ? `[${options.host}]` : options.host;
      resolve({
        url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${info.port}/`,
        port: info.port,
        ui,
        close: () =>
          new Promise<void>((done) => {
            ui.stopWatching();
            const http = server as unknown as { close(callback: () => void): void; closeAllConnections?: () => void };
            http.close(() => {
              done();
            });
            http.closeAllConnections?.();
          }),
      });
    });
    server.on("error", onError);
  });
}
