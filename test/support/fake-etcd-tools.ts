/**
 * A fake etcdctl for the snapshot script's tests: logs its arguments to $FAKE_LOG/etcdctl.log,
 * reports this member (42) as the leader when FAKE_LEADER=yes, and writes "snapshot-bytes" for a
 * snapshot save. Real etcd runs in the integration tests; these test the script's decisions.
 */
export const FAKE_ETCDCTL = `#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$FAKE_LOG/etcdctl.log"
case " $* " in
  *" endpoint status "*)
    leader=43
    if [ "$FAKE_LEADER" = yes ]; then leader=42; fi
    printf '[{"Endpoint":"https://127.0.0.1:2379","Status":{"header":{"cluster_id":7,"member_id":42,"revision":9,"raft_term":3},"leader":%s}}]\\n' "$leader" ;;
  *" snapshot save "*)
    printf 'snapshot-bytes' > "\${*: -1}" ;;
esac
`;
