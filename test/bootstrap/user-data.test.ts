/** User data of each role: what cloud-init writes and runs, that no secret is in it, and that it fits EC2's limit. */
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { CALICO_VERSION } from "../../lib/spec";
import { AUDIT_POLICY_FILE, CLUSTER_ENV, ETCD_ENV, KRAKEN_DIR, KRAKEN_LIB_DIR, PLACEHOLDERS, renderEtcdMemberUserData, awsProviderShell } from "../../lib/bootstrap";
import { generateBootstrapToken } from "../../lib/pki";
import {
  API_HOST,
  awsEtcdTopology,
  awsHa,
  awsMinimal,
  codeThatRuns,
  COMMON_SH_PATH,
  controlPlaneUserData,
  ETCD_VOLUME_ID,
  etcdMemberUserData,
  exampleRoles,
  largeCluster,
  landedScript,
  MATERIALIZE_PY_PATH,
  parseEnvironmentFile,
  parseUserData,
  ROLE_SCRIPTS,
  workerUserData,
  writtenFile,
  yamlDocuments,
  type RenderedRole,
  type Role,
} from "./fixtures";

/** EC2 refuses user data over 16 KiB (before base64); the constructs send it gzipped. */
const EC2_USER_DATA_LIMIT = 16_384;
const SYSTEMD_UNIT = "/etc/systemd/system/etcd.service";

const FILES_OF_EVERY_ROLE = [CLUSTER_ENV, COMMON_SH_PATH, MATERIALIZE_PY_PATH];
const FILES_BY_ROLE: Readonly<Record<Role, readonly string[]>> = {
  etcd: [ETCD_ENV, SYSTEMD_UNIT, `${KRAKEN_LIB_DIR}/etcd-member.sh`],
  "control-plane": [
    `${KRAKEN_DIR}/kubeadm-init.yaml`,
    `${KRAKEN_DIR}/kubeadm-join.yaml`,
    `${KRAKEN_DIR}/kubeadm-cluster.yaml`,
    AUDIT_POLICY_FILE,
    `${KRAKEN_LIB_DIR}/control-plane.sh`,
    `${KRAKEN_LIB_DIR}/control-plane-lib.sh`,
    `${KRAKEN_LIB_DIR}/kube-facts.py`,
  ],
  worker: [`${KRAKEN_DIR}/kubeadm-join.yaml`, `${KRAKEN_LIB_DIR}/worker.sh`],
};

/**
 * Upper-case shell variables a script reads without a default (`$X`, `${X}`, not `${X:-...}`) and
 * does not set itself at the top of a line (`KRAKEN_RUN=/run/kraken`): those must come from cluster.env.
 */
function variablesReadWithoutDefault(script: string): Set<string> {
  const assigned = new Set([...script.matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((match) => match[1]!));
  const names = new Set<string>();
  for (const match of script.matchAll(/\$(?:\{([A-Z_][A-Z0-9_]*)(:-)?|([A-Z_][A-Z0-9_]*))/g)) {
    const name = match[1] ?? match[3]!;
    if (match[2] === undefined && !assigned.has(name)) names.add(name);
  }
  return names;
}

/** Variables only the role's own code reads. */
const ROLE_VARIABLES: Readonly<Record<Role, readonly string[]>> = {
  etcd: ["ETCD_MEMBER", "ETCD_VERSION"],
  "control-plane": ["NODE_INDEX", "API_ENDPOINT", "CNI", "CALICO_VERSION", "KUBERNETES_MINOR"],
  worker: ["POOL_NAME", "API_ENDPOINT", "KUBERNETES_MINOR"],
};

/** Set by bash itself or by common.sh before use. */
const SHELL_VARIABLES = ["PATH", "LINENO", "BASH_COMMAND", "BASH_REMATCH"];

const roles = exampleRoles();
const byName = (role: RenderedRole): string => role.name;

describe.each(roles.map((role) => [byName(role), role] as const))("user data of %s", (_name, role) => {
  const userData = parseUserData(role.userData);

  it("is #cloud-config with only write_files and runcmd", () => {
    expect(userData.firstLine).toBe("#cloud-config");
    expect(userData.keys).toEqual(["write_files", "runcmd"]);
  });

  it("reads the same under YAML 1.1, as cloud-init's PyYAML reads it", () => {
    expect(yamlDocuments(role.userData, "1.1")).toEqual(yamlDocuments(role.userData));
  });

  it("runs exactly the role's script, with bash", () => {
    expect(userData.runcmd).toEqual([["bash", `${KRAKEN_LIB_DIR}/${ROLE_SCRIPTS[role.role]}`]]);
  });

  it("writes the files the role needs, and no other", () => {
    const paths = userData.writeFiles.map((file) => file.path);
    expect(new Set(paths).size, `duplicate paths: ${paths.join(", ")}`).toBe(paths.length);
    expect([...paths].sort()).toEqual([...FILES_OF_EVERY_ROLE, ...FILES_BY_ROLE[role.role]].sort());
  });

  it("owns every file by root, with the role script executable and kubeadm configs private", () => {
    for (const file of userData.writeFiles) expect(file.owner, file.path).toBe("root:root");
    const permissions = Object.fromEntries(userData.writeFiles.map((file) => [file.path, file.permissions]));
    expect(permissions[`${KRAKEN_LIB_DIR}/${ROLE_SCRIPTS[role.role]}`]).toBe("0755");
    expect(permissions[COMMON_SH_PATH]).toBe("0644");
    expect(permissions[CLUSTER_ENV]).toBe("0644");
    for (const path of FILES_BY_ROLE[role.role].filter((candidate) => candidate.startsWith(`${KRAKEN_DIR}/kubeadm-`))) expect(permissions[path], path).toBe("0600");
  });

  it("gives the role script every variable it reads from cluster.env", () => {
    const environment = parseEnvironmentFile(writtenFile(userData, CLUSTER_ENV).content);
    expect(environment.NODE_ROLE).toBe(role.role);
    const read = variablesReadWithoutDefault(codeThatRuns(landedScript(userData, ROLE_SCRIPTS[role.role])));
    // Guard the parser: every role logs (NODE_ROLE) and reads its secret (SECRET_ID, AWS_REGION);
    // only etcd members look for a data volume.
    expect([...read]).toEqual(expect.arrayContaining(["NODE_ROLE", "CLUSTER_NAME", "SECRET_ID", "AWS_REGION", ...ROLE_VARIABLES[role.role]]));
    expect(read.has("ETCD_VOLUME_ID")).toBe(role.role === "etcd");
    const missing = [...read].filter((name) => !(name in environment) && !SHELL_VARIABLES.includes(name));
    expect(missing, `set -u would stop the script: cluster.env has ${Object.keys(environment).join(", ")}`).toEqual([]);
  });

  it("holds no secret: no private key, no bootstrap token, no CA hash, only placeholders", () => {
    expect(role.userData).not.toContain("PRIVATE KEY");
    expect(role.userData).not.toContain("-----BEGIN");
    expect(role.userData).not.toMatch(/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/);
    expect(role.userData).not.toMatch(/sha256:[0-9a-f]{64}/);
    if (role.role !== "etcd") {
      expect(role.userData).toContain(PLACEHOLDERS.bootstrapToken);
      expect(role.userData).toContain(PLACEHOLDERS.caCertHash);
    }
  });

  it("fits EC2's user data limit gzipped, with half of it to spare", () => {
    expect(gzipSync(role.userData, { level: 9 }).length).toBeLessThan(EC2_USER_DATA_LIMIT / 2);
  });
});

describe("the secret check", () => {
  it("would catch a real bootstrap token", () => {
    // GIVEN a token as k2 generates it, THEN the pattern the user data tests use finds it
    expect(`token: ${generateBootstrapToken()}\n`).toMatch(/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/);
  });
});

describe("cluster.env of each role", () => {
  const ha = awsHa();

  it("tells an etcd member who it is, which etcd to install and where its data volume is", () => {
    // GIVEN member 1 of main in aws-ha
    const environment = parseEnvironmentFile(writtenFile(parseUserData(etcdMemberUserData(ha, "main", 1)), CLUSTER_ENV).content);
    // THEN cluster.env names it, with the provider's settings
    expect(environment).toEqual({
      CLUSTER_NAME: "prod-usw2",
      NODE_ROLE: "etcd",
      SECRET_ID: "kraken/prod-usw2/etcd-main",
      AWS_REGION: "us-west-2",
      ETCD_VOLUME_ID,
      ETCD_CLUSTER: "main",
      ETCD_MEMBER: "main-1",
      ETCD_VERSION: ha.spec.etcd[0]!.version,
      // The fixture renders without a backup bucket: no snapshots.
      BACKUP_BUCKET: "",
    });
  });

  it("tells a control-plane node its index, the API endpoint, the CNI and the Kubernetes minor", () => {
    const environment = parseEnvironmentFile(writtenFile(parseUserData(controlPlaneUserData(ha, 2)), CLUSTER_ENV).content);
    expect(environment).toMatchObject({
      NODE_ROLE: "control-plane",
      NODE_INDEX: "2",
      API_ENDPOINT: `${API_HOST}:6443`,
      CNI: "calico",
      CALICO_VERSION,
      KUBERNETES_MINOR: "1.36",
      // A minor without a patch: the script installs the latest patch.
      KUBERNETES_VERSION: "",
    });
  });

  it("pins the pool's patch release on workers when the pool names one", () => {
    // GIVEN a pool pinned to a patch release of an older minor
    const cluster = largeCluster();
    const pinned = { ...cluster, spec: { ...cluster.spec, nodePools: [{ ...cluster.spec.nodePools[0]!, kubernetesVersion: "1.35.4" }] } };
    const environment = parseEnvironmentFile(writtenFile(parseUserData(workerUserData(pinned, "big")), CLUSTER_ENV).content);
    // THEN the worker installs exactly that release from the pool's minor's repository
    expect(environment).toMatchObject({ NODE_ROLE: "worker", POOL_NAME: "big", KUBERNETES_MINOR: "1.35", KUBERNETES_VERSION: "1.35.4" });
  });
});

describe("the etcd member's systemd unit", () => {
  it("runs etcd as the etcd user from the member's environment file, after its data volume is mounted", () => {
    const unit = writtenFile(parseUserData(etcdMemberUserData(awsHa(), "events", 0)), SYSTEMD_UNIT).content;
    const lines = unit.split("\n");
    expect(lines).toEqual(expect.arrayContaining([`EnvironmentFile=${ETCD_ENV}`, "ExecStart=/usr/local/bin/etcd", "User=etcd", "Type=notify", "RequiresMountsFor=/var/lib/etcd", "WantedBy=multi-user.target"]));
  });

  it("refuses a member index the etcd cluster does not have", () => {
    const cluster = awsMinimal();
    const render = (): string =>
      renderEtcdMemberUserData({
        cluster,
        etcd: cluster.spec.etcd[0]!,
        topology: awsEtcdTopology(cluster)[0]!,
        memberIndex: 1,
        provider: awsProviderShell(),
        providerEnvironment: { AWS_REGION: "us-west-2" },
        secretId: "kraken/dev/etcd-main",
      });
    expect(render).toThrow(/etcd cluster "main" has no member 1/);
  });
});

describe("user data of the largest cluster", () => {
  // GIVEN 4 etcd clusters of 7 members over 6 zones, 5 control-plane nodes, 30 extra SANs, 40 labels and 12 taints
  const cluster = largeCluster();
  const cases: [string, string][] = [
    ...cluster.spec.etcd.map((etcd): [string, string] => [`etcd ${etcd.name}-6`, etcdMemberUserData(cluster, etcd.name, 6)]),
    ["control-plane 0", controlPlaneUserData(cluster, 0)],
    ["control-plane 4", controlPlaneUserData(cluster, 4)],
    ["worker of big", workerUserData(cluster, "big")],
  ];

  it("is really large: every etcd cluster, SAN and label is in it", () => {
    const controlPlane = cases.find(([name]) => name === "control-plane 4")![1];
    expect(controlPlane.match(/https:\/\/10\.0\.[0-9.]+:2379/g)?.length).toBeGreaterThanOrEqual(4 * 7 * 2);
    expect(controlPlane).toContain("api-29.region-29.prod.example.com");
    expect(cases.find(([name]) => name === "worker of big")![1]).toContain("team39.example.com/workload-class-39=");
  });

  it.each(cases)("%s fits EC2's limit gzipped, with half of it to spare", (_name, userData) => {
    expect(gzipSync(userData, { level: 9 }).length).toBeLessThan(EC2_USER_DATA_LIMIT / 2);
  });
});
