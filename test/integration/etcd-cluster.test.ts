/**
 * A real three-member etcd cluster, configured by `k2 etcd config` with certificates from our
 * own PKI (k2 secrets init's generator), on loopback: it comes up, refuses clients without a
 * certificate, survives a lost member, gets that member back by following `k2 etcd
 * replace-member` step by step, restores from a snapshot by following `k2 etcd restore-plan`,
 * and `k2 certs check` reports its certificates. Only addresses, ports and file paths are
 * mapped to this machine; everything else is what a member's machine would run. The same test runs
 * for the AWS example and the MAAS example: etcd is rendered by one function for every provider.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterEtcdTopology } from "../../lib/etcd/cluster-topology";
import type { Procedure } from "../../lib/etcd";
import { generateClusterSecrets } from "../../lib/secrets";
import { loadClusterFiles } from "../../lib/spec";
import { bash, freePort, parseEnvironmentFile, requireBinary, startMember, stopMember, waitFor, type RunningMember } from "../support/etcd";
import { EXAMPLES, runK2Async } from "../util";

describe.each([
  { example: "aws-ha", specFile: EXAMPLES.awsHa, clusterName: "prod-usw2" },
  { example: "maas-bare-metal", specFile: EXAMPLES.maasBareMetal, clusterName: "metal-dc1" },
])("a three-member etcd cluster of $example configured by k2", ({ specFile, clusterName }) => {
  const work = mkdtempSync(join(tmpdir(), "k2-etcd-"));
  const members = ["main-0", "main-1", "main-2"];
  const running = new Map<string, RunningMember>();
  let hosts: string[] = [];
  const ports = new Map<string, { client: number; peer: number; metrics: number }>();
  const hasEtcdutl = () => bash("command -v etcdutl").then((result) => result.status === 0);

  /** What runs on member `name`, moved to this machine: loopback ports for addresses, a directory per member for its files. */
  function mapToMachine(text: string, name: string): string {
    let mapped = text.replace(/,https:\/\/127\.0\.0\.1:2379/g, "").replace(/,http:\/\/127\.0\.0\.1:2381/g, "");
    hosts.forEach((host, index) => {
      const port = ports.get(members[index]!)!;
      mapped = mapped
        .replaceAll(`${host}:2379`, `127.0.0.1:${port.client}`)
        .replaceAll(`${host}:2380`, `127.0.0.1:${port.peer}`)
        .replaceAll(`${host}:2381`, `127.0.0.1:${port.metrics}`);
    });
    return mapped
      .replaceAll("/etc/etcd/pki/", `${join(work, name, "pki")}/`)
      .replaceAll("/var/lib/etcd/", `${join(work, name)}/`);
  }

  function clientEndpoints(): string {
    return members.map((name) => `https://127.0.0.1:${ports.get(name)!.client}`).join(",");
  }

  /** etcdctl as member main-0 would run it. */
  function etcdctl(args: string, options: { certificate?: boolean } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const pki = join(work, "main-0", "pki");
    const credentials = options.certificate === false ? `--cacert ${pki}/ca.crt` : `--cacert ${pki}/ca.crt --cert ${pki}/member.crt --key ${pki}/member.key`;
    // A refused client fails its handshake: no need to wait long for it.
    const timeout = options.certificate === false ? "3s" : "15s";
    return bash(`ETCDCTL_API=3 etcdctl --endpoints ${clientEndpoints()} ${credentials} --dial-timeout 5s --command-timeout ${timeout} ${args}`);
  }

  async function k2(args: string[]): Promise<string> {
    const result = await runK2Async(args);
    if (result.status !== 0) throw new Error(`k2 ${args.join(" ")} exited ${String(result.status)}: ${result.stderr}`);
    return result.stdout;
  }

  async function memberEnvironment(name: string, state?: "existing"): Promise<Record<string, string>> {
    const index = members.indexOf(name);
    const text = await k2(["etcd", "config", specFile, "--cluster", "main", "--member", String(index), ...(state ? ["--initial-cluster-state", state] : [])]);
    return parseEnvironmentFile(mapToMachine(text, name));
  }

  function start(name: string, environment: Record<string, string>): void {
    mkdirSync(environment.ETCD_DATA_DIR!, { recursive: true, mode: 0o700 });
    running.set(name, startMember(name, environment));
  }

  async function healthy(): Promise<boolean> {
    return (await etcdctl("endpoint health --cluster")).status === 0;
  }

  async function keyCount(): Promise<number> {
    const result = await etcdctl("get /test/ --prefix --keys-only");
    if (result.status !== 0) throw new Error(result.stderr);
    return result.stdout.split("\n").filter((line) => line.startsWith("/test/")).length;
  }

  async function putKeys(from: number, to: number): Promise<void> {
    const pki = join(work, "main-0", "pki");
    const result = await bash(
      `for line in $(seq ${from} ${to - 1}); do ETCDCTL_API=3 etcdctl --endpoints ${clientEndpoints()} --cacert ${pki}/ca.crt --cert ${pki}/member.crt --key ${pki}/member.key --dial-timeout 5s put /test/key-$line value-$line > /dev/null || exit 1; done`,
    );
    expect(result.status, result.stderr).toBe(0);
  }

  /** Runs the commands of the procedure's steps that run on machines (not the admin's Terraform step), mapped here. */
  function stepScript(procedure: Procedure, titles: RegExp, on: string, rewrite: (command: string) => string = (command) => command): string {
    const steps = procedure.steps.filter((step) => titles.test(step.title));
    expect(steps.length, `steps matching ${String(titles)}`).toBeGreaterThan(0);
    return steps.flatMap((step) => step.commands.map((command) => rewrite(mapToMachine(command, on)))).join("\n");
  }

  beforeAll(async () => {
    requireBinary("etcd", "etcd-server");
    requireBinary("etcdctl", "etcd-client");
    const [cluster] = loadClusterFiles([specFile]);
    const topology = clusterEtcdTopology(cluster!);
    hosts = topology[0]!.members.map((member) => member.host);
    for (const name of members) ports.set(name, { client: await freePort(), peer: await freePort(), metrics: await freePort() });

    // The certificates k2 secrets init would store, written where each member keeps them.
    const secrets = await generateClusterSecrets(cluster!, topology);
    const etcdSecret = secrets.find((secret) => secret.name === `kraken/${clusterName}/etcd-main`)!;
    for (const name of members) {
      for (const file of etcdSecret.document.files.filter((entry) => entry.member === undefined || entry.member === name)) {
        const path = mapToMachine(file.path, name);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, file.content, { mode: Number.parseInt(file.mode, 8) });
      }
    }
    for (const name of members) start(name, await memberEnvironment(name));
    await waitFor("three healthy members", healthy);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([...running.values()].map((member) => stopMember(member)));
    rmSync(work, { recursive: true, force: true });
  });

  it("comes up healthy, every member with its name and addresses", async () => {
    const list = await etcdctl("member list -w json");
    const parsed = JSON.parse(list.stdout) as { members: { name: string; peerURLs: string[] }[] };
    expect(parsed.members.map((member) => member.name).sort()).toEqual(members);
    expect(await healthy()).toBe(true);
  });

  it("serves its metrics to Prometheus in plain HTTP on the metrics port, with a leader", async () => {
    const response = await fetch(`http://127.0.0.1:${ports.get("main-0")!.metrics}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^etcd_server_has_leader 1$/m);
  });

  it("refuses a client without a certificate", async () => {
    const result = await etcdctl("put /test/anonymous nope", { certificate: false });
    expect(result.status).not.toBe(0);
    expect(await etcdctl("get /test/anonymous --print-value-only").then((r) => r.stdout.trim())).toBe("");
  });

  it("keeps accepting writes with one member down", async () => {
    await putKeys(0, 100);
    await stopMember(running.get("main-2")!);
    await putKeys(100, 150);
    expect(await keyCount()).toBe(150);
  });

  it("gets the lost member back by following k2 etcd replace-member, every key intact", async () => {
    const procedure = JSON.parse(await k2(["etcd", "replace-member", specFile, "--cluster", "main", "--member", "2", "--format", "json"])) as Procedure;
    // GIVEN main-2's machine and data volume are gone
    rmSync(join(work, "main-2", "data"), { recursive: true, force: true });
    // WHEN the steps before the Terraform apply run on main-0: health of the others, remove, add as learner
    const before = await bash(stepScript(procedure, /^(Check that every member|Remove main-2|Add it back)/, "main-0"));
    expect(before.status, before.stderr + before.stdout).toBe(0);
    // etcdctl pads a member ID of fewer than 16 hex digits with spaces ("Member  4be07c710b16a2c added").
    expect(before.stdout).toMatch(/Member +[0-9a-f]+ added to cluster/);
    // AND the new machine starts with the configuration k2 renders for a joining member
    const environment = await memberEnvironment("main-2", "existing");
    expect(environment.ETCD_INITIAL_CLUSTER_STATE).toBe("existing");
    start("main-2", environment);
    // AND the promote and verify steps run on main-0
    const after = await bash(stepScript(procedure, /^(Promote main-2|Verify)/, "main-0"), {}, 120_000);
    expect(after.status, after.stderr + after.stdout).toBe(0);
    // THEN three voting members, all healthy, and every key
    const list = JSON.parse((await etcdctl("member list -w json")).stdout) as { members: { name: string; isLearner?: boolean }[] };
    expect(list.members.map((member) => [member.name, member.isLearner ?? false]).sort()).toEqual(members.map((name) => [name, false]));
    await waitFor("three healthy members", healthy);
    expect(await keyCount()).toBe(150);
  }, 180_000);

  it("restores every key into a fresh cluster by following k2 etcd restore-plan", async () => {
    const snapshot = join(work, "snapshot.db");
    // A snapshot comes from one member (the backup timer's script asks the leader, on itself).
    const pki = join(work, "main-0", "pki");
    const saved = await bash(
      `ETCDCTL_API=3 etcdctl --endpoints https://127.0.0.1:${ports.get("main-0")!.client} --cacert ${pki}/ca.crt --cert ${pki}/member.crt --key ${pki}/member.key snapshot save ${snapshot}`,
    );
    expect(saved.status, saved.stderr).toBe(0);
    const procedure = JSON.parse(await k2(["etcd", "restore-plan", specFile, "--cluster", "main", "--snapshot", snapshot, "--format", "json"])) as Procedure;
    // The plan stops etcd everywhere first: here, the processes.
    for (const member of running.values()) await stopMember(member);
    const tool = (await hasEtcdutl()) ? "etcdutl" : "etcdctl"; // Debian's etcd 3.4 has no etcdutl; the flags are the same.
    for (const name of members) {
      const script = stepScript(procedure, new RegExp(`^Restore on ${name}$`), name, (command) =>
        command.replace(/^etcdutl /, `ETCDCTL_API=3 ${tool} `).replace(/^chown -R etcd:etcd (\S+) && /, ""),
      );
      const result = await bash(script);
      expect(result.status, result.stderr).toBe(0);
    }
    for (const name of members) start(name, await memberEnvironment(name));
    await waitFor("three healthy restored members", healthy);
    expect(await keyCount()).toBe(150);
    expect((await etcdctl("get /test/key-149 --print-value-only")).stdout.trim()).toBe("value-149");
  }, 180_000);

  it("has its certificates reported by k2 certs check", async () => {
    const pki = join(work, "main-0", "pki");
    const args = ["certs", "check", "--etcd", ...clientEndpoints().split(","), "--ca", `${pki}/ca.crt`, "--cert", `${pki}/member.crt`, "--key", `${pki}/member.key`];
    const result = await runK2Async([...args, "--format", "json"]);
    expect(result.status, result.stderr + result.stdout).toBe(0);
    const report = JSON.parse(result.stdout) as { certificates: { endpoint: string; subject: string; ipAddresses: string[]; daysLeft: number; verified?: boolean; ok: boolean }[] };
    const endpoints = report.certificates.filter((certificate) => certificate.endpoint.startsWith("https://"));
    expect(endpoints.map((certificate) => certificate.subject).sort()).toEqual(members.map((name) => `CN=${name}`));
    for (const certificate of endpoints) {
      expect(certificate).toMatchObject({ ok: true, verified: true });
      expect(certificate.ipAddresses).toContain("127.0.0.1");
      // spec.certificates.etcdValidityDays is 1095 by default.
      expect(certificate.daysLeft).toBeGreaterThanOrEqual(1094);
    }
    const strict = await runK2Async([...args, "--threshold-days", "2000"]);
    expect(strict.status).toBe(1);
    expect(strict.stdout).toMatch(/expires in 109[45] days, under the threshold of 2000/);
  });
});
