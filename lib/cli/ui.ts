/**
 * `k2 ui [DIR]`: the web UI for the spec files under DIR. Loopback by default; any other address
 * needs an access token, since the UI can write spec files.
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { AuthConfigError, isLoopbackHost, MIN_TOKEN_LENGTH, readAuthToken } from "../ui/security";
import { EXIT, UserError } from "./errors";
import type { CommandIo } from "./spec-input";
import { styleFor } from "./style";

export interface UiCommandOptions {
  readonly port: string;
  readonly host: string;
  readonly authTokenFile?: string;
  readonly stateInterval: string;
  readonly format: "text" | "json";
}

function parseInteger(text: string, option: string, min: number, max: number): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) throw new UserError(`${option} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`, EXIT.usage);
  return value;
}

/** Checks the options; throws UserError (exit 2) on what cannot run. */
export function checkUiOptions(directory: string | undefined, options: UiCommandOptions): { root: string; port: number; authToken?: string; stateIntervalMs: number } {
  const root = resolve(directory ?? ".");
  let isDirectory: boolean;
  try {
    isDirectory = statSync(root).isDirectory();
  } catch {
    throw new UserError(`${directory ?? root}: no such directory`, EXIT.usage);
  }
  if (!isDirectory) throw new UserError(`${directory ?? root} is not a directory: give the directory that holds the spec files`, EXIT.usage);
  const port = parseInteger(options.port, "--port", 0, 65535);
  const stateIntervalMs = parseInteger(options.stateInterval, "--state-interval", 1, 3600) * 1000;
  let authToken: string | undefined;
  if (options.authTokenFile !== undefined) {
    try {
      authToken = readAuthToken(options.authTokenFile);
    } catch (error) {
      if (error instanceof AuthConfigError) throw new UserError(error.message, EXIT.usage);
      throw error;
    }
  }
  if (!isLoopbackHost(options.host) && authToken === undefined) {
    throw new UserError(`--host ${options.host} makes the UI reachable from other machines, and it can write spec files: give --auth-token-file FILE (a token of ${MIN_TOKEN_LENGTH}+ characters, e.g. a mounted Secret), or keep the default --host 127.0.0.1`, EXIT.usage);
  }
  return { root, port, ...(authToken === undefined ? {} : { authToken }), stateIntervalMs };
}

export async function uiCommand(directory: string | undefined, options: UiCommandOptions, io: CommandIo = process): Promise<number> {
  const checked = checkUiOptions(directory, options);
  const { startUiServer } = await import("../ui/server.js");
  const { Workspace } = await import("../ui/workspace.js");
  const found = new Workspace(checked.root);
  found.refresh();
  if (found.fleet().files.length === 0) throw new UserError(`no spec files under ${directory ?? checked.root} (YAML or JSON files with a kraken.dev apiVersion)`, EXIT.problems);
  let running;
  try {
    running = await startUiServer({ root: checked.root, displayRoot: directory ?? ".", host: options.host, port: checked.port, stateIntervalMs: checked.stateIntervalMs, ...(checked.authToken === undefined ? {} : { authToken: checked.authToken }) });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new UserError(`port ${checked.port} on ${options.host} is in use: choose another with --port (0 picks a free one)`, EXIT.usage);
    if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") throw new UserError(`cannot listen on ${options.host}: not an address of this machine`, EXIT.usage);
    if (code === "EACCES") throw new UserError(`not allowed to listen on port ${checked.port} (ports below 1024 need privileges)`, EXIT.usage);
    throw error;
  }
  const clusters = found.fleet().clusters.length;
  if (options.format === "json") {
    io.stdout.write(`${JSON.stringify({ url: running.url, host: options.host, port: running.port, directory: checked.root, clusters, auth: checked.authToken === undefined ? "none" : "token" })}\n`);
  } else {
    const style = styleFor(io.stdout);
    io.stdout.write(`${style.green("k2 ui")} serving ${clusters} cluster${clusters === 1 ? "" : "s"} from ${checked.root}\n  ${style.bold(running.url)}${options.host === "0.0.0.0" ? ` (listening on all addresses, port ${running.port})` : ""}\n  Ctrl-C stops it.\n`);
  }
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      void running.close().then(done);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  return EXIT.ok;
}
