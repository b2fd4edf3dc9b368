/** The log agent of an etcd host, as its user data carries it (etcd hosts are not Kubernetes nodes). */
import { etcdHostAgent } from "./fluent-bit";

/** log-agent.sh for an etcd member of `etcdName`, or undefined when logging is off. */
export function etcdLogAgent(cluster: Parameters<typeof etcdHostAgent>[0], etcdName: string): { script: string; files: [] } | undefined {
  if (!cluster.spec.addons.logging.enabled) return undefined;
  const header = `#!/usr/bin/env bash
# kraken-lib: the log agent of etcd cluster ${etcdName}'s members (docs/logging.md); sourced by etcd-member.sh.
`;
  return { script: header + etcdHostAgent(cluster, etcdName).install, files: [] };
}
