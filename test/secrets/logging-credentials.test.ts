/**
 * The log sinks' credentials for etcd hosts: which variables a spec needs, and the file their
 * agent reads. systemd reads it as an EnvironmentFile; inside double quotes systemd and bash undo
 * the same backslash escapes (\\ \" \$ \`) and expand nothing else, so bash checks the file here
 * (no systemd runs on these machines).
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ETCD_HOST_CREDENTIALS_FILE, etcdLoggingCredentials, systemdEnvironmentValue, withLoggingCredentials } from "../../lib/secrets/logging";
import { clusterFrom, TempDir } from "../bootstrap/fixtures";
import { awsDocument, setPath } from "../util";

function clusterWithLogging(sinks: Record<string, unknown>, enabled = true) {
  const document = awsDocument();
  setPath(document, "spec.addons.logging", { enabled, sinks });
  return clusterFrom(document);
}

const loki = { url: "https://loki.example.com", usernameEnv: "PROD_LOKI_USER", passwordEnv: "PROD_LOKI_PASSWORD" };
const elasticsearch = { url: "https://search.example.com:9200", passwordEnv: "ES_PASS" };

describe("etcd hosts' log credentials", () => {
  it("are not needed when logging is off or the sinks take none", () => {
    expect(etcdLoggingCredentials(clusterWithLogging({ loki }, false), {})).toEqual({ kind: "none" });
    expect(etcdLoggingCredentials(clusterWithLogging({ loki: { url: "https://loki.example.com" } }), {})).toEqual({ kind: "none" });
  });

  it("name every variable that is unset or empty, with the spec field that names it", () => {
    const result = etcdLoggingCredentials(clusterWithLogging({ loki, elasticsearch }), { PROD_LOKI_USER: "logs", PROD_LOKI_PASSWORD: "" });
    expect(result).toEqual({
      kind: "missing",
      missing: [
        { cluster: "test", field: "spec.addons.logging.sinks.loki.passwordEnv", variable: "PROD_LOKI_PASSWORD", what: "Loki basic-auth password" },
        { cluster: "test", field: "spec.addons.logging.sinks.elasticsearch.passwordEnv", variable: "ES_PASS", what: "Elasticsearch password" },
      ],
    });
  });

  it("are a root-only file with the agent's variable names, which reads back as the values given", () => {
    const values = { PROD_LOKI_USER: "logs", PROD_LOKI_PASSWORD: `a"b$HOME\`id\`\\c'd e#f`, ES_PASS: "${ES}" };
    const result = etcdLoggingCredentials(clusterWithLogging({ loki, elasticsearch }), values);
    if (result.kind !== "file") throw new Error(`expected a file, got ${result.kind}`);
    expect(result.file.path).toBe(ETCD_HOST_CREDENTIALS_FILE);
    expect(result.file.mode).toBe("0600");
    const temp = new TempDir();
    try {
      const path = temp.write("logging.env", result.file.content);
      const read = execFileSync("bash", ["-c", 'set -a; . "$1"; printf "%s\\0" "$LOKI_USERNAME" "$LOKI_PASSWORD" "$ES_PASSWORD"', "check", path], { encoding: "utf8", env: { PATH: process.env.PATH } });
      expect(read.split("\0").slice(0, 3)).toEqual([values.PROD_LOKI_USER, values.PROD_LOKI_PASSWORD, values.ES_PASS]);
    } finally {
      temp.remove();
    }
  });

  it("refuse a value with a newline, which an environment file cannot carry", () => {
    expect(() => systemdEnvironmentValue("two\nlines")).toThrow(/newline/);
  });

  it("replace the file in a secret document, or take it out", () => {
    const file = { path: ETCD_HOST_CREDENTIALS_FILE, mode: "0600", content: 'LOKI_PASSWORD="new"\n' };
    const document = { files: [{ path: "/etc/etcd/pki/ca.crt", mode: "0644", content: "CA" }, { ...file, content: 'LOKI_PASSWORD="old"\n' }], values: {} };
    expect(withLoggingCredentials(document, file).files).toEqual([document.files[0], file]);
    expect(withLoggingCredentials(document, undefined).files).toEqual([document.files[0]]);
  });
});
