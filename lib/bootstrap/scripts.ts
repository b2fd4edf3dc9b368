/**
 * The shell scripts of node bootstrap, shipped in user data. Kept here as text so that they
 * are versioned with the code that renders their inputs; tests run them through bash -n,
 * shellcheck and python3. The control plane's are in control-plane-scripts.ts.
 */

/** Functions shared by the role scripts: logging, retries, installing containerd and Kubernetes, rendering configs. */
export const COMMON_SH = `#!/usr/bin/env bash
# kraken-lib node bootstrap: functions shared by the role scripts. Sourced, never run alone.
# Everything is logged to /var/log/kraken-bootstrap.log and to the journal (journalctl -t kraken-bootstrap).
set -Eeuo pipefail
export PATH="$PATH:/snap/bin:/usr/local/bin"
export DEBIAN_FRONTEND=noninteractive
umask 077
install -d -m 0700 /run/kraken
exec > >(tee -a /var/log/kraken-bootstrap.log | logger -t kraken-bootstrap) 2>&1

# shellcheck source=/dev/null
. /etc/kraken/cluster.env

log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) kraken[$NODE_ROLE]: $*"; }
fail() {
  log "FAILED: $*"
  log "see docs/debugging.md in kraken-lib; this log is /var/log/kraken-bootstrap.log"
  exit 1
}
trap 'fail "command failed at line $LINENO: $BASH_COMMAND"' ERR

# retry ATTEMPTS DELAY_SECONDS COMMAND...: runs COMMAND until it succeeds.
retry() {
  local attempts=$1 delay=$2 n=1
  shift 2
  until "$@"; do
    if [ "$n" -ge "$attempts" ]; then return 1; fi
    log "attempt $n/$attempts failed, again in \${delay}s: $*"
    sleep "$delay"
    n=$((n + 1))
  done
}

node_ip() { ip -4 -o route get 1.1.1.1 | sed -n 's/.* src \\([0-9.]*\\).*/\\1/p'; }

cpu_arch() {
  case "$(uname -m)" in
    x86_64) echo amd64 ;;
    aarch64) echo arm64 ;;
    *) fail "unsupported CPU architecture $(uname -m)" ;;
  esac
}

# Writes the files of a secret document and its values as /run/kraken/<name>.env.
# MEMBER limits per-member files to that member (etcd).
materialize_secret() {
  local document=$1 member=\${2:-}
  python3 /usr/local/lib/kraken/materialize.py "$document" "$member"
}

# Substitutes the values only known on the machine into a config template.
render_config() {
  local template=$1 output=$2
  sed -e "s|__KUBERNETES_VERSION__|$(kubeadm version -o short)|g" \\
    -e "s|__NODE_IP__|$(node_ip)|g" \\
    -e "s|__BOOTSTRAP_TOKEN__|\${BOOTSTRAP_TOKEN:-}|g" \\
    -e "s|__CA_CERT_HASH__|\${CA_CERT_HASH:-}|g" \\
    "$template" > "$output"
  chmod 0600 "$output"
}

install_kubernetes() {
  log "installing containerd and Kubernetes \${KUBERNETES_VERSION:-$KUBERNETES_MINOR (latest patch)}"
  printf 'overlay\\nbr_netfilter\\n' > /etc/modules-load.d/kubernetes.conf
  modprobe overlay
  modprobe br_netfilter
  printf 'net.bridge.bridge-nf-call-iptables = 1\\nnet.bridge.bridge-nf-call-ip6tables = 1\\nnet.ipv4.ip_forward = 1\\n' > /etc/sysctl.d/90-kubernetes.conf
  sysctl --system > /dev/null
  retry 10 10 apt-get update -q
  retry 5 10 apt-get install -y -q containerd apt-transport-https ca-certificates curl gpg
  install -d -m 0755 /etc/containerd
  containerd config default | sed 's/SystemdCgroup = false/SystemdCgroup = true/' > /etc/containerd/config.toml
  chmod 0644 /etc/containerd/config.toml
  systemctl restart containerd
  local repo="https://pkgs.k8s.io/core:/stable:/v$KUBERNETES_MINOR/deb/"
  install -d -m 0755 /etc/apt/keyrings
  retry 10 10 curl -fsSL "\${repo}Release.key" -o /run/kraken/kubernetes-release.key
  gpg --dearmor --yes -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg /run/kraken/kubernetes-release.key
  chmod 0644 /etc/apt/keyrings/kubernetes-apt-keyring.gpg
  echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] $repo /" > /etc/apt/sources.list.d/kubernetes.list
  chmod 0644 /etc/apt/sources.list.d/kubernetes.list
  retry 10 10 apt-get update -q
  local pin=""
  if [ -n "\${KUBERNETES_VERSION:-}" ]; then pin="=$KUBERNETES_VERSION-*"; fi
  retry 5 10 apt-get install -y -q "kubelet$pin" "kubeadm$pin" "kubectl$pin"
  apt-mark hold kubelet kubeadm kubectl
  systemctl enable kubelet
}

# A node that joined keeps its kubelet.conf: running the bootstrap again changes nothing.
exit_if_joined() {
  if [ -f /etc/kubernetes/kubelet.conf ]; then
    log "already part of the cluster; nothing to do"
    exit 0
  fi
}

# Installs Kubernetes and takes this node's secret: its files, and its values as shell variables
# (BOOTSTRAP_TOKEN, CA_CERT_HASH).
prepare_kubernetes_node() {
  install_kubernetes
  fetch_secret "$SECRET_ID" /run/kraken/secret.json
  materialize_secret /run/kraken/secret.json
  # shellcheck source=/dev/null
  . /run/kraken/secret.json.env
}

# The API answers /readyz through the control-plane endpoint (anonymous access to /readyz is allowed by default).
api_ready() { curl -fsk --max-time 5 "https://$API_ENDPOINT/readyz" > /dev/null; }

wait_for_api() {
  log "waiting for the API at $API_ENDPOINT"
  retry 360 10 api_ready || fail "the API at $API_ENDPOINT did not answer in an hour"
}
`;

/** Worker node of a pool: join with the bootstrap token. */
export const WORKER_SH = `#!/usr/bin/env bash
# Worker node of a pool: joins with the cluster's bootstrap token.
. /usr/local/lib/kraken/common.sh

exit_if_joined
log "worker of pool $POOL_NAME in cluster $CLUSTER_NAME"
prepare_kubernetes_node
render_config /etc/kraken/kubeadm-join.yaml /run/kraken/kubeadm-join.yaml
wait_for_api
log "joining the cluster"
retry 10 30 kubeadm join --config /run/kraken/kubeadm-join.yaml
rm -f /run/kraken/secret.json /run/kraken/secret.json.env
log "worker is up"
`;

/** etcd member: data volume, etcd binary, certificate, systemd service, health. */
export const ETCD_MEMBER_SH = `#!/usr/bin/env bash
# etcd member: mounts its own data volume, installs etcd, takes its certificate from the secret
# store and starts. The data directory survives the machine: a replaced machine rejoins as the
# same member.
. /usr/local/lib/kraken/common.sh

log "etcd member $ETCD_MEMBER of cluster $CLUSTER_NAME"

mount_data_volume() {
  local device
  log "waiting for the data volume"
  retry 90 10 data_device > /dev/null || fail "the data volume did not appear"
  device=$(data_device)
  if [ -z "$device" ]; then
    log "this member has no data volume of its own: etcd's data stays on the root disk, in /var/lib/etcd"
    install -d -m 0700 /var/lib/etcd
    return 0
  fi
  if ! blkid "$device" > /dev/null 2>&1; then
    log "formatting new data volume $device"
    mkfs.ext4 -q -L etcd-data "$device"
  fi
  install -d -m 0700 /var/lib/etcd
  if ! mountpoint -q /var/lib/etcd; then
    local uuid
    uuid=$(blkid -s UUID -o value "$device")
    grep -q "UUID=$uuid" /etc/fstab || echo "UUID=$uuid /var/lib/etcd ext4 defaults,nofail,noatime 0 2" >> /etc/fstab
    mount /var/lib/etcd
  fi
}

install_etcd() {
  local arch file base
  arch=$(cpu_arch)
  if [ -x /usr/local/bin/etcd ] && /usr/local/bin/etcd --version | grep -q "etcd Version: $ETCD_VERSION\\$"; then return 0; fi
  file="etcd-v$ETCD_VERSION-linux-$arch.tar.gz"
  base="https://github.com/etcd-io/etcd/releases/download/v$ETCD_VERSION"
  log "installing etcd $ETCD_VERSION"
  retry 10 10 curl -fsSL "$base/$file" -o "/run/kraken/$file"
  retry 10 10 curl -fsSL "$base/SHA256SUMS" -o /run/kraken/etcd-SHA256SUMS
  (cd /run/kraken && grep " $file\\$" etcd-SHA256SUMS | sha256sum -c --quiet -) || fail "checksum mismatch for $file"
  tar -xzf "/run/kraken/$file" -C /run/kraken
  install -m 0755 "/run/kraken/etcd-v$ETCD_VERSION-linux-$arch/etcd" "/run/kraken/etcd-v$ETCD_VERSION-linux-$arch/etcdctl" \\
    "/run/kraken/etcd-v$ETCD_VERSION-linux-$arch/etcdutl" /usr/local/bin/
}

mount_data_volume
install_etcd
id etcd > /dev/null 2>&1 || useradd --system --home-dir /var/lib/etcd --shell /usr/sbin/nologin etcd
fetch_secret "$SECRET_ID" /run/kraken/secret.json
materialize_secret /run/kraken/secret.json "$ETCD_MEMBER"
rm -f /run/kraken/secret.json /run/kraken/secret.json.env
install -d -m 0700 -o etcd -g etcd /var/lib/etcd/data
chown -R etcd:etcd /var/lib/etcd /etc/etcd/pki
systemctl daemon-reload
systemctl enable --now etcd
healthy() {
  etcdctl --endpoints https://127.0.0.1:2379 --cacert /etc/etcd/pki/ca.crt --cert /etc/etcd/pki/member.crt \\
    --key /etc/etcd/pki/member.key endpoint health > /dev/null 2>&1
}
log "waiting for etcd to report healthy (it needs a majority of members up)"
retry 120 10 healthy || fail "etcd did not become healthy; check journalctl -u etcd"
log "etcd member $ETCD_MEMBER is healthy"
if [ -f /etc/systemd/system/etcd-snapshot.timer ]; then
  systemctl enable --now etcd-snapshot.timer
  if [ -n "\${BACKUP_BUCKET:-}" ]; then
    log "snapshots go to s3://$BACKUP_BUCKET/$ETCD_CLUSTER/ (the leader takes them)"
  else
    log "snapshots stay on the leader, in /var/lib/etcd/snapshots, for \${BACKUP_RETENTION_DAYS:-?} days: copy them off the machines"
  fi
fi
# The log agent (spec.addons.logging): a member that cannot ship its logs still serves.
if [ -f /usr/local/lib/kraken/log-agent.sh ]; then
  # shellcheck source=/dev/null
  . /usr/local/lib/kraken/log-agent.sh
  install_log_agent || log "WARNING: the log agent did not install; etcd runs, but this host's journal is not shipped"
fi
`;

/**
 * etcd snapshot: the leader saves, checks and uploads a snapshot (run by a systemd timer). Without
 * a bucket (MAAS), it keeps the snapshot on its own disk for BACKUP_RETENTION_DAYS days.
 */
export const ETCD_SNAPSHOT_SH = `#!/usr/bin/env bash
# etcd snapshot: run by etcd-snapshot.timer on every member; only the leader takes a snapshot,
# checks it and uploads it to the cluster's backup bucket, so that one is taken per interval.
# Without a bucket (BACKUP_BUCKET empty), the leader keeps it in its snapshot folder, and every
# member deletes its own snapshots older than BACKUP_RETENTION_DAYS days.
set -Eeuo pipefail
export PATH="$PATH:/snap/bin:/usr/local/bin"
umask 077
# shellcheck source=/dev/null
. /etc/kraken/cluster.env

log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) kraken[etcd-snapshot]: $*"; }
trap 'log "FAILED at line $LINENO: $BASH_COMMAND"' ERR

member_etcdctl() {
  etcdctl --endpoints https://127.0.0.1:2379 --cacert /etc/etcd/pki/ca.crt --cert /etc/etcd/pki/member.crt \\
    --key /etc/etcd/pki/member.key "$@"
}

is_leader() {
  member_etcdctl endpoint status -w json | python3 -c '
import json, sys
status = json.load(sys.stdin)[0]["Status"]
sys.exit(0 if status["header"]["member_id"] == status["leader"] else 1)
'
}

directory=/var/lib/etcd/snapshots
bucket=\${BACKUP_BUCKET:-}
retention_days=\${BACKUP_RETENTION_DAYS:-}
if [ -z "$bucket" ] && ! [[ "$retention_days" =~ ^[1-9][0-9]*$ ]]; then
  log "FAILED: cluster.env sets neither BACKUP_BUCKET nor BACKUP_RETENTION_DAYS (days, got '$retention_days'): nowhere to keep snapshots"
  exit 1
fi

# Local snapshots (no bucket): each member removes its own old ones, leader or not, since the
# leader changes over time.
remove_old_snapshots() {
  if [ -n "$bucket" ] || [ ! -d "$directory" ]; then return 0; fi
  find "$directory" -maxdepth 1 -type f -name "$ETCD_CLUSTER-*.db" -mmin +$((retention_days * 1440)) -print -delete |
    while read -r old; do log "removed $old, older than $retention_days days"; done
}

if ! is_leader; then
  log "not the leader of $ETCD_CLUSTER: no snapshot from this member"
  remove_old_snapshots
  exit 0
fi
stamp=$(date -u +%Y%m%dT%H%M%SZ)
install -d -m 0700 "$directory"
file="$directory/$ETCD_CLUSTER-$stamp.db"
trap 'rm -f "$file"' EXIT
member_etcdctl snapshot save "$file" > /dev/null
# A snapshot that etcdutl cannot read is not worth keeping.
if command -v etcdutl > /dev/null; then etcdutl snapshot status "$file" > /dev/null; else member_etcdctl snapshot status "$file" > /dev/null; fi
if [ -n "$bucket" ]; then
  aws s3 cp --region "$AWS_REGION" --only-show-errors "$file" "s3://$BACKUP_BUCKET/$ETCD_CLUSTER/$stamp.db"
  log "snapshot of $ETCD_CLUSTER uploaded to s3://$BACKUP_BUCKET/$ETCD_CLUSTER/$stamp.db"
else
  trap - EXIT
  log "snapshot of $ETCD_CLUSTER kept on this member at $file for $retention_days days (no backup bucket): copy it off the machine to survive its loss"
  remove_old_snapshots
fi
`;

/** Writes the files of a secret document fetched from the secret store. */
export const MATERIALIZE_PY = `"""Writes the files of a kraken secret document; values go to <document>.env. Part of kraken-lib bootstrap."""
import json
import os
import sys

document_path = sys.argv[1]
member = sys.argv[2] if len(sys.argv) > 2 else ""
with open(document_path, encoding="utf-8") as handle:
    secret = json.load(handle)

for entry in secret.get("files", []):
    if entry.get("member") not in (None, member):
        continue
    path = entry["path"]
    mode = int(entry.get("mode", "0600"), 8)
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    temporary = path + ".kraken-tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(entry["content"])
    os.chmod(temporary, mode)
    os.replace(temporary, path)

descriptor = os.open(document_path + ".env", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.fchmod(descriptor, 0o600)
with os.fdopen(descriptor, "w", encoding="utf-8") as env:
    for key, value in secret.get("values", {}).items():
        env.write("%s='%s'\\n" % (key, value))
`;
