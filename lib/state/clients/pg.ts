import type { Client } from "pg";
import { describeBackend, WORKSPACE, type StateBackendConfig } from "../backend";
import type { LockStatus } from "../lock";
import { StateAccessError, type StateClient } from "./client";

/** Terraform's pg backend locks the workspace's row id, or -1 while it creates the workspace. */
const CREATION_LOCK = "-1";

interface LockRow {
  readonly pid: number;
  readonly lock_key: string;
  readonly usename: string | null;
  readonly application_name: string | null;
  readonly client_addr: string | null;
  readonly backend_start: Date | null;
  readonly xact_start: Date | null;
  readonly query_start: Date | null;
  readonly state: string | null;
  readonly query: string | null;
}

/**
 * The pg backend: the state in <schema>.states, and the lock as a PostgreSQL advisory lock on
 * the workspace's row id, which pg_locks and pg_stat_activity tell about: which session holds
 * it, from where, since when. It has no record of who ran Terraform for what operation: set
 * PGAPPNAME (for example to $USER@$HOSTNAME) to see it as the session's application name.
 */
export class PgStateClient implements StateClient {
  readonly description: string;
  private client?: Client;

  constructor(
    private readonly backend: Extract<StateBackendConfig, { type: "pg" }>,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.description = describeBackend(backend);
  }

  private async connect(): Promise<Client> {
    if (this.client) return this.client;
    const connectionString = this.env[this.backend.connStrEnv];
    if (!connectionString) throw new StateAccessError(`$${this.backend.connStrEnv} is not set: it holds the PostgreSQL connection string of the state (spec.state.pg.connStrEnv)`);
    const { Client: PgClient } = await import("pg");
    const client = new PgClient({ connectionString, application_name: "k2", connectionTimeoutMillis: 10_000 });
    try {
      await client.connect();
    } catch (error) {
      throw new StateAccessError(`cannot connect to the state's PostgreSQL ($${this.backend.connStrEnv}): ${(error as Error).message}`, { cause: error });
    }
    this.client = client;
    return client;
  }

  private table(client: Client): string {
    return `${client.escapeIdentifier(this.backend.schemaName)}.states`;
  }

  async readState(): Promise<string | undefined> {
    const client = await this.connect();
    const exists = await client.query<{ found: boolean }>("SELECT to_regclass($1) IS NOT NULL AS found", [`${this.backend.schemaName}.states`]);
    if (!exists.rows[0]?.found) return undefined;
    const result = await client.query<{ data: string }>(`SELECT data FROM ${this.table(client)} WHERE name = $1`, [WORKSPACE]);
    return result.rows[0]?.data;
  }

  private async lockRows(): Promise<LockRow[]> {
    const client = await this.connect();
    const exists = await client.query<{ found: boolean }>("SELECT to_regclass($1) IS NOT NULL AS found", [`${this.backend.schemaName}.states`]);
    const keys = [CREATION_LOCK];
    if (exists.rows[0]?.found) {
      const row = await client.query<{ id: string }>(`SELECT id::text AS id FROM ${this.table(client)} WHERE name = $1`, [WORKSPACE]);
      if (row.rows[0]) keys.push(row.rows[0].id);
    }
    // A bigint advisory key shows in pg_locks as classid (high 32 bits) and objid (low 32 bits).
    const result = await client.query<LockRow>(
      `SELECT l.pid, ((l.classid::bigint << 32) | l.objid::bigint)::text AS lock_key, a.usename, a.application_name,
              host(a.client_addr) AS client_addr, a.backend_start, a.xact_start, a.query_start, a.state, left(a.query, 200) AS query
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.pid <> pg_backend_pid()
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND ((l.classid::bigint << 32) | l.objid::bigint)::text = ANY($1)`,
      [keys],
    );
    return result.rows;
  }

  async lockStatus(): Promise<LockStatus> {
    const [row] = await this.lockRows();
    if (!row) return { backend: this.description, locked: false };
    const user = [row.usename ?? "?", row.client_addr ? `from ${row.client_addr}` : "on the database host"].join(" ");
    const details: Record<string, string> = { "postgres pid": String(row.pid), "database user": row.usename ?? "" };
    if (row.client_addr) details["client address"] = row.client_addr;
    if (row.application_name) details.application = row.application_name;
    if (row.backend_start) details["connected since"] = row.backend_start.toISOString();
    if (row.state) details["session state"] = row.state;
    if (row.query) details["last query"] = row.query;
    if (row.lock_key === CREATION_LOCK) details.lock = "workspace creation lock";
    // PostgreSQL does not record when an advisory lock was taken: the holder's transaction or connection start is the closest.
    const since = row.xact_start ?? row.backend_start;
    return {
      backend: this.description,
      locked: true,
      holder: {
        id: `pg:${row.pid}`,
        who: row.application_name ? `${row.application_name} (${user})` : user,
        ...(since ? { since: since.toISOString() } : {}),
        details,
      },
    };
  }

  async unlock(lockId: string): Promise<string> {
    const match = /^pg:([0-9]+)$/.exec(lockId);
    if (!match) throw new StateAccessError(`a pg lock id is pg:<pid> (k2 state lock-info shows it), got ${JSON.stringify(lockId)}`);
    const pid = Number(match[1]);
    const rows = await this.lockRows();
    if (!rows.some((row) => row.pid === pid)) {
      throw new StateAccessError(rows.length === 0 ? "the state is not locked" : `the lock is held by session pg:${rows[0]!.pid}, not ${lockId}`);
    }
    const client = await this.connect();
    const result = await client.query<{ done: boolean }>("SELECT pg_terminate_backend($1) AS done", [pid]);
    if (!result.rows[0]?.done) throw new StateAccessError(`PostgreSQL did not end session ${pid} (the database user may lack the right: pg_signal_backend)`);
    return `ended PostgreSQL session ${pid}; its advisory lock is released`;
  }

  async close(): Promise<void> {
    await this.client?.end();
    this.client = undefined;
  }
}
