/**
 * The events logger: the stdout receiver's layout, rendered against Kubernetes Events as the API
 * returns them (test/fixtures/events, sources in its README), gives the documented record fields;
 * every manifest validates against the Kubernetes OpenAPI schemas (kubernetes-models).
 *
 * The exporter renders the layout with Go's text/template; `renderGoTemplate` below is a small,
 * strict stand-in that knows exactly the forms the layout uses and throws on anything else, so a
 * layout change that it cannot follow fails here instead of passing unchecked.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Deployment } from "kubernetes-models/apps/v1";
import { ClusterRole, ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { ConfigMap, Namespace, ServiceAccount } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  EVENT_OBJECT_FIELDS,
  EVENT_RECORD_FIELDS,
  EVENTS_EXPORTER_IMAGE,
  EVENTS_EXPORTER_NAME,
  EVENTS_EXPORTER_POD_PREFIX,
  eventRecordLayout,
  eventsExporterConfig,
  eventsExporterManifests,
} from "../../lib/addons/logging/events-exporter";
import { EVENT_EXPORTER_NAME as METRICS_EVENT_EXPORTER_NAME } from "../../lib/addons/monitoring/event-exporter";
import { defineCluster, type Cluster } from "../../lib/spec";
import { awsDocument, setPath } from "../util";

type Json = Record<string, unknown>;

function clusterWithLogging(enabled: boolean): Cluster {
  const document = awsDocument();
  setPath(document, "metadata.name", "prod-usw2");
  setPath(document, "spec.addons.logging", enabled ? { enabled: true, sinks: { loki: { url: "https://loki.example.com" } } } : { enabled: false });
  return defineCluster(document);
}

// ---------------------------------------------------------------------------------------------
// A strict Go text/template evaluator for the layout's forms only.
// ---------------------------------------------------------------------------------------------

/** Go fields of kube.EnhancedEvent (a core/v1 Event) the layout may read: JSON path and Go kind. */
const GO_FIELDS: Record<string, { json: readonly string[]; kind: "string" | "int" | "time" }> = {
  ".Reason": { json: ["reason"], kind: "string" },
  ".Type": { json: ["type"], kind: "string" },
  ".Message": { json: ["message"], kind: "string" },
  ".Count": { json: ["count"], kind: "int" },
  ".InvolvedObject.Kind": { json: ["involvedObject", "kind"], kind: "string" },
  ".InvolvedObject.Namespace": { json: ["involvedObject", "namespace"], kind: "string" },
  ".InvolvedObject.Name": { json: ["involvedObject", "name"], kind: "string" },
  ".Source.Host": { json: ["source", "host"], kind: "string" },
  ".Source.Component": { json: ["source", "component"], kind: "string" },
  // The Go field is ReportingController; its JSON name is reportingComponent.
  ".ReportingController": { json: ["reportingComponent"], kind: "string" },
  ".FirstTimestamp": { json: ["firstTimestamp"], kind: "time" },
  ".LastTimestamp": { json: ["lastTimestamp"], kind: "time" },
  ".EventTime": { json: ["eventTime"], kind: "time" },
};
const GO_TIME_LAYOUT = "2006-01-02T15:04:05.000Z";
const GO_ZERO_TIME = "0001-01-01T00:00:00.000Z";

type GoValue = string | number | boolean;

function field(event: Json, path: string): { kind: "string" | "int" | "time"; value: string | number | null } {
  const spec = GO_FIELDS[path];
  if (!spec) throw new Error(`template reads ${path}: the test evaluator does not know that field`);
  let node: unknown = event;
  for (const key of spec.json) node = node && typeof node === "object" ? (node as Json)[key] : undefined;
  if (spec.kind === "int") return { kind: "int", value: typeof node === "number" ? node : 0 };
  if (spec.kind === "time") return { kind: "time", value: typeof node === "string" ? node : null };
  return { kind: "string", value: typeof node === "string" ? node : "" };
}

/** One pipeline: `.F`, `.T.IsZero`, `.T.UTC.Format "layout"`, `eq .F "lit"`, `or .F .G`, `max .F n`. */
function evaluate(pipeline: string, event: Json): GoValue {
  const words = pipeline.match(/"[^"]*"|\S+/g) ?? [];
  const [head, ...args] = words;
  const argument = (word: string): GoValue => {
    if (/^".*"$/.test(word)) return word.slice(1, -1);
    if (/^\d+$/.test(word)) return Number(word);
    return evaluate(word, event);
  };
  if (head === "eq" && args.length === 2) return argument(args[0]!) === argument(args[1]!);
  if (head === "or" && args.length === 2) {
    const first = argument(args[0]!);
    return first === "" || first === 0 || first === false ? argument(args[1]!) : first;
  }
  if (head === "max" && args.length === 2) {
    const [a, b] = args.map(argument);
    if (typeof a !== "number" || typeof b !== "number") throw new Error(`max of non-numbers in {{ ${pipeline} }}`);
    return Math.max(a, b);
  }
  if (head === undefined || !head.startsWith(".")) throw new Error(`unsupported template form {{ ${pipeline} }}`);
  const time = /^(\.\w+)\.(IsZero|UTC\.Format)$/.exec(head);
  if (time) {
    const { kind, value } = field(event, time[1]!);
    if (kind !== "time") throw new Error(`${time[2]} on non-time field ${time[1]}`);
    if (time[2] === "IsZero" && args.length === 0) return value === null;
    if (time[2] === "UTC.Format" && args.length === 1 && args[0] === `"${GO_TIME_LAYOUT}"`) {
      return value === null ? GO_ZERO_TIME : new Date(value).toISOString();
    }
    throw new Error(`unsupported time form {{ ${pipeline} }}`);
  }
  if (args.length > 0) throw new Error(`unsupported template form {{ ${pipeline} }}`);
  const { kind, value } = field(event, head);
  if (kind === "time") throw new Error(`printing a time field directly ({{ ${pipeline} }}) gives Go's time.String(), not supported`);
  return value as string | number;
}

type Token = { text: string } | { action: string };

function tokenize(template: string): Token[] {
  const tokens: Token[] = [];
  let rest = template;
  while (rest.length > 0) {
    const start = rest.indexOf("{{");
    if (start < 0) {
      tokens.push({ text: rest });
      break;
    }
    if (start > 0) tokens.push({ text: rest.slice(0, start) });
    const end = rest.indexOf("}}", start);
    if (end < 0) throw new Error(`unclosed action in ${JSON.stringify(template)}`);
    const inner = rest.slice(start + 2, end);
    if (!/^ .* $/.test(inner)) throw new Error(`action without the house spacing: {{${inner}}}`);
    tokens.push({ action: inner.trim() });
    rest = rest.slice(end + 2);
  }
  return tokens;
}

/** Renders a Go template against an Event as the API returns it; throws on unknown forms. */
function renderGoTemplate(template: string, event: Json): string {
  const tokens = tokenize(template);
  let position = 0;
  const block = (stopAt: readonly string[]): string => {
    let out = "";
    while (position < tokens.length) {
      const token = tokens[position]!;
      if ("text" in token) {
        out += token.text;
        position++;
        continue;
      }
      if (stopAt.includes(token.action)) return out;
      position++;
      if (token.action.startsWith("if ")) {
        const condition = evaluate(token.action.slice(3), event);
        if (typeof condition !== "boolean") throw new Error(`if on a non-boolean: {{ ${token.action} }}`);
        const then = block(["else", "end"]);
        let otherwise = "";
        if ((tokens[position] as { action?: string } | undefined)?.action === "else") {
          position++;
          otherwise = block(["end"]);
        }
        if ((tokens[position] as { action?: string } | undefined)?.action !== "end") throw new Error(`if without end in ${JSON.stringify(template)}`);
        position++;
        out += condition ? then : otherwise;
        continue;
      }
      out += String(evaluate(token.action, event));
    }
    if (stopAt.length > 0) throw new Error(`missing {{ ${stopAt.join(" / ")} }} in ${JSON.stringify(template)}`);
    return out;
  };
  return block([]);
}

/** What the stdout receiver writes for one Event: the layout with every string rendered. */
function renderRecord(layout: unknown, event: Json): unknown {
  if (typeof layout === "string") return renderGoTemplate(layout, event);
  if (layout && typeof layout === "object") return Object.fromEntries(Object.entries(layout).map(([key, value]) => [key, renderRecord(value, event)]));
  throw new Error(`layout value of type ${typeof layout}: the exporter renders only strings and maps`);
}

// ---------------------------------------------------------------------------------------------

const FIXTURES = join(__dirname, "../fixtures/events");
const fixture = (name: string): Json => JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as Json;

const cluster = clusterWithLogging(true);
// The layout as the exporter reads it: through the ConfigMap's YAML.
const configMap = eventsExporterManifests(cluster).find((object) => object.kind === "ConfigMap") as { data: Record<string, string> };
const shippedConfig = parse(configMap.data["config.yaml"]!) as { receivers: { stdout: { layout: Json } }[] };
const layout = shippedConfig.receivers[0]!.stdout.layout;
const record = (name: string) => renderRecord(layout, fixture(name)) as Record<string, unknown>;

describe("event records", () => {
  it("GIVEN every fixture WHEN rendered THEN each record has exactly the documented fields, all strings", () => {
    const files = readdirSync(FIXTURES).filter((file) => file.endsWith(".json"));
    expect(files.length).toBeGreaterThanOrEqual(11);
    for (const file of files) {
      const rendered = record(file);
      expect(Object.keys(rendered).sort(), file).toEqual([...EVENT_RECORD_FIELDS].sort());
      expect(Object.keys(rendered.object as Json).sort(), file).toEqual([...EVENT_OBJECT_FIELDS].sort());
      for (const [key, value] of Object.entries(rendered)) if (key !== "object") expect(typeof value, `${file} ${key}`).toBe("string");
      expect(rendered.cluster).toBe("prod-usw2");
    }
  });

  it.each([
    // file, reason, type, object, namespace, node, count, firstSeen, lastSeen, component
    ["backoff.json", "BackOff", "Warning", ["Pod", "psa-restricted", "restricteddeploy-66bddd5dc8-9ggwb"], "psa-restricted", "k8scilium1", "10", "2026-04-17T11:54:48.000Z", "2026-04-17T12:00:17.000Z", "kubelet"],
    ["killing.json", "Killing", "Normal", ["Pod", "kube-system", "coredns-6f6b679f8f-5m7kq"], "kube-system", "minikube", "1", "2024-11-17T10:19:49.000Z", "2024-11-17T10:19:49.000Z", "kubelet"],
    ["created.json", "Created", "Normal", ["Pod", "kube-system", "coredns-6f6b679f8f-5m7kq"], "kube-system", "minikube", "1", "2024-11-17T10:19:48.000Z", "2024-11-17T10:19:48.000Z", "kubelet"],
    ["started.json", "Started", "Normal", ["Pod", "kube-system", "coredns-6f6b679f8f-5m7kq"], "kube-system", "minikube", "1", "2024-11-17T10:19:48.000Z", "2024-11-17T10:19:48.000Z", "kubelet"],
    ["scaling-replica-set.json", "ScalingReplicaSet", "Normal", ["Deployment", "kube-system", "coredns"], "kube-system", "", "1", "2024-11-17T10:19:40.000Z", "2024-11-17T10:19:40.000Z", "deployment-controller"],
    ["node-not-ready-pod.json", "NodeNotReady", "Warning", ["Pod", "kube-system", "kube-scheduler-kind-control-plane"], "kube-system", "", "1", "2022-09-13T08:19:22.000Z", "2022-09-13T08:19:22.000Z", "node-controller"],
    ["registered-node.json", "RegisteredNode", "Normal", ["Node", "", "ip-10-0-10-170.ec2.internal"], "", "ip-10-0-10-170.ec2.internal", "1", "2026-01-02T20:02:22.000Z", "2026-01-02T20:02:22.000Z", "node-controller"],
    ["constructed-node-not-ready.json", "NodeNotReady", "Normal", ["Node", "", "worker-1"], "", "worker-1", "1", "2024-11-17T11:02:10.000Z", "2024-11-17T11:02:10.000Z", "node-controller"],
    ["constructed-oom-killing.json", "OOMKilling", "Warning", ["Node", "", "worker-1"], "", "worker-1", "3", "2024-11-17T11:30:00.000Z", "2024-11-17T11:34:12.000Z", "kernel-monitor"],
    ["constructed-evicted.json", "Evicted", "Warning", ["Pod", "shop", "web-7d9f4-x2k8p"], "shop", "worker-2", "1", "2024-11-17T12:00:00.000Z", "2024-11-17T12:00:00.000Z", "kubelet"],
    // events.k8s.io/v1 style: no source, no first/last timestamps, count 0.
    ["failed-scheduling.json", "FailedScheduling", "Warning", ["Pod", "kube-system", "coredns-789f8477df-knmwr"], "kube-system", "", "1", "2026-01-02T19:58:25.023Z", "2026-01-02T19:58:25.023Z", "default-scheduler"],
  ])("GIVEN %s WHEN rendered THEN the record says what happened, where and when", (file, reason, type, [kind, namespace, name], recordNamespace, node, count, firstSeen, lastSeen, component) => {
    const event = fixture(file);
    expect(record(file)).toEqual({
      cluster: "prod-usw2",
      reason,
      type,
      object: { kind, namespace, name },
      namespace: recordNamespace,
      node,
      message: event.message,
      count,
      firstSeen,
      lastSeen,
      component,
    });
  });

  it("GIVEN a template form the evaluator does not know THEN it throws instead of guessing", () => {
    const event = fixture("backoff.json");
    expect(() => renderGoTemplate("{{ .Metadata.Name }}", event)).toThrow(/does not know that field/);
    expect(() => renderGoTemplate("{{ toJson . }}", event)).toThrow(/unsupported template form/);
    expect(() => renderGoTemplate("{{ .FirstTimestamp }}", event)).toThrow(/time.String/);
    expect(() => renderGoTemplate('{{ .FirstTimestamp.UTC.Format "2006-01-02" }}', event)).toThrow(/unsupported time form/);
    expect(() => renderGoTemplate("{{ if .Reason }}x{{ end }}", event)).toThrow(/non-boolean/);
    expect(() => renderGoTemplate('{{ if eq .Type "Warning" }}x', event)).toThrow(/missing/);
  });
});

describe("eventsExporterConfig", () => {
  it("GIVEN a cluster THEN every event goes to one stdout receiver as JSON, nothing looked up", () => {
    const config = eventsExporterConfig(cluster);
    expect(config).toMatchObject({ logFormat: "json", clusterName: "prod-usw2", omitLookup: true, route: { routes: [{ match: [{ receiver: "stdout" }] }] } });
    expect(config.maxEventAgeSeconds).toBeGreaterThan(0);
    // No drop rules: Normal and Warning events alike are written.
    expect(JSON.stringify(config.route)).not.toContain("drop");
    expect(shippedConfig).toEqual(JSON.parse(JSON.stringify(config)));
    expect(layout).toEqual(eventRecordLayout(cluster));
  });
});

type Validator = new (data: never) => { validate(): void };
const KINDS: Record<string, Validator> = {
  "v1/Namespace": Namespace,
  "v1/ConfigMap": ConfigMap,
  "v1/ServiceAccount": ServiceAccount,
  "apps/v1/Deployment": Deployment,
  "rbac.authorization.k8s.io/v1/ClusterRole": ClusterRole,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": ClusterRoleBinding,
};

function schemaProblem(object: Json): string | undefined {
  const kind = `${String(object.apiVersion)}/${String(object.kind)}`;
  const Model = KINDS[kind];
  if (!Model) return `no schema for ${kind}`;
  try {
    new Model(object as never).validate();
    return undefined;
  } catch (error) {
    return `${kind}: ${(error as Error).message}`;
  }
}

describe("eventsExporterManifests", () => {
  const manifests = eventsExporterManifests(cluster);
  const byKind = (kind: string) => manifests.find((object) => object.kind === kind) as Json;

  it("GIVEN logging is off THEN nothing is deployed", () => {
    expect(eventsExporterManifests(clusterWithLogging(false))).toEqual([]);
  });

  it("GIVEN logging is on THEN every object validates against the Kubernetes schemas", () => {
    expect(manifests.map((object) => object.kind)).toEqual(["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment"]);
    expect(manifests.map(schemaProblem).filter(Boolean)).toEqual([]);
  });

  it("GIVEN a broken object THEN the schema validation fails (the check above can fail)", () => {
    const deployment = structuredClone(byKind("Deployment")) as { spec: { replicas: unknown; template: { spec: { containers: Json[] } } } };
    deployment.spec.replicas = "one";
    expect(schemaProblem(deployment as unknown as Json)).toMatch(/replicas/);
    const role = structuredClone(byKind("ClusterRole")) as { rules: Json[] };
    role.rules[0] = { apiGroups: [""], resources: ["events"] };
    expect(schemaProblem(role as unknown as Json)).toMatch(/verbs/);
  });

  it("GIVEN the ClusterRole THEN it grants only get, list and watch on events", () => {
    const role = byKind("ClusterRole") as { rules: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[] };
    expect(role.rules).toHaveLength(1);
    const [rule] = role.rules;
    expect([...rule!.apiGroups].sort()).toEqual(["", "events.k8s.io"]);
    expect(rule!.resources).toEqual(["events"]);
    expect([...rule!.verbs].sort()).toEqual(["get", "list", "watch"]);
    const binding = byKind("ClusterRoleBinding") as { roleRef: { name: string }; subjects: { name: string; namespace: string }[] };
    expect(binding.roleRef.name).toBe((role as unknown as { metadata: { name: string } }).metadata.name);
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: EVENTS_EXPORTER_NAME, namespace: "logging" }]);
  });

  it("GIVEN the Deployment THEN one hardened exporter runs with the config mounted", () => {
    const deployment = byKind("Deployment") as {
      metadata: { name: string; namespace: string };
      spec: { replicas: number; strategy: { type: string }; template: { spec: { securityContext: Json; containers: Json[]; volumes: Json[] } } };
    };
    expect(deployment.metadata).toMatchObject({ name: EVENTS_EXPORTER_NAME, namespace: "logging" });
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy.type).toBe("Recreate");
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    const [container] = pod.containers as { image: string; args: string[]; securityContext: Json; resources: { requests: Json; limits: Json }; volumeMounts: { name: string; mountPath: string }[] }[];
    expect(container!.image).toBe(EVENTS_EXPORTER_IMAGE);
    expect(container!.image).toMatch(/^ghcr\.io\/resmoio\/kubernetes-event-exporter:v\d+\.\d+/);
    expect(container!.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(Object.keys(container!.resources.requests).sort()).toEqual(["cpu", "memory"]);
    expect(Object.keys(container!.resources.limits).sort()).toEqual(["cpu", "memory"]);
    const mount = container!.volumeMounts[0]!;
    expect(container!.args).toEqual([`-conf=${mount.mountPath}/config.yaml`]);
    expect(pod.volumes).toEqual([{ name: mount.name, configMap: { name: (configMap as unknown as { metadata: { name: string } }).metadata.name } }]);
  });

  it("GIVEN monitoring's events-as-metrics exporter THEN the logger's names cannot be mistaken for it", () => {
    expect(EVENTS_EXPORTER_NAME).not.toBe(METRICS_EVENT_EXPORTER_NAME);
    expect(EVENTS_EXPORTER_NAME.startsWith(METRICS_EVENT_EXPORTER_NAME)).toBe(false);
    // The agent's tag for the pod's log file starts with the prefix: kube.var.log.containers.<pod>_logging_...
    const podName = `${EVENTS_EXPORTER_NAME}-5d8b9f8f5d-fghij`;
    expect(podName.startsWith(EVENTS_EXPORTER_POD_PREFIX)).toBe(true);
    expect(`${METRICS_EVENT_EXPORTER_NAME}-5d8b9f8f5d-fghij`.startsWith(EVENTS_EXPORTER_POD_PREFIX)).toBe(false);
  });
});
