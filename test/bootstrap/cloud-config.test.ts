/** renderCloudConfig and renderEnvironmentFile: the text formats every role's user data is made of. */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderCloudConfig, renderEnvironmentFile } from "../../lib/bootstrap";
import { runToolOk } from "./fixtures";

describe("renderCloudConfig", () => {
  it("starts with #cloud-config and reads back as what it was given", () => {
    // GIVEN files whose contents YAML could misread, and a command
    const text = renderCloudConfig({
      writeFiles: [
        { path: "/etc/a", content: "line one\nline two\n", permissions: "0644" },
        { path: "/etc/b", content: "no trailing newline", permissions: "0600", owner: "etcd:etcd" },
        { path: "/etc/c", content: "yes", permissions: "0755" },
      ],
      runcmd: [["bash", "/usr/local/lib/kraken/worker.sh", "on"]],
    });
    expect(text.split("\n")[0]).toBe("#cloud-config");
    // THEN cloud-init reads the same strings back (no octal number, no boolean)
    expect(parse(text)).toEqual({
      write_files: [
        { path: "/etc/a", permissions: "0644", owner: "root:root", content: "line one\nline two\n" },
        { path: "/etc/b", permissions: "0600", owner: "etcd:etcd", content: "no trailing newline" },
        { path: "/etc/c", permissions: "0755", owner: "root:root", content: "yes" },
      ],
      runcmd: [["bash", "/usr/local/lib/kraken/worker.sh", "on"]],
    });
  });

  it("never folds a long line, so Terraform tokens stay whole", () => {
    // GIVEN a 500-character value in a file, with a token inside, and as a command argument
    const long = `${"a".repeat(240)}\${TfToken[TOKEN.42]}${"b".repeat(240)}`.padEnd(500, "c");
    expect(long).toHaveLength(500);
    const text = renderCloudConfig({
      writeFiles: [{ path: "/etc/kraken/cluster.env", content: `API_ENDPOINT='${long}'\n`, permissions: "0644" }],
      runcmd: [["echo", long]],
    });
    // THEN each stays on one line
    const lines = text.split("\n");
    expect(lines.filter((line) => line.includes(long))).toHaveLength(2);
    expect(lines.filter((line) => line.includes("TfToken")).length).toBe(2);
    expect(parse(text)).toMatchObject({ write_files: [{ content: `API_ENDPOINT='${long}'\n` }], runcmd: [["echo", long]] });
  });

  it("writes multi-line contents as literal blocks", () => {
    const text = renderCloudConfig({ writeFiles: [{ path: "/x", content: "#!/usr/bin/env bash\necho \"$HOME\" 'quoted'\n", permissions: "0755" }], runcmd: [] });
    expect(text).toContain("    content: |\n      #!/usr/bin/env bash\n      echo \"$HOME\" 'quoted'\n");
  });

  it("updates the package index and installs packages only when there are some", () => {
    const withPackages = parse(renderCloudConfig({ writeFiles: [], runcmd: [], packages: ["jq", "nvme-cli"] })) as Record<string, unknown>;
    expect(Object.keys(withPackages)).toEqual(["write_files", "package_update", "packages", "runcmd"]);
    expect(withPackages).toMatchObject({ package_update: true, packages: ["jq", "nvme-cli"] });
    const without = parse(renderCloudConfig({ writeFiles: [], runcmd: [], packages: [] })) as Record<string, unknown>;
    expect(Object.keys(without)).toEqual(["write_files", "runcmd"]);
  });
});

describe("renderEnvironmentFile", () => {
  it("writes KEY='value' lines, one per variable, ending with a newline", () => {
    expect(renderEnvironmentFile({ CLUSTER_NAME: "prod", NODE_INDEX: 2, PUBLIC: false, _PRIVATE: "" })).toBe("CLUSTER_NAME='prod'\nNODE_INDEX='2'\nPUBLIC='false'\n_PRIVATE=''\n");
  });

  it("keeps shell syntax in values literal when bash sources the file", () => {
    // GIVEN values bash would expand if they were not single-quoted
    const tricky = '$HOME `id` $(id) "double" \\ ; # not a comment';
    const file = renderEnvironmentFile({ TRICKY: tricky, SPACED: "a  b" });
    // WHEN bash sources it THEN it reads the values unchanged
    const result = runToolOk("bash", ["-c", 'set -eu; eval "$1"; printf "%s|%s" "$TRICKY" "$SPACED"', "source", file]);
    expect(result.stdout).toBe(`${tricky}|a  b`);
  });

  it.each(["cluster_name", "1ST", "API-ENDPOINT", "A B", "", "ÄRGER"])("refuses the variable name %j", (name) => {
    expect(() => renderEnvironmentFile({ [name]: "x" })).toThrow(`environment variable name ${JSON.stringify(name)} is not UPPER_SNAKE_CASE`);
  });

  it.each([
    ["a single quote", "it's"],
    ["a newline", "line\nbreak"],
  ])("refuses a value with %s, naming the variable", (_what, value) => {
    expect(() => renderEnvironmentFile({ OK: "fine", SECRET_ID: value })).toThrow(`value of SECRET_ID must not contain quotes or newlines, got ${JSON.stringify(value)}`);
  });
});
