/**
 * A control-plane node's bootstrap functions run for real (bash, python3) against fakes of kubectl
 * and kubeadm. No Kubernetes API server can run on these machines, so fakes/kubectl.py stands in for
 * one: it keeps the join lock's Lease, the kubeadm-config ClusterConfiguration, the control-plane
 * Nodes and kube-proxy's image as files, and answers as kubectl answers a real API server (the same
 * "Error from server (AlreadyExists|Conflict|NotFound)" lines and exit codes, checked against
 * kubectl 1.32 and a stub API server). fakes/kubeadm.py acts on those files as kubeadm would.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KRAKEN_DIR, KRAKEN_LIB_DIR, PLACEHOLDERS } from "../../lib/bootstrap";
import { COMMON_SH_PATH, parseShellScript, runTool, writtenFile, type ParsedUserData, type TempDir, type ToolResult } from "./fixtures";

/** One call of a fake tool, as it recorded it. */
export interface ToolCall {
  readonly tool: "kubectl" | "kubeadm";
  readonly args: readonly string[];
  readonly stdin: string;
}

export interface LeaseDocument {
  readonly metadata: { readonly name: string; readonly namespace: string; readonly resourceVersion: string };
  readonly spec: { readonly holderIdentity: string; readonly leaseDurationSeconds: number; readonly renewTime: string; readonly acquireTime?: string };
}

/** A Kubernetes MicroTime `secondsAgo` seconds ago: 2026-11-26T13:17:41.309000Z. */
export function microTime(secondsAgo: number): string {
  return new Date(Date.now() - secondsAgo * 1000).toISOString().replace("Z", "000Z");
}

/** The join lock as a node holds it: renewed `secondsAgo` seconds ago, for 15 minutes. */
export function joinLock(holder: string, secondsAgo: number, resourceVersion = "17"): LeaseDocument {
  const renewed = microTime(secondsAgo);
  return {
    metadata: { name: "kraken-control-plane-join", namespace: "kube-system", resourceVersion },
    spec: { holderIdentity: holder, leaseDurationSeconds: 900, acquireTime: renewed, renewTime: renewed },
  };
}

/** A control-plane Node with its kubelet version and Ready condition ("Unknown": the kubelet stopped reporting). */
export function controlPlaneNode(name: string, kubeletVersion: string, ready: "True" | "False" | "Unknown" = "True"): object {
  return {
    metadata: { name, labels: { "node-role.kubernetes.io/control-plane": "" } },
    status: { conditions: [{ type: "Ready", status: ready }], nodeInfo: { kubeletVersion } },
  };
}

/** The kubeadm configs of a control-plane node's user data as render_config writes them, for `version`. */
export function renderedKubeadmConfigs(userData: ParsedUserData, version: string): Record<"init" | "join" | "cluster", string> {
  const render = (name: string): string =>
    writtenFile(userData, `${KRAKEN_DIR}/kubeadm-${name}.yaml`)
      .content.replaceAll(PLACEHOLDERS.kubernetesVersion, version)
      .replaceAll(PLACEHOLDERS.nodeIp, "10.0.32.57")
      .replaceAll(PLACEHOLDERS.bootstrapToken, "abcdef.0123456789abcdef")
      .replaceAll(PLACEHOLDERS.caCertHash, "sha256:00");
  return { init: render("init"), join: render("join"), cluster: render("cluster") };
}

const FAKES = join(__dirname, "fakes");
export const NODE_NAME = "ip-10-0-32-57";

/**
 * A machine for one control-plane node: its rendered kubeadm configs, control-plane-lib.sh and
 * kube-facts.py as its user data ships them, common.sh's log, fail and retry, and the fake cluster.
 */
export class FakeControlPlaneNode {
  readonly root: string;
  private readonly state: string;
  private readonly run: string;
  private readonly lib: string;
  private readonly bin: string;

  constructor(files: TempDir, name: string, private readonly userData: ParsedUserData, version: string) {
    this.root = files.path(name);
    this.state = join(this.root, "cluster");
    this.run = join(this.root, "run");
    this.lib = join(this.root, "lib");
    this.bin = join(this.root, "bin");
    for (const directory of [this.state, this.run, this.lib, this.bin]) mkdirSync(directory, { recursive: true });
    copyFileSync(join(FAKES, "kubectl.py"), join(this.bin, "kubectl"));
    copyFileSync(join(FAKES, "kubeadm.py"), join(this.bin, "kubeadm"));
    writeFileSync(join(this.bin, "hostname"), `#!/bin/sh\necho ${NODE_NAME}\n`);
    for (const tool of ["kubectl", "kubeadm", "hostname"]) chmodSync(join(this.bin, tool), 0o755);
    for (const file of ["control-plane-lib.sh", "kube-facts.py"]) writeFileSync(join(this.lib, file), writtenFile(userData, `${KRAKEN_LIB_DIR}/${file}`).content);
    const configs = renderedKubeadmConfigs(userData, version);
    for (const [kind, text] of Object.entries(configs)) writeFileSync(join(this.run, `kubeadm-${kind}.yaml`), text);
  }

  /** Stores the ClusterConfiguration of `kubeadmConfig` (a config file's text) in kubeadm-config, through the fake kubeadm, as kubeadm init did. */
  initializedWith(kubeadmConfig: string): this {
    const path = join(this.state, "init.yaml");
    writeFileSync(path, kubeadmConfig);
    const result = this.tool("kubeadm", ["init", "phase", "upload-config", "kubeadm", "--config", path, "--kubeconfig", "/etc/kubernetes/admin.conf"]);
    if (result.status !== 0) throw new Error(`seeding the fake cluster failed: ${result.stderr}`);
    writeFileSync(join(this.state, "calls.jsonl"), "");
    return this;
  }

  withLease(lease: LeaseDocument): this {
    return this.withFile("lease.json", JSON.stringify(lease));
  }

  /** The control-plane NodeLists that successive `kubectl get nodes` see: the cluster as time goes on. */
  withNodes(...lists: readonly (readonly object[])[]): this {
    return this.withFile("nodes.json", JSON.stringify(lists.map((items) => ({ items }))));
  }

  withKubeProxy(image: string): this {
    return this.withFile("kube-proxy-image", image);
  }

  /** Scripted events of the fake API server: `holder-releases-after` N failed creates, `rival-on-replace` takes the lease first. */
  withFile(name: string, content: string): this {
    writeFileSync(join(this.state, name), content);
    return this;
  }

  lease(): LeaseDocument | undefined {
    const path = join(this.state, "lease.json");
    return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as LeaseDocument) : undefined;
  }

  storedClusterConfiguration(): string {
    return readFileSync(join(this.state, "cluster-configuration.yaml"), "utf8");
  }

  kubeProxyImage(): string | undefined {
    const path = join(this.state, "kube-proxy-image");
    return existsSync(path) ? readFileSync(path, "utf8") : undefined;
  }

  calls(): ToolCall[] {
    const path = join(this.state, "calls.jsonl");
    if (!existsSync(path)) return [];
    return readFileSync(path, "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as ToolCall);
  }

  /** The calls as command lines: "kubectl create -f -", without the --kubeconfig every kubectl call carries. */
  commands(): string[] {
    return this.calls().map((call) => {
      const args = [...call.args];
      const kubeconfig = args.indexOf("--kubeconfig");
      if (call.tool === "kubectl" && kubeconfig >= 0) args.splice(kubeconfig, 2);
      return [call.tool, ...args].join(" ").replaceAll(`${this.run}/`, "RUN/");
    });
  }

  /**
   * Runs `body` after common.sh's shell options, log, fail, retry and ERR trap and control-plane-lib.sh,
   * as control-plane.sh runs it, with sleep made instant and the node's paths pointing into this machine.
   */
  runScript(body: string, environment: Readonly<Record<string, string>> = {}): ToolResult {
    const common = parseShellScript(writtenFile(this.userData, COMMON_SH_PATH).content);
    const topLevel = common.topLevel.split("\n");
    const program = [
      ...topLevel.filter((line) => line.startsWith("set -")),
      "NODE_ROLE=control-plane",
      ...["log", "fail", "retry"].map((name) => common.functions.get(name)!.definition),
      ...topLevel.filter((line) => line.startsWith("trap ")),
      "sleep() { :; }",
      `. ${join(this.lib, "control-plane-lib.sh")}`,
      `KRAKEN_RUN=${this.run}`,
      `KRAKEN_LIB=${this.lib}`,
      body,
    ].join("\n");
    return runTool("bash", ["-c", program], {
      env: { PATH: `${this.bin}:${process.env.PATH ?? ""}`, FAKE_CLUSTER: this.state, NODE_INDEX: "0", API_ENDPOINT: "api.example.com:6443", ...environment },
    });
  }

  private tool(name: string, args: readonly string[]): ToolResult {
    return runTool(join(this.bin, name), args, { env: { PATH: process.env.PATH, FAKE_CLUSTER: this.state } });
  }
}
