/**
 * TypeScript types of the spec, derived from the schema: never written by hand.
 * `ClusterDocumentInput` is what people write; `Cluster` is what every consumer reads after
 * normalization, with every default filled in.
 */
import type { Static } from "@sinclair/typebox";
import type { ClusterDocumentSchema } from "./schema";
import type { Normalized } from "./schema-kit";

/** A spec document as written in a file or a TypeScript object: defaulted fields may be omitted. */
export type ClusterDocumentInput = Static<typeof ClusterDocumentSchema>;

/** A validated, normalized spec document: every defaulted field is present. */
export type Cluster = Normalized<typeof ClusterDocumentSchema>;

export type ClusterSpec = Cluster["spec"];
export type KubernetesSettings = ClusterSpec["kubernetes"];
export type ProviderSettings = ClusterSpec["provider"];
export type AwsProviderSettings = NonNullable<ProviderSettings["aws"]>;
export type MaasProviderSettings = NonNullable<ProviderSettings["maas"]>;
export type EtcdClusterSpec = ClusterSpec["etcd"][number];
export type ControlPlaneSpec = ClusterSpec["controlPlane"];
export type NodePoolSpec = ClusterSpec["nodePools"][number];
export type NodePoolInput = NonNullable<ClusterDocumentInput["spec"]["nodePools"]>[number];
export type Taint = NodePoolSpec["taints"][number];
export type StateSpec = ClusterSpec["state"];
export type StateBackend = StateSpec["backend"];
export type AwsImage = NonNullable<AwsProviderSettings["image"]>;
export type AddonsSpec = ClusterSpec["addons"];
export type MonitoringSpec = AddonsSpec["monitoring"];
export type AlertingSpec = AddonsSpec["alerting"];
export type LoggingSpec = AddonsSpec["logging"];
export type AlertReceiver = AlertingSpec["receivers"][number];
export type AlertRoute = AlertingSpec["routes"][number];
export type EbsVolume = NonNullable<NodePoolSpec["machine"]["aws"]>["rootVolume"];

/** Every object and array made optional, all the way down: the view semantic rules get of a document that may be invalid. */
export type DeepPartial<T> = T extends (infer I)[]
  ? (DeepPartial<I> | undefined)[]
  : T extends readonly (infer I)[]
    ? readonly (DeepPartial<I> | undefined)[]
    : T extends object
      ? { [K in keyof T]?: DeepPartial<T[K]> }
      : T;

export type PartialCluster = DeepPartial<Cluster>;
