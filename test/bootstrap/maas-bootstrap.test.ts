/**
 * The bootstrap pieces MAAS machines run differently: every role script with the Vault
 * provider's functions (bash and shellcheck), an etcd member's data device that may be absent
 * (data on the root disk), and etcd snapshots kept on the members when there is no bucket.
 * Real bash, find and python3 run them; etcd, etcdutl, mkfs and mount are stubs that record
 * their calls. test/integration/vault-secrets.test.ts runs fetch_secret against a Vault double.
 */
import { readdirSync, readFileSync, utimesSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { CLUSTER_ENV, renderControlPlaneUserData, renderEtcdMemberUserData, renderWorkerUserData, vaultProviderShell, type ProviderShell } from "../../lib/bootstrap";
import { COMMON_SH, ETCD_MEMBER_SH, ETCD_SNAPSHOT_SH } from "../../lib/bootstrap/scripts";
import { vaultBootstrapEnvironment } from "../../lib/secrets";
import { API_HOST, awsEtcdTopology, awsHa, landedScript, parseShellScript, parseUserData, ROLE_SCRIPTS, runTool, runToolOk, TempDir, type Role } from "./fixtures";
import { FAKE_ETCDCTL } from "../support/fake-etcd-tools";

const temp = new TempDir();
afterAll(() => {
  temp.remove();
});

const VAULT_ENVIRONMENT = vaultBootstrapEnvironment({ address: "https://vault.example.com:8200", tokenEnv: "VAULT_TOKEN", kvMount: "secret", approleMount: "approle", wrappingTtl: "2h" }, "kraken-prod-usw2-workers");

describe("every role script with the Vault provider's functions", () => {
  // The shell text is what matters here, not the cluster: aws-ha's roles, rendered with Vault's functions.
  const cluster = awsHa();
  const provider: ProviderShell = vaultProviderShell();
  const topology = awsEtcdTopology(cluster);
  const userData: Readonly<Record<Role, string>> = {
    etcd: renderEtcdMemberUserData({ cluster, etcd: cluster.spec.etcd[0]!, topology: topology[0]!, memberIndex: 1, provider, providerEnvironment: { ...VAULT_ENVIRONMENT, ETCD_DATA_DEVICE: "" }, secretId: "kraken/prod-usw2/etcd-main" }),
    "control-plane": renderControlPlaneUserData({ cluster, index: 1, etcd: topology, apiHost: API_HOST, provider, providerEnvironment: VAULT_ENVIRONMENT, secretId: "kraken/prod-usw2/control-plane" }),
    worker: renderWorkerUserData({ cluster, pool: cluster.spec.nodePools[0]!, apiHost: API_HOST, provider, providerEnvironment: VAULT_ENVIRONMENT, secretId: "kraken/prod-usw2/workers" }),
  };

  it.each(Object.keys(userData) as Role[])("the %s script is bash and has no shellcheck findings", (role) => {
    const path = temp.write(`vault-${role}.sh`, landedScript(parseUserData(userData[role]), ROLE_SCRIPTS[role]));
    runToolOk("bash", ["-n", path]);
    const result = runTool("shellcheck", ["-s", "bash", "-f", "gcc", path]);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
});

/** common.sh's shell options, log, fail, retry and ERR trap, with sleep stubbed (retries do not wait). */
function commonPrelude(): string[] {
  const common = parseShellScript(COMMON_SH);
  const topLevel = common.topLevel.split("\n");
  return [
    ...topLevel.filter((line) => line.startsWith("set -")),
    "NODE_ROLE=etcd",
    ...["log", "fail", "retry"].map((name) => common.functions.get(name)!.definition),
    ...topLevel.filter((line) => line.startsWith("trap ")),
    "sleep() { :; }",
  ];
}

describe("the etcd member's data device on MAAS", () => {
  const dataDevice = vaultProviderShell().dataDevice;
  const mountDataVolume = parseShellScript(ETCD_MEMBER_SH).functions.get("mount_data_volume");

  /** Runs `body` after data_device and mount_data_volume, with the tools that touch disks recording their calls instead. */
  function run(device: string, body: string): { status: number | null; log: string; calls: string[] } {
    const calls = temp.path(`calls-${Math.random().toString(36).slice(2)}`);
    const stubs = ["blkid", "mkfs.ext4", "install", "mount"].map((tool) => `${tool}() { echo "${tool} $*" >> "$CALLS"; ${tool === "blkid" ? "return 2" : ":"}; }`);
    const program = [...commonPrelude(), ...stubs, 'mountpoint() { echo "mountpoint $*" >> "$CALLS"; }', dataDevice, mountDataVolume!.definition, body].join("\n");
    const result = runTool("bash", ["-c", program], { env: { PATH: process.env.PATH, CALLS: calls, ETCD_DATA_DEVICE: device } });
    let recorded = "";
    try {
      recorded = readFileSync(calls, "utf8");
    } catch {
      // no call at all
    }
    return { status: result.status, log: result.stdout + result.stderr, calls: recorded.split("\n").filter((line) => line !== "") };
  }

  it("mount_data_volume is a top-level function of the member script", () => {
    expect(mountDataVolume).toBeDefined();
  });

  it("GIVEN no device in the spec WHEN the member starts THEN nothing is formatted or mounted, and the log says the data stays on the root disk", () => {
    const result = run("", "data_device; echo \"printed: [$(data_device)]\"\nmount_data_volume");
    expect(result.status, result.log).toBe(0);
    expect(result.log).toContain("printed: []");
    expect(result.log).toContain("etcd's data stays on the root disk, in /var/lib/etcd");
    expect(result.calls).toEqual(["install -d -m 0700 /var/lib/etcd"]);
  });

  it("GIVEN a blank device WHEN the member starts THEN it is formatted and mounted on /var/lib/etcd", () => {
    const device = temp.write("disks/by-id/nvme-data", "");
    const result = run(device, `test "$(data_device)" = "${device}"\nmount_data_volume`);
    expect(result.status, result.log).toBe(0);
    expect(result.calls).toEqual([`blkid ${device}`, `mkfs.ext4 -q -L etcd-data ${device}`, "install -d -m 0700 /var/lib/etcd", "mountpoint -q /var/lib/etcd"]);
    expect(result.log).toContain(`formatting new data volume ${device}`);
  });

  it("GIVEN a device that never appears WHEN the member starts THEN it fails without formatting anything", () => {
    const result = run(temp.path("disks/by-id/missing"), "mount_data_volume");
    expect(result.status).toBe(1);
    expect(result.log).toContain("FAILED: the data volume did not appear");
    expect(result.calls).toEqual([]);
  });
});

describe("etcd snapshots without a bucket (MAAS)", () => {
  const FAKE_ETCDUTL = `#!/usr/bin/env bash
if [ "$FAKE_CORRUPT" = yes ]; then echo "corrupt snapshot" >&2; exit 1; fi
`;
  const FAKE_AWS = `#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$FAKE_LOG/aws.log"
`;
  const DAY_SECONDS = 24 * 3600;

  it("is bash and has no shellcheck findings", () => {
    const path = temp.write("etcd-snapshot.sh", ETCD_SNAPSHOT_SH);
    runToolOk("bash", ["-n", path]);
    const result = runTool("shellcheck", ["-s", "bash", "-f", "gcc", path]);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  /**
   * Runs the snapshot script with its fixed paths in a temp dir and fakes first on PATH; the
   * snapshot folder starts with `existing` files, each `ageDays` old.
   */
  function runSnapshot(name: string, options: { leader: boolean; corrupt?: boolean; environment: string; existing?: Readonly<Record<string, number>> }) {
    const root = temp.path(name);
    const log = temp.path(name, "log");
    temp.write(`${name}/log/.keep`, "");
    temp.write(`${name}/bin/etcdctl`, FAKE_ETCDCTL, 0o755);
    temp.write(`${name}/bin/etcdutl`, FAKE_ETCDUTL, 0o755);
    temp.write(`${name}/bin/aws`, FAKE_AWS, 0o755);
    const environment = temp.write(`${name}/cluster.env`, options.environment);
    const snapshots = `${root}/snapshots`;
    for (const [file, ageDays] of Object.entries(options.existing ?? {})) {
      const path = temp.write(`${name}/snapshots/${file}`, "old snapshot");
      const time = Date.now() / 1000 - ageDays * DAY_SECONDS;
      utimesSync(path, time, time);
    }
    // The script reads fixed paths; count them, so that a moved path fails here rather than escaping the temp dir.
    expect(ETCD_SNAPSHOT_SH.split(CLUSTER_ENV).length - 1).toBe(1);
    expect(ETCD_SNAPSHOT_SH.split("/var/lib/etcd/snapshots").length - 1).toBe(1);
    const script = ETCD_SNAPSHOT_SH.replace(CLUSTER_ENV, environment).replace("/var/lib/etcd/snapshots", snapshots);
    const result = runTool("bash", ["-c", script], {
      env: { ...process.env, PATH: `${root}/bin:${process.env.PATH ?? ""}`, FAKE_LOG: log, FAKE_LEADER: options.leader ? "yes" : "no", FAKE_CORRUPT: options.corrupt ? "yes" : "no" },
    });
    const lines = (file: string): string[] => {
      try {
        return readFileSync(`${log}/${file}`, "utf8").split("\n").filter((line) => line !== "");
      } catch {
        return [];
      }
    };
    const listed = (): string[] => {
      try {
        return readdirSync(snapshots).sort();
      } catch {
        return [];
      }
    };
    return { ...result, etcdctl: lines("etcdctl.log"), aws: lines("aws.log"), snapshots: listed(), snapshotDir: snapshots };
  }

  const LOCAL = "CLUSTER_NAME='metal'\nNODE_ROLE='etcd'\nETCD_CLUSTER='main'\nETCD_MEMBER='main-1'\nBACKUP_BUCKET=''\nBACKUP_RETENTION_DAYS='14'\n";
  const OLD_AND_NEW = { "main-20260101T000000Z.db": 20, "main-20261120T000000Z.db": 3, "events-20260101T000000Z.db": 20, "notes.txt": 40 };

  it("GIVEN the leader WHEN the timer runs THEN it keeps the checked snapshot on the member, removes its snapshots older than the retention, and uploads nothing", () => {
    const run = runSnapshot("local-leader", { leader: true, environment: LOCAL, existing: OLD_AND_NEW });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const taken = run.snapshots.filter((file) => !Object.keys(OLD_AND_NEW).includes(file));
    expect(taken).toHaveLength(1);
    expect(taken[0]).toMatch(/^main-\d{8}T\d{6}Z\.db$/);
    expect(readFileSync(`${run.snapshotDir}/${taken[0]!}`, "utf8")).toBe("snapshot-bytes");
    // Only main's own snapshots age out; other files are not the script's.
    expect(run.snapshots).toEqual(["events-20260101T000000Z.db", "main-20261120T000000Z.db", taken[0]!, "notes.txt"].sort());
    expect(run.aws).toEqual([]);
    expect(run.stdout).toContain(`snapshot of main kept on this member at ${run.snapshotDir}/${taken[0]!} for 14 days (no backup bucket)`);
    expect(run.stdout).toContain(`removed ${run.snapshotDir}/main-20260101T000000Z.db, older than 14 days`);
  });

  it("GIVEN a follower WHEN the timer runs THEN it takes no snapshot but still removes its own old ones (it may have led before)", () => {
    const run = runSnapshot("local-follower", { leader: false, environment: LOCAL, existing: OLD_AND_NEW });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.etcdctl).toHaveLength(1);
    expect(run.snapshots).toEqual(["events-20260101T000000Z.db", "main-20261120T000000Z.db", "notes.txt"]);
  });

  it("GIVEN the leader and a snapshot that fails its check WHEN the timer runs THEN the snapshot is not kept and the run fails", () => {
    const run = runSnapshot("local-corrupt", { leader: true, corrupt: true, environment: LOCAL });
    expect(run.status).not.toBe(0);
    expect(run.snapshots).toEqual([]);
    expect(run.stdout).toContain("FAILED");
  });

  it("GIVEN neither a bucket nor a retention WHEN the timer runs THEN it fails before taking a snapshot, saying why", () => {
    const run = runSnapshot("nowhere", { leader: true, environment: "CLUSTER_NAME='metal'\nNODE_ROLE='etcd'\nETCD_CLUSTER='main'\nETCD_MEMBER='main-1'\nBACKUP_BUCKET=''\n" });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("FAILED: cluster.env sets neither BACKUP_BUCKET nor BACKUP_RETENTION_DAYS");
    expect(run.etcdctl).toEqual([]);
  });

  it("GIVEN a bucket WHEN the leader runs THEN it uploads and keeps nothing, as on AWS", () => {
    const run = runSnapshot("bucket", { leader: true, environment: "CLUSTER_NAME='test'\nNODE_ROLE='etcd'\nAWS_REGION='us-west-2'\nETCD_CLUSTER='main'\nETCD_MEMBER='main-1'\nBACKUP_BUCKET='acme-etcd-backups'\n", existing: { "main-20260101T000000Z.db": 20 } });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.aws).toHaveLength(1);
    // Old local files are not the bucket's business: its lifecycle rule expires snapshots.
    expect(run.snapshots).toEqual(["main-20260101T000000Z.db"]);
  });
});
