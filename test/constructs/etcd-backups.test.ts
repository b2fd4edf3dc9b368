/**
 * etcd backups: the snapshot bucket (versioned, encrypted, private, TLS only, protected, one
 * retention rule per etcd cluster), upload rights limited to each etcd cluster's prefix, the
 * snapshot timer and script in the members' user data, and the script itself run by bash with
 * fake etcdctl, etcdutl and aws commands.
 */
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { withoutCommentLines } from "../../lib/bootstrap/compact";
import { ETCD_SNAPSHOT_SH } from "../../lib/bootstrap/scripts";
import { runTool, runToolOk, TempDir } from "../bootstrap/fixtures";
import { awsDocument, awsWith } from "../util";
import { FAKE_ETCDCTL } from "../support/fake-etcd-tools";
import {
  allUserData,
  cloudConfigFiles,
  onlyResource,
  parseEnvironmentFile,
  parsePolicy,
  ref,
  resourcesOf,
  synthCluster,
  type IamRolePolicyResource,
  type IamRoleResource,
  type InstanceResource,
  type Lifecycle,
  type SynthesizedStack,
} from "./fixtures";

interface BucketResource {
  readonly bucket_prefix: string;
  readonly force_destroy?: boolean;
  readonly lifecycle?: Lifecycle;
}

interface LifecycleRule {
  readonly id: string;
  readonly status: string;
  readonly filter: readonly { readonly prefix: string }[];
  readonly expiration: readonly { readonly days: number }[];
  readonly noncurrent_version_expiration: readonly { readonly noncurrent_days: number }[];
  readonly abort_incomplete_multipart_upload: readonly { readonly days_after_initiation: number }[];
}

interface PolicyStatement {
  readonly Effect: string;
  readonly Principal?: Readonly<Record<string, string>>;
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

const SNAPSHOT_SCRIPT = "/usr/local/lib/kraken/etcd-snapshot.sh";
const SNAPSHOT_SERVICE = "/etc/systemd/system/etcd-snapshot.service";
const SNAPSHOT_TIMER = "/etc/systemd/system/etcd-snapshot.timer";
const CLUSTER_ENV = "/etc/kraken/cluster.env";

/** Inline policies of each IAM role, by role name and policy name. */
function rolePolicies(json: SynthesizedStack): Map<string, Map<string, readonly PolicyStatement[]>> {
  const roles = resourcesOf<IamRoleResource>(json, "aws_iam_role");
  const byRole = new Map<string, Map<string, readonly PolicyStatement[]>>(Object.values(roles).map((role) => [role.name, new Map()]));
  for (const policy of Object.values(resourcesOf<IamRolePolicyResource & { readonly name: string }>(json, "aws_iam_role_policy"))) {
    const roleId = /^\$\{aws_iam_role\.([^.]+)\.id\}$/.exec(policy.role)?.[1];
    const role = roleId === undefined ? undefined : roles[roleId];
    if (!role) throw new Error(`policy ${policy.name} is not attached to a role of the stack: ${policy.role}`);
    byRole.get(role.name)!.set(policy.name, parsePolicy(policy.policy).Statement);
  }
  return byRole;
}

/** Decoded user data of each etcd member, by member name. */
function memberUserData(json: SynthesizedStack): Map<string, string> {
  const instances = resourcesOf<InstanceResource>(json, "aws_instance");
  const decoded = allUserData(json);
  return new Map(
    Object.entries(instances).flatMap(([id, instance]) => {
      const member = instance.tags["kraken.dev/etcd-member"];
      return member === undefined ? [] : [[member, decoded.get(`aws_instance.${id}`)!] as const];
    }),
  );
}

const S3_TYPES = [
  "aws_s3_bucket",
  "aws_s3_bucket_lifecycle_configuration",
  "aws_s3_bucket_ownership_controls",
  "aws_s3_bucket_policy",
  "aws_s3_bucket_public_access_block",
  "aws_s3_bucket_server_side_encryption_configuration",
  "aws_s3_bucket_versioning",
];

describe("the etcd backup bucket", () => {
  const { json, cluster } = synthCluster(awsWith({ "spec.etcd.0.backup": { retentionDays: 30, intervalMinutes: 15 } }));
  const [bucketId, bucket] = onlyResource<BucketResource>(json, "aws_s3_bucket");
  const bucketRef = ref("aws_s3_bucket", bucketId);
  const only = (type: string): Readonly<Record<string, unknown>> => onlyResource<Readonly<Record<string, unknown>>>(json, type)[1];

  it("GIVEN backups on (the default) WHEN synthesized THEN there is one bucket, named after the cluster, that Terraform may not destroy", () => {
    expect(bucket).toMatchObject({ bucket_prefix: "test-etcd-", force_destroy: false, lifecycle: { prevent_destroy: true } });
    expect(cluster.etcdBackups).toBeDefined();
  });

  it("THEN every bucket setting applies to that bucket", () => {
    for (const type of S3_TYPES.slice(1)) expect(only(type).bucket, type).toBe(bucketRef);
  });

  it("THEN it is versioned, encrypted with KMS and a bucket key, private, and owner-enforced", () => {
    expect(only("aws_s3_bucket_versioning").versioning_configuration).toEqual({ status: "Enabled" });
    expect(only("aws_s3_bucket_server_side_encryption_configuration").rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms" }, bucket_key_enabled: true },
    ]);
    expect(only("aws_s3_bucket_public_access_block")).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    expect(only("aws_s3_bucket_ownership_controls").rule).toEqual({ object_ownership: "BucketOwnerEnforced" });
  });

  it("THEN its policy denies every request without TLS, on the bucket and its objects", () => {
    const statements = parsePolicy(only("aws_s3_bucket_policy").policy as string).Statement as readonly PolicyStatement[];
    expect(statements).toEqual([
      expect.objectContaining({
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "s3:*",
        Resource: [ref("aws_s3_bucket", bucketId, "arn"), `${ref("aws_s3_bucket", bucketId, "arn")}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      }),
    ]);
  });

  it("THEN each etcd cluster's snapshots expire after its retentionDays, old versions too, and stale uploads are aborted", () => {
    const rules = only("aws_s3_bucket_lifecycle_configuration").rule as readonly LifecycleRule[];
    expect(rules.map((rule) => [rule.filter[0]!.prefix, rule.expiration[0]!.days, rule.noncurrent_version_expiration[0]!.noncurrent_days])).toEqual([
      ["main/", 30, 30],
      ["events/", 14, 14],
    ]);
    for (const rule of rules) {
      expect(rule.status).toBe("Enabled");
      expect(rule.abort_incomplete_multipart_upload[0]!.days_after_initiation).toBeGreaterThan(0);
    }
  });

  it("THEN the stack outputs the bucket's name as kraken_etcd_backup_bucket", () => {
    expect(json.output.kraken_etcd_backup_bucket?.value).toBe(ref("aws_s3_bucket", bucketId, "bucket"));
  });

  it("THEN each etcd cluster's role may only put objects under its own prefix, and no other role touches S3", () => {
    const policies = rolePolicies(json);
    const uploads = [...policies].flatMap(([role, byName]) => [...byName].filter(([, statements]) => JSON.stringify(statements).includes("s3:")).map(([name, statements]) => ({ role, name, statements })));
    expect(uploads.map(({ role, name }) => `${role} ${name}`).sort()).toEqual(["test-etcd-events upload-snapshots", "test-etcd-main upload-snapshots"]);
    for (const { role, statements } of uploads) {
      const etcd = role.slice("test-etcd-".length);
      expect(statements, role).toEqual([expect.objectContaining({ Effect: "Allow", Action: ["s3:PutObject"], Resource: `${ref("aws_s3_bucket", bucketId, "arn")}/${etcd}/*` })]);
    }
  });

  describe("the members' user data", () => {
    const userData = memberUserData(json);

    it("GIVEN a member of main WHEN decoded THEN it has the snapshot service, a timer every intervalMinutes and the snapshot script", () => {
      const files = cloudConfigFiles(userData.get("main-0")!);
      expect(files.get(SNAPSHOT_SCRIPT)).toBe(withoutCommentLines(ETCD_SNAPSHOT_SH));
      expect(files.get(SNAPSHOT_SERVICE)).toContain(`ExecStart=/usr/bin/bash ${SNAPSHOT_SCRIPT}`);
      expect(files.get(SNAPSHOT_SERVICE)).toContain("Requires=etcd.service");
      expect(files.get(SNAPSHOT_SERVICE)).toContain("Type=oneshot");
      expect(files.get(SNAPSHOT_TIMER)).toMatch(/^OnUnitActiveSec=15min$/m);
      expect(files.get(SNAPSHOT_TIMER)).toContain("WantedBy=timers.target");
      expect(cloudConfigFiles(userData.get("events-1")!).get(SNAPSHOT_TIMER)).toMatch(/^OnUnitActiveSec=30min$/m);
    });

    it("THEN the member script enables the timer once etcd is healthy", () => {
      const script = cloudConfigFiles(userData.get("main-0")!).get("/usr/local/lib/kraken/etcd-member.sh")!;
      expect(script).toContain("systemctl enable --now etcd-snapshot.timer");
      expect(script.indexOf("systemctl enable --now etcd-snapshot.timer")).toBeGreaterThan(script.indexOf("retry 120 10 healthy"));
    });

    it("THEN cluster.env names the bucket (as Terraform fills it in) and the member's etcd cluster", () => {
      for (const [member, text] of userData) {
        const environment = parseEnvironmentFile(cloudConfigFiles(text).get(CLUSTER_ENV)!);
        expect(environment.BACKUP_BUCKET, member).toBe(ref("aws_s3_bucket", bucketId, "bucket"));
        expect(environment.ETCD_CLUSTER, member).toBe(member.replace(/-\d+$/, ""));
      }
    });
  });
});

describe("backups off", () => {
  it("GIVEN every etcd cluster has backup.enabled false WHEN synthesized THEN no bucket, no upload policy, no output and no timer", () => {
    const { json, cluster } = synthCluster(awsWith({ "spec.etcd.0.backup": { enabled: false }, "spec.etcd.1.backup": { enabled: false } }));
    for (const type of S3_TYPES) expect(Object.keys(resourcesOf(json, type)), type).toEqual([]);
    expect(cluster.etcdBackups).toBeUndefined();
    expect(json.output.kraken_etcd_backup_bucket).toBeUndefined();
    expect([...rolePolicies(json).values()].flatMap((byName) => [...byName.keys()]).filter((name) => name !== "read-bootstrap-secret")).toEqual([]);
    for (const [member, text] of memberUserData(json)) {
      const files = cloudConfigFiles(text);
      expect([SNAPSHOT_SCRIPT, SNAPSHOT_SERVICE, SNAPSHOT_TIMER].filter((path) => files.has(path)), member).toEqual([]);
      expect(parseEnvironmentFile(files.get(CLUSTER_ENV)!).BACKUP_BUCKET, member).toBe("");
    }
  });

  it("GIVEN backups off for events only WHEN synthesized THEN the bucket keeps main's rule only, and events gets no rights and no timer", () => {
    const { json } = synthCluster(awsWith({ "spec.etcd.1.backup": { enabled: false } }));
    const [, configuration] = onlyResource<{ rule: readonly LifecycleRule[] }>(json, "aws_s3_bucket_lifecycle_configuration");
    expect(configuration.rule.map((rule) => rule.filter[0]!.prefix)).toEqual(["main/"]);
    const policies = rolePolicies(json);
    expect([...policies.get("test-etcd-events")!.keys()]).toEqual(["read-bootstrap-secret"]);
    expect(policies.get("test-etcd-main")!.has("upload-snapshots")).toBe(true);
    const userData = memberUserData(json);
    expect(cloudConfigFiles(userData.get("events-0")!).has(SNAPSHOT_TIMER)).toBe(false);
    expect(parseEnvironmentFile(cloudConfigFiles(userData.get("events-0")!).get(CLUSTER_ENV)!).BACKUP_BUCKET).toBe("");
    expect(cloudConfigFiles(userData.get("main-0")!).has(SNAPSHOT_TIMER)).toBe(true);
  });
});

describe("the snapshot script", () => {
  const temp = new TempDir();
  afterAll(() => {
    temp.remove();
  });
  const landed = cloudConfigFiles(memberUserData(synthCluster(awsDocument()).json).get("main-1")!).get(SNAPSHOT_SCRIPT)!;

  it("is bash and has no shellcheck findings", () => {
    const path = temp.write("etcd-snapshot.sh", landed);
    runToolOk("bash", ["-n", path]);
    const result = runTool("shellcheck", ["-s", "bash", "-f", "gcc", path]);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  interface Run {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
    readonly calls: (tool: string) => string[];
    readonly snapshots: string[];
    readonly uploaded: () => string;
  }

  const FAKE_ETCDUTL = `#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$FAKE_LOG/etcdutl.log"
if [ "$FAKE_CORRUPT" = yes ] || [ "$(cat "\${*: -1}")" != snapshot-bytes ]; then echo "corrupt snapshot" >&2; exit 1; fi
`;
  const FAKE_AWS = `#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$FAKE_LOG/aws.log"
# The file to upload is the argument before the s3:// destination.
cp "\${@: -2:1}" "$FAKE_LOG/uploaded.db"
`;

  /** Runs the landed script with bash, its fixed paths pointed into a temp dir and fakes first on PATH. */
  function runSnapshot(name: string, options: { leader: boolean; corrupt?: boolean }): Run {
    const root = temp.path(name);
    const log = temp.path(name, "log");
    temp.write(`${name}/log/.keep`, "");
    temp.write(`${name}/bin/etcdctl`, FAKE_ETCDCTL, 0o755);
    temp.write(`${name}/bin/etcdutl`, FAKE_ETCDUTL, 0o755);
    temp.write(`${name}/bin/aws`, FAKE_AWS, 0o755);
    const environment = temp.write(`${name}/cluster.env`, "CLUSTER_NAME='test'\nNODE_ROLE='etcd'\nAWS_REGION='us-west-2'\nETCD_CLUSTER='main'\nETCD_MEMBER='main-1'\nBACKUP_BUCKET='acme-etcd-backups'\n");
    const snapshots = `${root}/snapshots`;
    // The script reads fixed paths; count them, so that a moved path fails here rather than escaping the temp dir.
    expect(landed.split(CLUSTER_ENV).length - 1).toBe(1);
    expect(landed.split("/var/lib/etcd/snapshots").length - 1).toBe(1);
    const script = landed.replace(CLUSTER_ENV, environment).replace("/var/lib/etcd/snapshots", snapshots);
    const result = runTool("bash", ["-c", script], {
      env: { ...process.env, PATH: `${root}/bin:${process.env.PATH ?? ""}`, FAKE_LOG: log, FAKE_LEADER: options.leader ? "yes" : "no", FAKE_CORRUPT: options.corrupt ? "yes" : "no" },
    });
    const read = (file: string): string => {
      try {
        return readFileSync(`${log}/${file}`, "utf8");
      } catch {
        return "";
      }
    };
    return {
      ...result,
      calls: (tool) => read(`${tool}.log`).split("\n").filter((line) => line !== ""),
      snapshots: (() => {
        try {
          return readdirSync(snapshots);
        } catch {
          return [];
        }
      })(),
      uploaded: () => read("uploaded.db"),
    };
  }

  const MEMBER_TLS = "--endpoints https://127.0.0.1:2379 --cacert /etc/etcd/pki/ca.crt --cert /etc/etcd/pki/member.crt --key /etc/etcd/pki/member.key";

  it("GIVEN a follower WHEN the timer runs THEN it asks its own member, takes no snapshot and exits 0", () => {
    const run = runSnapshot("follower", { leader: false });
    expect(run.status, run.stderr).toBe(0);
    expect(run.calls("etcdctl")).toEqual([`${MEMBER_TLS} endpoint status -w json`]);
    expect(run.calls("etcdutl")).toEqual([]);
    expect(run.calls("aws")).toEqual([]);
    expect(run.stdout).toContain("not the leader of main");
  });

  it("GIVEN the leader WHEN the timer runs THEN it saves a snapshot, checks it, uploads it to <bucket>/<etcd cluster>/<timestamp>.db and removes it", () => {
    const run = runSnapshot("leader", { leader: true });
    expect(run.status, run.stderr).toBe(0);
    const etcdctl = run.calls("etcdctl");
    expect(etcdctl[0]).toBe(`${MEMBER_TLS} endpoint status -w json`);
    const save = new RegExp(`^${MEMBER_TLS} snapshot save (\\S+/snapshots/main-(\\d{8}T\\d{6}Z)\\.db)$`).exec(etcdctl[1] ?? "");
    expect(save, etcdctl.join("\n")).not.toBeNull();
    expect(etcdctl).toHaveLength(2);
    const [, file, stamp] = save!;
    expect(run.calls("etcdutl")).toEqual([`snapshot status ${file!}`]);
    expect(run.calls("aws")).toEqual([`s3 cp --region us-west-2 --only-show-errors ${file!} s3://acme-etcd-backups/main/${stamp!}.db`]);
    expect(run.uploaded()).toBe("snapshot-bytes");
    expect(run.snapshots).toEqual([]);
    expect(run.stdout).toContain(`uploaded to s3://acme-etcd-backups/main/${stamp!}.db`);
  });

  it("GIVEN the leader and a snapshot that fails its check WHEN the timer runs THEN nothing is uploaded, the file is removed and the run fails", () => {
    const run = runSnapshot("corrupt", { leader: true, corrupt: true });
    expect(run.status).not.toBe(0);
    expect(run.calls("etcdutl")).toHaveLength(1);
    expect(run.calls("aws")).toEqual([]);
    expect(run.snapshots).toEqual([]);
    expect(run.stdout).toContain("FAILED");
  });
});
