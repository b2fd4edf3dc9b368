/**
 * kube-vip as a static pod on every control-plane node: on bare metal there is no cloud load
 * balancer, so the nodes share a virtual IP (the API endpoint) by leader election and ARP.
 * docs/bare-metal.md says when to use it and when a DNS name is the better endpoint.
 */
import { stringify } from "yaml";
import { KUBE_VIP_VERSION } from "../spec/versions";

/** Where user data leaves the manifest; kube-vip.sh installs it at the right moment. */
export const KUBE_VIP_MANIFEST = "/etc/kraken/kube-vip.yaml";
/** Where user data leaves KUBE_VIP_SH; control-plane-lib.sh sources it when it is there. */
export const KUBE_VIP_SCRIPT = "/usr/local/lib/kraken/kube-vip.sh";

/**
 * `start_kube_vip init|initialized|joined`, for control-plane.sh: before kubeadm init with
 * super-admin.conf (admin.conf has no rights until init is done); after it, back to admin.conf;
 * on a joining node after kubeadm join, whose preflight wants no manifests of its own.
 */
export const KUBE_VIP_SH = `#!/usr/bin/env bash
# kraken-lib: kube-vip as a static pod on a control-plane node (docs/bare-metal.md); sourced by control-plane-lib.sh.
start_kube_vip() {
  local manifest=\${KUBE_VIP_MANIFEST:-/etc/kraken/kube-vip.yaml} target=\${KUBE_VIP_TARGET:-/etc/kubernetes/manifests/kube-vip.yaml}
  [ -f "$manifest" ] || return 0
  install -d -m 0700 "$(dirname "$target")"
  case $1 in
    init)
      log "starting kube-vip for the VIP of $API_ENDPOINT (super-admin.conf while the cluster initializes)"
      sed 's#path: /etc/kubernetes/admin.conf#path: /etc/kubernetes/super-admin.conf#' "$manifest" > "$target"
      chmod 0600 "$target"
      ;;
    initialized | joined)
      log "kube-vip runs with admin.conf"
      install -m 0600 "$manifest" "$target"
      ;;
    *)
      fail "start_kube_vip: unknown step '$1'"
      ;;
  esac
}
`;

export interface KubeVipInput {
  /** The virtual IP (provider.maas.controlPlaneEndpoint.vip). */
  readonly address: string;
  /** The interface that carries it (provider.maas.network.interface). */
  readonly interface: string;
  readonly port?: number;
  /** @default KUBE_VIP_VERSION */
  readonly version?: string;
}

/**
 * The static pod. It reads the API through /etc/kubernetes/admin.conf; while the first node
 * initializes the cluster, admin.conf has no rights yet (Kubernetes 1.29+), so control-plane-lib.sh
 * points it at super-admin.conf until kubeadm init is done.
 */
export function renderKubeVipManifest(input: KubeVipInput): string {
  const env: Record<string, string> = {
    address: input.address,
    port: String(input.port ?? 6443),
    vip_interface: input.interface,
    vip_cidr: "32",
    vip_arp: "true",
    cp_enable: "true",
    cp_namespace: "kube-system",
    svc_enable: "false",
    vip_leaderelection: "true",
    vip_leasename: "plndr-cp-lock",
    vip_leaseduration: "5",
    vip_renewdeadline: "3",
    vip_retryperiod: "1",
  };
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "kube-vip", namespace: "kube-system", labels: { "app.kubernetes.io/name": "kube-vip", "app.kubernetes.io/managed-by": "kraken-lib" } },
    spec: {
      hostNetwork: true,
      priorityClassName: "system-node-critical",
      hostAliases: [{ ip: "127.0.0.1", hostnames: ["kubernetes"] }],
      containers: [
        {
          name: "kube-vip",
          image: `ghcr.io/kube-vip/kube-vip:v${input.version ?? KUBE_VIP_VERSION}`,
          imagePullPolicy: "IfNotPresent",
          args: ["manager"],
          env: Object.entries(env).map(([name, value]) => ({ name, value })),
          securityContext: { capabilities: { drop: ["ALL"], add: ["NET_ADMIN", "NET_RAW"] } },
          volumeMounts: [{ name: "kubeconfig", mountPath: "/etc/kubernetes/admin.conf", readOnly: true }],
        },
      ],
      volumes: [{ name: "kubeconfig", hostPath: { path: "/etc/kubernetes/admin.conf", type: "File" } }],
    },
  };
  return stringify(pod);
}
