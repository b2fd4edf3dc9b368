/**
 * The few bootstrap steps that differ between providers, as bash functions: reading a secret
 * from the provider's secret store, and finding an etcd member's data volume.
 */
import { KRAKEN_RUN_DIR, VAULT_CA_FILE, VAULT_WRAPPED_SECRET_ID_FILE } from "./paths";

export interface ProviderShell {
  /** Defines `fetch_secret SECRET_ID OUTPUT_FILE`. */
  readonly fetchSecret: string;
  /**
   * Defines `data_device`, which prints the etcd data volume's device and fails while it is absent;
   * it prints nothing and succeeds when the member has no data volume of its own (root disk).
   */
  readonly dataDevice: string;
}

/**
 * AWS: secrets from Secrets Manager through the instance role (the AWS CLI comes from its snap),
 * the data volume found by its EBS volume ID (ETCD_VOLUME_ID in cluster.env), as NVMe or Xen device.
 */
export function awsProviderShell(): ProviderShell {
  return {
    fetchSecret: `fetch_secret() {
  local id=$1 output=$2
  if ! command -v aws > /dev/null; then retry 10 15 snap install aws-cli --classic || fail "cannot install the AWS CLI"; fi
  log "reading secret $id from Secrets Manager"
  retry 60 10 aws secretsmanager get-secret-value --region "$AWS_REGION" --secret-id "$id" \\
    --query SecretString --output text > "$output" \\
    || fail "cannot read secret $id: run 'k2 secrets init' for this cluster, and check that this instance's role may read it"
  chmod 0600 "$output"
}
`,
    dataDevice: `data_device() {
  local nvme="/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_\${ETCD_VOLUME_ID//-/}"
  if [ -e "$nvme" ]; then readlink -f "$nvme"; return 0; fi
  if [ -e /dev/xvdf ]; then echo /dev/xvdf; return 0; fi
  return 1
}
`,
  };
}

const REDEPLOY = "redeploy the machine: terraform apply -replace=<the address of its maas_instance>";

/**
 * MAAS: secrets from Vault. A machine has no identity of its own, so Terraform gives it one
 * single-use login, response-wrapped: an AppRole secret ID whose wrapping token is a file of its
 * user data (VAULT_WRAPPED_SECRET_ID_FILE). `fetch_secret` unwraps it, logs in with the role ID
 * from cluster.env (VAULT_ROLE_ID), reads the one secret its policy allows, and revokes its token
 * at once. The document stays in the script's memory (never in another file), so that a second
 * call in the same run writes it again without Vault; a later run has no token left to use.
 * Needs curl and python3 only (Ubuntu's cloud images have both). docs/vault.md.
 *
 * The etcd data device is the one the spec names (ETCD_DATA_DEVICE); without one the data
 * directory stays on the root disk.
 */
export function vaultProviderShell(): ProviderShell {
  return {
    fetchSecret: `# Vault (MAAS): one AppRole login per machine, from the response-wrapped secret ID in its user data.
# Tokens, secret IDs and documents reach curl and python3 through pipes and file descriptors, never
# their command lines (which any user of the machine can read in ps).

# vault_headers TOKEN: the headers of a Vault API call.
vault_headers() {
  printf 'X-Vault-Request: true\\nContent-Type: application/json\\n'
  if [ -n "$1" ]; then printf 'X-Vault-Token: %s\\n' "$1"; fi
}

# vault_call METHOD PATH TOKEN [BODY]: one Vault API call; Vault's answer goes to the file
# $vault_answer, its HTTP status to $vault_status. What may pass by waiting (no answer, 429, 5xx:
# Vault restarting, sealed, a standby) is tried again for ten minutes. Returns 1 when Vault never
# answered, 2 when its TLS certificate is not trusted (waiting does not help).
vault_call() {
  local method=$1 path=$2 token=$3 body=\${4:-} ca=${VAULT_CA_FILE} attempt=1 code
  local options=(--silent --show-error --request "$method" --output "$vault_answer" --write-out '%{http_code}' --connect-timeout 10 --max-time 60)
  if [ -f "$ca" ]; then options+=(--cacert "$ca"); fi
  while true; do
    code=0
    if [ "$method" = GET ]; then
      vault_status=$(curl "\${options[@]}" --header @<(vault_headers "$token") "$VAULT_ADDR/v1/$path") || code=$?
    else
      vault_status=$(curl "\${options[@]}" --header @<(vault_headers "$token") --data-binary @<(printf '%s' "$body") "$VAULT_ADDR/v1/$path") || code=$?
    fi
    case "$code" in
      0) case "$vault_status" in 429 | 5??) ;; *) return 0 ;; esac ;;
      51 | 58 | 59 | 60 | 77 | 83 | 90 | 91) return 2 ;;
      *) vault_status=000 ;;
    esac
    if [ "$attempt" -ge 60 ]; then return 1; fi
    log "Vault at $VAULT_ADDR did not answer $method $path (HTTP $vault_status), again in 10s ($attempt/60)"
    sleep 10
    attempt=$((attempt + 1))
  done
}

# vault_body KEY VALUE...: a JSON object of strings, built from a pipe.
vault_body() {
  printf '%s\\0' "$@" | python3 -c '
import json, sys
fields = sys.stdin.buffer.read().decode().split("\\0")[:-1]
print(json.dumps(dict(zip(fields[0::2], fields[1::2]))))
'
}

# vault_read_answer field PATH | errors: a string of Vault's last answer (PATH like data.secret_id;
# empty when absent), or its "errors", on one line.
vault_read_answer() {
  python3 -c '
import json, sys
try:
    with open(sys.argv[1], encoding="utf-8") as handle:
        answer = json.load(handle)
except (OSError, ValueError):
    answer = {}
if sys.argv[2] == "errors":
    errors = answer.get("errors") if isinstance(answer, dict) else None
    print("; ".join(" ".join(str(error).split()) for error in errors) if errors else "no error message")
else:
    value = answer
    for key in sys.argv[3].split("."):
        value = value.get(key) if isinstance(value, dict) else None
    print(value if isinstance(value, str) else "")
' "$vault_answer" "$@"
}

vault_fail() {
  rm -f "$vault_answer"
  fail "$1"
}

# vault_unreachable STATUS [WRAPPED_FILE WRAPPING_TOKEN]: Vault did not answer, or is not trusted.
# A wrapping token Vault never took goes back to its file, so that the bootstrap can run again.
vault_unreachable() {
  local restored=""
  if [ -n "\${2:-}" ]; then
    printf '%s\\n' "$3" > "$2"
    chmod 0600 "$2"
    restored=" The wrapping token is back in $2: run the bootstrap again once Vault answers, within provider.maas.vault.wrappingTtl of terraform apply."
  fi
  if [ "$1" = 2 ]; then
    vault_fail "Vault's TLS certificate at $VAULT_ADDR is not trusted (curl says why above): set provider.maas.vault.caCertPath to the CA that signs it; machines get it as ${VAULT_CA_FILE}.$restored"
  fi
  vault_fail "Vault at $VAULT_ADDR did not answer for ten minutes.$restored"
}

vault_refused_wrapping() {
  vault_fail "Vault refused this machine's wrapping token (HTTP $vault_status: $(vault_read_answer errors)). Either it was used already, and someone else may have unwrapped this machine's secret ID: check Vault's audit log for sys/wrapping/unwrap; or it expired: the machine booted more than provider.maas.vault.wrappingTtl after terraform apply. Either way, ${REDEPLOY}"
}

fetch_secret() {
  local id=$1 output=$2 wrapped=${VAULT_WRAPPED_SECRET_ID_FILE} wrapping_token approle_secret token creation_path
  if [ -n "\${vault_document:-}" ]; then
    if [ "$id" != "$vault_document_id" ]; then fail "this machine read secret $vault_document_id from Vault and may read no other (asked for $id)"; fi
    printf '%s\\n' "$vault_document" > "$output"
    chmod 0600 "$output"
    log "wrote secret $id again, as read from Vault earlier in this run"
    return 0
  fi
  if [ ! -s "$wrapped" ]; then
    fail "no wrapping token at $wrapped: an earlier run of the bootstrap used it (each machine reads its secret once), or the user data has none. The files of its secret stay where that run wrote them; to start over, ${REDEPLOY}"
  fi
  wrapping_token=$(tr -d '[:space:]' < "$wrapped")
  rm -f "$wrapped"
  vault_answer=$(mktemp -p ${KRAKEN_RUN_DIR} vault-answer.XXXXXX)

  log "checking this machine's wrapping token with Vault at $VAULT_ADDR"
  vault_call POST sys/wrapping/lookup "" "$(vault_body token "$wrapping_token")" || vault_unreachable "$?" "$wrapped" "$wrapping_token"
  if [ "$vault_status" != 200 ]; then vault_refused_wrapping; fi
  creation_path=$(vault_read_answer field data.creation_path)
  case "$creation_path" in
    "auth/$VAULT_APPROLE_MOUNT/role/"*/secret-id) ;;
    *) vault_fail "this machine's wrapping token does not hold an AppRole secret ID of auth/$VAULT_APPROLE_MOUNT (it was made by $creation_path): someone may have replaced it; check Vault's audit log, then ${REDEPLOY}" ;;
  esac
  log "unwrapping this machine's secret ID"
  vault_call POST sys/wrapping/unwrap "$wrapping_token" || vault_unreachable "$?" "$wrapped" "$wrapping_token"
  if [ "$vault_status" != 200 ]; then vault_refused_wrapping; fi
  approle_secret=$(vault_read_answer field data.secret_id)

  log "logging in to Vault as AppRole role $VAULT_ROLE_ID"
  vault_call POST "auth/$VAULT_APPROLE_MOUNT/login" "" "$(vault_body role_id "$VAULT_ROLE_ID" secret_id "$approle_secret")" || vault_unreachable "$?"
  if [ "$vault_status" != 200 ]; then
    vault_fail "Vault refused the AppRole login of role $VAULT_ROLE_ID (HTTP $vault_status: $(vault_read_answer errors)): the secret ID may have expired, or this machine's address is outside provider.maas.network.subnetCidr; ${REDEPLOY}"
  fi
  token=$(vault_read_answer field auth.client_token)

  log "reading secret $id"
  vault_call GET "$VAULT_KV_MOUNT/data/$id" "$token" || vault_unreachable "$?"
  case "$vault_status" in
    200) ;;
    403) vault_fail "Vault denied role $VAULT_ROLE_ID reading secret $id (HTTP 403: $(vault_read_answer errors)): each role may read its own secret only; check SECRET_ID and VAULT_ROLE_ID in /etc/kraken/cluster.env" ;;
    404) vault_fail "secret $id does not exist at $VAULT_KV_MOUNT in Vault: run 'k2 secrets init' for this cluster" ;;
    *) vault_fail "cannot read secret $id (HTTP $vault_status: $(vault_read_answer errors))" ;;
  esac
  vault_document=$(vault_read_answer field data.data.document)
  vault_document_id=$id
  if [ -z "$vault_document" ]; then vault_fail "secret $id holds no document: was it written by 'k2 secrets init'?"; fi

  # The token has done its work; it would expire by itself (token_max_ttl), but sooner is better.
  vault_call POST auth/token/revoke-self "$token" || true
  case "$vault_status" in
    200 | 204) ;;
    *) log "could not revoke this machine's Vault token (HTTP $vault_status); it expires within 15 minutes" ;;
  esac
  rm -f "$vault_answer"
  printf '%s\\n' "$vault_document" > "$output"
  chmod 0600 "$output"
  log "read secret $id from Vault"
}
`,
    dataDevice: `# The etcd member's data device from the spec (ETCD_DATA_DEVICE, best a /dev/disk/by-id/ name); none
# keeps the data directory on the root disk.
data_device() {
  if [ -z "\${ETCD_DATA_DEVICE:-}" ]; then return 0; fi
  if [ -e "$ETCD_DATA_DEVICE" ]; then echo "$ETCD_DATA_DEVICE"; return 0; fi
  return 1
}
`,
  };
}
