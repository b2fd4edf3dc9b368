/**
 * terraformText / terraformGzipBase64Text: long text for Terraform that may hold references.
 * Checked on the synthesized JSON, and by real Terraform, which is the authority on what a
 * string in a .tf.json file means.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { TerraformOutput, TerraformVariable, Testing } from "cdktf";
import type { Construct } from "constructs";
import { afterAll, describe, expect, it } from "vitest";
import { terraformGzipBase64Text, terraformText } from "../../constructs/terraform-text";
import { decodeTerraformText, decodeUserData } from "./fixtures";

/** Everything Terraform or YAML might read as syntax: template starts, escapes, quotes, newlines. */
const TRICKY = 'if [ "${HOME}" ]; then echo %{ if x } \\n \\\\ \'single\' "double"; fi\n$${already} %%{escaped}\n\ttab — ünïcode\n';

interface OutputsOnly {
  readonly output: Record<string, { readonly value: string }>;
}

/** Synthesizes outputs built from a `host` variable's token; returns the JSON and its text. */
function synthOutputs(build: (host: string) => Record<string, string>): { json: OutputsOnly; text: string } {
  const text = Testing.synthScope((scope: Construct) => {
    const host = new TerraformVariable(scope, "host", { type: "string" }).stringValue;
    for (const [name, value] of Object.entries(build(host))) new TerraformOutput(scope, name, { value });
  });
  return { json: JSON.parse(text) as OutputsOnly, text };
}

describe("terraformText", () => {
  it("returns text without references or template syntax as it is", () => {
    const text = "#cloud-config\nwrite_files: []\nrun: echo plain 'quoted' \"double\"\n";
    expect(terraformText(text)).toBe(text);
  });

  it("turns text with a reference into a join of base64decode literals and the reference, literals intact", () => {
    // GIVEN tricky text around a token / WHEN synthesized
    const { json } = synthOutputs((host) => ({ mixed: terraformText(`${TRICKY}endpoint: ${host}:6443\n${TRICKY}`), alone: terraformText(host) }));

    // THEN Terraform gets join("", [base64decode(...), var.host, base64decode(...)])
    const mixed = json.output.mixed!.value;
    expect(mixed).toMatch(/^\$\{join\("", \[base64decode\("[A-Za-z0-9+/=]+"\), var\.host, base64decode\("[A-Za-z0-9+/=]+"\)\]\)\}$/);
    // AND the literal parts decode to exactly the text around the reference
    expect(decodeTerraformText(mixed)).toBe(`${TRICKY}endpoint: \${var.host}:6443\n${TRICKY}`);
    // A reference alone needs no literal part.
    expect(decodeTerraformText(json.output.alone!.value)).toBe("${var.host}");
  });

  it("does not hand Terraform literal ${ or %{ as template syntax when the text has no reference", () => {
    const { json } = synthOutputs(() => ({ literal: terraformText(TRICKY) }));
    const value = json.output.literal!.value;
    // Either escaped ($${, %%{) or carried in base64decode literals: never a bare template start.
    if (!value.startsWith("${join(") && !value.startsWith("${base64decode(")) expect(value).not.toMatch(/(^|[^$])\$\{|(^|[^%])%\{/);
    expect(decodeTerraformText(value)).toBe(TRICKY);
  });
});

describe("terraformGzipBase64Text", () => {
  it("gzips and base64-encodes text without references, which round-trips", () => {
    const value = terraformGzipBase64Text(TRICKY);
    expect(value).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(gunzipSync(Buffer.from(value, "base64")).toString("utf8")).toBe(TRICKY);
  });

  it("wraps text with a reference in base64gzip(join(...)), literals intact", () => {
    const { json } = synthOutputs((host) => ({ userData: terraformGzipBase64Text(`${TRICKY}${host}${TRICKY}`) }));
    const value = json.output.userData!.value;
    expect(value).toMatch(/^\$\{base64gzip\(join\("", \[base64decode\("[^"]+"\), var\.host, base64decode\("[^"]+"\)\]\)\)\}$/);
    expect(decodeUserData(value)).toBe(`${TRICKY}\${var.host}${TRICKY}`);
  });
});

describe("terraformText read by real Terraform", () => {
  const directories: string[] = [];
  afterAll(() => {
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  /** Applies an outputs-only configuration with host=api.example.com and returns the outputs' values. */
  function applyWithTerraform(configuration: string): Record<string, string> {
    const directory = mkdtempSync(join(tmpdir(), "kraken-terraform-text-"));
    directories.push(directory);
    writeFileSync(join(directory, "main.tf.json"), configuration);
    const run = (args: readonly string[]): string => {
      const result = spawnSync("terraform", args, { cwd: directory, encoding: "utf8", env: { ...process.env, TF_IN_AUTOMATION: "1", NO_COLOR: "1" } });
      if (result.error) {
        throw new Error(
          (result.error as NodeJS.ErrnoException).code === "ENOENT"
            ? "terraform is not on PATH: this test checks what Terraform makes of the text with the real binary; install Terraform 1.11"
            : result.error.message,
        );
      }
      expect(result.status, `terraform ${args.join(" ")}:\n${result.stderr}${result.stdout}`).toBe(0);
      return result.stdout;
    };
    run(["apply", "-auto-approve", "-input=false", "-no-color", "-var", "host=api.example.com"]);
    const outputs = JSON.parse(run(["output", "-json"])) as Record<string, { value: string }>;
    return Object.fromEntries(Object.entries(outputs).map(([name, output]) => [name, output.value]));
  }

  it("evaluates text with a reference to the literal text with the reference resolved, gzipped or not", () => {
    const { text } = synthOutputs((host) => ({
      plain: terraformText(`${TRICKY}https://${host}:6443\n${TRICKY}`),
      gzipped: terraformGzipBase64Text(`${TRICKY}https://${host}:6443\n${TRICKY}`),
      gzippedWithoutReference: terraformGzipBase64Text(TRICKY),
    }));
    const outputs = applyWithTerraform(text);
    const expected = `${TRICKY}https://api.example.com:6443\n${TRICKY}`;
    expect(outputs.plain).toBe(expected);
    expect(gunzipSync(Buffer.from(outputs.gzipped!, "base64")).toString("utf8")).toBe(expected);
    expect(gunzipSync(Buffer.from(outputs.gzippedWithoutReference!, "base64")).toString("utf8")).toBe(TRICKY);
  });

  it("evaluates text without a reference, but with ${ and %{, to the literal text", () => {
    const { text } = synthOutputs(() => ({ literal: terraformText(TRICKY) }));
    expect(applyWithTerraform(text).literal).toBe(TRICKY);
  });
});
