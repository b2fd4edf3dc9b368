/** The control plane: nodes spread over zones behind a network load balancer on 6443, set up by kubeadm. */
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { awsWith, EXAMPLES } from "../util";
import {
  cloudConfigFiles,
  decodeUserData,
  onlyResource,
  parseEnvironmentFile,
  ref,
  resourcesOf,
  subnetsByRef,
  synthCluster,
  synthExample,
  type InstanceResource,
  type LbListenerResource,
  type LbResource,
  type LbTargetGroupAttachmentResource,
  type LbTargetGroupResource,
  type SynthesizedStack,
} from "./fixtures";

const controlPlaneNodes = (json: SynthesizedStack): [string, InstanceResource][] =>
  Object.entries(resourcesOf<InstanceResource>(json, "aws_instance")).filter(([, instance]) => instance.tags["kraken.dev/role"] === "control-plane");

const zonesOf = (json: SynthesizedStack, nodes: readonly [string, InstanceResource][]): string[] => {
  const subnets = subnetsByRef(json);
  return nodes.map(([, instance]) => subnets.get(instance.subnet_id!)!.availability_zone);
};

const userDataOf = (instance: InstanceResource): Map<string, string> => cloudConfigFiles(decodeUserData(instance.user_data_base64!));

interface KubeadmDocument {
  readonly kind: string;
  readonly controlPlaneEndpoint?: string;
  readonly etcd?: { readonly external: { readonly endpoints: readonly string[]; readonly caFile: string } };
  readonly apiServer?: { readonly certSANs: readonly string[]; readonly extraArgs?: readonly { readonly name: string; readonly value: string }[] };
  readonly discovery?: { readonly bootstrapToken: { readonly apiServerEndpoint: string; readonly token: string } };
}

const kubeadmDocuments = (text: string): KubeadmDocument[] => parseAllDocuments(text).map((document) => document.toJS() as KubeadmDocument);

describe("control plane of examples/aws-ha", () => {
  const { json } = synthExample(EXAMPLES.awsHa);
  const nodes = controlPlaneNodes(json);
  const [lbId, lb] = onlyResource<LbResource>(json, "aws_lb");
  const [targetGroupId, targetGroup] = onlyResource<LbTargetGroupResource>(json, "aws_lb_target_group");
  const dnsName = ref("aws_lb", lbId, "dns_name");

  it("runs three nodes, one per zone, in private subnets", () => {
    expect(nodes).toHaveLength(3);
    expect(zonesOf(json, nodes)).toEqual(["us-west-2a", "us-west-2b", "us-west-2c"]);
    for (const [id, node] of nodes) {
      expect(node.instance_type, id).toBe("m6i.xlarge");
      expect(node.ami, id).toBe("ami-0123456789abcdef0");
      // A pinned image: only user data, which runs at first boot only, is ignored.
      expect(node.lifecycle, id).toEqual({ ignore_changes: ["user_data", "user_data_base64"] });
    }
  });

  it("puts an internet-facing network load balancer in the public subnets, since apiServer.public is true", () => {
    const subnets = subnetsByRef(json);
    expect(lb).toMatchObject({ internal: false, load_balancer_type: "network" });
    expect(lb.subnets).toHaveLength(3);
    for (const subnet of lb.subnets) expect(subnets.get(subnet)!.tags["kubernetes.io/role/elb"], subnet).toBe("1");
    expect(lb.security_groups).toHaveLength(1);
  });

  it("listens on TCP 6443 and forwards to the nodes' target group", () => {
    const [, listener] = onlyResource<LbListenerResource>(json, "aws_lb_listener");
    expect(listener).toMatchObject({ load_balancer_arn: ref("aws_lb", lbId, "arn"), port: 6443, protocol: "TCP" });
    expect(listener.default_action).toEqual([{ type: "forward", target_group_arn: ref("aws_lb_target_group", targetGroupId, "arn") }]);
  });

  it("checks the API's /readyz over HTTPS, without client IP preservation", () => {
    expect(targetGroup).toMatchObject({ port: 6443, protocol: "TCP", preserve_client_ip: "false" });
    expect(targetGroup.health_check).toMatchObject({ protocol: "HTTPS", path: "/readyz", port: "6443" });
  });

  it("registers every node, once, on 6443", () => {
    const attachments = Object.values(resourcesOf<LbTargetGroupAttachmentResource>(json, "aws_lb_target_group_attachment"));
    expect(attachments.map((attachment) => attachment.target_id).sort()).toEqual(nodes.map(([id]) => ref("aws_instance", id)).sort());
    for (const attachment of attachments) expect(attachment).toMatchObject({ target_group_arn: ref("aws_lb_target_group", targetGroupId, "arn"), port: 6443 });
  });

  it("numbers the nodes 0..N-1 and points them at the load balancer", () => {
    const environments = nodes.map(([, node]) => parseEnvironmentFile(userDataOf(node).get("/etc/kraken/cluster.env")!));
    expect(environments.map((environment) => environment.NODE_INDEX)).toEqual(["0", "1", "2"]);
    for (const environment of environments) {
      expect(environment).toMatchObject({ NODE_ROLE: "control-plane", API_ENDPOINT: `${dnsName}:6443`, SECRET_ID: "kraken/prod-usw2/control-plane", AWS_REGION: "us-west-2" });
    }
  });

  it("hands every node kubeadm configs for external etcd, with events in their own etcd cluster", () => {
    for (const [id, node] of nodes) {
      const files = userDataOf(node);
      const init = kubeadmDocuments(files.get("/etc/kraken/kubeadm-init.yaml")!);
      expect(init.map((document) => document.kind), id).toEqual(["InitConfiguration", "ClusterConfiguration", "KubeletConfiguration"]);
      const join = kubeadmDocuments(files.get("/etc/kraken/kubeadm-join.yaml")!);
      expect(join.map((document) => document.kind), id).toEqual(["JoinConfiguration"]);
      expect(join[0]!.discovery!.bootstrapToken).toEqual(expect.objectContaining({ apiServerEndpoint: `${dnsName}:6443`, token: "__BOOTSTRAP_TOKEN__" }));

      const [configuration] = kubeadmDocuments(files.get("/etc/kraken/kubeadm-cluster.yaml")!);
      expect(configuration).toEqual(init[1]);
      expect(configuration!.controlPlaneEndpoint).toBe(`${dnsName}:6443`);
      expect(configuration!.etcd!.external.endpoints).toEqual(["https://10.0.0.10:2379", "https://10.0.32.10:2379", "https://10.0.64.10:2379"]);
      expect(configuration!.apiServer!.certSANs).toContain(dnsName);
      expect(configuration!.apiServer!.extraArgs).toContainEqual({
        name: "etcd-servers-overrides",
        value: "/events#https://10.0.0.18:2379;https://10.0.32.18:2379;https://10.0.64.18:2379",
      });
    }
  });
});

describe("control plane of examples/aws-minimal", () => {
  const { json } = synthExample(EXAMPLES.awsMinimal);

  it("runs one node behind an internal load balancer in the private subnet", () => {
    const subnets = subnetsByRef(json);
    const [, lb] = onlyResource<LbResource>(json, "aws_lb");
    expect(controlPlaneNodes(json)).toHaveLength(1);
    expect(lb.internal).toBe(true);
    expect(lb.subnets).toHaveLength(1);
    expect(subnets.get(lb.subnets[0]!)!.tags["kubernetes.io/role/internal-elb"]).toBe("1");
  });
});

describe("a control plane with more nodes than zones and a looked-up image", () => {
  const { json } = synthCluster(awsWith({ "spec.controlPlane.replicas": 5 }));
  const nodes = controlPlaneNodes(json);

  it("spreads the nodes round-robin over the zones, numbered in order", () => {
    expect(zonesOf(json, nodes)).toEqual(["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2a", "us-west-2b"]);
    expect(nodes.map(([, node]) => parseEnvironmentFile(userDataOf(node).get("/etc/kraken/cluster.env")!).NODE_INDEX)).toEqual(["0", "1", "2", "3", "4"]);
    expect(Object.keys(resourcesOf(json, "aws_lb_target_group_attachment"))).toHaveLength(5);
  });

  it("ignores AMI changes, so that a new image release does not replace running nodes", () => {
    for (const [id, node] of nodes) expect(node.lifecycle, id).toEqual({ ignore_changes: ["user_data", "user_data_base64", "ami"] });
  });
});
