/**
 * The control-plane node's bootstrap: the role script, the functions it runs (a file of their own,
 * so that tests can run each alone against fakes of kubectl and kubeadm), and kube-facts.py, which
 * reads Kubernetes objects and kubeadm configuration for them.
 *
 * Control-plane nodes join one at a time, holding a cluster-wide join lock (a Lease in kube-system).
 * Holding it, a node makes the cluster's ClusterConfiguration its own before `kubeadm join`, which
 * reads that configuration from the cluster, not from the node: that is how a replacement built for a
 * new Kubernetes version or new API server settings upgrades the control plane. The addons follow
 * once every control-plane node runs the new minor. docs/aws.md tells the whole story.
 */

/** Control-plane node: initialize (node 0 of a new cluster) or join, one node at a time. */
export const CONTROL_PLANE_SH = `#!/usr/bin/env bash
# Control-plane node: node 0 initializes the cluster; the others join one at a time (docs/aws.md).
. /usr/local/lib/kraken/common.sh
. /usr/local/lib/kraken/control-plane-lib.sh

exit_if_joined
log "control-plane node $NODE_INDEX of cluster $CLUSTER_NAME"
prepare_kubernetes_node
render_config /etc/kraken/kubeadm-init.yaml "$KRAKEN_RUN/kubeadm-init.yaml"
render_config /etc/kraken/kubeadm-join.yaml "$KRAKEN_RUN/kubeadm-join.yaml"
render_config /etc/kraken/kubeadm-cluster.yaml "$KRAKEN_RUN/kubeadm-cluster.yaml"
trap finish_control_plane_bootstrap EXIT

joined=yes
if api_ready; then
  join_control_plane
elif [ "$NODE_INDEX" = "0" ]; then
  log "no API answers at $API_ENDPOINT: initializing the cluster"
  use_local_api
  start_kube_vip init
  kubeadm init --config "$KRAKEN_RUN/kubeadm-init.yaml"
  start_kube_vip initialized
  install_cni
  joined=no
else
  wait_for_api
  join_control_plane
fi
rm -f "$KRAKEN_RUN/secret.json" "$KRAKEN_RUN/secret.json.env"
log "control-plane node $NODE_INDEX is up"
if [ "$joined" = yes ]; then update_addons_when_last; fi
`;

/** The steps of control-plane.sh as functions; sourced after common.sh. */
export const CONTROL_PLANE_LIB_SH = `#!/usr/bin/env bash
# kraken-lib: control-plane.sh's steps, after common.sh (docs/aws.md).

KRAKEN_RUN=/run/kraken
KRAKEN_LIB=/usr/local/lib/kraken
# The join lock: a Lease one joining node holds at a time, stale after JOIN_LOCK_SECONDS.
JOIN_LOCK=kraken-control-plane-join
JOIN_LOCK_SECONDS=900
JOIN_LOCK_HELD=no

node_name() { hostname; }

kube_facts() { python3 "$KRAKEN_LIB/kube-facts.py" "$@"; }

admin_kubectl() { kubectl --kubeconfig "$KRAKEN_RUN/bootstrap-admin.conf" "$@"; }

# A kubeadm init phase with this node's configuration, against the running cluster.
init_phase() { kubeadm init phase "$@" --config "$KRAKEN_RUN/kubeadm-init.yaml" --kubeconfig "$KRAKEN_RUN/bootstrap-admin.conf"; }

# A short-lived administrator (system:masters) from the cluster CA this node holds.
make_admin_kubeconfig() {
  kubeadm kubeconfig user --config "$KRAKEN_RUN/kubeadm-cluster.yaml" --client-name "kraken:bootstrap:$(node_name)" \\
    --org system:masters --validity-period 3h > "$KRAKEN_RUN/bootstrap-admin.conf"
}

finish_control_plane_bootstrap() {
  release_join_lock
  rm -f "$KRAKEN_RUN/bootstrap-admin.conf" "$KRAKEN_RUN/cluster-configuration.yaml"
}

# The endpoint name resolves to this node's own API server, not through the load balancer.
use_local_api() {
  local host=\${API_ENDPOINT%:*}
  grep -q " $host\\$" /etc/hosts || echo "127.0.0.1 $host" >> /etc/hosts
}

control_plane_registered() {
  local names
  names=$(admin_kubectl get nodes -l node-role.kubernetes.io/control-plane -o name) || return 1
  [ "$(grep -c . <<< "$names")" -ge "$1" ]
}

# In a new cluster, node i waits for nodes 0..i-1 (node 0's init has then stored kubeadm-config).
wait_for_earlier_nodes() {
  [ "$1" -gt 0 ] || return 0
  log "waiting until $1 earlier control-plane node(s) have joined"
  retry 360 10 control_plane_registered "$1" || fail "earlier control-plane nodes did not join in an hour"
}

# The Lease held by this node from now; with a resourceVersion, a replace of that version only.
join_lock_manifest() {
  local now version=""
  now=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
  if [ -n "\${1:-}" ]; then version=',"resourceVersion":"'"$1"'"'; fi
  printf '{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"%s","namespace":"kube-system"%s},' "$JOIN_LOCK" "$version"
  printf '"spec":{"holderIdentity":"%s","leaseDurationSeconds":%d,"renewTime":"%s"}}\\n' "$(node_name)" "$JOIN_LOCK_SECONDS" "$now"
}

# The lock's resourceVersion, holder, stale|live and age in seconds, a line each.
join_lock_state() {
  local lease
  lease=$(admin_kubectl -n kube-system get lease "$JOIN_LOCK" -o json 2>&1) || { log "cannot read the join lock: $lease" >&2; return 1; }
  kube_facts lease <<< "$lease"
}

# The create is atomic (AlreadyExists while held). A stale lock, or ours from a run cut short, is
# taken over by a replace of the version read: a Conflict means another node was first.
try_join_lock() {
  local output text reason
  local -a state
  if output=$(join_lock_manifest | admin_kubectl create -f - 2>&1); then
    JOIN_LOCK_HELD=yes
    log "took the join lock"
    return 0
  fi
  [[ $output == *AlreadyExists* ]] || { log "cannot create the join lock: $output"; return 1; }
  text=$(join_lock_state) || return 1
  mapfile -t state <<< "$text"
  if [ "\${state[1]}" = "$(node_name)" ]; then
    reason="ours, from an earlier run"
  elif [ "\${state[2]}" = stale ]; then
    reason="stale: \${state[1]}, \${state[3]}s"
  else
    log "the join lock is held by \${state[1]} (\${state[3]}s)"
    return 1
  fi
  if output=$(join_lock_manifest "\${state[0]}" | admin_kubectl replace -f - 2>&1); then
    JOIN_LOCK_HELD=yes
    log "took over the join lock ($reason)"
    return 0
  fi
  log "another node took over the join lock first: $output"
  return 1
}

acquire_join_lock() {
  log "taking the join lock (lease kube-system/$JOIN_LOCK)"
  retry 360 10 try_join_lock || fail "the join lock was not free for an hour"
}

# Deletes the lock if still ours, on the precondition of the version read.
release_join_lock() {
  local text output
  local -a state
  [ "$JOIN_LOCK_HELD" = yes ] || return 0
  JOIN_LOCK_HELD=no
  text=$(join_lock_state) || return 0
  mapfile -t state <<< "$text"
  if [ "\${state[1]}" != "$(node_name)" ]; then
    log "the join lock is held by \${state[1]} now: leaving it"
  elif output=$(printf '{"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"resourceVersion":"%s"}}' "\${state[0]}" \\
    | admin_kubectl delete --raw "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/$JOIN_LOCK" -f - 2>&1); then
    log "released the join lock"
  else
    log "cannot release the join lock: $output"
  fi
}

# v1.37.2 -> 1037, to compare minors.
minor_number() { [[ $1 =~ ^v?([0-9]+)\\.([0-9]+) ]] && echo $((10#\${BASH_REMATCH[1]} * 1000 + 10#\${BASH_REMATCH[2]})); }

# Refuses to move the control plane back a minor, or forward more than one.
check_version_step() {
  local from to
  from=$(minor_number "$1") || fail "the cluster's kubernetesVersion '$1' is not a version"
  to=$(minor_number "$2") || fail "this node's kubernetesVersion '$2' is not a version"
  [ "$to" -ge "$from" ] || fail "refusing to join: this node's $2 is older than the cluster's $1 (a rollback)"
  [ "$to" -le $((from + 1)) ] || fail "refusing to join: this node's $2 is over a minor newer than the cluster's $1"
}

# The cluster's ClusterConfiguration, which kubeadm join reads: kube-system/kubeadm-config.
fetch_cluster_configuration() {
  admin_kubectl -n kube-system get configmap kubeadm-config -o jsonpath='{.data.ClusterConfiguration}' > "$KRAKEN_RUN/cluster-configuration.yaml" \\
    || fail "cannot read configmap kube-system/kubeadm-config"
}

# kubeadm join takes the cluster's ClusterConfiguration: upload ours when it differs (new version, settings).
update_cluster_configuration() {
  local stored mine differences
  fetch_cluster_configuration
  stored=$(kube_facts version "$KRAKEN_RUN/cluster-configuration.yaml")
  mine=$(kube_facts version "$KRAKEN_RUN/kubeadm-cluster.yaml")
  check_version_step "$stored" "$mine"
  differences=$(kube_facts differences "$KRAKEN_RUN/cluster-configuration.yaml" "$KRAKEN_RUN/kubeadm-cluster.yaml")
  if [ -z "$differences" ]; then
    log "the cluster's ClusterConfiguration is this node's ($mine)"
    return 0
  fi
  log "the cluster's ClusterConfiguration ($stored) differs from this node's ($mine): \${differences//$'\\n'/; }"
  init_phase upload-config kubeadm
  log "uploaded this node's ClusterConfiguration ($mine)"
}

join_control_plane() {
  make_admin_kubeconfig
  wait_for_earlier_nodes "$NODE_INDEX"
  acquire_join_lock
  update_cluster_configuration
  log "joining the control plane"
  kubeadm join --config "$KRAKEN_RUN/kubeadm-join.yaml"
  use_local_api
  start_kube_vip joined
  release_join_lock
}

# Every control-plane node still reporting (Ready is not Unknown) runs VERSION's minor.
control_plane_at_version() {
  local nodes others
  nodes=$(admin_kubectl get nodes -l node-role.kubernetes.io/control-plane -o json) || return 1
  others=$(kube_facts other-minors "$1" <<< "$nodes") || return 1
  [ -z "$others" ] || { log "control-plane nodes at another minor: \${others//$'\\n'/, }"; return 1; }
}

# kube-proxy's image tag; nothing when a CNI replaced it.
kube_proxy_version() {
  local image
  image=$(admin_kubectl -n kube-system get daemonset kube-proxy --ignore-not-found -o jsonpath='{.spec.template.spec.containers[0].image}') || return 1
  [ -z "$image" ] || echo "\${image##*:}"
}

# kube-proxy is never newer than the oldest API server: addons follow once every node runs the minor.
update_addons_when_last() {
  local version current
  make_admin_kubeconfig
  fetch_cluster_configuration
  version=$(kube_facts version "$KRAKEN_RUN/kubeadm-cluster.yaml")
  current=$(kube_facts version "$KRAKEN_RUN/cluster-configuration.yaml")
  [ "$current" = "$version" ] || { log "the cluster runs $current: the addons are not ours to update"; return 0; }
  [ "$(kube_proxy_version)" != "$version" ] || return 0
  log "updating kube-proxy and CoreDNS once every control-plane node runs $version's minor"
  retry 360 10 control_plane_at_version "$version" || { log "old control-plane nodes remain: the addons stay"; return 0; }
  acquire_join_lock
  current=$(kube_proxy_version)
  if [ "$current" = "$version" ]; then
    log "the addons run $version already"
  elif [ -z "$current" ]; then
    log "no kube-proxy DaemonSet: updating CoreDNS to $version's"
    init_phase addon coredns
  else
    log "updating kube-proxy ($current) and CoreDNS to $version's"
    init_phase addon all
  fi
  release_join_lock
}

# kube-vip.sh (bare metal) has the real one.
start_kube_vip() { :; }
# shellcheck source=/dev/null
[ ! -f "$KRAKEN_LIB/kube-vip.sh" ] || . "$KRAKEN_LIB/kube-vip.sh"

install_cni() {
  if [ "$CNI" != "calico" ]; then
    log "no pod network installed (spec.kubernetes.cni is $CNI): nodes stay NotReady until you install one"
    return 0
  fi
  log "installing Calico $CALICO_VERSION"
  retry 10 15 kubectl --kubeconfig /etc/kubernetes/admin.conf apply \\
    -f "https://raw.githubusercontent.com/projectcalico/calico/v$CALICO_VERSION/manifests/calico.yaml"
}
`;

/** Reads Lease, Node and kubeadm configuration documents for control-plane-lib.sh. */
export const KUBE_FACTS_PY = `"""kraken-lib: reads Kubernetes JSON (stdin) and kubeadm YAML for control-plane-lib.sh."""
import datetime
import json
import sys

import yaml


def cluster_configuration(path):
    with open(path, encoding="utf-8") as handle:
        return next(doc for doc in yaml.safe_load_all(handle) if isinstance(doc, dict) and doc.get("kind") == "ClusterConfiguration")


def minor(version):
    return version.lstrip("v").split(".")[:2]


def lease():
    lease = json.load(sys.stdin)
    spec = lease["spec"]
    renewed = datetime.datetime.strptime(spec.get("renewTime", "1970-01-01T00:00:00")[:19], "%Y-%m-%dT%H:%M:%S")
    age = int((datetime.datetime.now(datetime.timezone.utc) - renewed.replace(tzinfo=datetime.timezone.utc)).total_seconds())
    print(lease["metadata"]["resourceVersion"], spec.get("holderIdentity") or "", "stale" if age > spec["leaseDurationSeconds"] else "live", age, sep="\\n")


def differences(stored, mine, path):
    # Top-level fields only the cluster has are kubeadm's defaults; deeper ones (a removed flag) count.
    if isinstance(stored, dict) and isinstance(mine, dict):
        found = [d for key in mine for d in differences(stored.get(key), mine[key], path + [key])]
        return found + [".".join(path + [key]) + " (removed)" for key in stored if path and key not in mine]
    if stored == mine:
        return []
    return [".".join(path) + ("" if isinstance(mine, (dict, list)) else " (%s -> %s)" % (stored, mine))]


def other_minors(version):
    for node in json.load(sys.stdin)["items"]:
        status = node["status"]
        ready = [c["status"] for c in status.get("conditions", []) if c["type"] == "Ready"]
        if ready != ["Unknown"] and minor(status["nodeInfo"]["kubeletVersion"]) != minor(version):
            print(node["metadata"]["name"], status["nodeInfo"]["kubeletVersion"])


command, arguments = sys.argv[1], sys.argv[2:]
if command == "lease":
    lease()
elif command == "version":
    print(cluster_configuration(arguments[0]).get("kubernetesVersion", ""))
elif command == "differences":
    print("\\n".join(differences(cluster_configuration(arguments[0]), cluster_configuration(arguments[1]), [])))
elif command == "other-minors":
    other_minors(arguments[0])
`;
