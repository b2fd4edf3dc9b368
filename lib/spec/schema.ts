/**
 * The cluster spec: the single definition from which the JSON Schema, the TypeScript types
 * and docs/spec.md are derived. Field meaning lives here and nowhere else.
 */
import { Type, type TProperties, type TSchema } from "@sinclair/typebox";
import { DNS1123_LABEL_EXPECTED, DNS1123_LABEL_MAX, DNS1123_LABEL_PATTERN } from "./kube-names";
import { computed, integerEnum, optional, required, strictObject, stringEnum, withDefault } from "./schema-kit";
import { CALICO_VERSION, DEFAULT_ETCD_VERSION, SUPPORTED_ETCD_MINORS, SUPPORTED_KUBERNETES_MINORS } from "./versions";

export const API_VERSION = "kraken.dev/v1alpha1";
export const KIND = "Cluster";
export const SCHEMA_ID = "https://kraken.dev/schemas/v1alpha1/cluster.json";

// ---------------------------------------------------------------------------------------------
// Reusable value shapes
// ---------------------------------------------------------------------------------------------

const dnsLabel = () =>
  Type.String({ pattern: DNS1123_LABEL_PATTERN, minLength: 1, maxLength: DNS1123_LABEL_MAX });

/** Shape only; ipv4 validity, host bits and overlaps are semantic rules with better messages. */
const ipv4Cidr = () => Type.String({ pattern: "^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$" });
const CIDR_EXPECTED = "an IPv4 CIDR such as 10.0.0.0/16";

const ipv4Address = () => Type.String({ pattern: "^[0-9]{1,3}(\\.[0-9]{1,3}){3}$" });

const envVarName = () => Type.String({ pattern: "^[A-Za-z_][A-Za-z0-9_]*$", maxLength: 255 });
const ENV_EXPECTED = "an environment variable name (letters, digits and '_', not starting with a digit)";

const stringMap = () => Type.Record(Type.String(), Type.String());

const awsId = (prefix: string) => Type.String({ pattern: `^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$` });

const kmsKeyArn = () =>
  Type.String({ pattern: "^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/.+$" });
const KMS_EXPECTED = "a KMS key or alias ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)";

const kubernetesVersion = () => Type.String({ pattern: "^1\\.[0-9]+(\\.[0-9]+)?$" });
const KUBERNETES_VERSION_EXPECTED = `a Kubernetes minor ("1.36") or patch release ("1.36.2") of a supported minor (${SUPPORTED_KUBERNETES_MINORS.join(", ")})`;

// ---------------------------------------------------------------------------------------------
// Machines
// ---------------------------------------------------------------------------------------------

export const EBS_VOLUME_TYPES = ["gp3", "gp2", "io1", "io2"] as const;

const awsImage = (where: string) =>
  strictObject(
    {
      amiId: optional(awsId("ami"), "- use ssmParameter", {
        description: "An explicit AMI ID. Use it to plan without any AWS call, or to pin an image.",
        examples: ["ami-0123456789abcdef0"],
        expected: "an AMI ID (ami- and 8 or 17 hex digits)",
      }),
      ssmParameter: optional(Type.String({ pattern: "^/[A-Za-z0-9_./-]+$", maxLength: 2048 }), "- use amiId", {
        description: "An SSM public parameter that names the current AMI, resolved at plan time.",
        examples: ["/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id"],
        expected: "an SSM parameter name starting with '/'",
      }),
    },
    {
      minProperties: 1,
      maxProperties: 1,
      description: `The machine image ${where}: exactly one of amiId or ssmParameter.`,
      examples: [{ amiId: "ami-0123456789abcdef0" }],
    },
  );

const ebsVolume = (role: string, sizeGib: number) =>
  strictObject(
    {
      sizeGib: withDefault(Type.Integer({ minimum: 8, maximum: 16384 }), sizeGib, {
        description: `Size of the ${role} in GiB.`,
        examples: [sizeGib * 2],
      }),
      type: withDefault(stringEnum(EBS_VOLUME_TYPES), "gp3", {
        description: "EBS volume type.",
        examples: ["io2"],
      }),
      iops: optional(Type.Integer({ minimum: 100, maximum: 256000 }), "- the volume type's baseline (3000 for gp3)", {
        description: "Provisioned IOPS; gp3, io1 and io2 only, and required for io1 and io2.",
        examples: [6000],
      }),
      throughputMibps: optional(Type.Integer({ minimum: 125, maximum: 2000 }), "- 125 MiB/s (gp3 baseline)", {
        description: "Provisioned throughput in MiB/s; gp3 only.",
        examples: [250],
      }),
    },
    { description: `The ${role}. Always encrypted (see provider.aws.ebsKmsKeyArn).`, examples: [{ sizeGib, type: "gp3" }] },
  );

const instanceType = () => Type.String({ pattern: "^[a-z][a-z0-9-]*\\.[a-z0-9]+$", maxLength: 64 });
const INSTANCE_TYPE_EXPECTED = "an EC2 instance type such as m6i.large";

/** AWS machine of a fixed-size role (etcd members, control-plane nodes). */
const awsFixedMachine = <E extends TProperties>(role: string, defaults: { instanceType: string; rootGib: number }, extra: E) =>
  strictObject(
    {
      instanceType: withDefault(instanceType(), defaults.instanceType, {
        description: `EC2 instance type of each ${role}.`,
        examples: ["m7i.xlarge"],
        expected: INSTANCE_TYPE_EXPECTED,
      }),
      image: computed(awsImage(`of each ${role}`), "- provider.aws.image, else Ubuntu 24.04 LTS for the instance type's architecture", {
        description: `The machine image of each ${role}; overrides provider.aws.image.`,
        examples: [{ amiId: "ami-0123456789abcdef0" }],
      }),
      rootVolume: withDefault(ebsVolume("root volume", defaults.rootGib), {}, {
        description: "The root volume.",
        examples: [{ sizeGib: defaults.rootGib * 2 }],
      }),
      ...extra,
    },
    { description: `How each ${role} is built on AWS.`, examples: [{ instanceType: defaults.instanceType }] },
  );

/** Root device name of an image, for machines built from a launch template. */
const rootDeviceName = (image: string) =>
  withDefault(Type.String({ pattern: "^/dev/[a-z0-9]+$" }), "/dev/sda1", {
    description: `Root device name of ${image}, where the launch template puts the encrypted root volume: /dev/sda1 for Ubuntu, /dev/xvda for Amazon Linux.`,
    examples: ["/dev/xvda"],
    expected: "a device path such as /dev/sda1",
  });

export const SPOT_ALLOCATION_STRATEGIES = [
  "price-capacity-optimized",
  "capacity-optimized",
  "capacity-optimized-prioritized",
  "lowest-price",
] as const;

const awsPoolMachine = strictObject(
  {
    instanceTypes: withDefault(Type.Array(instanceType(), { minItems: 1, maxItems: 20, uniqueItems: true }), ["m6i.large"], {
      description:
        "EC2 instance types the pool may use, in priority order. Several types widen the capacity spot instances can come from; all must share one CPU architecture.",
      examples: [["m6i.xlarge", "m6a.xlarge", "m5.xlarge"]],
      expected: INSTANCE_TYPE_EXPECTED,
    }),
    onDemandBaseCapacity: withDefault(Type.Integer({ minimum: 0 }), 0, {
      description: "How many of the pool's instances are always on-demand before any spot instance is used.",
      examples: [2],
    }),
    onDemandPercentageAboveBase: withDefault(Type.Integer({ minimum: 0, maximum: 100 }), 100, {
      description: "Percentage of instances above the base that are on-demand; the rest are spot. 100 means no spot, 0 all spot.",
      examples: [0, 25],
    }),
    spotAllocationStrategy: withDefault(stringEnum(SPOT_ALLOCATION_STRATEGIES), "price-capacity-optimized", {
      description: "How the auto scaling group chooses spot capacity pools.",
      examples: ["capacity-optimized"],
    }),
    availabilityZones: computed(
      Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true }),
      "- every zone of provider.aws.availabilityZones",
      {
        description: "The availability zones the pool spreads over; a subset of provider.aws.availabilityZones.",
        examples: [["us-west-2a", "us-west-2b"]],
      },
    ),
    image: computed(awsImage("of the pool's nodes"), "- provider.aws.image, else Ubuntu 24.04 LTS for the instance type's architecture", {
      description: "The machine image of the pool's nodes; overrides provider.aws.image (GPU pools usually need their own).",
      examples: [{ amiId: "ami-0123456789abcdef0" }],
    }),
    rootVolume: withDefault(ebsVolume("root volume", 80), {}, {
      description: "The root volume, which also holds container images.",
      examples: [{ sizeGib: 200 }],
    }),
    rootDeviceName: rootDeviceName("the pool's image"),
  },
  { description: "How the pool's nodes are built on AWS.", examples: [{ instanceTypes: ["m6i.large"] }] },
);

/** Static addresses of a role's MAAS machines, one per machine (etcd members need them: peers and certificates name them). */
const maasAddresses = (role: string, countRule: string, isRequired: boolean) =>
  optional(
    Type.Array(ipv4Address(), { minItems: 1, uniqueItems: true }),
    isRequired ? "- none: required on MAAS (validation says so)" : "- an address MAAS assigns from provider.maas.network.subnetCidr",
    {
      description: `Static IPv4 addresses in provider.maas.network.subnetCidr, one per ${role} in order, set on provider.maas.network.interface${
        isRequired ? "; required, since members reach each other and are certified at these addresses" : ""
      }; ${countRule}.`,
      examples: [["192.168.10.11", "192.168.10.12", "192.168.10.13"]],
      expected: "an IPv4 address",
    },
  );

const maasDataDevice = (role: string) =>
  optional(Type.String({ pattern: "^/dev/[A-Za-z0-9._/:-]+$", maxLength: 255 }), "- the data directory stays on the root disk", {
    description: `Block device of each ${role} that holds etcd's data directory (formatted when blank). A stable name such as /dev/disk/by-id/... is safest.`,
    examples: ["/dev/nvme1n1"],
    expected: "a device path under /dev/",
  });

const maasMachine = <P extends TProperties>(role: string, countRule: string, extras: P) =>
  strictObject(
    {
      pool: optional(Type.String({ minLength: 1, maxLength: 256 }), "- any resource pool", {
        description: `MAAS resource pool to allocate each ${role} from.`,
        examples: ["kubernetes"],
      }),
      zone: optional(Type.String({ minLength: 1, maxLength: 256 }), "- any zone", {
        description: `MAAS availability zone to allocate each ${role} from.`,
        examples: ["rack-a"],
      }),
      tags: withDefault(Type.Array(Type.String({ minLength: 1 }), { uniqueItems: true }), [], {
        description: `MAAS tags a machine must carry to become a ${role}.`,
        examples: [["etcd", "nvme"]],
      }),
      minCpuCount: optional(Type.Integer({ minimum: 1 }), "- no minimum", {
        description: `Minimum CPU cores of each ${role}.`,
        examples: [8],
      }),
      minMemoryMib: optional(Type.Integer({ minimum: 512 }), "- no minimum", {
        description: `Minimum memory of each ${role} in MiB.`,
        examples: [32768],
      }),
      hostnames: optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true }), "- any matching machine", {
        description: `Explicit MAAS hostnames, one per ${role}; ${countRule}.`,
        examples: [["etcd-a1", "etcd-a2", "etcd-a3"]],
      }),
      systemIds: optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true }), "- any matching machine", {
        description: `Explicit MAAS system IDs, one per ${role}, instead of hostnames; ${countRule}.`,
        examples: [["4y3h7n", "4y3h7p", "4y3h7q"]],
      }),
      distroSeries: optional(Type.String({ pattern: "^[a-z][a-z0-9.-]*$", maxLength: 64 }), "- provider.maas.distroSeries", {
        description: `Ubuntu series MAAS deploys on each ${role}, instead of the provider's.`,
        examples: ["noble"],
        expected: "a MAAS series name such as noble",
      }),
      hweKernel: optional(Type.String({ minLength: 1, maxLength: 64 }), "- provider.maas.hweKernel", {
        description: `Kernel MAAS deploys on each ${role}, instead of the provider's.`,
        examples: ["hwe-24.04"],
      }),
      ...extras,
    },
    { description: `How each ${role} is chosen among MAAS machines.`, examples: [{ tags: ["etcd"] }] },
  );

/** A role's machine: one block per provider, and only the cluster's provider's block may be set. */
const machine = <A extends TSchema, M extends TSchema>(role: string, aws: A, maas: M) =>
  strictObject(
    {
      aws: optional(aws, "- the defaults below, when the provider is aws", {
        description: `The ${role} on AWS.`,
        examples: [{}],
      }),
      maas: optional(maas, "- any ready machine, when the provider is maas", {
        description: `The ${role} on MAAS.`,
        examples: [{ tags: ["kubernetes"] }],
      }),
    },
    {
      maxProperties: 1,
      description: `Machine shape of the ${role}, under the key of the cluster's provider.`,
      examples: [{ aws: {} }],
    },
  );

// ---------------------------------------------------------------------------------------------
// Top-level sections
// ---------------------------------------------------------------------------------------------

const metadata = strictObject(
  {
    name: required(dnsLabel(), {
      description:
        "The cluster's name: unique across the fleet, part of every resource name and of the state key. Changing it makes a new cluster.",
      examples: ["prod-usw2"],
      expected: DNS1123_LABEL_EXPECTED,
    }),
    labels: withDefault(stringMap(), {}, {
      description: "Kubernetes-style labels for selecting clusters in a fleet; keys and values follow Kubernetes label rules.",
      examples: [{ env: "prod", team: "platform" }],
    }),
  },
  { description: "Identifies the cluster.", examples: [{ name: "prod-usw2" }] },
);

const kubernetes = strictObject(
  {
    version: required(kubernetesVersion(), {
      description: `Kubernetes version of the control plane: a minor (the latest patch is installed) or a patch release to pin. Supported minors: ${SUPPORTED_KUBERNETES_MINORS.join(", ")}.`,
      examples: ["1.36", "1.36.2"],
      expected: KUBERNETES_VERSION_EXPECTED,
    }),
    podCidr: withDefault(ipv4Cidr(), "10.244.0.0/16", {
      description: "Pod network. Must not overlap the VPC or service CIDR, and must hold one nodeCidrMaskSize block per node.",
      examples: ["10.244.0.0/16"],
      expected: CIDR_EXPECTED,
    }),
    serviceCidr: withDefault(ipv4Cidr(), "10.96.0.0/12", {
      description: "Service (ClusterIP) network, /12 to /28. Must not overlap the VPC or pod CIDR.",
      examples: ["10.96.0.0/12"],
      expected: CIDR_EXPECTED,
    }),
    nodeCidrMaskSize: withDefault(Type.Integer({ minimum: 16, maximum: 28 }), 24, {
      description: "Prefix length of the pod range each node gets from podCidr.",
      examples: [24, 25],
    }),
    clusterDomain: withDefault(Type.String({ minLength: 1, maxLength: 253 }), "cluster.local", {
      description: "DNS domain of Services.",
      examples: ["cluster.local"],
    }),
    cni: withDefault(stringEnum(["calico", "none"]), "calico", {
      description: `Pod network plugin the first control-plane node installs: calico (version ${CALICO_VERSION}), or none to install your own (nodes stay NotReady until you do).`,
      examples: ["none"],
    }),
  },
  { description: "Kubernetes version and networks.", examples: [{ version: "1.36" }] },
);

const existingVpc = strictObject(
  {
    vpcId: required(awsId("vpc"), {
      description: "ID of the VPC to build in. provider.aws.vpcCidr must be its primary CIDR.",
      examples: ["vpc-0123456789abcdef0"],
      expected: "a VPC ID (vpc- and 8 or 17 hex digits)",
    }),
    privateSubnets: required(
      Type.Array(
        strictObject({
          id: required(awsId("subnet"), {
            description: "ID of the subnet.",
            examples: ["subnet-0123456789abcdef0"],
            expected: "a subnet ID (subnet- and 8 or 17 hex digits)",
          }),
          cidr: required(ipv4Cidr(), {
            description: "CIDR of the subnet, inside vpcCidr and at least /26: etcd members take fixed addresses from it.",
            examples: ["10.20.0.0/19"],
            expected: CIDR_EXPECTED,
          }),
        }),
        { minItems: 1 },
      ),
      {
        description:
          "Private subnets for every machine, one per entry of provider.aws.availabilityZones and in the same order. They need a route to a NAT gateway. Their CIDRs are given so that etcd addresses can be planned without an AWS call.",
        examples: [[{ id: "subnet-0123456789abcdef0", cidr: "10.20.0.0/19" }]],
      },
    ),
    publicSubnetIds: optional(
      Type.Array(awsId("subnet"), { minItems: 1, uniqueItems: true }),
      "- none; a public API endpoint then needs them",
      {
        description: "Public subnets for a public API load balancer, one per availability zone and in the same order.",
        examples: [["subnet-0fedcba9876543210", "subnet-0fedcba9876543211", "subnet-0fedcba9876543212"]],
        expected: "a subnet ID (subnet- and 8 or 17 hex digits)",
      },
    ),
  },
  {
    description: "Reuse an existing VPC and subnets instead of creating a network.",
    examples: [{ vpcId: "vpc-0123456789abcdef0", privateSubnets: [{ id: "subnet-0123456789abcdef0", cidr: "10.20.0.0/19" }] }],
  },
);

const awsProvider = strictObject(
  {
    region: required(Type.String({ pattern: "^[a-z]{2}(-[a-z]+)+-[0-9]+$" }), {
      description: "AWS region of the cluster.",
      examples: ["us-west-2"],
      expected: "an AWS region such as us-west-2",
    }),
    availabilityZones: required(Type.Array(Type.String({ pattern: "^[a-z]{2}-[a-z0-9-]+[a-z]$" }), { minItems: 1, maxItems: 6, uniqueItems: true }), {
      description:
        "Availability zones to spread etcd members, control-plane nodes and pools over. Given explicitly so that planning needs no AWS call.",
      examples: [["us-west-2a", "us-west-2b", "us-west-2c"]],
      expected: "an availability zone of the region, such as us-west-2a",
    }),
    vpcCidr: withDefault(ipv4Cidr(), "10.0.0.0/16", {
      description:
        "CIDR of the VPC: /16 to /22 for a new VPC (a private and a public subnet per zone are carved from it), /16 to /28 with existingVpc, which then must be that VPC's primary CIDR. Must not overlap the pod or service CIDR.",
      examples: ["10.20.0.0/16"],
      expected: CIDR_EXPECTED,
    }),
    existingVpc: optional(existingVpc, "- a new VPC with a public and a private subnet per availability zone", {
      description: "An existing VPC and subnets to build in.",
      examples: [{ vpcId: "vpc-0123456789abcdef0", privateSubnets: [{ id: "subnet-0123456789abcdef0", cidr: "10.20.0.0/19" }] }],
    }),
    natGateways: withDefault(stringEnum(["perZone", "single"]), "perZone", {
      description: "NAT gateways of a new VPC: one per availability zone (survives a zone outage) or a single one (cheaper).",
      examples: ["single"],
    }),
    image: optional(awsImage("of every machine"), "- Ubuntu 24.04 LTS for each machine's CPU architecture, from Canonical's public SSM parameter", {
      description: "The default machine image of every role; each role's machine.aws.image overrides it.",
      examples: [{ amiId: "ami-0123456789abcdef0" }],
    }),
    ebsKmsKeyArn: optional(kmsKeyArn(), "- the account's AWS-managed EBS key (aws/ebs)", {
      description: "KMS key that encrypts every EBS volume of the cluster.",
      examples: ["arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
      expected: KMS_EXPECTED,
    }),
    sshKeyName: optional(Type.String({ minLength: 1, maxLength: 255 }), "- no SSH key; reach machines through SSM Session Manager", {
      description: "Name of an EC2 key pair installed on every machine.",
      examples: ["platform-admins"],
    }),
    tags: withDefault(stringMap(), {}, {
      description: "Extra AWS tags on every resource (keys up to 128 characters, values up to 256, no 'aws:' prefix).",
      examples: [{ "cost-center": "platform" }],
    }),
  },
  { description: "Build the cluster on AWS.", examples: [{ region: "us-west-2", availabilityZones: ["us-west-2a"] }] },
);

const maasProvider = strictObject(
  {
    apiUrl: required(Type.String({ pattern: "^https?://[^\\s]+$" }), {
      description: "URL of the MAAS API.",
      examples: ["https://maas.example.com:5240/MAAS"],
      expected: "an http or https URL",
    }),
    apiKeyEnv: withDefault(envVarName(), "MAAS_API_KEY", {
      description:
        "Environment variable that holds the MAAS API key where Terraform runs; the key itself never goes in the spec. Terraform's MAAS provider reads MAAS_API_KEY itself; with another name, the stack declares the sensitive variable maas_api_key: export TF_VAR_maas_api_key=\"$NAME\".",
      examples: ["MAAS_API_KEY"],
      expected: ENV_EXPECTED,
    }),
    apiVersion: withDefault(Type.String({ pattern: "^[0-9]+\\.[0-9]+$" }), "2.0", {
      description: "MAAS API version.",
      examples: ["2.0"],
      expected: "a version such as 2.0",
    }),
    tlsCaCertPath: optional(Type.String({ minLength: 1 }), "- the system's trusted CAs", {
      description: "Path to the CA certificate that signs the MAAS API's TLS certificate.",
      examples: ["/etc/ssl/maas-ca.pem"],
    }),
    tlsInsecureSkipVerify: withDefault(Type.Boolean(), false, {
      description: "Skip TLS verification of the MAAS API. For lab use only.",
      examples: [true],
    }),
    distroSeries: withDefault(Type.String({ minLength: 1 }), "noble", {
      description: "Ubuntu series MAAS deploys on every machine.",
      examples: ["noble"],
    }),
    hweKernel: optional(Type.String({ minLength: 1 }), "- MAAS's default kernel for the series", {
      description: "Hardware-enablement kernel to deploy.",
      examples: ["hwe-24.04"],
    }),
    network: required(
      strictObject(
        {
          subnetCidr: required(ipv4Cidr(), {
            description: "The MAAS subnet the cluster's machines are deployed on: static addresses (etcd members, the VIP) come from it.",
            examples: ["192.168.10.0/24"],
            expected: CIDR_EXPECTED,
          }),
          interface: required(Type.String({ pattern: "^[A-Za-z0-9._:-]+$", maxLength: 64 }), {
            description: "Name of the machines' network interface on that subnet, as MAAS knows it (static addresses go on it; kube-vip announces the VIP on it).",
            examples: ["eno1"],
            expected: "an interface name such as eno1",
          }),
        },
        { description: "The machines' network.", examples: [{ subnetCidr: "192.168.10.0/24", interface: "eno1" }] },
      ),
      {
        description: "The network every machine of the cluster is deployed on.",
        examples: [{ subnetCidr: "192.168.10.0/24", interface: "eno1" }],
      },
    ),
    vault: required(
      strictObject(
        {
          address: required(Type.String({ pattern: "^https?://[^\\s]+$" }), {
            description: "URL of the Vault server that keeps the cluster's secrets; machines reach it at boot.",
            examples: ["https://vault.dc1.example.com:8200"],
            expected: "an http or https URL",
          }),
          caCertPath: optional(Type.String({ minLength: 1 }), "- the system's trusted CAs", {
            description: "Path (on the admin's or CI's machine) to the CA certificate that signs Vault's TLS certificate; its content is installed on the machines.",
            examples: ["/etc/ssl/vault-ca.pem"],
          }),
          tokenEnv: withDefault(envVarName(), "VAULT_TOKEN", {
            description: "Environment variable holding the Vault token of k2 secrets init (writes secrets, policies and roles) and of Terraform (mints secret IDs); never in the spec.",
            examples: ["VAULT_TOKEN"],
            expected: ENV_EXPECTED,
          }),
          kvMount: withDefault(Type.String({ pattern: "^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$", maxLength: 128 }), "secret", {
            description: "Mount path of the KV version 2 secrets engine holding the cluster's secrets.",
            examples: ["secret"],
            expected: "a mount path such as secret or kv/platform",
          }),
          approleMount: withDefault(Type.String({ pattern: "^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$", maxLength: 128 }), "approle", {
            description: "Mount path of the AppRole auth method machines log in with.",
            examples: ["approle"],
            expected: "a mount path such as approle",
          }),
          wrappingTtl: withDefault(Type.String({ pattern: "^[1-9][0-9]*[smh]$" }), "2h", {
            description: "How long a machine's response-wrapped, single-use secret ID can be unwrapped: from terraform apply to the machine's first boot.",
            examples: ["4h"],
            expected: "a duration such as 90m or 2h",
          }),
        },
        { description: "Vault settings.", examples: [{ address: "https://vault.dc1.example.com:8200" }] },
      ),
      {
        description: "Where the cluster's secrets live: Vault, read by each machine once at boot through AppRole with a response-wrapped secret ID (docs/bare-metal.md).",
        examples: [{ address: "https://vault.dc1.example.com:8200" }],
      },
    ),
    controlPlaneEndpoint: required(
      strictObject(
        {
          vip: optional(ipv4Address(), "- use dnsName", {
            description: "A free IPv4 address in the machines' subnet, announced by kube-vip on the control-plane nodes.",
            examples: ["192.168.10.5"],
            expected: "an IPv4 address",
          }),
          dnsName: optional(Type.String({ minLength: 1, maxLength: 253 }), "- use vip", {
            description: "A DNS name you keep pointed at the control-plane nodes (your own load balancer or round-robin records).",
            examples: ["api.dc1.example.com"],
          }),
        },
        { minProperties: 1, maxProperties: 1 },
      ),
      {
        description: "How clients reach the API servers on bare metal: exactly one of vip or dnsName.",
        examples: [{ vip: "192.168.10.5" }],
      },
    ),
  },
  {
    description: "Build the cluster on bare metal through Canonical MAAS.",
    examples: [
      {
        apiUrl: "https://maas.example.com:5240/MAAS",
        network: { subnetCidr: "192.168.10.0/24", interface: "eno1" },
        vault: { address: "https://vault.dc1.example.com:8200" },
        controlPlaneEndpoint: { vip: "192.168.10.5" },
      },
    ],
  },
);

const provider = strictObject(
  {
    aws: optional(awsProvider, "- set maas instead", {
      description: "Build on AWS.",
      examples: [{ region: "us-west-2", availabilityZones: ["us-west-2a", "us-west-2b", "us-west-2c"] }],
    }),
    maas: optional(maasProvider, "- set aws instead", {
      description: "Build on bare metal through Canonical MAAS.",
      examples: [
      {
        apiUrl: "https://maas.example.com:5240/MAAS",
        network: { subnetCidr: "192.168.10.0/24", interface: "eno1" },
        vault: { address: "https://vault.dc1.example.com:8200" },
        controlPlaneEndpoint: { vip: "192.168.10.5" },
      },
    ],
    }),
  },
  { minProperties: 1, maxProperties: 1 },
);

const MINIMAL_SPEC_EXAMPLE = {
  kubernetes: { version: "1.36" },
  provider: { aws: { region: "us-west-2", availabilityZones: ["us-west-2a"] } },
  etcd: [{ name: "main", members: 1 }],
  controlPlane: { replicas: 1 },
  nodePools: [{ name: "general", minSize: 1, maxSize: 3 }],
};

export const ETCD_MEMBER_COUNTS = [1, 3, 5, 7] as const;

const etcdCluster = strictObject(
  {
    name: required(dnsLabel(), {
      description: "Name of the etcd cluster, unique within the cluster.",
      examples: ["main", "events"],
      expected: DNS1123_LABEL_EXPECTED,
    }),
    members: withDefault(integerEnum(ETCD_MEMBER_COUNTS), 3, {
      description:
        "Number of members. Odd, so that a majority survives: 3 tolerates one failure, 5 two. 1 has no fault tolerance.",
      examples: [5],
      expected: "1, 3, 5 or 7 (an odd number, so that a majority of members stays available)",
    }),
    version: withDefault(Type.String({ pattern: "^3\\.[0-9]+\\.[0-9]+$" }), DEFAULT_ETCD_VERSION, {
      description: `etcd release to run. Supported minors: ${SUPPORTED_ETCD_MINORS.join(", ")}.`,
      examples: ["3.5.21"],
      expected: `an etcd release such as ${DEFAULT_ETCD_VERSION}`,
    }),
    resources: computed(
      Type.Array(Type.String({ pattern: "^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[a-z][a-z0-9]*$" }), { uniqueItems: true }),
      '- ["events"] for an etcd cluster named events, [] otherwise',
      {
        description:
          "Kubernetes resources this etcd cluster stores instead of the primary one (the API server's --etcd-servers-overrides), as group/resource or resource for the core group. Exactly one etcd cluster has none: the primary.",
        examples: [["events"], ["coordination.k8s.io/leases"]],
        expected: "a resource such as events or coordination.k8s.io/leases",
      },
    ),
    machine: computed(
      machine(
        "etcd members",
        awsFixedMachine("etcd member", { instanceType: "m6i.large", rootGib: 20 }, {
          dataVolume: withDefault(ebsVolume("data volume, a separate EBS volume that holds etcd's data directory", 20), {}, {
            description: "The data volume of each member, kept when the instance is replaced.",
            examples: [{ sizeGib: 50, type: "gp3", iops: 6000 }],
          }),
        }),
        maasMachine("etcd member", "as many as members", {
          addresses: maasAddresses("etcd member", "as many as members", true),
          dataDevice: maasDataDevice("etcd member"),
        }),
      ),
      "- the provider's defaults",
      {
        description:
          "Machines of the members. On a running cluster a change reaches a member only when it is replaced (replaceMember), one member at a time.",
        examples: [{ aws: { instanceType: "m6i.large" } }],
      },
    ),
    backup: withDefault(
      strictObject({
        enabled: withDefault(Type.Boolean(), true, {
          description: "Take periodic snapshots and upload them to the cluster's backup bucket.",
          examples: [false],
        }),
        intervalMinutes: withDefault(Type.Integer({ minimum: 5, maximum: 1440 }), 30, {
          description: "Minutes between snapshots (a systemd timer on the members; the leader takes it).",
          examples: [15],
        }),
        retentionDays: withDefault(Type.Integer({ minimum: 1, maximum: 3650 }), 14, {
          description: "Days a snapshot is kept in the bucket before its lifecycle rule deletes it.",
          examples: [30],
        }),
      }),
      {},
      { description: "Periodic snapshots of the etcd cluster.", examples: [{ intervalMinutes: 15, retentionDays: 30 }] },
    ),
    replaceMember: optional(
      strictObject({
        member: required(Type.Integer({ minimum: 0, maximum: 6 }), {
          description: "Index of the member to replace (0 for the first), less than members.",
          examples: [1],
        }),
        id: required(Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$" }), {
          description:
            "Names this replacement. A new id replaces the member again; keeping the id (or removing replaceMember once done) replaces nothing.",
          examples: ["2026-11-26-disk-failure"],
          expected: "1 to 63 letters, digits, '.', '_' or '-'",
        }),
        dataVolume: withDefault(stringEnum(["replace", "keep"]), "replace", {
          description:
            "replace: a new, empty data volume (a failed disk; the member rejoins through member remove/add, see k2 etcd replace-member). keep: only the machine is replaced and the member restarts with its data (a new instance type, image or etcd version).",
          examples: ["keep"],
        }),
      }),
      "- no member is replaced",
      {
        description:
          "The one operation allowed on a running etcd cluster: replace one member's machine (and, if asked, its data volume). It also lets that member take the spec's current machine and version. Print the procedure with `k2 etcd replace-member`.",
        examples: [{ member: 1, id: "2026-11-26-disk-failure" }],
      },
    ),
  },
  { description: "A dedicated etcd cluster.", examples: [{ name: "main", members: 3 }] },
);

const taint = strictObject(
  {
    key: required(Type.String({ minLength: 1 }), {
      description: "Taint key, with the syntax of a label key.",
      examples: ["nvidia.com/gpu"],
    }),
    value: withDefault(Type.String(), "", {
      description: "Taint value, with the syntax of a label value.",
      examples: ["present"],
    }),
    effect: required(stringEnum(["NoSchedule", "PreferNoSchedule", "NoExecute"]), {
      description: "What the taint does to pods that do not tolerate it.",
      examples: ["NoSchedule"],
    }),
  },
  { description: "A taint the kubelet registers the node with.", examples: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] },
);

const nodePool = strictObject(
  {
    name: required(dnsLabel(), {
      description: "Name of the pool, unique within the cluster; nodes carry it in the kraken.dev/pool label.",
      examples: ["general"],
      expected: DNS1123_LABEL_EXPECTED,
    }),
    minSize: required(Type.Integer({ minimum: 0, maximum: 1000 }), {
      description: "Fewest nodes the pool scales to.",
      examples: [3],
    }),
    maxSize: required(Type.Integer({ minimum: 0, maximum: 1000 }), {
      description: "Most nodes the pool scales to; at least minSize.",
      examples: [10],
    }),
    desiredSize: computed(Type.Integer({ minimum: 0, maximum: 1000 }), "- minSize", {
      description:
        "Nodes the pool starts with, between minSize and maxSize. Afterwards the auto scaling group (and a cluster autoscaler) own the current size, and later changes here are not applied: change minSize or maxSize to move it.",
      examples: [4],
    }),
    kubernetesVersion: computed(kubernetesVersion(), "- spec.kubernetes.version", {
      description:
        "Kubelet version of the pool, to upgrade pools after the control plane. Never newer than the control plane, and at most 3 minors older.",
      examples: ["1.35"],
      expected: KUBERNETES_VERSION_EXPECTED,
    }),
    labels: withDefault(stringMap(), {}, {
      description:
        "Labels the kubelet registers the node with, following Kubernetes label rules. Prefixes under kubernetes.io and k8s.io are refused by the NodeRestriction admission plugin (except node.kubernetes.io and kubelet.kubernetes.io); kraken.dev is reserved.",
      examples: [{ workload: "batch", "node.kubernetes.io/lifecycle": "spot" }],
    }),
    taints: withDefault(Type.Array(taint), [], {
      description: "Taints the kubelet registers the node with.",
      examples: [[{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }]],
    }),
    maxPods: withDefault(Type.Integer({ minimum: 10, maximum: 1024 }), 110, {
      description: "Most pods per node (the kubelet's maxPods). Must fit in the node's pod range (kubernetes.nodeCidrMaskSize).",
      examples: [250],
    }),
    minHealthyPercent: withDefault(Type.Integer({ minimum: 0, maximum: 100 }), 90, {
      description: "During a rolling replacement, the share of the pool kept in service; lower replaces faster.",
      examples: [75],
    }),
    machine: computed(machine("pool's nodes", awsPoolMachine, maasMachine("node", "at least maxSize of them", {})), "- the provider's defaults", {
      description: "Machines of the pool.",
      examples: [{ aws: { instanceTypes: ["m6i.xlarge", "m6a.xlarge"] } }],
    }),
  },
  { description: "A group of worker nodes with one shape, labels and taints.", examples: [{ name: "general", minSize: 3, maxSize: 10 }] },
);

const apiServer = strictObject(
  {
    public: withDefault(Type.Boolean(), false, {
      description: "Put the API load balancer on the internet (AWS). A public endpoint needs a non-empty allowedCidrs.",
      examples: [true],
    }),
    allowedCidrs: withDefault(Type.Array(ipv4Cidr(), { uniqueItems: true }), [], {
      description: "Networks, besides the cluster's own VPC, allowed to reach the API on 6443.",
      examples: [["203.0.113.0/24"]],
      expected: CIDR_EXPECTED,
    }),
    extraSans: withDefault(Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { uniqueItems: true }), [], {
      description: "Extra DNS names or IP addresses on the API server's certificate, for names you point at the endpoint.",
      examples: [["api.prod.example.com"]],
    }),
  },
  { description: "How the Kubernetes API is exposed.", examples: [{ public: false }] },
);

const controlPlane = strictObject(
  {
    replicas: withDefault(Type.Integer({ minimum: 1, maximum: 9 }), 3, {
      description: "Number of control-plane nodes behind the API load balancer. 1 is not highly available.",
      examples: [3],
    }),
    apiServer: withDefault(apiServer, {}, {
      description: "API endpoint and access.",
      examples: [{ public: true, allowedCidrs: ["203.0.113.0/24"] }],
    }),
    machine: computed(
      machine(
        "control-plane nodes",
        awsFixedMachine("control-plane node", { instanceType: "m6i.large", rootGib: 50 }, { rootDeviceName: rootDeviceName("the control-plane image") }),
        maasMachine("control-plane node", "as many as replicas", { addresses: maasAddresses("control-plane node", "as many as replicas", false) }),
      ),
      "- the provider's defaults",
      { description: "Machines of the control plane.", examples: [{ aws: { instanceType: "m6i.xlarge" } }] },
    ),
  },
  { description: "The Kubernetes control plane.", examples: [{ replicas: 3 }] },
);

export const STATE_BACKENDS = ["local", "s3", "pg", "kubernetes"] as const;

const state = strictObject(
  {
    backend: withDefault(stringEnum(STATE_BACKENDS), "local", {
      description: "Where Terraform keeps the cluster's state, with locking. local is for trying things out: one admin, one machine.",
      examples: ["s3"],
    }),
    local: optional(
      strictObject(
        {
          path: computed(Type.String({ minLength: 1 }), "- terraform.<metadata.name>.tfstate", {
            description: "Path of the state file, relative to where cdktf runs.",
            examples: ["state/prod-usw2.tfstate"],
          }),
        },
      ),
      "- defaults below, when backend is local",
      { description: "Settings of the local backend.", examples: [{ path: "state/prod-usw2.tfstate" }] },
    ),
    s3: optional(
      strictObject(
        {
          bucket: required(Type.String({ pattern: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$" }), {
            description: "S3 bucket that holds the state (created by the StateStore stack).",
            examples: ["acme-kraken-state"],
            expected: "an S3 bucket name: 3 to 63 lower-case letters, digits, '.' and '-'",
          }),
          region: computed(Type.String({ pattern: "^[a-z]{2}(-[a-z]+)+-[0-9]+$" }), "- provider.aws.region", {
            description: "Region of the bucket; required for MAAS clusters.",
            examples: ["us-east-1"],
            expected: "an AWS region such as us-west-2",
          }),
          keyPrefix: withDefault(Type.String({ pattern: "^[A-Za-z0-9!_.*'()/-]+$" }), "kraken", {
            description: "Prefix of the state object's key; the key is <keyPrefix>/<metadata.name>/terraform.tfstate.",
            examples: ["clusters"],
          }),
          useLockfile: withDefault(Type.Boolean(), true, {
            description: "Lock with an S3 lock file (Terraform 1.11 S3-native locking).",
            examples: [true],
          }),
          dynamodbTable: optional(Type.String({ pattern: "^[A-Za-z0-9_.-]{3,255}$" }), "- no DynamoDB lock", {
            description: "DynamoDB table for locking, for setups older than S3-native locking.",
            examples: ["terraform-locks"],
          }),
          kmsKeyArn: optional(kmsKeyArn(), "- SSE-S3 encryption", {
            description: "KMS key that encrypts the state object.",
            examples: ["arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
            expected: KMS_EXPECTED,
          }),
        },
      ),
      "- required when backend is s3",
      { description: "Settings of the s3 backend; the state is always encrypted.", examples: [{ bucket: "acme-kraken-state" }] },
    ),
    pg: optional(
      strictObject(
        {
          connStrEnv: withDefault(envVarName(), "PG_CONN_STR", {
            description:
              "Environment variable holding the PostgreSQL connection string (postgres://user:password@host/db); the password never goes in the spec. Terraform itself reads PG_CONN_STR: with another name, k2 passes it on, and you export PG_CONN_STR=$NAME before running terraform yourself.",
            examples: ["TF_STATE_PG"],
            expected: ENV_EXPECTED,
          }),
          schemaName: computed(Type.String({ pattern: "^[a-z_][a-z0-9_]{0,62}$" }), "- kraken_<metadata.name with '-' as '_'>", {
            description: "PostgreSQL schema that holds this cluster's state.",
            examples: ["kraken_prod_usw2"],
            expected: "a PostgreSQL identifier: lower-case letters, digits and '_'",
          }),
        },
      ),
      "- defaults below, when backend is pg",
      { description: "Settings of the pg backend.", examples: [{ connStrEnv: "TF_STATE_PG" }] },
    ),
    kubernetes: optional(
      strictObject(
        {
          namespace: withDefault(dnsLabel(), "kraken-state", {
            description: "Namespace of the management cluster that holds the state Secret and lock Lease.",
            examples: ["kraken-state"],
            expected: DNS1123_LABEL_EXPECTED,
          }),
          secretSuffix: computed(dnsLabel(), "- metadata.name (with -state appended when the name ends in -<number>)", {
            description: "Suffix of the state Secret's name (tfstate-default-<secretSuffix>); must not end in -<number>, which Terraform keeps for the chunks of large states.",
            examples: ["prod-usw2"],
            expected: DNS1123_LABEL_EXPECTED,
          }),
          configPath: optional(Type.String({ minLength: 1 }), "- KUBECONFIG or ~/.kube/config", {
            description: "Kubeconfig of the management cluster.",
            examples: ["~/.kube/management.yaml"],
          }),
          configContext: optional(Type.String({ minLength: 1 }), "- the kubeconfig's current context", {
            description: "Context of the kubeconfig to use.",
            examples: ["management"],
          }),
        },
      ),
      "- defaults below, when backend is kubernetes",
      { description: "Settings of the kubernetes backend.", examples: [{ namespace: "kraken-state" }] },
    ),
  },
  { description: "Terraform state of the cluster.", examples: [{ backend: "local" }] },
);

export const ALERT_SEVERITIES = ["critical", "warning", "info"] as const;

const monitoring = strictObject(
  {
    enabled: withDefault(Type.Boolean(), true, {
      description: "Deploy the monitoring stack (Prometheus Operator, Prometheus, Alertmanager, node-exporter, kube-state-metrics, Grafana, metrics-server) with kraken-lib's recording and alerting rules.",
      examples: [false],
    }),
    retention: withDefault(Type.String({ pattern: "^[1-9][0-9]*(h|d|w|y)$" }), "15d", {
      description: "How long Prometheus keeps samples.",
      examples: ["30d"],
      expected: "a duration such as 15d, 12h, 4w or 1y",
    }),
    retentionSize: optional(Type.String({ pattern: "^[1-9][0-9]*(MB|GB|TB)$" }), "- no size limit: retention alone", {
      description: "Most disk Prometheus may use before it drops the oldest blocks; keep it under the volume size.",
      examples: ["45GB"],
      expected: "a size such as 45GB",
    }),
    storage: withDefault(
      strictObject({
        sizeGib: withDefault(Type.Integer({ minimum: 1, maximum: 16384 }), 50, {
          description: "Size of Prometheus's persistent volume in GiB.",
          examples: [200],
        }),
        storageClass: optional(Type.String({ pattern: "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", maxLength: 253 }), "- the cluster's default storage class", {
          description: "Storage class of Prometheus's persistent volume.",
          examples: ["gp3"],
          expected: "a storage class name",
        }),
      }),
      {},
      { description: "Prometheus's persistent volume.", examples: [{ sizeGib: 200, storageClass: "gp3" }] },
    ),
    scrapeInterval: withDefault(Type.String({ pattern: "^[1-9][0-9]*s$" }), "30s", {
      description: "How often Prometheus scrapes its targets (the rules' rate windows assume at most 1m).",
      examples: ["15s"],
      expected: "seconds such as 30s",
    }),
    grafana: withDefault(
      strictObject({
        enabled: withDefault(Type.Boolean(), true, {
          description: "Deploy Grafana with kraken-lib's dashboards (usage by namespace and node, capacity over time).",
          examples: [false],
        }),
      }),
      {},
      { description: "Grafana, provisioned with kraken-lib's dashboards.", examples: [{ enabled: true }] },
    ),
  },
  { description: "Metrics: what is collected, how long it is kept.", examples: [{ retention: "30d" }] },
);

const envReference = (what: string) =>
  required(envVarName(), {
    description: `Environment variable that holds ${what} where the addons stack is deployed; the value never goes in the spec.`,
    examples: ["ALERTS_SLACK_WEBHOOK_URL"],
    expected: ENV_EXPECTED,
  });

const receiver = strictObject(
  {
    name: required(Type.String({ pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", maxLength: 63 }), {
      description: "Name routes refer to.",
      examples: ["platform-oncall"],
      expected: "lower-case letters, digits and '-'",
    }),
    slack: optional(
      strictObject({
        webhookUrlEnv: envReference("the Slack incoming-webhook URL"),
        channel: optional(Type.String({ pattern: "^[#@][^\\s]+$" }), "- the webhook's own channel", {
          description: "Channel or user to post to.",
          examples: ["#alerts-prod"],
          expected: "#channel or @user",
        }),
      }),
      "- no Slack",
      { description: "Post to Slack.", examples: [{ webhookUrlEnv: "ALERTS_SLACK_WEBHOOK_URL", channel: "#alerts" }] },
    ),
    pagerduty: optional(
      strictObject({ routingKeyEnv: envReference("the PagerDuty Events API v2 routing (integration) key") }),
      "- no PagerDuty",
      { description: "Page through PagerDuty.", examples: [{ routingKeyEnv: "PAGERDUTY_ROUTING_KEY" }] },
    ),
    email: optional(
      strictObject({
        to: required(Type.Array(Type.String({ pattern: "^[^@\\s]+@[^@\\s]+$" }), { minItems: 1, uniqueItems: true }), {
          description: "Recipients.",
          examples: [["platform@example.com"]],
          expected: "an email address",
        }),
        from: required(Type.String({ pattern: "^[^@\\s]+@[^@\\s]+$" }), { description: "Sender address.", examples: ["alertmanager@example.com"], expected: "an email address" }),
        smarthost: required(Type.String({ pattern: "^[A-Za-z0-9.-]+:[0-9]{1,5}$" }), {
          description: "SMTP server as host:port.",
          examples: ["smtp.example.com:587"],
          expected: "host:port",
        }),
        authUsername: optional(Type.String({ minLength: 1 }), "- no SMTP authentication", { description: "SMTP user name.", examples: ["alertmanager"] }),
        authPasswordEnv: optional(envVarName(), "- no SMTP password", {
          description: "Environment variable that holds the SMTP password where the addons stack is deployed.",
          examples: ["ALERTS_SMTP_PASSWORD"],
          expected: ENV_EXPECTED,
        }),
        requireTls: withDefault(Type.Boolean(), true, { description: "Refuse to send without STARTTLS.", examples: [false] }),
      }),
      "- no email",
      { description: "Send email.", examples: [{ to: ["platform@example.com"], from: "alertmanager@example.com", smarthost: "smtp.example.com:587" }] },
    ),
    webhook: optional(
      strictObject({
        url: required(Type.String({ pattern: "^https?://[^\\s]+$" }), { description: "URL Alertmanager posts its JSON to.", examples: ["https://hooks.example.com/alertmanager"], expected: "an http or https URL" }),
        bearerTokenEnv: optional(envVarName(), "- no Authorization header", {
          description: "Environment variable that holds a bearer token sent with each call, where the addons stack is deployed.",
          examples: ["ALERTS_WEBHOOK_TOKEN"],
          expected: ENV_EXPECTED,
        }),
      }),
      "- no webhook",
      { description: "Call a webhook.", examples: [{ url: "https://hooks.example.com/alertmanager" }] },
    ),
  },
  { description: "Where alerts go: one or more of slack, pagerduty, email, webhook.", examples: [{ name: "platform", slack: { webhookUrlEnv: "ALERTS_SLACK_WEBHOOK_URL" } }] },
);

const alertRoute = strictObject(
  {
    receiver: required(Type.String({ minLength: 1 }), { description: "Receiver (by name) of the alerts this route matches.", examples: ["platform-oncall"] }),
    severity: optional(stringEnum(ALERT_SEVERITIES), "- any severity", {
      description: "Only alerts of this severity.",
      examples: ["critical"],
    }),
    matchers: withDefault(stringMap(), {}, {
      description: "Further label equality matchers (for example namespace or alertname).",
      examples: [{ namespace: "payments" }],
    }),
    continue: withDefault(Type.Boolean(), false, {
      description: "Keep matching the next routes after this one matched.",
      examples: [true],
    }),
  },
  { description: "A routing rule, tried in order.", examples: [{ receiver: "platform-oncall", severity: "critical" }] },
);

const alerting = strictObject(
  {
    receivers: withDefault(Type.Array(receiver, { maxItems: 50 }), [], {
      description: "Where alerts can go.",
      examples: [[{ name: "platform", slack: { webhookUrlEnv: "ALERTS_SLACK_WEBHOOK_URL" } }]],
    }),
    routes: withDefault(Type.Array(alertRoute, { maxItems: 100 }), [], {
      description: "Routes by severity and labels, tried in order below the cluster's root route (every alert carries cluster=<name>).",
      examples: [[{ receiver: "platform-oncall", severity: "critical" }]],
    }),
    defaultReceiver: optional(Type.String({ minLength: 1 }), "- the first receiver; with none, alerts stay in Alertmanager", {
      description: "Receiver of the alerts no route matches.",
      examples: ["platform"],
    }),
    groupBy: withDefault(Type.Array(Type.String({ pattern: "^[a-zA-Z_][a-zA-Z0-9_]*$" }), { minItems: 1, uniqueItems: true }), ["alertname", "cluster", "namespace"], {
      description: "Labels that group alerts into one notification.",
      examples: [["alertname", "cluster"]],
      expected: "a Prometheus label name",
    }),
    repeatInterval: withDefault(Type.String({ pattern: "^[1-9][0-9]*(m|h)$" }), "4h", {
      description: "How often a notification is sent again while its alerts still fire.",
      examples: ["12h"],
      expected: "a duration such as 30m or 4h",
    }),
  },
  { description: "Alertmanager routing.", examples: [{ receivers: [{ name: "platform", slack: { webhookUrlEnv: "ALERTS_SLACK_WEBHOOK_URL" } }] }] },
);

const optionalEnv = (what: string, example: string) =>
  optional(envVarName(), `- no ${what}`, {
    description: `Environment variable that holds the ${what} where the addons stack is deployed; the value never goes in the spec.`,
    examples: [example],
    expected: ENV_EXPECTED,
  });

const logging = strictObject(
  {
    enabled: withDefault(Type.Boolean(), false, {
      description: "Deploy the log agents (every Kubernetes node, and the etcd hosts) and the events exporter that writes Kubernetes events into the logs.",
      examples: [true],
    }),
    sinks: withDefault(
      strictObject({
        loki: optional(
          strictObject({
            url: required(Type.String({ pattern: "^https?://[^\\s]+$" }), { description: "Loki's base URL (the agent pushes to /loki/api/v1/push).", examples: ["https://loki.example.com"], expected: "an http or https URL" }),
            tenantId: optional(Type.String({ minLength: 1, maxLength: 256 }), "- no X-Scope-OrgID header", { description: "Loki tenant (X-Scope-OrgID).", examples: ["platform"] }),
            usernameEnv: optionalEnv("Loki basic-auth user name", "LOKI_USERNAME"),
            passwordEnv: optionalEnv("Loki basic-auth password", "LOKI_PASSWORD"),
          }),
          "- no Loki",
          { description: "Ship to Grafana Loki.", examples: [{ url: "https://loki.example.com" }] },
        ),
        elasticsearch: optional(
          strictObject({
            url: required(Type.String({ pattern: "^https?://[^\\s]+$" }), { description: "Elasticsearch or OpenSearch URL.", examples: ["https://search.example.com:9200"], expected: "an http or https URL" }),
            index: withDefault(Type.String({ pattern: "^[a-z0-9][a-z0-9_.-]*$", maxLength: 200 }), "kraken-logs", {
              description: "Index (logstash-style prefix: a daily index <index>-YYYY.MM.DD).",
              examples: ["prod-logs"],
              expected: "a lower-case index name",
            }),
            usernameEnv: optionalEnv("Elasticsearch user name", "ES_USERNAME"),
            passwordEnv: optionalEnv("Elasticsearch password", "ES_PASSWORD"),
          }),
          "- no Elasticsearch/OpenSearch",
          { description: "Ship to Elasticsearch or OpenSearch.", examples: [{ url: "https://search.example.com:9200" }] },
        ),
        cloudwatch: optional(
          strictObject({
            region: required(Type.String({ pattern: "^[a-z]{2}(-[a-z]+)+-[0-9]$" }), { description: "AWS region of the log group.", examples: ["us-west-2"], expected: "an AWS region such as us-west-2" }),
            logGroup: required(Type.String({ pattern: "^[A-Za-z0-9_/.#-]+$", maxLength: 512 }), { description: "Log group; streams are per node and source.", examples: ["/kraken/prod-usw2"], expected: "a CloudWatch log group name" }),
          }),
          "- no CloudWatch Logs",
          { description: "Ship to CloudWatch Logs (on AWS with the nodes' instance roles).", examples: [{ region: "us-west-2", logGroup: "/kraken/prod-usw2" }] },
        ),
        s3: optional(
          strictObject({
            bucket: required(Type.String({ pattern: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$" }), { description: "Bucket of the archives.", examples: ["acme-log-archive"], expected: "an S3 bucket name" }),
            region: required(Type.String({ pattern: "^[a-z]{2}(-[a-z]+)+-[0-9]$" }), { description: "The bucket's region.", examples: ["us-west-2"], expected: "an AWS region such as us-west-2" }),
            prefix: withDefault(Type.String({ pattern: "^[A-Za-z0-9!_.*'()/-]*$", maxLength: 200 }), "logs", { description: "Key prefix of the archives (then cluster, source and date).", examples: ["archive/k8s"], expected: "an S3 key prefix" }),
          }),
          "- no S3 archive",
          { description: "Archive to S3 (gzip-compressed JSON lines).", examples: [{ bucket: "acme-log-archive", region: "us-west-2" }] },
        ),
      }),
      {},
      { description: "Where logs go: any of loki, elasticsearch, cloudwatch, s3, several at once.", examples: [{ loki: { url: "https://loki.example.com" }, s3: { bucket: "acme-log-archive", region: "us-west-2" } }] },
    ),
    retentionDays: withDefault(Type.Integer({ minimum: 1, maximum: 3653 }), 30, {
      description: "How long logs should be kept: set on the CloudWatch log group, and given to the other sinks as a hint (their own retention settings decide).",
      examples: [90],
    }),
    labels: withDefault(stringMap(), {}, {
      description: "Extra labels on every record (besides cluster, node, role and the Kubernetes metadata).",
      examples: [{ env: "prod", team: "platform" }],
    }),
  },
  { description: "Logs: agents on every node and etcd host, and Kubernetes events as log records.", examples: [{ enabled: true, sinks: { loki: { url: "https://loki.example.com" } } }] },
);

const addons = strictObject(
  {
    monitoring: withDefault(monitoring, {}, {
      description: "Metrics and dashboards.",
      examples: [{ retention: "30d", storage: { sizeGib: 200 } }],
    }),
    logging: withDefault(logging, {}, {
      description: "Logs of every node, the etcd hosts and the cluster's events, shipped to the sinks.",
      examples: [{ enabled: true, sinks: { loki: { url: "https://loki.example.com" } } }],
    }),
    alerting: withDefault(alerting, {}, {
      description: "Where alerts go. Rules come with monitoring; warnings are inhibited while a critical alert of the same name fires for the same cluster and namespace.",
      examples: [{ receivers: [{ name: "platform", slack: { webhookUrlEnv: "ALERTS_SLACK_WEBHOOK_URL" } }], routes: [{ receiver: "platform", severity: "critical" }] }],
    }),
  },
  {
    description: "In-cluster addons, deployed by the cluster's addons stack (a state of its own).",
    examples: [{ monitoring: { retention: "30d" } }],
  },
);

const clusterSpec = strictObject(
  {
    kubernetes: required(kubernetes, { description: "Kubernetes version and networks.", examples: [{ version: "1.36" }] }),
    provider: required(provider, {
      description: "Where the cluster runs: exactly one of aws or maas.",
      examples: [{ aws: { region: "us-west-2", availabilityZones: ["us-west-2a", "us-west-2b", "us-west-2c"] } }],
    }),
    etcd: required(Type.Array(etcdCluster, { minItems: 1, maxItems: 4 }), {
      description:
        "Dedicated etcd clusters. One is the primary; others take resources off it (kraken-lib's classic layout keeps Kubernetes events in their own etcd cluster).",
      examples: [[{ name: "main", members: 3 }, { name: "events", members: 3 }]],
    }),
    controlPlane: withDefault(controlPlane, {}, {
      description: "The Kubernetes control plane.",
      examples: [{ replicas: 3 }],
    }),
    nodePools: withDefault(Type.Array(nodePool, { maxItems: 50 }), [], {
      description: "Groups of worker nodes.",
      examples: [[{ name: "general", minSize: 3, maxSize: 10 }]],
    }),
    state: withDefault(state, {}, {
      description: "Terraform state of the cluster.",
      examples: [{ backend: "s3", s3: { bucket: "acme-kraken-state" } }],
    }),
    certificates: withDefault(
      strictObject({
        caValidityDays: withDefault(Type.Integer({ minimum: 365, maximum: 36500 }), 3650, {
          description: "Validity of the certificate authorities k2 secrets init creates.",
          examples: [7300],
        }),
        etcdValidityDays: withDefault(Type.Integer({ minimum: 30, maximum: 3650 }), 1095, {
          description: "Validity of the etcd member certificates and the API server's etcd client certificate. k2 certs check warns before they end.",
          examples: [365],
        }),
      }),
      {},
      { description: "Validity of the certificates kraken-lib issues.", examples: [{ etcdValidityDays: 365 }] },
    ),
    addons: withDefault(addons, {}, {
      description: "In-cluster addons.",
      examples: [{}],
    }),
  },
  { description: "The cluster's desired shape.", examples: [MINIMAL_SPEC_EXAMPLE] },
);

/** A whole spec document: one cluster. */
export const ClusterDocumentSchema = strictObject(
  {
    apiVersion: required(Type.Literal(API_VERSION), {
      description: "Version of the spec format.",
      examples: [API_VERSION],
      expected: API_VERSION,
    }),
    kind: required(Type.Literal(KIND), {
      description: "Kind of document.",
      examples: [KIND],
      expected: KIND,
    }),
    metadata: required(metadata, { description: "Identifies the cluster.", examples: [{ name: "prod-usw2" }] }),
    spec: required(clusterSpec, { description: "The cluster's desired shape.", examples: [MINIMAL_SPEC_EXAMPLE] }),
  },
  {
    $id: SCHEMA_ID,
    title: "kraken-lib Cluster",
    description: "A Kubernetes cluster defined for kraken-lib: control plane, dedicated etcd clusters, node pools and state.",
    examples: [{ apiVersion: API_VERSION, kind: KIND, metadata: { name: "dev" }, spec: MINIMAL_SPEC_EXAMPLE }],
  },
);
