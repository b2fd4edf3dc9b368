/**
 * Real etcd for tests: members started as processes on loopback from kraken's rendered
 * configuration, and etcdctl against them. A missing binary is an error, never a skip.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

export function requireBinary(name: string, packageName: string): string {
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  if (found.status !== 0) throw new Error(`${name} is not on PATH: install Debian's ${packageName} (apt-get install -y ${packageName}); .ci/run does`);
  return found.stdout.trim();
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** KEY='value' lines (as kraken renders them) into an object. */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z_][A-Z0-9_]*)='(.*)'$/.exec(line);
    if (match) values[match[1]!] = match[2]!;
  }
  return values;
}

export interface RunningMember {
  readonly name: string;
  readonly process: ChildProcess;
  readonly log: string[];
}

/** Starts etcd with exactly the given ETCD_* environment (nothing else of the test's environment). */
export function startMember(name: string, environment: Record<string, string>): RunningMember {
  const log: string[] = [];
  const child = spawn("etcd", [], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...environment }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (chunk: Buffer) => log.push(chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => log.push(chunk.toString("utf8")));
  return { name, process: child, log };
}

export async function stopMember(member: RunningMember): Promise<void> {
  if (member.process.exitCode !== null || member.process.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => {
    member.process.once("exit", () => {
      resolve();
    });
  });
  member.process.kill("SIGTERM");
  const timer = setTimeout(() => member.process.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

export interface EtcdctlResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a bash script (etcdctl commands) without blocking the event loop. */
export function bash(script: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<EtcdctlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", script], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
