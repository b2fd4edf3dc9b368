/**
 * Dedicated etcd clusters: members are pets with a fixed address on their own interface, an
 * encrypted data volume, protection against destruction, and a static initial cluster.
 */
import { describe, expect, it } from "vitest";
import { etcdMemberAddresses, loadClusterFiles, planZones } from "../../lib/spec";
import { awsDocument, EXAMPLES } from "../util";
import {
  cloudConfigFiles,
  decodeUserData,
  parseEnvironmentFile,
  ref,
  referencedId,
  resourcesOf,
  subnetsByRef,
  synthCluster,
  synthExample,
  type EbsVolumeResource,
  type InstanceResource,
  type NetworkInterfaceResource,
  type SynthesizedStack,
  type VolumeAttachmentResource,
} from "./fixtures";

interface MemberResources {
  readonly instance: [string, InstanceResource];
  readonly volume: [string, EbsVolumeResource];
  readonly networkInterface: [string, NetworkInterfaceResource];
}

/** Each member's instance, data volume and interface, found by the member tag. */
function members(json: SynthesizedStack): Map<string, MemberResources> {
  const byMember = <T extends { tags: Readonly<Record<string, string>> }>(type: string): Map<string, [string, T]> => {
    const found = new Map<string, [string, T]>();
    for (const [id, resource] of Object.entries(resourcesOf<T>(json, type))) {
      const member = resource.tags["kraken.dev/etcd-member"];
      if (member === undefined) continue;
      if (found.has(member)) throw new Error(`two ${type} for member ${member}`);
      found.set(member, [id, resource]);
    }
    return found;
  };
  const instances = byMember<InstanceResource>("aws_instance");
  const volumes = byMember<EbsVolumeResource>("aws_ebs_volume");
  const interfaces = byMember<NetworkInterfaceResource>("aws_network_interface");
  return new Map(
    [...instances].map(([member, instance]) => [member, { instance, volume: volumes.get(member)!, networkInterface: interfaces.get(member)! }]),
  );
}

const MEMBERS = ["events-0", "events-1", "events-2", "main-0", "main-1", "main-2"];

describe("etcd clusters of examples/aws-ha", () => {
  const { json } = synthExample(EXAMPLES.awsHa);
  const found = members(json);

  it("has one instance, one data volume, one attachment and one interface per member", () => {
    expect([...found.keys()].sort()).toEqual(MEMBERS);
    for (const type of ["aws_ebs_volume", "aws_volume_attachment", "aws_network_interface"]) {
      expect(Object.keys(resourcesOf(json, type)), type).toHaveLength(6);
    }
    for (const [member, resources] of found) {
      expect(resources.volume, member).toBeDefined();
      expect(resources.networkInterface, member).toBeDefined();
    }
  });

  it("attaches each member's own data volume to its own instance", () => {
    const attachments = Object.values(resourcesOf<VolumeAttachmentResource>(json, "aws_volume_attachment"));
    for (const [member, { instance, volume }] of found) {
      const attachment = attachments.filter((candidate) => candidate.volume_id === ref("aws_ebs_volume", volume[0]));
      expect(attachment, member).toEqual([expect.objectContaining({ instance_id: ref("aws_instance", instance[0]), device_name: "/dev/sdf" })]);
    }
  });

  it("sizes and encrypts the data volumes as the spec says, in the member's zone", () => {
    const subnets = subnetsByRef(json);
    for (const [member, { volume, networkInterface }] of found) {
      const expected = member.startsWith("main") ? { size: 50, type: "gp3", iops: 6000 } : { size: 20, type: "gp3" };
      expect(volume[1], member).toMatchObject({ ...expected, encrypted: true });
      expect(volume[1].availability_zone, member).toBe(subnets.get(networkInterface[1].subnet_id)!.availability_zone);
    }
  });

  it("gives member m of etcd cluster k the fixed address of etcdMemberAddresses, in zone m mod zones", () => {
    const [spec] = loadClusterFiles([EXAMPLES.awsHa]);
    const zones = planZones(spec!.spec.provider.aws!);
    const subnets = subnetsByRef(json);
    spec!.spec.etcd.forEach((etcd, index) => {
      for (const address of etcdMemberAddresses(zones, index, etcd.members)) {
        const { networkInterface, instance } = found.get(`${etcd.name}-${address.member}`)!;
        expect(networkInterface[1].private_ips, `${etcd.name}-${address.member}`).toEqual([address.privateIp]);
        expect(subnets.get(networkInterface[1].subnet_id)!.availability_zone).toBe(["us-west-2a", "us-west-2b", "us-west-2c"][address.member % 3]);
        expect(instance[1].network_interface).toEqual([{ network_interface_id: ref("aws_network_interface", networkInterface[0]), device_index: 0 }]);
      }
    });
    // The plan itself, spelled out: host .10 + 8k + floor(m / zones) of each zone's private /19.
    const addresses = Object.fromEntries([...found].map(([member, { networkInterface }]) => [member, networkInterface[1].private_ips[0]]));
    expect(addresses).toEqual({
      "main-0": "10.0.0.10",
      "main-1": "10.0.32.10",
      "main-2": "10.0.64.10",
      "events-0": "10.0.0.18",
      "events-1": "10.0.32.18",
      "events-2": "10.0.64.18",
    });
  });

  it("puts each cluster's members behind its own security group", () => {
    const groups = new Map(
      Object.entries(resourcesOf<{ name: string }>(json, "aws_security_group")).map(([id, group]) => [group.name, ref("aws_security_group", id)]),
    );
    for (const [member, { networkInterface }] of found) {
      expect(networkInterface[1].security_groups, member).toEqual([groups.get(`prod-usw2-etcd-${member.split("-")[0]!}`)]);
    }
  });

  it("protects instances, volumes and interfaces with prevent_destroy, and pins the explicit AMI", () => {
    for (const [member, { instance, volume, networkInterface }] of found) {
      // A running member never changes under Terraform (user data, image, instance type, root
      // volume, SSH key); it is replaced on purpose (replaceMember) through its triggers.
      expect(instance[1].lifecycle, member).toEqual({
        prevent_destroy: true,
        ignore_changes: ["user_data", "user_data_base64", "ami", "instance_type", "root_block_device", "key_name"],
        replace_triggered_by: [expect.stringMatching(new RegExp(`^terraform_data\\.cluster_etcd-[a-z]+_${member}-replacement_[0-9A-F]+$`))],
      });
      expect(volume[1].lifecycle, member).toEqual({
        prevent_destroy: true,
        ignore_changes: ["size", "type", "iops", "throughput", "kms_key_id"],
        replace_triggered_by: [expect.stringMatching(new RegExp(`^terraform_data\\.cluster_etcd-[a-z]+_${member}-data-replacement_[0-9A-F]+$`))],
      });
      expect(networkInterface[1].lifecycle, member).toEqual({ prevent_destroy: true });
    }
  });

  it("starts each member with an initial cluster of all its cluster's members", () => {
    for (const [member, { instance, volume }] of found) {
      const files = cloudConfigFiles(decodeUserData(instance[1].user_data_base64!));
      const environment = parseEnvironmentFile(files.get("/etc/etcd/etcd.env")!);
      const cluster = member.split("-")[0]!;
      const peers = [...found]
        .filter(([other]) => other.startsWith(`${cluster}-`))
        .map(([other, resources]) => `${other}=https://${resources.networkInterface[1].private_ips[0]!}:2380`)
        .sort();
      expect(environment.ETCD_INITIAL_CLUSTER!.split(",").sort(), member).toEqual(peers);
      expect(environment.ETCD_NAME).toBe(member);
      expect(environment.ETCD_INITIAL_CLUSTER_STATE).toBe("new");
      expect(environment.ETCD_INITIAL_CLUSTER_TOKEN).toBe(`prod-usw2-${cluster}`);
      expect(environment.ETCD_ADVERTISE_CLIENT_URLS).toBe(`https://${found.get(member)!.networkInterface[1].private_ips[0]!}:2379`);
      expect(environment).toMatchObject({ ETCD_CLIENT_CERT_AUTH: "true", ETCD_PEER_CLIENT_CERT_AUTH: "true" });

      // The member finds its data volume by ID, a reference resolved by Terraform.
      const clusterEnvironment = parseEnvironmentFile(files.get("/etc/kraken/cluster.env")!);
      expect(clusterEnvironment.ETCD_VOLUME_ID, member).toBe(ref("aws_ebs_volume", volume[0]));
      expect(clusterEnvironment.SECRET_ID, member).toBe(`kraken/prod-usw2/etcd-${cluster}`);
    }
  });
});

describe("etcd members with a looked-up image", () => {
  it("ignore AMI changes, so that a new image release never replaces a member", () => {
    // GIVEN the fixture's default image (Canonical's SSM parameter)
    const { json } = synthCluster(awsDocument());
    const found = members(json);
    expect(found.size).toBe(6);
    for (const [member, { instance }] of found) {
      expect(instance[1].lifecycle?.ignore_changes, member).toContain("ami");
      expect(referencedId(instance[1].ami, "data.aws_ssm_parameter")).toBeTruthy();
    }
  });
});

describe("an etcd cluster with more members than zones", () => {
  it("wraps around the zones and takes the next host of each subnet", () => {
    // GIVEN five members of main over three zones
    const { json } = synthCluster({ ...awsDocument(), spec: { ...awsDocument().spec, etcd: [{ name: "main", members: 5 }] } });
    const subnets = subnetsByRef(json);
    const placed = Object.fromEntries(
      [...members(json)].map(([member, { networkInterface }]) => [member, `${subnets.get(networkInterface[1].subnet_id)!.availability_zone} ${networkInterface[1].private_ips[0]!}`]),
    );
    // THEN members 3 and 4 go back to zones a and b, one address further
    expect(placed).toEqual({
      "main-0": "us-west-2a 10.0.0.10",
      "main-1": "us-west-2b 10.0.32.10",
      "main-2": "us-west-2c 10.0.64.10",
      "main-3": "us-west-2a 10.0.0.11",
      "main-4": "us-west-2b 10.0.32.11",
    });
  });
});
