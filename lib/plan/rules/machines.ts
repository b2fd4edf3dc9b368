/** Rules for the control plane and the node pools. */
import { minorDistance } from "../../spec";
import { blocked, eachDifference, inPlace, poolComponent, poolNamed, poolNodes, rollingControlPlane, rollingPool, shown, type PlanRule } from "./rule";

export const CONTROL_PLANE_RULES: readonly PlanRule[] = [
  {
    id: "control-plane-replicas",
    patterns: ["spec.controlPlane.replicas"],
    description: "More control-plane nodes are created and join; fewer destroys the last ones (etcd is external: no data is lost).",
    classify: eachDifference((difference) => {
      const before = Number(difference.before);
      const after = Number(difference.after);
      if (after > before) {
        return { component: "controlPlane", impact: "create", nodes: after - before, reason: `control-plane nodes ${before} to ${after - 1} are created and join the control plane` };
      }
      return {
        component: "controlPlane",
        impact: "destroy",
        nodes: before - after,
        reason:
          `control-plane nodes ${after} to ${before - 1} are destroyed (etcd runs apart: no data is lost; delete their Node objects afterwards)` +
          (after === 1 ? "; one control-plane node is not highly available" : ""),
      };
    })("control-plane-replicas"),
  },
  {
    id: "api-endpoint",
    patterns: ["spec.controlPlane.apiServer.public"],
    description: "Making the API load balancer public or internal rebuilds it under a new name: blocked.",
    classify: eachDifference((difference) =>
      blocked(
        "controlPlane",
        `the API load balancer would be rebuilt as ${difference.after === true ? "internet-facing" : "internal"} under a new DNS name, which every node, kubeconfig and certificate points at`,
        "keep it; to reach an internal endpoint from outside, use a VPN or a bastion, or to restrict a public one, narrow allowedCidrs",
      ),
    )("api-endpoint"),
  },
  {
    id: "api-access",
    patterns: ["spec.controlPlane.apiServer.allowedCidrs"],
    description: "Who may reach the API: security group rules updated in place.",
    classify: eachDifference((difference) => inPlace("controlPlane", `the API's security group rules change from ${shown(difference.before)} to ${shown(difference.after)}`))("api-access"),
  },
  {
    id: "api-certificate",
    patterns: ["spec.controlPlane.apiServer.extraSans"],
    description: "Names on the API server's certificate are issued when a node boots: the control plane rolls.",
    classify: eachDifference((_difference, { next }) => rollingControlPlane(next, "the API server's certificate is issued when a node boots: control-plane nodes are replaced to carry the new names"))("api-certificate"),
  },
  {
    id: "control-plane-machine",
    patterns: ["spec.controlPlane.machine"],
    description: "The control plane's machines (type, image, volumes, MAAS selection): the control plane rolls.",
    classify: eachDifference((difference, { next }) =>
      rollingControlPlane(next, `control-plane nodes are replaced with the new ${difference.path.replace(/^spec\.controlPlane\.machine\./, "")} (${shown(difference.before)} to ${shown(difference.after)})`),
    )("control-plane-machine"),
  },
];

export const NODE_POOL_RULES: readonly PlanRule[] = [
  {
    id: "pool-added-removed",
    patterns: ["spec.nodePools[]"],
    description: "A new pool is created with desiredSize nodes; a removed pool is destroyed with its nodes.",
    classify: eachDifference((difference, { previous, next }) => {
      const name = difference.names.nodePools;
      if (difference.kind === "added") {
        const pool = poolNamed(next, name)!;
        return { component: poolComponent(pool.name), impact: "create", nodes: poolNodes(pool), reason: `pool ${pool.name} is created with ${pool.desiredSize} node(s), scaling between ${pool.minSize} and ${pool.maxSize}` };
      }
      const pool = poolNamed(previous, name)!;
      return {
        component: poolComponent(pool.name),
        impact: "destroy",
        nodes: poolNodes(pool),
        reason: `pool ${pool.name} is destroyed with its nodes (${pool.desiredSize} at creation, up to ${pool.maxSize}), terminated without draining: drain them first (kubectl drain -l kraken.dev/pool=${pool.name})`,
      };
    })("pool-added-removed"),
  },
  {
    id: "pool-scaling",
    patterns: ["spec.nodePools[].minSize", "spec.nodePools[].maxSize"],
    description: "Scaling bounds of a pool: in-place; the group adds or removes nodes only to stay within them.",
    classify: eachDifference((difference) => {
      const name = difference.names.nodePools!;
      const field = difference.path.endsWith("minSize") ? "minSize" : "maxSize";
      const grows = Number(difference.after) > Number(difference.before);
      const effect =
        field === "minSize"
          ? grows
            ? `the group adds nodes if it has fewer than ${shown(difference.after)}`
            : "the group may scale lower (by a cluster autoscaler)"
          : grows
            ? "the group may scale higher"
            : `the group terminates nodes if it has more than ${shown(difference.after)}`;
      return inPlace(poolComponent(name), `${field} ${shown(difference.before)} to ${shown(difference.after)}: ${effect}`);
    })("pool-scaling"),
  },
  {
    id: "pool-desired-size",
    patterns: ["spec.nodePools[].desiredSize"],
    description: "desiredSize only sizes a pool at creation; on a running pool it changes nothing (a warning says so unless it just follows minSize).",
    classify: eachDifference(() => undefined)("pool-desired-size"),
  },
  {
    id: "pool-kubernetes-version",
    patterns: ["spec.nodePools[].kubernetesVersion"],
    description: "A pool's kubelet version rolls the pool; a pool newer than the running control plane is blocked (upgrade the control plane first).",
    classify: eachDifference((difference, { previous, next }) => {
      const pool = poolNamed(next, difference.names.nodePools)!;
      const running = previous.spec.kubernetes.version;
      const after = String(difference.after);
      const ahead = minorDistance(running, after);
      if (ahead !== undefined && ahead > 0) {
        const index = next.spec.nodePools.indexOf(pool);
        return blocked(
          poolComponent(pool.name),
          `pool ${pool.name} would run kubelet ${after} while the control plane still runs ${running}: a kubelet must never be newer than its API server, so the control plane upgrades first`,
          `upgrade the control plane alone first: set spec.nodePools[${index}].kubernetesVersion: "${running}" (pools follow spec.kubernetes.version unless set), apply, then raise it in a second change`,
        );
      }
      return rollingPool(pool, `the pool's nodes are replaced by nodes running kubelet ${after}`);
    })("pool-kubernetes-version"),
  },
  {
    id: "pool-node-config",
    patterns: ["spec.nodePools[].labels", "spec.nodePools[].taints", "spec.nodePools[].maxPods"],
    description: "Labels, taints and maxPods are set when a node registers: the pool rolls.",
    classify: eachDifference((difference, { next }) => {
      const pool = poolNamed(next, difference.names.nodePools)!;
      const field = difference.path.slice(difference.path.lastIndexOf(".") + 1);
      return rollingPool(pool, `the kubelet registers ${field} when a node joins: the pool's nodes are replaced to carry the new ${field}`);
    })("pool-node-config"),
  },
  {
    id: "pool-refresh-settings",
    patterns: ["spec.nodePools[].minHealthyPercent"],
    description: "How fast a pool rolls: in-place.",
    classify: eachDifference((difference) =>
      inPlace(poolComponent(difference.names.nodePools!), `later rolling replacements keep ${shown(difference.after)}% of the pool in service (was ${shown(difference.before)}%)`),
    )("pool-refresh-settings"),
  },
  {
    id: "pool-zones",
    patterns: ["spec.nodePools[].machine.aws.availabilityZones"],
    description: "A pool's zones: the group rebalances, replacing nodes between zones.",
    classify: eachDifference((difference, { next }) => {
      const pool = poolNamed(next, difference.names.nodePools)!;
      return {
        ...rollingPool(pool, `the group spreads over ${shown(difference.after)} and rebalances: nodes are launched in the new zones and terminated in the old ones`),
        order: "the auto scaling group's zone rebalancing: it launches before it terminates",
      };
    })("pool-zones"),
  },
  {
    id: "pool-machine",
    patterns: ["spec.nodePools[].machine"],
    description: "A pool's machines (instance types, purchase options, image, volumes, MAAS selection): the pool rolls.",
    classify: eachDifference((difference, { next }) => {
      const pool = poolNamed(next, difference.names.nodePools)!;
      const field = difference.path.replace(/^spec\.nodePools\[\d+\]\.machine\./, "");
      return rollingPool(pool, `the pool's nodes are replaced with the new ${field} (${shown(difference.before)} to ${shown(difference.after)})`);
    })("pool-machine"),
  },
];
