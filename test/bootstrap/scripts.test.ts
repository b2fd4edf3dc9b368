/**
 * The bootstrap scripts as they land on a machine: bash parses them, shellcheck finds nothing,
 * and materialize.py writes a secret document's files with the right contents and modes.
 * bash, shellcheck and python3 must be installed (CI installs them); nothing is skipped.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KRAKEN_DIR, KRAKEN_LIB_DIR, PLACEHOLDERS } from "../../lib/bootstrap";
import {
  awsHa,
  COMMON_SH_PATH,
  controlPlaneUserData,
  etcdMemberUserData,
  landedScript,
  MATERIALIZE_PY_PATH,
  parseShellScript,
  parseUserData,
  ROLE_SCRIPTS,
  runTool,
  runToolOk,
  TempDir,
  workerUserData,
  writtenFile,
  yamlDocuments,
  type ParsedUserData,
  type Role,
} from "./fixtures";

const files = new TempDir();
afterAll(() => {
  files.remove();
});

const cluster = awsHa();
const userDataByRole: Readonly<Record<Role, ParsedUserData>> = {
  etcd: parseUserData(etcdMemberUserData(cluster, "main", 0)),
  "control-plane": parseUserData(controlPlaneUserData(cluster, 1)),
  worker: parseUserData(workerUserData(cluster, "spot")),
};
const roles = Object.keys(userDataByRole) as Role[];
const materializePy = writtenFile(userDataByRole.worker, MATERIALIZE_PY_PATH).content;

describe.each(roles)("the %s script as it lands on the machine", (role) => {
  const script = landedScript(userDataByRole[role], ROLE_SCRIPTS[role]);
  const path = files.write(`${role}.sh`, script);

  it("is bash", () => {
    runToolOk("bash", ["-n", path]);
  });

  it("has no shellcheck findings", () => {
    const result = runTool("shellcheck", ["-s", "bash", "-f", "gcc", path]);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("stops at the first failing command, on unset variables and on failing pipes", () => {
    const options = script.split("\n").filter((line) => line.startsWith("set -"));
    expect(options).toHaveLength(1);
    const flags = /^set -([A-Za-z]*)o pipefail$/.exec(options[0]!)?.[1];
    expect(flags, options[0]).toBeDefined();
    expect(flags).toContain("e");
    expect(flags).toContain("u");
  });
});

describe("the script checks", () => {
  it("would report a shellcheck finding (the check can fail)", () => {
    const path = files.write("sloppy.sh", '#!/usr/bin/env bash\nrm -rf $1/data\n');
    const result = runTool("shellcheck", ["-s", "bash", "-f", "gcc", path]);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain("SC2086");
  });

  it("every role ships the same common.sh and materialize.py", () => {
    const commons = new Set(roles.map((role) => writtenFile(userDataByRole[role], COMMON_SH_PATH).content));
    const materializers = new Set(roles.map((role) => writtenFile(userDataByRole[role], MATERIALIZE_PY_PATH).content));
    expect(commons.size).toBe(1);
    expect(materializers.size).toBe(1);
  });
});

describe("common.sh's failure report", () => {
  const common = parseShellScript(writtenFile(userDataByRole.worker, COMMON_SH_PATH).content);
  const topLevel = common.topLevel.split("\n");

  /** common.sh's shell options, log, fail and ERR trap, then `body`: what runs on a machine, without touching it. */
  function runWithFailureReport(body: string): ReturnType<typeof runTool> {
    const options = topLevel.filter((line) => line.startsWith("set -"));
    const trap = topLevel.filter((line) => line.startsWith("trap "));
    expect(options).toHaveLength(1);
    expect(trap).toHaveLength(1);
    const program = [...options, "NODE_ROLE=worker", common.functions.get("log")!.definition, common.functions.get("fail")!.definition, ...trap, body].join("\n");
    return runTool("bash", ["-c", program], { env: { PATH: process.env.PATH } });
  }

  it("logs FAILED and the command when a top-level command fails", () => {
    const result = runWithFailureReport("false\necho 'went on'");
    expect(result.status).toBe(1);
    expect(result.stdout).not.toContain("went on");
    expect(result.stdout).toMatch(/kraken\[worker\]: FAILED: command failed at line \d+: false/);
    expect(result.stdout).toContain("see docs/debugging.md");
  });

  it("logs FAILED and the command when a command fails inside a function (where most steps run)", () => {
    // GIVEN a step like install_kubernetes whose command fails
    const result = runWithFailureReport("install_step() {\n  false\n  echo 'went on'\n}\ninstall_step");
    // THEN the script stops, and the log says so and where to look
    expect(result.status).toBe(1);
    expect(result.stdout).not.toContain("went on");
    expect(result.stdout).toMatch(/kraken\[worker\]: FAILED: command failed at line \d+: false/);
  });
});

describe("kube-facts.py", () => {
  it("compiles (control-plane-join.test.ts runs it)", () => {
    const path = files.write("compile/kube-facts.py", writtenFile(userDataByRole["control-plane"], `${KRAKEN_LIB_DIR}/kube-facts.py`).content);
    runToolOk("python3", ["-m", "py_compile", path]);
  });
});

describe("materialize.py", () => {
  const modeOf = (path: string): string => (statSync(path).mode & 0o777).toString(8).padStart(4, "0");
  const read = (path: string): string => readFileSync(path, "utf8");

  const script = files.write("materialize.py", materializePy, 0o644);
  let machines = 0;

  /** A fresh folder standing for a machine's root file system. */
  function machineRoot(): string {
    machines += 1;
    return files.path(`machine-${machines}`);
  }

  /** Writes `secret` as <root>/run/kraken/secret.json and runs materialize.py on it as common.sh does (umask 077). */
  function materialize(root: string, secret: unknown, member?: string): string {
    const document = files.write(`${relative(files.directory, root)}/run/kraken/secret.json`, JSON.stringify(secret));
    runToolOk("bash", ["-c", 'umask 077; exec python3 "$@"', "materialize", script, document, ...(member === undefined ? [] : [member])]);
    return document;
  }

  /** A secret document like `k2 secrets init` stores for etcd cluster main, with paths under `root`. */
  function etcdSecret(root: string): unknown {
    return {
      files: [
        { path: `${root}/etc/etcd/pki/ca.crt`, mode: "0644", content: "etcd CA certificate\n" },
        { path: `${root}/etc/etcd/pki/member.crt`, mode: "0644", member: "main-0", content: "certificate of main-0\n" },
        { path: `${root}/etc/etcd/pki/member.key`, mode: "0600", member: "main-0", content: "key of main-0\n" },
        { path: `${root}/etc/etcd/pki/member.crt`, mode: "0644", member: "main-1", content: "certificate of main-1\n" },
        { path: `${root}/etc/etcd/pki/member.key`, mode: "0600", member: "main-1", content: "key of main-1\n" },
        { path: `${root}/var/lib/kraken/no-mode`, content: "private by default\n" },
      ],
      values: { BOOTSTRAP_TOKEN: "abcdef.0123456789abcdef", CA_CERT_HASH: "sha256:0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a090807060504030201000" },
    };
  }

  it("compiles", () => {
    const path = files.write("compile/materialize.py", materializePy);
    runToolOk("python3", ["-m", "py_compile", path]);
  });

  it("writes the shared files and only the given member's own, with their modes", () => {
    // GIVEN the secret of etcd cluster main, WHEN member main-1 materializes it
    const root = machineRoot();
    materialize(root, etcdSecret(root), "main-1");
    // THEN it has the CA and its own certificate and key, not main-0's
    expect(read(`${root}/etc/etcd/pki/ca.crt`)).toBe("etcd CA certificate\n");
    expect(read(`${root}/etc/etcd/pki/member.crt`)).toBe("certificate of main-1\n");
    expect(read(`${root}/etc/etcd/pki/member.key`)).toBe("key of main-1\n");
    expect(read(`${root}/var/lib/kraken/no-mode`)).toBe("private by default\n");
    // AND each file has its mode, whatever the umask
    expect(modeOf(`${root}/etc/etcd/pki/ca.crt`)).toBe("0644");
    expect(modeOf(`${root}/etc/etcd/pki/member.crt`)).toBe("0644");
    expect(modeOf(`${root}/etc/etcd/pki/member.key`)).toBe("0600");
    expect(modeOf(`${root}/var/lib/kraken/no-mode`)).toBe("0600");
    // AND no temporary file is left behind
    expect(readdirSync(`${root}/etc/etcd/pki`).sort()).toEqual(["ca.crt", "member.crt", "member.key"]);
  });

  it("writes no member's files when no member is given", () => {
    const root = machineRoot();
    materialize(root, etcdSecret(root));
    expect(readdirSync(`${root}/etc/etcd/pki`)).toEqual(["ca.crt"]);
    expect(existsSync(`${root}/etc/etcd/pki/member.key`)).toBe(false);
  });

  it("writes the values as a private .env file that bash reads back", () => {
    const root = machineRoot();
    const document = materialize(root, etcdSecret(root), "main-0");
    const environment = `${document}.env`;
    expect(modeOf(environment)).toBe("0600");
    expect(read(environment)).toBe("BOOTSTRAP_TOKEN='abcdef.0123456789abcdef'\nCA_CERT_HASH='sha256:0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a090807060504030201000'\n");
    const sourced = runToolOk("bash", ["-c", 'set -eu; . "$1"; printf "%s|%s" "$BOOTSTRAP_TOKEN" "$CA_CERT_HASH"', "source", environment]);
    expect(sourced.stdout).toBe("abcdef.0123456789abcdef|sha256:0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a090807060504030201000");
  });

  it("replaces an existing file, taking the document's mode", () => {
    // GIVEN a world-readable key left from an earlier boot
    const root = machineRoot();
    const stale = files.write(`${relative(files.directory, root)}/etc/kubernetes/pki/ca.key`, "old key\n", 0o644);
    // WHEN the document says it is private
    const secret = { files: [{ path: `${root}/etc/kubernetes/pki/ca.key`, mode: "0600", content: "new key\n" }], values: {} };
    materialize(root, secret);
    // THEN the new content is there, private
    expect(read(stale)).toBe("new key\n");
    expect(modeOf(stale)).toBe("0600");
  });

  it("writes an empty .env file for a document without values", () => {
    const document = materialize(machineRoot(), { files: [] });
    expect(read(`${document}.env`)).toBe("");
    expect(modeOf(`${document}.env`)).toBe("0600");
  });
});

describe("render_config on the machine", () => {
  it("turns the control plane's kubeadm init template into the config kubeadm reads, with the real token", () => {
    // GIVEN the template and common.sh's render_config, with kubeadm and the node address stubbed
    const userData = userDataByRole["control-plane"];
    const template = files.write("render/kubeadm-init.yaml", writtenFile(userData, `${KRAKEN_DIR}/kubeadm-init.yaml`).content);
    const renderConfig = parseShellScript(writtenFile(userData, COMMON_SH_PATH).content).functions.get("render_config");
    expect(renderConfig, "common.sh defines render_config").toBeDefined();
    const output = files.path("render/out/kubeadm-init.yaml");
    const program = [
      "set -euo pipefail",
      "kubeadm() { echo v1.36.3; }",
      "node_ip() { echo 10.0.32.57; }",
      renderConfig!.definition,
      'mkdir -p "$(dirname "$2")"',
      'render_config "$1" "$2"',
    ].join("\n");
    // WHEN it renders with the values the secret's .env gives
    runToolOk("bash", ["-c", program, "render", template, output], {
      env: { PATH: process.env.PATH, BOOTSTRAP_TOKEN: "abcdef.0123456789abcdef", CA_CERT_HASH: "sha256:00" },
    });
    // THEN no placeholder is left, and the documents carry the machine's values
    const rendered = readFileSync(output, "utf8");
    for (const placeholder of Object.values(PLACEHOLDERS)) expect(rendered).not.toContain(placeholder);
    const [init, clusterConfiguration] = yamlDocuments(rendered);
    expect(init).toMatchObject({
      kind: "InitConfiguration",
      bootstrapTokens: [{ token: "abcdef.0123456789abcdef", ttl: "0s" }],
      localAPIEndpoint: { advertiseAddress: "10.0.32.57", bindPort: 6443 },
    });
    expect(clusterConfiguration).toMatchObject({ kind: "ClusterConfiguration", kubernetesVersion: "v1.36.3" });
    expect((statSync(output).mode & 0o777).toString(8)).toBe("600");
  });
});
