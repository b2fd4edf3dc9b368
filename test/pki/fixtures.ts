/** Shared fixtures for the PKI tests: temp files, and the real openssl binary (required, never skipped). */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";

export interface ToolResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a real binary; fails the test (never skips) when it is not installed. */
export function runTool(command: string, args: readonly string[], input?: string | Buffer): ToolResult & { readonly stdoutBytes: Buffer } {
  const result = spawnSync(command, args, { input, maxBuffer: 16 * 1024 * 1024 });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === "ENOENT";
    throw new Error(
      missing
        ? `${command} is not on PATH: the PKI tests check certificates with the real ${command} binary, install it (e.g. apt-get install ${command === "sha256sum" ? "coreutils" : command})`
        : `${command} ${args.join(" ")} could not run: ${result.error.message}`,
    );
  }
  return { status: result.status, stdout: result.stdout.toString("utf8"), stderr: result.stderr.toString("utf8"), stdoutBytes: result.stdout };
}

export function openssl(args: readonly string[], input?: string | Buffer): ToolResult & { readonly stdoutBytes: Buffer } {
  return runTool("openssl", args, input);
}

/** Runs openssl and asserts it succeeded, showing its stderr when it did not. */
export function opensslOk(args: readonly string[], input?: string | Buffer): ToolResult & { readonly stdoutBytes: Buffer } {
  const result = openssl(args, input);
  expect(result.status, `openssl ${args.join(" ")} failed:\n${result.stderr}${result.stdout}`).toBe(0);
  return result;
}

/** A temp directory for PEM files; call `remove()` in afterAll. */
export class TempFiles {
  readonly directory = mkdtempSync(join(tmpdir(), "kraken-pki-"));

  /** Writes `content` to `name` in the temp directory and returns its path. */
  write(name: string, content: string | Uint8Array): string {
    const path = join(this.directory, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  }

  path(name: string): string {
    return join(this.directory, name);
  }

  remove(): void {
    rmSync(this.directory, { recursive: true, force: true });
  }
}

/**
 * A CA made by openssl itself (not by our code): self-signed, CA:TRUE, SKI and AKI from openssl's v3_ca defaults.
 * `keyAlgorithm` picks openssl's -newkey argument.
 */
export function opensslCertificateAuthority(files: TempFiles, name: string, keyAlgorithm: "ec" | "rsa"): { certificatePem: string; privateKeyPem: string } {
  const keyPath = files.path(`${name}.key`);
  const certificatePath = files.path(`${name}.pem`);
  const newKey = keyAlgorithm === "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] : ["-newkey", "rsa:2048"];
  opensslOk(["req", "-x509", ...newKey, "-nodes", "-keyout", keyPath, "-out", certificatePath, "-subj", `/CN=${name}`, "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"]);
  return { certificatePem: opensslOk(["x509", "-in", certificatePath]).stdout, privateKeyPem: opensslOk(["pkey", "-in", keyPath]).stdout };
}
