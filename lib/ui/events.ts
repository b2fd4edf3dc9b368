/**
 * Live updates for every open page: a hub that pushes server-sent events to the browsers, and
 * who is editing which cluster with unsaved changes (presence), so that admins know of each other.
 */

export interface UiEvent {
  readonly event: "changed" | "presence";
  readonly data: unknown;
}

export interface Subscriber {
  /** The browser tab: a random id its page made. */
  readonly clientId: string;
  /** The cluster its page shows, if any. */
  readonly cluster?: string;
  send(event: UiEvent): void;
}

export interface Editor {
  readonly clientId: string;
  readonly name: string;
  /** ISO time the unsaved edits began. */
  readonly since: string;
}

/** What changed: a spec file, a cluster's applied spec, or its lock. */
export interface ChangeNotice {
  readonly what: "spec" | "applied" | "lock";
  readonly clusters: readonly string[];
  readonly files?: readonly string[];
}

export class EventHub {
  private readonly subscribers = new Set<Subscriber>();
  /** cluster → clientId → editor */
  private readonly editing = new Map<string, Map<string, Editor>>();

  subscribe(subscriber: Subscriber): () => void {
    this.subscribers.add(subscriber);
    if (subscriber.cluster !== undefined) subscriber.send({ event: "presence", data: this.presenceOf(subscriber.cluster) });
    return () => {
      this.subscribers.delete(subscriber);
      // A closed tab has no unsaved edits any more, unless it is open elsewhere under the same id.
      if (![...this.subscribers].some((other) => other.clientId === subscriber.clientId)) {
        for (const [cluster, editors] of this.editing) {
          if (editors.delete(subscriber.clientId)) this.publishPresence(cluster);
        }
      }
    };
  }

  get size(): number {
    return this.subscribers.size;
  }

  changed(notice: ChangeNotice): void {
    for (const subscriber of this.subscribers) subscriber.send({ event: "changed", data: notice });
  }

  /** Records that a tab has (or no longer has) unsaved edits of a cluster. */
  setEditing(cluster: string, editor: Omit<Editor, "since">, editing: boolean): void {
    const editors = this.editing.get(cluster) ?? new Map<string, Editor>();
    const had = editors.get(editor.clientId);
    if (editing) editors.set(editor.clientId, { ...editor, since: had?.since ?? new Date().toISOString() });
    else editors.delete(editor.clientId);
    this.editing.set(cluster, editors);
    if (Boolean(had) !== editing || had?.name !== editor.name) this.publishPresence(cluster);
  }

  editors(cluster: string): Editor[] {
    return [...(this.editing.get(cluster)?.values() ?? [])];
  }

  private presenceOf(cluster: string): { cluster: string; editors: Editor[] } {
    return { cluster, editors: this.editors(cluster) };
  }

  private publishPresence(cluster: string): void {
    const data = this.presenceOf(cluster);
    for (const subscriber of this.subscribers) {
      if (subscriber.cluster === cluster) subscriber.send({ event: "presence", data });
    }
  }
}
