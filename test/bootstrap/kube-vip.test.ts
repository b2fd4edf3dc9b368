/**
 * kube-vip on bare metal: the static pod's manifest, and kube-vip.sh run by the real bash as a
 * control-plane node runs it (shellcheck must find nothing; CI installs it).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { KUBE_VIP_SH, renderKubeVipManifest } from "../../lib/bootstrap/kube-vip";
import { KUBE_VIP_VERSION } from "../../lib/spec";
import { runTool, TempDir } from "./fixtures";

const files = new TempDir();
afterAll(() => {
  files.remove();
});

interface Pod {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly spec: {
    readonly hostNetwork: boolean;
    readonly containers: readonly { readonly image: string; readonly args: readonly string[]; readonly env: readonly { name: string; value: string }[]; readonly securityContext: { capabilities: { add: string[] } }; readonly volumeMounts: readonly { mountPath: string }[] }[];
    readonly volumes: readonly { readonly hostPath: { readonly path: string } }[];
  };
}

const manifest = renderKubeVipManifest({ address: "192.168.10.5", interface: "eno1" });

describe("the kube-vip manifest", () => {
  it("is a host-network static pod in kube-system announcing the VIP by ARP on the interface, with leader election", () => {
    const pod = parse(manifest) as Pod;
    expect(pod).toMatchObject({ kind: "Pod", metadata: { name: "kube-vip", namespace: "kube-system" }, spec: { hostNetwork: true } });
    const [container] = pod.spec.containers;
    expect(container!.image).toBe(`ghcr.io/kube-vip/kube-vip:v${KUBE_VIP_VERSION}`);
    expect(container!.args).toEqual(["manager"]);
    const env = Object.fromEntries(container!.env.map((entry) => [entry.name, entry.value]));
    expect(env).toMatchObject({ address: "192.168.10.5", port: "6443", vip_interface: "eno1", vip_arp: "true", cp_enable: "true", vip_leaderelection: "true", svc_enable: "false" });
    // Every value is a string, as a container's environment must be.
    for (const value of Object.values(env)) expect(typeof value).toBe("string");
    expect(container!.securityContext.capabilities.add).toEqual(["NET_ADMIN", "NET_RAW"]);
    expect(pod.spec.volumes[0]!.hostPath.path).toBe("/etc/kubernetes/admin.conf");
  });
});

describe("kube-vip.sh", () => {
  const script = files.write("kube-vip.sh", KUBE_VIP_SH);

  it("has no shellcheck findings", () => {
    const result = runTool("shellcheck", ["-s", "bash", "-f", "gcc", script]);
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  /** Runs start_kube_vip STEP with the manifest at `source` (absent: none) into a manifests folder. */
  function startKubeVip(step: string, source?: string): { status: number | null; output: string; target: string } {
    const target = files.path(`manifests-${step}-${source === undefined ? "none" : "vip"}`, "kube-vip.yaml");
    const harness = `log() { echo "$*"; }\nfail() { echo "FAILED: $*" >&2; exit 1; }\n. ${script}\nAPI_ENDPOINT=192.168.10.5:6443\nstart_kube_vip ${step}\n`;
    const result = runTool("bash", ["-c", harness], {
      env: { ...process.env, KUBE_VIP_MANIFEST: source ?? files.path("absent.yaml"), KUBE_VIP_TARGET: target },
    });
    return { status: result.status, output: result.stdout + result.stderr, target };
  }

  it("starts kube-vip with super-admin.conf while the first node initializes, 0600", () => {
    const source = files.write("kube-vip.yaml", manifest);
    const { status, output, target } = startKubeVip("init", source);
    expect(status, output).toBe(0);
    const installed = readFileSync(target, "utf8");
    expect(installed).toContain("path: /etc/kubernetes/super-admin.conf");
    expect(installed).not.toContain("path: /etc/kubernetes/admin.conf");
    expect(statSync(target).mode & 0o777).toBe(0o600);
  });

  it("runs it with admin.conf once the cluster is initialized, and after a join", () => {
    const source = files.write("kube-vip.yaml", manifest);
    for (const step of ["initialized", "joined"]) {
      const { status, output, target } = startKubeVip(step, source);
      expect(status, output).toBe(0);
      expect(readFileSync(target, "utf8")).toBe(manifest);
    }
  });

  it("does nothing on a node without a VIP, and refuses an unknown step", () => {
    const none = startKubeVip("init");
    expect(none.status).toBe(0);
    expect(existsSync(none.target)).toBe(false);
    const unknown = startKubeVip("later", files.write("kube-vip.yaml", manifest));
    expect(unknown.status).not.toBe(0);
    expect(unknown.output).toContain("unknown step 'later'");
  });
});
