/**
 * The few bootstrap steps that differ between providers, as bash functions: reading a secret
 * from the provider's secret store, and finding an etcd member's data volume.
 */

export interface ProviderShell {
  /** Defines `fetch_secret SECRET_ID OUTPUT_FILE`. */
  readonly fetchSecret: string;
  /** Defines `data_device`, which prints the etcd data volume's device and fails while it is absent. */
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
