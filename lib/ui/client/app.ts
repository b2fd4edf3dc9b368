/**
 * The browser side of `k2 ui`: live updates over server-sent events, and on a cluster page the
 * editor: every change goes to the server, which checks it with the spec's schema and rules,
 * plans it with `k2 plan`'s engine and sends back the fragments to show. Nothing is decided here.
 */

interface DraftResponse {
  readonly text: string;
  readonly hash: string;
  readonly valid: boolean;
  readonly dirty: boolean;
  readonly fieldErrors: Readonly<Record<string, readonly string[]>>;
  readonly fieldError?: { readonly fieldId: string; readonly message: string };
  readonly fieldValues: Readonly<Record<string, string>>;
  readonly formHtml: string;
  readonly problemsHtml: string;
  readonly planHtml: string;
  readonly listingHtml: string;
  readonly error?: string;
}

interface ChangeNotice {
  readonly what: "spec" | "applied" | "lock";
  readonly clusters: readonly string[];
}

interface Editor {
  readonly clientId: string;
  readonly name: string;
  readonly since: string;
}

function meta(name: string): string | undefined {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content;
}

function element<T extends HTMLElement>(id: string): T | null {
  return document.getElementById(id) as T | null;
}

const csrf = meta("k2-csrf") ?? "";
const cluster = meta("k2-cluster");
const clientId = sessionStorage.getItem("k2-client-id") ?? crypto.randomUUID();
sessionStorage.setItem("k2-client-id", clientId);

async function post(path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify(body), credentials: "same-origin" });
  let parsed: unknown;
  try {
    parsed = await response.json();
  } catch {
    parsed = { error: `the server answered ${response.status}` };
  }
  return { status: response.status, body: parsed };
}

function time(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString();
}

/** Replaces <main> with the server's current version of this page. */
async function refreshMain(): Promise<void> {
  const response = await fetch(location.href, { credentials: "same-origin" });
  if (!response.ok) return;
  const next = new DOMParser().parseFromString(await response.text(), "text/html").querySelector("main");
  const main = document.querySelector("main");
  if (next && main) main.innerHTML = next.innerHTML;
}

class ClusterEditor {
  private baseHash: string;
  private savedText: string;
  private dirty = false;
  private valid = true;
  private sequence = 0;
  private applied = 0;
  private readonly localErrors = new Map<string, string>();
  private timers = new Map<string, number>();
  private presenceSent = false;

  constructor(
    private readonly name: string,
    private readonly root: HTMLElement,
  ) {
    this.baseHash = root.dataset.baseHash ?? "";
    this.savedText = this.yaml.value;
    this.bind();
  }

  private get yaml(): HTMLTextAreaElement {
    return element<HTMLTextAreaElement>("yaml")!;
  }

  private bind(): void {
    element("form-fields")?.addEventListener("input", (event) => {
      const target = event.target as HTMLInputElement | HTMLTextAreaElement;
      const field = target.dataset.field;
      if (field !== undefined) this.schedule(field, () => this.evaluate({ field, input: target.value }));
    });
    element("edit-form")?.addEventListener("submit", (event) => {
      event.preventDefault();
    });
    this.yaml.addEventListener("input", () => {
      this.schedule("yaml", () => this.evaluate({}));
    });
    element<HTMLButtonElement>("save")?.addEventListener("click", () => void this.save());
    element<HTMLButtonElement>("discard")?.addEventListener("click", () => {
      this.yaml.value = this.savedText;
      this.localErrors.clear();
      void this.evaluate({});
    });
    window.addEventListener("beforeunload", (event) => {
      if (this.dirty) event.preventDefault();
    });
  }

  private schedule(key: string, run: () => Promise<void>): void {
    window.clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      window.setTimeout(() => void run(), 250),
    );
  }

  /** Sends the draft (and what was typed into a field) to the server, and shows what it says. */
  async evaluate(change: { field?: string; input?: string }): Promise<void> {
    const sequence = ++this.sequence;
    const answer = await post(`/api/clusters/${encodeURIComponent(this.name)}/draft`, { text: this.yaml.value, baseHash: this.baseHash, ...change });
    const status = answer.status;
    const body = answer.body as DraftResponse;
    if (status !== 200) {
      this.status(body.error ?? `the server answered ${status}`, true);
      return;
    }
    if (sequence < this.applied) return;
    this.applied = sequence;
    if (change.field !== undefined) {
      if (body.fieldError) this.localErrors.set(change.field, body.fieldError.message);
      else this.localErrors.delete(change.field);
      if (this.yaml.value !== body.text && document.activeElement !== this.yaml) this.yaml.value = body.text;
    } else {
      this.localErrors.clear();
    }
    this.showForm(body, change.field === undefined);
    element("validity")!.innerHTML = body.problemsHtml;
    element("plan")!.innerHTML = body.planHtml;
    element("listing")!.innerHTML = body.listingHtml;
    this.valid = body.valid && this.localErrors.size === 0;
    if (this.localErrors.size > 0) {
      const note = document.createElement("p");
      note.className = "bad";
      note.textContent = `${this.localErrors.size} field${this.localErrors.size === 1 ? "" : "s"} cannot be read: saving is disabled.`;
      element("validity")!.append(note);
    }
    this.setDirty(body.dirty);
  }

  private showForm(body: DraftResponse, fromYaml: boolean): void {
    const container = element("form-fields")!;
    const present = [...container.querySelectorAll<HTMLElement>("[data-field]")].map((input) => input.dataset.field ?? "");
    const wanted = Object.keys(body.fieldValues);
    if (fromYaml && (present.length !== wanted.length || present.some((id, index) => id !== wanted[index]))) {
      container.innerHTML = body.formHtml;
      return;
    }
    for (const input of container.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>("[data-field]")) {
      const id = input.dataset.field ?? "";
      if (fromYaml && document.activeElement !== input && body.fieldValues[id] !== undefined) input.value = body.fieldValues[id];
      const errors = [...(body.fieldErrors[id] ?? []), ...(this.localErrors.has(id) ? [this.localErrors.get(id)!] : [])];
      input.setAttribute("aria-invalid", errors.length > 0 ? "true" : "false");
      const message = container.querySelector<HTMLElement>(`[data-field-error="${CSS.escape(id)}"]`);
      if (message) message.textContent = errors.join("; ");
    }
  }

  private setDirty(dirty: boolean): void {
    this.dirty = dirty;
    element<HTMLButtonElement>("save")!.disabled = !(dirty && this.valid);
    element<HTMLButtonElement>("discard")!.disabled = !dirty;
    if (dirty !== this.presenceSent) {
      this.presenceSent = dirty;
      void post(`/api/clusters/${encodeURIComponent(this.name)}/presence`, { clientId, editing: dirty });
    }
  }

  private status(message: string, error: boolean): void {
    const status = element("save-status")!;
    status.textContent = message;
    status.className = error ? "bad" : "ok";
    status.setAttribute("role", error ? "alert" : "status");
  }

  async save(): Promise<void> {
    const text = this.yaml.value;
    const answer = await post(`/api/clusters/${encodeURIComponent(this.name)}/save`, { text, baseHash: this.baseHash });
    const status = answer.status;
    const body = answer.body as { hash?: string; saved?: string; cluster?: string; error?: string };
    if (status === 200 && body.hash !== undefined) {
      this.baseHash = body.hash;
      this.savedText = text;
      this.root.dataset.baseHash = body.hash;
      this.status(`Saved ${body.saved ?? "the file"} at ${new Date().toLocaleTimeString()}.`, false);
      element("external")!.hidden = true;
      this.setDirty(false);
      if (body.cluster !== undefined && body.cluster !== this.name) location.href = `/clusters/${encodeURIComponent(body.cluster)}`;
      return;
    }
    this.status(body.error ?? `Not saved: the server answered ${status}.`, true);
  }

  /** Something changed on the server: the file, the applied spec or the lock. */
  async onChange(notice: ChangeNotice): Promise<void> {
    const response = await fetch(`/api/clusters/${encodeURIComponent(this.name)}/fragments`, { credentials: "same-origin" });
    if (!response.ok) return;
    const fragments = (await response.json()) as { statusHtml: string; historyHtml: string; hash: string; text: string };
    element("status")!.innerHTML = fragments.statusHtml;
    element("history")!.innerHTML = fragments.historyHtml;
    if (notice.what === "spec" && fragments.hash !== this.baseHash) {
      const external = element("external")!;
      if (this.dirty) {
        external.textContent = "This file was changed (by another admin, or on disk) since you loaded it. Your edits are unsaved and saving them will be refused: copy what you need, then reload.";
        external.hidden = false;
        return;
      }
      this.baseHash = fragments.hash;
      this.savedText = fragments.text;
      this.root.dataset.baseHash = fragments.hash;
      this.yaml.value = fragments.text;
      external.textContent = "The file was changed elsewhere: this page shows its new content.";
      external.hidden = false;
    }
    await this.evaluate({});
  }
}

function showPresence(editors: readonly Editor[]): void {
  const banner = element("presence");
  if (!banner) return;
  const others = editors.filter((editor) => editor.clientId !== clientId);
  banner.hidden = others.length === 0;
  banner.textContent =
    others.length === 0
      ? ""
      : `${others.map((editor) => `${editor.name} (since ${time(editor.since)})`).join(", ")} ${others.length === 1 ? "has" : "have"} unsaved edits to this cluster. The first save wins; a later save of an older version is refused, never merged silently.`;
}

function connect(editor: ClusterEditor | undefined): void {
  const live = element("live");
  const source = new EventSource(`/events?client=${encodeURIComponent(clientId)}${cluster === undefined ? "" : `&cluster=${encodeURIComponent(cluster)}`}`);
  source.addEventListener("open", () => {
    if (live) {
      live.dataset.state = "live";
      live.textContent = "live";
    }
  });
  source.addEventListener("error", () => {
    if (live) {
      live.dataset.state = "offline";
      live.textContent = "reconnecting…";
    }
  });
  source.addEventListener("changed", (event) => {
    const notice = JSON.parse((event as MessageEvent<string>).data) as ChangeNotice;
    if (editor) {
      if (cluster !== undefined && notice.clusters.includes(cluster)) void editor.onChange(notice);
    } else {
      void refreshMain();
    }
  });
  source.addEventListener("presence", (event) => {
    const data = JSON.parse((event as MessageEvent<string>).data) as { editors: Editor[] };
    showPresence(data.editors);
  });
}

const root = element("editor");
const editor = root && cluster !== undefined ? new ClusterEditor(cluster, root) : undefined;
connect(editor);
