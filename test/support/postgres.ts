/**
 * A real PostgreSQL server for tests: a fresh cluster in a temp directory, on loopback and a free
 * port, stopped afterwards. Missing binaries are an error (CI installs Debian's postgresql).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./etcd";

export interface RunningPostgres {
  readonly port: number;
  /** postgres://postgres@127.0.0.1:<port>/<database>?sslmode=disable */
  connectionString(database?: string): string;
  psql(sql: string, database?: string): string;
  stop(): void;
}

function binDirectory(): string {
  const fromConfig = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  if (fromConfig.status === 0 && existsSync(join(fromConfig.stdout.trim(), "initdb"))) return fromConfig.stdout.trim();
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((version) => existsSync(join(root, version, "bin", "initdb"))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error("PostgreSQL's initdb is not installed: apt-get install -y postgresql (.ci/run does)");
  return join(root, versions[0]!, "bin");
}

export async function startPostgres(): Promise<RunningPostgres> {
  const bin = binDirectory();
  const port = await freePort();
  const root = mkdtempSync(join(tmpdir(), "k2-pg-"));
  const data = join(root, "data");
  // initdb refuses to run as root: run the server as the postgres user, which must own the directory.
  const asRoot = process.getuid?.() === 0;
  const postgresUser = asRoot ? Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim()) : undefined;
  if (postgresUser !== undefined) chownSync(root, postgresUser, Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim()));
  const run = (command: string, args: string[]): string => {
    const line = [join(bin, command), ...args].map((part) => `'${part.replace(/'/g, "'\\''")}'`).join(" ");
    return asRoot ? execFileSync("su", ["postgres", "-s", "/bin/sh", "-c", line], { encoding: "utf8", stdio: "pipe" }) : execFileSync(join(bin, command), args, { encoding: "utf8", stdio: "pipe" });
  };
  run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  run("pg_ctl", ["-D", data, "-l", join(root, "server.log"), "-w", "-t", "60", "-o", `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off`, "start"]);
  const psql = (sql: string, database = "postgres"): string =>
    execFileSync(join(bin, "psql"), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql], { encoding: "utf8" });
  psql("CREATE DATABASE kraken");
  return {
    port,
    connectionString: (database = "kraken") => `postgres://postgres@127.0.0.1:${port}/${database}?sslmode=disable`,
    psql,
    stop: () => {
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
